"""Quick-profile papermill runs in the torch kernel: records, failures, time limits."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import psutil
import pytest
from nbformat.v4 import new_code_cell, new_notebook

from polybench import cli, records, runner
from polybench.notebook import templates as notebooks

pytestmark = pytest.mark.slow


def quick_plan(data_dir: Path, models: list[str], **kwargs) -> runner.Plan:
    return runner.Plan(
        frameworks=["torch"],
        models=models,
        modes=["eager"],
        seeds=[0],
        profile="quick",
        threads=2,
        data_dir=data_dir,
        **kwargs,
    )


def crafted_notebooks(tmp_path: Path, monkeypatch, fcn_code: str, cnn_code: str | None = None) -> None:
    """Serve notebooks from tmp_path: mnist_fcn runs ``fcn_code``, mnist_cnn ``cnn_code`` when
    given, and every other model its real notebook."""
    folder = tmp_path / "notebooks"
    folder.mkdir()
    for real in notebooks.NOTEBOOK_DIR.glob("*.ipynb"):
        shutil.copy(real, folder / real.name)
    for model, code in (("mnist_fcn", fcn_code), ("mnist_cnn", cnn_code)):
        if code is None:
            continue
        real = notebooks.build(model)
        [params] = [cell for cell in real.cells if "parameters" in cell.metadata.get("tags", [])]
        crafted = new_notebook(cells=[params, new_code_cell(code)])
        crafted.metadata = real.metadata  # kernel and language, as the real ones
        nbformat.write(crafted, folder / f"{model}.ipynb")
    monkeypatch.setattr(notebooks, "NOTEBOOK_DIR", folder)


def wait_until(condition, seconds: float, what: str) -> None:
    """Poll ``condition`` until it holds; fail saying ``what`` did not happen within ``seconds``."""
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"{what} did not happen within {seconds:.0f} s"
        time.sleep(0.1)


def gone(pid: int) -> bool:
    """Whether the process has ended (a zombie waiting for a parent that never reaps it counts)."""
    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


def sleeping_kernel(pid_file: Path) -> str:
    """A notebook cell that starts a child process, writes "<kernel pid> <child pid>" to
    ``pid_file`` (atomically) and sleeps until it is killed."""
    return f"""
import os, subprocess, sys, time
child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
with open({str(pid_file)!r} + ".tmp", "w") as f:
    f.write(f"{{os.getpid()}} {{child.pid}}")
os.replace({str(pid_file)!r} + ".tmp", {str(pid_file)!r})
time.sleep(600)
"""


def kernel_pids(pid_file: Path) -> tuple[int, int]:
    """(kernel pid, its child's pid), once the sleeping kernel has written them."""
    wait_until(pid_file.is_file, 180, "the kernel starting")
    kernel, child = map(int, pid_file.read_text().split())
    return kernel, child


#: `polybench run` with the notebooks of the folder given as its first argument.
RUN_WITH_NOTEBOOKS = (
    "import sys; from pathlib import Path; from polybench import cli; "
    "from polybench.notebook import templates; templates.NOTEBOOK_DIR = Path(sys.argv[1]); "
    "sys.exit(cli.main(sys.argv[2:]))"
)


def start_polybench(notebook_dir: Path, data_dir: Path, run_dir: Path, **popen) -> subprocess.Popen:
    """`polybench run` of torch mnist_fcn (quick) into ``run_dir``, in its own process, with the
    notebooks of ``notebook_dir``."""
    command = [sys.executable, "-c", RUN_WITH_NOTEBOOKS, str(notebook_dir), "run", "--framework", "torch"]
    command += ["--model", "mnist_fcn", "--profile", "quick", "--threads", "2"]
    command += ["--data-dir", str(data_dir), "--out", str(run_dir)]
    return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **popen)


@pytest.fixture(scope="module")
def every_model(torch_env, toy_data_dir, tmp_path_factory) -> tuple[Path, list[dict], list[str]]:
    """One quick run of every model in the torch kernel: (run folder, records, progress lines).
    Several tests read it, so that each model's kernel starts once."""
    from polybench.specs import SPECS

    run_dir = tmp_path_factory.mktemp("every-model")
    said = []
    results = runner.Runner(quick_plan(toy_data_dir, list(SPECS)), run_dir, say=said.append).run_all()
    return run_dir, results, said


def test_quick_run_writes_a_valid_record_and_notebook(every_model):
    tmp_path, results, said = every_model
    [record] = [r for r in results if r.model == "mnist_fcn"]
    key = records.RunKey("mnist_fcn", "torch", "eager", 0)
    on_disk = json.loads(key.record_path(tmp_path).read_text())
    assert on_disk == record.to_dict()
    assert records.Record.from_dict(on_disk) == record  # a valid record, every field present
    assert record.status == "ok" and record.error is None
    assert record.profile == "quick" and record.device == "cpu" and record.train_samples == 2000
    assert 0.5 < record.test_metric <= 1.0 and record.metric == "accuracy"
    assert len(record.epochs) == 1 and record.epochs[0].seconds > 0
    assert record.peak_rss_bytes > 50 * 2**20
    assert record.gpu_peak_framework_bytes is None and record.gpu_peak_nvml_bytes is None
    assert record.implementation_loc > 10
    parity = record.parity  # measured in the kernel after training, as the parity tests do
    assert parity.forward_max_abs_diff <= 1e-4 and len(parity.first_losses) == 3
    assert list(record.environment["sources"]) == [
        "polybench/frameworks/torch/mnist_fcn.py",
        "polybench/frameworks/torch/common.py",
    ]
    assert "class FCN(nn.Module)" in record.environment["sources"]["polybench/frameworks/torch/mnist_fcn.py"]
    assert record.environment["threads"] == 2 and record.environment["versions"]["torch"].startswith("2.13")
    assert any("epoch 1/1" in line for line in said)
    executed = nbformat.read(key.notebook_path(tmp_path), as_version=4)
    outputs = [o for cell in executed.cells for o in cell.get("outputs", [])]
    assert not [o for o in outputs if o.get("output_type") == "error"]
    assert sum("image/png" in o.get("data", {}) for o in outputs) >= 4  # data, curves, confusion, predictions
    assert any("class FCN(nn.Module)" in str(o.get("data", {})) for o in outputs)  # the source is shown


def test_quick_profile_runs_every_model(every_model):
    from polybench.specs import SPECS

    tmp_path, results, _ = every_model
    assert [(r.model, r.status, r.error) for r in results] == [(m, "ok", None) for m in SPECS]
    for r in results:
        assert len(r.epochs) == 1 and r.test_metric is not None and r.metric == SPECS[r.model].metric.name
        executed = nbformat.read(records.RunKey(r.model, "torch", "eager", 0).notebook_path(tmp_path), 4)
        outputs = [o for cell in executed.cells for o in cell.get("outputs", [])]
        assert sum("image/png" in o.get("data", {}) for o in outputs) >= 1  # the learning curves at least
        assert not [o for o in outputs if o.get("output_type") == "error"]
    cumsum = next(r for r in results if r.model == "cumsum")
    assert set(cumsum.extra_metrics) == {"sequence_accuracy"}


def test_a_failing_run_is_recorded_and_the_others_go_on(torch_env, mnist_data_dir, tmp_path, monkeypatch):
    crafted_notebooks(tmp_path, monkeypatch, 'raise ValueError("boom in the notebook")')
    out = tmp_path / "run"
    code = cli.main(
        ["run", "--framework", "torch", "--model", "mnist_fcn,mnist_cnn", "--profile", "quick", "--out", str(out)]
        + ["--data-dir", str(mnist_data_dir)]
    )
    assert code == 1
    failed = records.read_record(records.RunKey("mnist_fcn", "torch", "eager", 0).record_path(out))
    ok = records.read_record(records.RunKey("mnist_cnn", "torch", "eager", 0).record_path(out))
    assert failed.status == "failed" and failed.error == "ValueError: boom in the notebook"
    assert ok.status == "ok"
    report = (out / "report.md").read_text()
    assert "**failed** — ValueError: boom in the notebook" in report


def test_divergence_keeps_the_epochs_done(torch_env, mnist_data_dir, tmp_path, monkeypatch):
    crafted_notebooks(
        tmp_path,
        monkeypatch,
        """
import json
from polybench.loop import DivergedError
with open(progress_path, "a") as f:
    f.write(json.dumps({"epoch": 1, "train_loss": 2.3, "val_loss": 2.2, "val_metric": 0.1, "seconds": 0.5}) + "\\n")
    f.write(json.dumps({"epoch": 2, "train_loss": float("nan"), "val_loss": 9.9, "val_metric": 0.1,
                        "seconds": 0.5}) + "\\n")
raise DivergedError("training loss became nan in epoch 2")
""",
    )
    [record] = runner.Runner(quick_plan(mnist_data_dir, ["mnist_fcn"]), tmp_path / "run", say=lambda _: None).run_all()
    assert record.status == "diverged" and "epoch 2" in record.error
    assert [row.epoch for row in record.epochs] == [1, 2] and record.epochs[1].train_loss is None


def test_unsupported_mode_is_recorded_as_such(torch_env, mnist_data_dir, tmp_path, monkeypatch):
    crafted_notebooks(
        tmp_path,
        monkeypatch,
        """
from polybench.errors import UnsupportedError
raise UnsupportedError("no graph mode for this model: it needs dynamic control flow")
""",
    )
    [record] = runner.Runner(quick_plan(mnist_data_dir, ["mnist_fcn"]), tmp_path / "run", say=lambda _: None).run_all()
    assert record.status == "unsupported"
    assert record.error == "UnsupportedError: no graph mode for this model: it needs dynamic control flow"


def test_time_limit_stops_the_kernel_and_what_it_started(torch_env, mnist_data_dir, tmp_path, monkeypatch):
    pid_file = tmp_path / "kernel.pids"
    crafted_notebooks(tmp_path, monkeypatch, sleeping_kernel(pid_file))
    start = time.monotonic()
    plan = quick_plan(mnist_data_dir, ["mnist_fcn"], time_limit_s=20)
    [record] = runner.Runner(plan, tmp_path / "run", say=lambda _: None).run_all()
    assert time.monotonic() - start < 60
    assert record.status == "timeout" and "20 s time limit" in record.error
    assert all(gone(pid) for pid in kernel_pids(pid_file))
    # The runner watched the machine over the kernel's life, so the timeout is judged too.
    watched = record.contention
    assert watched is not None and watched.span == "run" and watched.verdict in ("quiet", "busy")
    assert watched.samples >= 2 and watched.seconds >= 15


def test_a_killed_polybench_leaves_no_process_behind(torch_env, mnist_data_dir, tmp_path, monkeypatch):
    # SIGKILL: polybench cannot clean up; its papermill process dies with it (PR_SET_PDEATHSIG)
    # and the kernel's watchdog ends the kernel and the process the kernel started.
    pid_file = tmp_path / "kernel.pids"
    crafted_notebooks(tmp_path, monkeypatch, sleeping_kernel(pid_file))
    polybench = start_polybench(tmp_path / "notebooks", mnist_data_dir, tmp_path / "run")
    run = []
    try:
        kernel, child = kernel_pids(pid_file)
        run = [p.pid for p in psutil.Process(polybench.pid).children(recursive=True)]
        assert kernel in run and child in run
        polybench.kill()
        polybench.communicate(timeout=60)
        wait_until(lambda: all(gone(pid) for pid in run), 30, "every process of the run ending")
    finally:
        for pid in run:  # whatever a failure left, so that it does not outlive the test either
            if not gone(pid):
                psutil.Process(pid).kill()


def test_an_interrupt_after_the_notebook_wrote_its_record_keeps_that_record(
    torch_env, mnist_data_dir, tmp_path, monkeypatch
):
    # Ctrl-C lands after the notebook saved its (valid, ok) record but before the kernel exited:
    # the finished result stays, so --resume does not run the cell again.
    crafted_notebooks(
        tmp_path,
        monkeypatch,
        """
import json, time
from polybench import records
key = records.RunKey("mnist_fcn", "torch", "eager", 0)
records.write_record(record_path, records.Record.new(key, "quick", "ok", test_metric=0.97))
with open(progress_path, "a") as f:
    f.write(json.dumps({"epoch": 1, "train_loss": 0.3, "val_loss": 0.2, "val_metric": 0.97, "seconds": 0.5}) + "\\n")
time.sleep(600)
""",
    )

    def interrupt_at_the_first_epoch(line: str) -> None:
        if "epoch 1" in line:
            raise KeyboardInterrupt

    run_dir = tmp_path / "run"
    with pytest.raises(KeyboardInterrupt):
        runner.Runner(quick_plan(mnist_data_dir, ["mnist_fcn"]), run_dir, say=interrupt_at_the_first_epoch).run_all()
    record = json.loads(records.RunKey("mnist_fcn", "torch", "eager", 0).record_path(run_dir).read_text())
    assert record["status"] == "ok" and record["test_metric"] == 0.97
