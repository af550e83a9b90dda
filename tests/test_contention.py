"""What else used the machine: the rule on synthetic figures, the run's own process tree left out,
a CPU hog beside a sampler, `polybench run`'s look before it starts, and a real quick run beside
a hog. Only the last test expects a quiet machine: it runs alone in CI's one-process suite (deselect
it with `-m "not quiet"` while other work shares the machine)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

from polybench import cli, contention, quiet, records, runner, threads
from polybench.errors import PolybenchError

SPIN = "while True: pass"


def spinning(proc: subprocess.Popen, deadline_s: float = 30.0) -> None:
    """Wait until ``proc`` has used some CPU, so a reading after this sees it spin."""
    deadline = time.monotonic() + deadline_s
    while psutil.Process(proc.pid).cpu_times().user < 0.05:
        assert time.monotonic() < deadline, "the hog never ran"
        time.sleep(0.02)


@pytest.fixture
def hog():
    """A process spinning on one core beside the test (never a child of the code under test
    when that runs in its own process), in a session of its own as a job from another terminal
    would be (with scheduler autogroups its share of the cores is its session's); always killed."""
    proc = subprocess.Popen([sys.executable, "-c", SPIN], start_new_session=True)
    try:
        spinning(proc)
        yield proc
    finally:
        proc.kill()
        proc.wait()


def in_a_process(code: str, timeout: float = 120) -> subprocess.CompletedProcess:
    """Run ``code`` in a fresh Python: its process tree does not hold the test's hog."""
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=timeout)


# The rule, on synthetic figures.


def test_quiet_figures_are_quiet():
    assert contention.judge(0.02, 3.0, 0.001, []) == []
    assert contention.judge(None, None, None, None) == []  # nothing readable: nothing against the run


@pytest.mark.parametrize(
    ("figures", "reason"),
    [
        ((0.5, 3.0, 0.0, None), "other processes used 0.50 cores on average"),
        ((0.06, 60.0, 0.0, None), "CPU pressure (some avg10) 60.0% (limit 25%) with other processes at 0.06 cores"),
        ((0.02, 3.0, 0.12, None), "the hypervisor stole 12.0% of the CPU time"),
        ((0.02, 3.0, 0.0, ["python (pid 7) on GPU 0"]), "other processes on the GPU: python (pid 7) on GPU 0"),
    ],
)
def test_each_threshold_crossed_makes_it_busy_with_that_reason(figures, reason):
    [said] = contention.judge(*figures)
    assert said.startswith(reason)


def test_pressure_from_the_runs_own_threads_alone_is_not_contention():
    # Measured: Gluon's own loop on shape_gen made 29-33% pressure with nothing else running.
    assert contention.judge(0.011, 32.6, 0.0005, None) == []
    assert contention.judge(contention.PRESSURE_OTHERS_CORES, 32.6, 0.0005, None) != []


def test_the_limits_themselves_are_still_quiet():
    limits = (contention.OTHERS_CORES_LIMIT, contention.PRESSURE_LIMIT, contention.STEAL_LIMIT)
    assert contention.judge(*limits) == []
    assert len(contention.judge(*(limit * 1.01 for limit in limits))) == 3


def test_a_short_training_is_judged_only_beyond_what_proc_stat_can_resolve():
    # One 10 ms tick of a daemon over a 0.1 s training reads as 0.10 cores: not evidence.
    assert contention.judge(0.103, 1.0, 0.0, None, seconds=0.1) == []
    [said] = contention.judge(0.5, 1.0, 0.0, None, seconds=0.1)
    assert said == "other processes used 0.50 cores on average (limit 0.30)"
    assert contention.judge(0.103, 1.0, 0.0, None, seconds=100.0) != []  # a long run: the limit is 0.10


def test_the_rule_names_every_threshold():
    for figure in ("0.10 of one core", "25%", "0.05 of one core", "5%", "GPU"):
        assert figure in contention.RULE


# The run's own process tree.


def test_own_tree_is_the_process_its_descendants_and_its_ancestors_alone():
    P = contention.Proc
    table = {
        1: P(None, 5.0, 100.0),  # init
        10: P(1, 1.0, 50.0),  # the runner, which once reaped 50 s of children
        20: P(10, 2.0, 0.0),  # the kernel (root)
        21: P(20, 3.0, 0.5),  # a compile worker, whose own worker ended after 0.5 s
        22: P(21, 4.0, 0.0),  # a worker's worker
        30: P(10, 9.0, 0.0),  # another child of the runner: not the run's
        40: P(1, 7.0, 0.0),  # an unrelated process
    }
    tree, above = contention.own_processes(table, 20)
    assert tree == {20, 21, 22} and above == {10, 1}
    # The tree's ended children count; the ancestors' do not (they are other processes' time).
    assert contention.own_cpu_seconds(table, tree, above) == pytest.approx(2 + 3 + 0.5 + 4 + 1 + 5)


def test_a_busy_child_of_the_sampled_process_is_its_own(hog):
    """The hog is this test process's child: its CPU is the sampled tree's, never among others'."""
    hog_before = psutil.Process(hog.pid).cpu_times()
    with contention.Sampler(interval=0.1) as sampler:
        time.sleep(2)  # the window sampled, not a wait for an event
    hog_after = psutil.Process(hog.pid).cpu_times()
    hog_used = (hog_after.user + hog_after.system) - (hog_before.user + hog_before.system)
    summary = sampler.summary()
    assert not [line for line in summary["busiest"] if f"(pid {hog.pid})" in line]
    assert sampler.own_cpu_seconds >= 0.9 * hog_used > 0.2
    assert summary["samples"] >= 3 and 2 <= summary["seconds"] < 10


# A hog beside a sampler in another process.


SAMPLE_BESIDE = """
import json, time
from polybench import contention
with contention.Sampler() as sampler:
    time.sleep(2)
print(json.dumps({"summary": sampler.summary(), "others": sampler.other_cores()}))
"""


def test_a_hog_beside_the_sampler_makes_it_busy_and_is_named(hog):
    before = psutil.Process(hog.pid).cpu_times()
    started = time.monotonic()
    done = in_a_process(SAMPLE_BESIDE, timeout=60)
    after = psutil.Process(hog.pid).cpu_times()
    hog_cores = (after.user + after.system - before.user - before.system) / (time.monotonic() - started)
    assert done.returncode == 0, done.stderr
    seen = json.loads(done.stdout)
    summary, others = seen["summary"], {int(pid): cores for pid, cores in seen["others"].items()}
    assert set(summary) == {
        "verdict", "reasons", "rule", "samples", "seconds", "others_cpu_cores", "others_cpu_cores_max",
        "load_average", "cpu_pressure_some", "steal_fraction", "cpu_mhz", "busiest", "gpu_other_processes",
        "gpu_throttle_reasons",
    }  # fmt: skip
    assert summary["verdict"] == "busy" and summary["reasons"][0].startswith("other processes used")
    # The hog's CPU is another process's, as much as it used (the process start is outside the window).
    assert others[hog.pid] >= 0.8 * hog_cores > 0.05
    assert summary["others_cpu_cores"] >= 0.8 * hog_cores
    assert summary["others_cpu_cores_max"] >= summary["others_cpu_cores"]
    # busiest: the top of those figures (this machine may hold busier processes than the hog).
    listed = [int(line.split("(pid ")[1].split(")")[0]) for line in summary["busiest"]]
    assert 1 <= len(listed) <= contention.BUSIEST
    assert [others[pid] for pid in listed] == sorted(others.values(), reverse=True)[: len(listed)]
    assert hog.pid in listed or others[hog.pid] <= min(others[pid] for pid in listed)
    assert summary["rule"] == contention.RULE and summary["gpu_other_processes"] is None
    assert summary["load_average"] > 0 and summary["samples"] >= 3


def test_a_contention_summary_is_a_valid_record_field():
    with contention.Sampler() as sampler:
        pass
    record = records.Record.new(
        records.RunKey("echo", "torch", "eager", 0), "quick", "failed", contention=sampler.summary()
    )
    assert records.Record.from_dict(json.loads(json.dumps(record.to_dict()))).contention == record.contention


# GPU: other processes and throttle reasons through NVML (a fake one: this machine has no GPU).


class FakeNvml:
    """NVML with two GPUs: the run on GPU 0 beside pid 99; pid 77 alone on GPU 1."""

    class Proc:
        def __init__(self, pid: int) -> None:
            self.pid = pid

    def __init__(self, run_pid: int) -> None:
        self.run_pid = run_pid

    def nvmlInit(self):
        pass

    def nvmlDeviceGetCount(self):
        return 2

    def nvmlDeviceGetHandleByIndex(self, index):
        return index

    def nvmlDeviceGetComputeRunningProcesses(self, handle):
        return [self.Proc(self.run_pid), self.Proc(99)] if handle == 0 else [self.Proc(77)]

    def nvmlDeviceGetGraphicsRunningProcesses(self, handle):
        return []

    def nvmlDeviceGetCurrentClocksEventReasons(self, handle):
        return 0x1 | 0x4 | 0x40 if handle == 0 else 0x8  # idle, power cap, thermal; GPU 1: hw slowdown


class UnsupportedNvml(FakeNvml):
    """A GPU that tells neither its processes nor its throttle reasons (as under MIG)."""

    class NVMLError(Exception):
        pass

    def nvmlDeviceGetComputeRunningProcesses(self, handle):
        raise self.NVMLError("Not Supported")

    nvmlDeviceGetCurrentClocksEventReasons = nvmlDeviceGetComputeRunningProcesses


def test_a_gpu_that_cannot_tell_leaves_its_figures_empty():
    with contention.Sampler(gpu=contention.GpuWatch(UnsupportedNvml(os.getpid()))) as sampler:
        pass
    summary = sampler.summary()
    assert summary["gpu_other_processes"] == [] and summary["gpu_throttle_reasons"] == []


def test_other_processes_on_the_runs_gpu_make_it_busy():
    gpu = contention.GpuWatch(FakeNvml(os.getpid()))
    with contention.Sampler(gpu=gpu) as sampler:
        pass
    summary = sampler.summary()
    assert summary["gpu_other_processes"] == ["ended (pid 99) on GPU 0"]  # GPU 1 is not the run's
    assert summary["gpu_throttle_reasons"] == ["hw_thermal_slowdown", "sw_power_cap"]
    assert summary["verdict"] == "busy" and any("on the GPU" in reason for reason in summary["reasons"])


# `polybench run`'s look before it starts.


def fake_look(verdicts: list[str], others: float = 1.4):
    """A look that answers ``verdicts`` in turn (the last one for ever)."""
    answers = iter(verdicts)
    last = {}

    def look() -> dict:
        verdict = next(answers, None) or last["verdict"]
        last["verdict"] = verdict
        busy = verdict == "busy"
        return {
            "verdict": verdict,
            "reasons": contention.judge(others if busy else 0.0, None, None),
            "others_cpu_cores": others if busy else 0.0,
            "busiest": ["stress (pid 4242): 1.38 cores"] if busy else [],
        }

    return look


def test_a_busy_machine_gets_one_line_and_the_run_goes_on():
    said = []
    summary = quiet.look_before_run(None, None, say=said.append, look=fake_look(["busy"]))
    assert summary["verdict"] == "busy"
    [line] = said
    assert line.startswith("the machine is busy: other processes used 1.40 cores") and "stress (pid 4242)" in line


def test_a_quiet_machine_says_nothing():
    said = []
    quiet.look_before_run(threads.default_threads(), None, say=said.append, look=fake_look(["quiet"]))
    assert said == []


def test_wait_quiet_returns_once_the_machine_is_quiet():
    said = []
    summary = quiet.look_before_run(None, 600, say=said.append, look=fake_look(["busy", "busy", "quiet"]))
    assert summary["verdict"] == "quiet"
    assert said[0].startswith("waiting for a quiet machine (0 of 600 s): other processes used 1.40 cores")
    assert said[-1].startswith("the machine is quiet after")


def test_threads_above_the_free_cores_get_a_warning():
    said = []
    cores = threads.default_threads()
    quiet.look_before_run(cores + 1, None, say=said.append, look=fake_look(["quiet"]))
    [line] = said
    assert line == (
        f"warning: --threads {cores + 1} but {cores} of {cores} cores are free (other processes use 0.00); "
        "the run's threads will wait for cores"
    )


def test_threads_warning_counts_what_other_processes_use():
    said = []
    cores = threads.default_threads()
    quiet.look_before_run(cores, None, say=said.append, look=fake_look(["busy"], others=1.0))
    assert said[-1].startswith(f"warning: --threads {cores} but {cores - 1} of {cores} cores are free")


def test_the_look_beside_a_hog_names_the_busiest_and_warns_about_threads(hog):
    cores = threads.default_threads()
    done = in_a_process(
        f"import json; from polybench import quiet; print(json.dumps(quiet.look_before_run({cores}, None)['busiest']))",
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    busy, warning, busiest = done.stdout.splitlines()
    busiest = json.loads(busiest)
    assert [line for line in busiest if f"(pid {hog.pid}): " in line]  # on a shared machine not always the first
    assert busy.startswith("the machine is busy: other processes used")
    assert f"(busiest: {'; '.join(busiest[: quiet.NAMED])})" in busy
    assert warning.startswith(f"warning: --threads {cores} but ") and f"of {cores} cores are free" in warning


def polybench_run(*arguments: str, timeout: float = 120) -> tuple[subprocess.CompletedProcess, float]:
    """`polybench run ARGUMENTS` in its own process, and the seconds it took."""
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "polybench.cli", "run", *arguments], capture_output=True, text=True, timeout=timeout
    )
    return done, time.monotonic() - started


def test_wait_quiet_gives_up_after_its_seconds_with_a_hog_running(hog, tmp_path):
    run_dir = tmp_path / "run"
    done, took = polybench_run(
        "--framework", "torch", "--model", "echo", "--profile", "quick", "--wait-quiet", "3", "--out", str(run_dir)
    )
    assert done.returncode == 1, done.stderr  # the command was right; the machine was not ready
    [line] = done.stderr.splitlines()
    assert line.startswith("polybench: error: the machine stayed busy for 3 s of --wait-quiet: other processes used")
    assert "(busiest: " in line and " cores" in line and "Traceback" not in done.stderr
    assert done.stdout.startswith("waiting for a quiet machine (")
    assert 3 <= took < 60
    assert not run_dir.exists()  # nothing written before the machine was ready


@pytest.mark.parametrize("value", ["0", "-5", "nan"])
def test_wait_quiet_needs_a_positive_number(value, capsys):
    assert cli.main(["run", "--framework", "torch", "--wait-quiet", value]) == 2
    assert "--wait-quiet must be a positive number" in capsys.readouterr().err


def test_wait_quiet_is_refused_with_the_ray_executor(capsys):
    assert cli.main(["run", "--framework", "torch", "--executor", "ray", "--wait-quiet"]) == 2
    assert "--wait-quiet looks at this machine" in capsys.readouterr().err


def test_wait_quiet_fails_with_one_line_when_never_quiet(monkeypatch):
    clock = iter(range(0, 1000, 5))
    with pytest.raises(PolybenchError, match=r"stayed busy for 12 s of --wait-quiet: .*stress \(pid 4242\)"):
        quiet.wait_until_quiet(12, say=lambda _: None, look=fake_look(["busy"]), clock=lambda: next(clock))


# A real quick run beside a hog.


@pytest.mark.slow
def test_a_quick_run_beside_a_hog_is_recorded_busy(torch_env, toy_data_dir, tmp_path, hog):
    plan = runner.Plan(
        frameworks=["torch"],
        models=["addition"],
        modes=["eager"],
        seeds=[0],
        profile="quick",
        threads=1,
        data_dir=toy_data_dir,
    )
    [record] = runner.Runner(plan, tmp_path, say=lambda _: None).run_all()
    assert record.status == "ok", record.error
    seen = record.contention
    assert seen.verdict == "busy" and seen.others_cpu_cores > contention.OTHERS_CORES_LIMIT
    assert seen.samples >= 2 and seen.seconds > 0
    assert (
        json.loads(Path(records.RunKey("addition", "torch", "eager", 0).record_path(tmp_path)).read_text())[
            "contention"
        ]
        == record.to_dict()["contention"]
    )


@pytest.mark.slow
@pytest.mark.quiet
def test_a_quick_run_on_a_quiet_machine_is_recorded_quiet(torch_env, toy_data_dir, tmp_path):
    """On a machine doing nothing else (CI's, the suite in one process), the rule does not call
    a real run busy: the run's own kernel, its compile workers and the runner following it are
    its own, and an idle machine's daemons stay under the limits."""
    before = contention.look()
    assert before["verdict"] == "quiet", f"the machine was busy before the run: {before['reasons']}"
    plan = runner.Plan(
        frameworks=["torch"],
        models=["addition", "mnist_fcn"],
        modes=["eager"],
        seeds=[0],
        profile="quick",
        data_dir=toy_data_dir,
    )
    done = runner.Runner(plan, tmp_path, say=lambda _: None).run_all()
    assert [r.status for r in done] == ["ok", "ok"], [r.error for r in done]
    for record in done:
        seen = record.contention
        assert seen.span == "training" and seen.samples >= 2
        assert seen.verdict == "quiet", f"{record.model}: {seen.reasons}; busiest: {seen.busiest}"
