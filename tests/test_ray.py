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
from pathlib import Path

import psutil
import pytest
from test_runner import gone, wait_until

from polybench import cli, records, runner
from polybench.notebook import templates
from polybench.runner import executors

pytestmark = pytest.mark.slow

MODELS = ["mnist_fcn", "echo"]
RUN_FILES = ("records", "notebooks", "logs", "progress")
#: The process id of the Ray head at each address the fixture started: a run's processes are
#: looked for among its descendants only, never among another test's runs of the same notebook.
HEADS: dict[str, int] = {}


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

        def started() -> bool:
            assert head.poll() is None, (Path(temp) / "head.log").read_text()[-2000:]
            return "Ray runtime started" in (Path(temp) / "head.log").read_text()

        wait_until(started, 120, "the Ray head starting")
        HEADS[f"127.0.0.1:{port}"] = head.pid
        yield f"127.0.0.1:{port}"
    finally:
        HEADS.pop(f"127.0.0.1:{port}", None)
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


def run_processes(model: str, cluster: str) -> list[psutil.Process]:
    """The papermill process of ``model``'s run on the Ray head at ``cluster`` and what it
    started, once its kernel runs; [] before. Only the head's descendants count: a test beside
    this one (another pytest worker) may be running the same notebook outside Ray."""
    notebook = str(templates.notebook_path(model))
    try:
        on_cluster = psutil.Process(HEADS[cluster]).children(recursive=True)
    except psutil.Error:
        return []
    for proc in on_cluster:
        try:
            if notebook in proc.cmdline() and proc.children():
                return [proc, *proc.children(recursive=True)]
        except psutil.Error:
            continue
    return []


def kill_worker_when_running(model: str, cluster: str, killed: list) -> threading.Thread:
    """Watch for the papermill process of ``model``'s run; once its kernel runs, SIGKILL the
    Ray worker that started it (its parent)."""

    def watch():
        found = []
        wait_until(lambda: found.extend(run_processes(model, cluster)) or found, 180, f"{model}'s kernel starting")
        papermill, *started = found
        worker = papermill.parent()
        killed.append((worker.pid, papermill.pid, [p.pid for p in started]))
        worker.send_signal(signal.SIGKILL)

    thread = threading.Thread(target=watch, daemon=True)
    thread.start()
    return thread


def test_a_killed_worker_gives_a_failed_record_and_resume_reruns_it(torch_env, data_dir, tmp_path, ray_cluster, capsys):
    run_dir = tmp_path / "run"
    killed = []
    watcher = kill_worker_when_running("mnist_fcn", ray_cluster, killed)
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
    assert all(gone(pid) for pid in [papermill, *kernel])
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


def test_ctrl_c_ends_the_running_task_and_keeps_the_finished_records(torch_env, data_dir, tmp_path, ray_cluster):
    run_dir = tmp_path / "run"
    command = [sys.executable, "-m", "polybench.cli", "run", "--framework", "torch", "--model", ",".join(MODELS)]
    command += ["--profile", "quick", "--threads", "2", "--data-dir", str(data_dir), "--out", str(run_dir)]
    # 20 epochs: echo's one quick epoch could end before the Ctrl-C sent when its kernel appears lands
    command += ["--epochs", "20", "--executor", "ray", "--ray-address", ray_cluster]
    polybench = subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),  # Ctrl-C's default, as in a terminal
    )
    running = []
    try:
        # One slot: mnist_fcn runs first and finishes, then echo starts.
        def second_started():
            return running.extend(run_processes("echo", ray_cluster)) or running

        wait_until(second_started, 300, "the second run's kernel starting")
        polybench.send_signal(signal.SIGINT)
        out, err = polybench.communicate(timeout=120)
    finally:
        polybench.kill()
    assert polybench.returncode == 130 and "Traceback" not in err, err
    assert "[1/2] torch mnist_fcn eager seed 0: ok" in out
    finished = records.read_record(records.RunKey("mnist_fcn", "torch", "eager", 0).record_path(run_dir))
    assert finished.status == "ok" and finished.environment["executor"] == "ray"
    stopped = records.read_record(records.RunKey("echo", "torch", "eager", 0).record_path(run_dir))
    assert stopped.status == "failed" and stopped.error == "interrupted by the user"
    summary = (run_dir / "report.md").read_text().split("\n\n")[1]  # "Runs from ...: 2 records (...)"
    assert "2 records (" in summary and "1 ok" in summary and "1 failed" in summary, summary
    # The task's papermill process and its kernel are gone.
    wait_until(lambda: all(gone(proc.pid) for proc in running), 30, "the interrupted task's processes ending")


def run_without_ray(code: str) -> subprocess.CompletedProcess:
    """Python ``code`` run where `import ray` fails, as in an install without the ray extra."""
    return subprocess.run(
        [sys.executable, "-c", f"import sys; sys.modules['ray'] = None\n{code}"],
        capture_output=True,
        text=True,
        timeout=120,
        stdin=subprocess.DEVNULL,
    )


def test_without_ray_the_ray_executor_is_a_one_line_error_naming_the_extra(tmp_path):
    run = ["run", "--framework", "torch", "--model", "echo", "--executor", "ray", "--out", str(tmp_path / "run")]
    done = run_without_ray(f"from polybench import cli; sys.exit(cli.main({run!r}))")
    assert done.returncode == 2
    assert done.stderr.splitlines() == [
        "polybench: error: --executor ray needs Ray, an optional extra: install it with `pip install -e .[ray]`"
    ]
    assert not (tmp_path / "run").exists()


def test_a_local_run_needs_no_ray():
    done = run_without_ray(
        "from polybench import cli, report, runner\n"
        "from polybench.runner import execute, executors, processes, resume, runs\n"
        "assert isinstance(executors.make_executor('local'), executors.LocalExecutor)\n"
        "assert cli.main(['list']) == 0\n"
        "print('ray' in sys.modules and sys.modules['ray'] is not None)"
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == "False"
