"""The Ray executor on a one-slot Ray head that the tests start on 127.0.0.1 and always stop."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil
import pytest

from polybench import cli, records, runner
from polybench.notebook import templates
from polybench.runner import executors

pytestmark = pytest.mark.slow

MODELS = ["mnist_fcn", "echo"]
RUN_FILES = ("records", "notebooks", "logs", "progress")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def ray_cluster():
    """The address of a Ray head node with one polybench_slot, on the loopback address only.
    Stopped (with every process it started) when the module's tests end, pass or fail."""
    # Ray resolves 127.0.0.1 to the machine's outward address unless clusters are "local only":
    # this keeps the head, its workers and this driver on the loopback interface.
    saved = os.environ.get("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER")
    os.environ["RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER"] = "0"
    temp = tempfile.mkdtemp(prefix="pbray-", dir="/tmp")  # short: Ray's unix sockets live under it
    port = free_port()
    log = open(Path(temp) / "head.log", "w")
    head = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "ray"),
            "start",
            "--head",
            "--block",
            "--node-ip-address",
            "127.0.0.1",
            "--port",
            str(port),
            "--num-cpus",
            "2",
            "--resources",
            json.dumps({"polybench_slot": 1}),
            "--include-dashboard",
            "false",
            "--disable-usage-stats",
            "--temp-dir",
            temp,
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 120
        while "Ray runtime started" not in (Path(temp) / "head.log").read_text():
            assert head.poll() is None, (Path(temp) / "head.log").read_text()[-2000:]
            assert time.monotonic() < deadline, "the Ray head did not start in 120 s"
            time.sleep(0.5)
        yield f"127.0.0.1:{port}"
    finally:
        head.send_signal(signal.SIGTERM)  # `ray start --block` stops every process it started
        try:
            head.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(head.pid, signal.SIGKILL)
            head.wait()
        log.close()
        shutil.rmtree(temp, ignore_errors=True)
        if saved is None:
            os.environ.pop("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", None)
        else:
            os.environ["RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER"] = saved


@pytest.fixture(scope="module")
def data_dir(mnist_data_dir) -> Path:
    """The MNIST data folder with the echo task's CSVs added (the two models these tests run)."""
    from polybench.data.prepare import prepare

    prepare(MODELS, mnist_data_dir, say=lambda _: None)
    return mnist_data_dir


def quick_plan(data_dir: Path, models: list[str]) -> runner.Plan:
    return runner.Plan(
        frameworks=["torch"], models=models, modes=["eager"], seeds=[0], profile="quick", threads=2, data_dir=data_dir
    )


def folder_files(run_dir: Path) -> set[str]:
    return {p.relative_to(run_dir).as_posix() for sub in RUN_FILES for p in (run_dir / sub).glob("*")}


def test_ray_runs_give_the_records_a_local_run_gives(torch_env, data_dir, tmp_path, ray_cluster):
    plan = quick_plan(data_dir, MODELS)
    said = []
    on_ray = executors.make_executor("ray", ray_cluster, "auto").run(
        runner.Runner(plan, tmp_path / "ray", said.append), plan.keys()
    )
    local = executors.make_executor("local").run(runner.Runner(plan, tmp_path / "local", lambda _: None), plan.keys())
    assert [(r.model, r.status) for r in on_ray] == [(r.model, r.status) for r in local] == [(m, "ok") for m in MODELS]
    for ray_record, local_record in zip(on_ray, local, strict=True):
        assert set(ray_record.to_dict()) == set(local_record.to_dict())
        assert set(ray_record.environment) == set(local_record.environment)
        assert {k: type(v) for k, v in ray_record.to_dict().items() if v is not None} == {
            k: type(v) for k, v in local_record.to_dict().items() if v is not None
        }
        assert ray_record.environment["executor"] == "ray" and local_record.environment["executor"] == "local"
        assert ray_record.environment["slot"] == "polybench_slot@127.0.0.1"
        assert ray_record.environment["hostname"] == local_record.environment["hostname"]
        key = records.RunKey(ray_record.model, "torch", "eager", 0)
        assert records.read_record(key.record_path(tmp_path / "ray")) == ray_record
    assert folder_files(tmp_path / "ray") == folder_files(tmp_path / "local")
    # Progress reached this terminal from the node, epoch by epoch, tagged with its run.
    assert any(line.startswith("[1/2] torch mnist_fcn eager seed 0: started on ") for line in said)
    assert any(line.strip().startswith("[2/2] epoch 1/1") for line in said)


def kill_worker_when_running(model: str, killed: list) -> threading.Thread:
    """Watch for the papermill process of ``model``'s run; once its kernel runs, SIGKILL the
    Ray worker that started it (its parent)."""
    notebook = str(templates.notebook_path(model))

    def watch():
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            for proc in psutil.process_iter():
                try:
                    if notebook in proc.cmdline() and proc.children():
                        worker = proc.parent()
                        killed.append((worker.pid, proc.pid, [c.pid for c in proc.children(recursive=True)]))
                        worker.send_signal(signal.SIGKILL)
                        return
                except psutil.Error:
                    continue
            time.sleep(0.2)

    thread = threading.Thread(target=watch, daemon=True)
    thread.start()
    return thread


def test_a_killed_worker_gives_a_failed_record_and_resume_reruns_it(torch_env, data_dir, tmp_path, ray_cluster, capsys):
    run_dir = tmp_path / "run"
    killed = []
    watcher = kill_worker_when_running("mnist_fcn", killed)
    command = [
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
        "--executor",
        "ray",
        "--ray-address",
        ray_cluster,
    ]
    code = cli.main([*command, "--out", str(run_dir)])
    watcher.join(timeout=5)
    assert killed, "the run's Ray worker was never seen"
    assert code == 1
    dead = records.read_record(records.RunKey("mnist_fcn", "torch", "eager", 0).record_path(run_dir))
    assert dead.status == "failed"
    assert dead.error.startswith("the Ray worker running it on node ") and "died" in dead.error
    assert dead.environment["executor"] == "ray" and dead.environment["slot"] == "polybench_slot@127.0.0.1"
    other = records.read_record(records.RunKey("echo", "torch", "eager", 0).record_path(run_dir))
    assert other.status == "ok"
    # The papermill process and kernel the dead worker left behind were stopped.
    _, papermill, kernel = killed[0]
    for pid in [papermill, *kernel]:
        assert not psutil.pid_exists(pid) or psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    assert "**failed** — the Ray worker running it" in (run_dir / "report.md").read_text()

    capsys.readouterr()
    assert cli.main([*command, "--resume", str(run_dir)]) == 0
    out = capsys.readouterr().out
    assert f"resuming {run_dir}: 1 of 2 runs finished, 1 to run" in out
    assert out.count(": started on ") == 1 and "[1/1] torch mnist_fcn eager seed 0: started on " in out
    assert records.read_record(records.RunKey("mnist_fcn", "torch", "eager", 0).record_path(run_dir)).status == "ok"
    assert records.read_record(records.RunKey("echo", "torch", "eager", 0).record_path(run_dir)) == other


def test_no_cluster_at_the_address_is_a_one_line_error(tmp_path, capsys):
    code = cli.main(
        [
            "run",
            "--framework",
            "torch",
            "--model",
            "echo",
            "--profile",
            "quick",
            "--executor",
            "ray",
            "--ray-address",
            f"127.0.0.1:{free_port()}",
            "--out",
            str(tmp_path / "run"),
        ]
    )
    err = capsys.readouterr().err
    assert code == 2
    assert err.startswith("polybench: error: no Ray cluster at 127.0.0.1:") and len(err.strip().splitlines()) == 1
    assert "ray start --head" in err
