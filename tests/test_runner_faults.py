"""Faults inside a run, in the torch kernel: the kernel killed or crashing, a notebook that
leaves no record or a broken one, two runs on one folder."""

from __future__ import annotations

import json
import signal
import subprocess
import sys

import pytest
from test_runner import crafted_notebooks, gone, kernel_pids, quick_plan, sleeping_kernel, start_polybench

from polybench import cli, records, runner

pytestmark = pytest.mark.slow

TWO_EPOCHS_THEN = """
import json, os, signal
with open(progress_path, "a") as f:
    for epoch in (1, 2):
        row = {{"epoch": epoch, "train_loss": 0.5, "val_loss": 0.4, "val_metric": 0.9, "seconds": 0.5, "epochs": 5}}
        f.write(json.dumps(row) + "\\n")
os.kill(os.getpid(), signal.{signal})
"""


def test_kernels_killed_by_signals_are_recorded_and_the_next_run_goes_on(
    torch_env, toy_data_dir, tmp_path, monkeypatch, capsys
):
    crafted_notebooks(
        tmp_path,
        monkeypatch,
        TWO_EPOCHS_THEN.format(signal="SIGKILL"),
        TWO_EPOCHS_THEN.format(signal="SIGSEGV"),
    )
    out = tmp_path / "run"
    code = cli.main(
        [
            "run",
            "--framework",
            "torch",
            "--model",
            "mnist_fcn,mnist_cnn,echo",
            "--profile",
            "quick",
            "--threads",
            "2",
            "--out",
            str(out),
            "--data-dir",
            str(toy_data_dir),
        ]
    )
    said = capsys.readouterr()
    assert code == 1 and "Traceback" not in said.out + said.err
    report = (out / "report.md").read_text()
    for number, (model, signame, signum) in enumerate([("mnist_fcn", "SIGKILL", 9), ("mnist_cnn", "SIGSEGV", 11)], 1):
        reason = f"the kernel died: killed by signal {signum} ({signame}), after 2 epoch(s)"
        assert f"[{number}/3] torch {model} eager seed 0: FAILED: {reason}" in said.out
        dead = records.read_record(records.RunKey(model, "torch", "eager", 0).record_path(out))
        assert dead.status == "failed" and dead.error == reason
        assert [row.epoch for row in dead.epochs] == [1, 2]
        assert f"{model} / torch / eager / seed 0: **failed** — {reason}" in report
    after = records.read_record(records.RunKey("echo", "torch", "eager", 0).record_path(out))
    assert after.status == "ok"


def test_a_notebook_that_writes_no_record_is_recorded_as_failed(torch_env, mnist_data_dir, tmp_path, monkeypatch):
    crafted_notebooks(tmp_path, monkeypatch, "x = 1  # ends without saving a record")
    [record] = runner.Runner(quick_plan(mnist_data_dir, ["mnist_fcn"]), tmp_path / "run", say=lambda _: None).run_all()
    assert record.status == "failed" and record.error == "the notebook finished without writing its record"


def test_a_notebook_that_writes_an_invalid_record_is_recorded_as_failed(
    torch_env, mnist_data_dir, tmp_path, monkeypatch
):
    crafted_notebooks(
        tmp_path,
        monkeypatch,
        """
import json
json.dump({"schema": 1, "model": "mnist_fcn", "framework": "torch", "mode": "eager", "seed": 0,
           "profile": "quick", "status": "great"}, open(record_path, "w"))
""",
    )
    [record] = runner.Runner(quick_plan(mnist_data_dir, ["mnist_fcn"]), tmp_path / "run", say=lambda _: None).run_all()
    assert record.status == "failed"
    assert record.error == (
        "the notebook wrote an invalid record: status 'great' is not one of ok, failed, timeout, diverged, unsupported"
    )
    path = records.RunKey("mnist_fcn", "torch", "eager", 0).record_path(tmp_path / "run")
    assert json.loads(path.read_text())["status"] == "failed"  # the broken file was replaced by a valid record


def test_a_second_run_on_the_folder_is_refused_and_sigterm_stops_the_first(
    torch_env, mnist_data_dir, tmp_path, monkeypatch
):
    pid_file = tmp_path / "kernel.pids"
    crafted_notebooks(tmp_path, monkeypatch, sleeping_kernel(pid_file))
    out = tmp_path / "run"
    first = start_polybench(tmp_path / "notebooks", mnist_data_dir, out)
    try:
        kernel, child = kernel_pids(pid_file)
        args = ["run", "--framework", "torch", "--model", "mnist_fcn", "--profile", "quick", "--threads", "2"]
        args += ["--data-dir", str(mnist_data_dir), "--out", str(out)]
        second = subprocess.run(
            [sys.executable, "-m", "polybench.cli", *args],
            capture_output=True,
            text=True,
            timeout=120,
            stdin=subprocess.DEVNULL,
        )
        assert second.returncode == 1 and "Traceback" not in second.stderr
        assert second.stderr.strip().splitlines() == [
            f"polybench: error: another `polybench run` (pid {first.pid}) is writing to {out}; wait for it to "
            f"finish or choose another --out"
        ]
        assert first.poll() is None  # the first run goes on undisturbed
    finally:
        first.send_signal(signal.SIGTERM)  # a `kill`: stops the run as Ctrl-C does
        _, err = first.communicate(timeout=60)
    assert first.returncode == 130 and "polybench: interrupted" in err and "Traceback" not in err
    assert gone(kernel) and gone(child)
    record = records.read_record(records.RunKey("mnist_fcn", "torch", "eager", 0).record_path(out))
    assert record.status == "failed" and record.error == "interrupted by the user"
