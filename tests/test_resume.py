"""--resume: a run folder keeps its plan; a resume reruns exactly what did not finish and
refuses a folder made by another plan."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from test_runner import wait_until

from polybench import cli, records, runner
from polybench.runner import resume

MODELS = ["mnist_fcn", "echo", "damped_sine"]


def base_command(data_dir: Path) -> list[str]:
    return [
        "run",
        "--framework",
        "torch",
        "--model",
        ",".join(MODELS),
        "--profile",
        "quick",
        "--threads",
        "2",
        "--data-dir",
        str(data_dir),
    ]


def finished(path: Path) -> bool:
    """Whether the runner has written the run's final record (the one that says where it ran)."""
    try:
        return "executor" in json.loads(path.read_text())["environment"]
    except (OSError, ValueError, KeyError):
        return False


@pytest.fixture(scope="module")
def data_dir(mnist_data_dir) -> Path:
    from polybench.data.prepare import prepare

    prepare(MODELS, mnist_data_dir, say=lambda _: None)
    return mnist_data_dir


@pytest.mark.slow
def test_ctrl_c_leaves_a_folder_that_resume_completes_running_only_the_rest(torch_env, data_dir, tmp_path, capsys):
    run_dir = tmp_path / "run"
    command = base_command(data_dir)
    proc = subprocess.Popen(
        [sys.executable, "-m", "polybench.cli", *command, "--out", str(run_dir)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        # A shell's background job ignores SIGINT, and Python keeps an ignored SIGINT ignored:
        # the run gets Ctrl-C's default however the tests were started.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    first = records.RunKey("mnist_fcn", "torch", "eager", 0).record_path(run_dir)
    second = run_dir / "params" / f"{records.RunKey('echo', 'torch', 'eager', 0).stem}.yaml"
    # The first run finished and the second started (its parameters file is its first trace).
    wait_until(
        lambda: proc.poll() is not None or (finished(first) and second.is_file()), 300, "the second run starting"
    )
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130 and "Traceback" not in err
    assert json.loads((run_dir / "plan.json").read_text())["models"] == MODELS

    before = {
        key: records.read_record(key.record_path(run_dir)) if key.record_path(run_dir).is_file() else None
        for key in runner.Plan(["torch"], MODELS, ["eager"], [0]).keys()
    }
    kept = [key for key, record in before.items() if record is not None and record.status == "ok"]
    assert 1 <= len(kept) < len(MODELS), f"the interrupt came too late or too early: {before}"
    interrupted = [r for r in before.values() if r is not None and r.status == "failed"]
    assert [r.error for r in interrupted] == ["interrupted by the user"]

    capsys.readouterr()
    assert cli.main([*command, "--resume", str(run_dir)]) == 0
    out = capsys.readouterr().out
    rerun = len(MODELS) - len(kept)
    assert f"resuming {run_dir}: {len(kept)} of {len(MODELS)} runs finished, {rerun} to run" in out
    started = [line for line in out.splitlines() if line.endswith(": started")]
    assert len(started) == rerun
    assert not any(f" {key.model} " in line for key in kept for line in started)
    for key in before:
        after = records.read_record(key.record_path(run_dir))
        assert after.status == "ok"
        if key in kept:
            assert after == before[key]  # untouched: not run again
    assert "3 records (3 ok)" in (run_dir / "report.md").read_text()


def test_resume_into_another_plans_folder_is_refused(tmp_path, capsys):
    run_dir = tmp_path / "run"
    plan = runner.Plan(["torch"], ["mnist_fcn"], ["eager"], [0], profile="quick", threads=2, data_dir=tmp_path)
    resume.write_plan(plan, run_dir)
    marker = records.RunKey("mnist_fcn", "torch", "eager", 0).record_path(run_dir)
    marker.parent.mkdir()
    marker.write_text("{}")
    snapshot = {p: p.read_bytes() for p in run_dir.rglob("*") if p.is_file()}
    command = [
        "run",
        "--framework",
        "torch",
        "--model",
        "mnist_fcn",
        "--data-dir",
        str(tmp_path),
        "--resume",
        str(run_dir),
    ]
    for options, difference in [
        (["--profile", "full", "--threads", "2"], "--profile quick there, full here"),
        (["--profile", "quick", "--threads", "1"], "--threads 2 there, 1 here"),
        (["--profile", "quick", "--threads", "2", "--epochs", "3"], "--epochs default there, 3 here"),
        (["--profile", "quick", "--threads", "2", "--seeds", "2"], "--seeds 0 there, 0,1 here"),
        (
            ["--profile", "quick", "--threads", "2", "--mode", "graph", "--compiler-option", "default,max-autotune"],
            "--compiler-option default there, default,max-autotune here",
        ),
    ]:
        assert cli.main([*command, *options]) == 2
        err = capsys.readouterr().err
        assert len(err.strip().splitlines()) == 1
        assert err.startswith(f"polybench: error: --resume {run_dir}: the folder was made by another plan (")
        assert difference in err
    assert {p: p.read_bytes() for p in run_dir.rglob("*") if p.is_file()} == snapshot


def test_resume_needs_a_folder_with_a_plan(tmp_path, capsys):
    (tmp_path / "old").mkdir()
    for folder, message in [(tmp_path / "old", "has no plan.json"), (tmp_path / "nowhere", "no such run folder")]:
        assert cli.main(["run", "--framework", "torch", "--resume", str(folder)]) == 2
        err = capsys.readouterr().err
        assert message in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "nowhere").exists()


def test_resume_keeps_finished_cells_and_reruns_failed_timed_out_and_missing_ones(tmp_path):
    plan = runner.Plan(
        ["torch"],
        ["mnist_fcn", "echo", "addition", "cumsum", "shape_gen"],
        ["eager"],
        [0],
        profile="quick",
        threads=2,
        data_dir=tmp_path,
    )
    statuses = {"mnist_fcn": "ok", "echo": "failed", "addition": "timeout", "cumsum": "diverged"}
    for model, status in statuses.items():
        key = records.RunKey(model, "torch", "eager", 0)
        fields = {"test_metric": 0.9} if status == "ok" else {}
        records.write_record(key.record_path(tmp_path), records.Record.new(key, "quick", status, **fields))
    assert [key.model for key in resume.to_run(plan, tmp_path)] == ["echo", "addition", "shape_gen"]


def test_a_ctrl_c_while_a_kernel_process_starts_is_held_until_the_process_is_known():
    # Python's own Ctrl-C handler, as in a terminal, even where the tests run as a background
    # job (which starts with SIGINT ignored).
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        went_on = []
        with pytest.raises(KeyboardInterrupt):
            with runner.runs._interrupt_after():
                signal.raise_signal(signal.SIGINT)
                went_on.append("the block finished")
        assert went_on == ["the block finished"]
        assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
    finally:
        signal.signal(signal.SIGINT, previous)


@pytest.mark.parametrize(
    "fault, error",
    [(KeyboardInterrupt(), "interrupted by the user"), (OSError("no more processes"), "polybench stopped: OSError")],
)
def test_a_run_stopped_before_its_kernel_started_is_recorded_as_not_finished(tmp_path, monkeypatch, fault, error):
    # The window between a run's first trace (its parameters file) and its kernel's process:
    # --resume must see the run as not finished.
    real_popen = subprocess.Popen

    def no_kernel_process(command, *args, **kwargs):
        if "polybench.runner.execute" in command:
            raise fault
        return real_popen(command, *args, **kwargs)

    monkeypatch.setattr(runner.runs.subprocess, "Popen", no_kernel_process)
    plan = runner.Plan(["torch"], ["mnist_fcn"], ["eager"], [0], profile="quick", threads=2, data_dir=tmp_path)
    key = records.RunKey("mnist_fcn", "torch", "eager", 0)
    with pytest.raises(type(fault)):
        runner.Runner(plan, tmp_path / "run", say=lambda _: None).run_one(key)
    assert (tmp_path / "run" / "params" / f"{key.stem}.yaml").is_file()
    record = records.read_record(key.record_path(tmp_path / "run"))
    assert record.status == "failed" and record.error.startswith(error)
