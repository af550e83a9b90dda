"""`polybench compare` on run folders built from constructed records: a cell 30% slower beyond
its noise is flagged, one 2% slower inside its noise is not, a cell on one side only is listed."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from report_run import contention

from polybench import PROJECT_ROOT, records
from polybench.report import compare, noise

STEADY = [1.0, 1.01, 0.99, 1.02, 0.98]  # steady-state epochs: about ±2% apart


def write_run(
    run_dir: Path,
    model: str,
    epochs: list[float],
    *,
    seed: int = 0,
    threads: int = 1,
    torch: str = "2.13.0+cpu",
    met: bool = True,
    busy: bool | None = None,
) -> None:
    """One ok torch record of ``model`` with these epoch times into ``run_dir``; ``busy`` says what
    its contention verdict was (None: not measured, as in older records)."""
    key = records.RunKey(model, "torch", "eager", seed)
    record = records.Record.new(key, "full", "ok", test_metric=0.98 if met else 0.90).to_dict()
    steady = sorted(epochs[1:])[len(epochs[1:]) // 2] if len(epochs) > 1 else None
    record.update(
        status="ok",
        device="cpu",
        metric="accuracy",
        metric_higher_is_better=True,
        test_metric=0.98 if met else 0.90,
        target=0.97,
        target_met=met,
        epochs=[
            {"epoch": i + 1, "train_loss": 0.1, "val_loss": 0.1, "val_metric": 0.9, "seconds": s}
            for i, s in enumerate(epochs)
        ],
        first_epoch_seconds=epochs[0],
        steady_epoch_seconds=steady,
        peak_rss_bytes=500 * 2**20,
        environment={
            "threads": threads,
            "cpu_model": "Test CPU",
            "commit": "abc",
            "python": "3.11.7",
            "lock_hash": f"hash-{torch}",
            "packages": {"torch": torch, "numpy": "2.4.6"},
        },
        finished_at="2026-01-01T00:00:00",
        contention=None if busy is None else contention("busy" if busy else "quiet"),
    )
    records.write_record(key.record_path(run_dir), record)


@pytest.fixture
def folders(tmp_path) -> tuple[Path, Path]:
    """base: mnist_fcn, echo, addition; new: mnist_fcn 30% slower, echo 2% slower, no addition,
    damped_sine (3 seeds on each side) new 30% slower and below its target."""
    base, new = tmp_path / "base", tmp_path / "new"
    write_run(base, "mnist_fcn", [3.0] + STEADY)
    write_run(new, "mnist_fcn", [3.0] + [s * 1.3 for s in STEADY], threads=2, torch="2.14.0+cpu")
    write_run(base, "echo", [3.0] + STEADY)
    write_run(new, "echo", [3.0] + [s * 1.02 for s in STEADY], threads=2, torch="2.14.0+cpu")
    write_run(base, "addition", [3.0] + STEADY)
    for seed, s in enumerate([1.0, 1.02, 0.98]):
        write_run(base, "damped_sine", [3.0, s, s], seed=seed)
        write_run(new, "damped_sine", [3.0, s * 1.3, s * 1.3], seed=seed, met=False, threads=2, torch="2.14.0+cpu")
    return base, new


def by_model(comparison: compare.Comparison) -> dict[str, compare.CellChange]:
    return {c.cell[0]: c for c in comparison.changes}


def test_slower_beyond_the_noise_is_flagged_inside_it_not(folders):
    changes = by_model(compare.compare(*folders))
    assert changes["mnist_fcn"].verdict == "slower" and changes["mnist_fcn"].ratio == pytest.approx(1.3)
    assert changes["mnist_fcn"].noise.startswith("Welch t-test p=") and changes["mnist_fcn"].noise.endswith("n=5/5")
    assert changes["echo"].verdict == "unchanged" and changes["echo"].ratio == pytest.approx(1.02)
    assert not changes["echo"].regression
    assert changes["damped_sine"].verdict == "slower" and changes["damped_sine"].noise.endswith("n=6/6")  # 3 seeds × 2
    assert changes["damped_sine"].lost_target and not changes["mnist_fcn"].lost_target


def test_cells_on_one_side_and_environment_differences_are_listed(folders):
    comparison = compare.compare(*folders)
    assert comparison.base_only == [("addition", "torch", "eager", "full")] and comparison.new_only == []
    assert len(comparison.environment) == 1
    line = comparison.environment[0]
    assert "threads 1 → 2" in line and "torch 2.13.0+cpu → 2.14.0+cpu" in line and "numpy" not in line


def polybench(*args) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "polybench.cli", *map(str, args)],
        capture_output=True,
        text=True,
        cwd=PROJECT_ROOT,
        timeout=120,
        stdin=subprocess.DEVNULL,
    )


def test_compare_writes_its_table_report_and_chart_and_fails_on_regression(folders, tmp_path):
    base, new = folders
    done = polybench("compare", base, new, "--out", tmp_path / "out")
    assert done.returncode == 0, done.stderr
    assert "only in base (1): addition/torch/eager (full)" in done.stdout
    assert "4 cells in both" not in done.stdout and "3 cells in both: 0 faster, 2 slower, 1 unchanged" in done.stdout
    text = (tmp_path / "out" / "compare.md").read_text()
    assert noise.RULE in text and "| mnist_fcn | torch | eager |" in text and "addition/torch/eager" in text
    assert (tmp_path / "out" / "charts" / "compare.png").stat().st_size > 0
    assert polybench("compare", base, new, "--out", tmp_path / "out", "--fail-on-regression").returncode == 1
    same = polybench("compare", base, base, "--out", tmp_path / "same", "--fail-on-regression")
    assert same.returncode == 0 and "0 slower" in same.stdout


@pytest.mark.parametrize(
    "args, expected",
    [
        (["compare", "/no/such/base", "{new}"], "/no/such/base is not a run folder with records"),
        (["compare", "{empty}", "{new}"], "is not a run folder with records (records/*.json)"),
        (["compare", "{new}"], "the following arguments are required: NEW_DIR"),
        (["compare", "{base}", "{new}", "--tolerance", "5"], "unrecognized arguments: --tolerance 5"),
    ],
)
def test_compare_usage_errors_are_one_line(folders, tmp_path, args, expected):
    base, new = folders
    (tmp_path / "empty").mkdir()
    done = polybench(*[a.format(base=base, new=new, empty=tmp_path / "empty") for a in args])
    assert done.returncode == 2 and done.stdout == ""
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("polybench: error: ") and expected in lines[0]


def test_a_busy_side_gets_no_verdict_is_listed_and_never_fails_the_check(tmp_path):
    base, new = tmp_path / "base", tmp_path / "new"
    write_run(base, "mnist_fcn", [3.0] + STEADY, busy=False)
    write_run(new, "mnist_fcn", [3.0] + [s * 1.3 for s in STEADY], busy=True)  # 30% slower, but busy
    write_run(base, "echo", [3.0] + STEADY, busy=True)
    write_run(new, "echo", [3.0] + [s * 0.7 for s in STEADY], busy=False)  # 30% faster than a busy base
    write_run(base, "addition", [3.0] + STEADY, busy=False)
    write_run(new, "addition", [3.0] + STEADY, busy=False)
    changes = by_model(compare.compare(base, new))
    assert changes["mnist_fcn"].verdict == changes["echo"].verdict == "busy — rerun"
    assert not changes["mnist_fcn"].regression and changes["addition"].verdict == "unchanged"
    done = polybench("compare", base, new, "--out", tmp_path / "out", "--fail-on-regression")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "0 faster, 0 slower, 1 unchanged, 2 busy — rerun" in done.stdout
    assert (
        "busy — rerun (2): mnist_fcn/torch/eager (full) (new busy), echo/torch/eager (full) (base busy)" in done.stdout
    )
    text = (tmp_path / "out" / "compare.md").read_text()
    assert "| mnist_fcn | torch | eager |" in text and "| busy — rerun |" in text
    assert "- busy — rerun (2): mnist_fcn/torch/eager (full) (new busy)" in text


def test_an_unstable_side_is_flagged_with_its_figure(tmp_path):
    base, new = tmp_path / "base", tmp_path / "new"
    write_run(base, "mnist_fcn", [3.0] + STEADY)
    write_run(new, "mnist_fcn", [3.0, 1.0, 1.0, 1.2, 1.0, 1.0])  # spread 20% of the median
    [change] = compare.compare(base, new).changes
    assert change.unstable == ["new seed 0: unstable: steady epochs spread 20% of their median"]
    done = polybench("compare", base, new, "--out", tmp_path / "out")
    assert "unstable (1): mnist_fcn/torch/eager (full): new seed 0: unstable: steady epochs spread 20%" in done.stdout
    assert "; unstable |" in (tmp_path / "out" / "compare.md").read_text()
