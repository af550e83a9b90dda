"""Faults a user meets without a kernel: bad record files, bad CSVs, a corrupt cache, a full
disk, a failing environment set-up, a run folder that cannot be written or is in use.
Each test injects the fault and checks what the user sees: the exit status, the one line
and the files left as they were."""

from __future__ import annotations

import errno
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from polybench import PROJECT_ROOT, cli, frameworks, locks, records
from polybench.data import cache, tables
from polybench.runner import kernels
from polybench.specs import get_spec


def polybench(*args: str) -> subprocess.CompletedProcess:
    """`polybench ARGS` in a fresh process, as a user types it."""
    return subprocess.run(
        [sys.executable, "-m", "polybench.cli", *args],
        capture_output=True,
        text=True,
        cwd=PROJECT_ROOT,
        timeout=300,
        stdin=subprocess.DEVNULL,
    )


def one_error_line(stderr: str) -> str:
    """The single `polybench: error: ...` line a failed command prints (and nothing else)."""
    lines = stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("polybench: error: "), stderr
    assert "Traceback" not in stderr
    return lines[0]


def ok_record(model: str, framework: str, metric: float = 0.98, seed: int = 0) -> tuple[records.RunKey, dict]:
    key = records.RunKey(model, framework, "eager", seed)
    record = records.Record.new(
        key,
        "full",
        "ok",
        device="cpu",
        metric="accuracy",
        metric_higher_is_better=True,
        test_metric=metric,
        target=0.975,
        target_met=metric >= 0.975,
        epochs=[{"epoch": 1, "train_loss": 0.3, "val_loss": 0.3, "val_metric": 0.9, "seconds": 2.0}],
        first_epoch_seconds=2.0,
        samples_per_second=1000.0,
        train_seconds=2.0,
        environment={"threads": 2, "cpu_model": "Test CPU"},
    )
    return key, record.to_dict()


# --- records -------------------------------------------------------------------------------------------------


def test_report_of_a_damaged_run_folder_covers_the_valid_records_and_names_the_rest(tmp_path):
    for framework, metric in (("torch", 0.98), ("mxnet", 0.97), ("chainer", 0.99)):
        key, record = ok_record("mnist_fcn", framework, metric)
        records.write_record(key.record_path(tmp_path), record)
    folder = tmp_path / "records"
    full = (folder / "mnist_fcn__torch__eager__seed0.json").read_text()
    (folder / "mnist_cnn__torch__eager__seed0.json").write_text(full[: len(full) // 2])  # truncated copy
    (folder / "mnist_cnn__mxnet__eager__seed0.json").write_text("")  # empty
    _, future = ok_record("mnist_cnn", "chainer")
    (folder / "mnist_cnn__chainer__eager__seed0.json").write_text(json.dumps({**future, "schema": 99}))

    done = polybench("report", str(tmp_path))

    assert done.returncode == 0 and "Traceback" not in done.stderr
    for framework, metric in (("torch", "0.9800"), ("mxnet", "0.9700"), ("chainer", "0.9900")):
        assert f"mnist_fcn  {framework}" in done.stdout and metric in done.stdout
    assert "mnist_cnn" not in done.stdout.split("invalid record file(s)")[0]  # no row for the broken files
    assert "3 invalid record file(s) left out of the report:" in done.stdout
    assert f"{folder / 'mnist_cnn__torch__eager__seed0.json'}: not valid JSON, truncated or edited" in done.stdout
    assert f"{folder / 'mnist_cnn__mxnet__eager__seed0.json'}: empty file" in done.stdout
    assert (
        f"{folder / 'mnist_cnn__chainer__eager__seed0.json'}: written by a newer polybench (record schema 99; "
        f"this one reads up to {records.SCHEMA_VERSION}); update polybench to read it"
    ) in done.stdout
    report_md = (tmp_path / "report.md").read_text()
    assert "3 invalid record file(s) were left out" in report_md
    for name in ("mnist_cnn__torch", "mnist_cnn__mxnet", "mnist_cnn__chainer"):
        assert f"{name}__eager__seed0.json" in report_md
    summary = pd.read_csv(tmp_path / "summary.csv")
    assert sorted(summary.framework) == ["chainer", "mxnet", "torch"] and set(summary.model) == {"mnist_fcn"}
    assert (folder / "mnist_cnn__mxnet__eager__seed0.json").read_text() == ""  # the report changes no record


#: Changes that make a record invalid, each with the reason the report gives.
INVALID_CHANGES = [
    ({"seed": "zero"}, "field 'seed' should be int, not str 'zero'"),
    ({"status": "done"}, "status 'done' is not one of ok, failed, timeout, diverged, unsupported"),
    ({"test_metric": True}, "field 'test_metric' should be float | None, not bool True"),
    ({"epochs": {"epoch": 1}}, "field 'epochs' should be list[dict], not dict"),
    ({"schema": "1"}, "schema version '1' is not a positive whole number"),
    ({"schema": None}, "no schema version"),
    ({"model": None}, "field 'model' should be str, not NoneType None"),
    ({"colour": "blue"}, "unknown field(s) colour"),
    ({"status": "ok", "test_metric": None}, "status ok but no test_metric"),
]


@pytest.fixture(scope="module")
def damaged_report(tmp_path_factory) -> tuple[Path, subprocess.CompletedProcess]:
    """A run folder holding one valid record, one invalid record file per INVALID_CHANGES entry
    (bad0.json, ...), a record missing two fields (a.json) and a JSON list (b.json); and what
    `polybench report` printed for it. One report serves every test of these files."""
    run_dir = tmp_path_factory.mktemp("damaged")
    key, record = ok_record("mnist_fcn", "torch")
    records.write_record(key.record_path(run_dir), record)
    _, other = ok_record("mnist_cnn", "torch")
    for number, (change, _) in enumerate(INVALID_CHANGES):
        bad = {k: v for k, v in {**other, **change}.items() if not (k == "schema" and v is None)}
        (run_dir / "records" / f"bad{number}.json").write_text(json.dumps(bad))
    del record["framework"], record["profile"]
    (run_dir / "records" / "a.json").write_text(json.dumps(record))
    (run_dir / "records" / "b.json").write_text("[1, 2]")
    return run_dir, polybench("report", str(run_dir))


def test_a_report_with_invalid_records_reports_the_valid_one_and_counts_the_rest(damaged_report):
    run_dir, done = damaged_report
    assert done.returncode == 0, done.stderr
    assert f"{len(INVALID_CHANGES) + 2} invalid record file(s) left out of the report:" in done.stdout
    assert set(pd.read_csv(run_dir / "summary.csv").model) == {"mnist_fcn"}


@pytest.mark.parametrize("number, reason", [(number, reason) for number, (_, reason) in enumerate(INVALID_CHANGES)])
def test_an_invalid_record_is_left_out_with_its_reason(damaged_report, number, reason):
    run_dir, done = damaged_report
    assert f"\n  {run_dir / 'records' / f'bad{number}.json'}: {reason}" in done.stdout


def test_a_record_missing_a_required_field_or_not_an_object_is_named(damaged_report):
    run_dir, done = damaged_report
    assert f"\n  {run_dir / 'records' / 'a.json'}: missing field(s) framework, profile" in done.stdout
    assert f"\n  {run_dir / 'records' / 'b.json'}: not a record (a JSON list, not an object)" in done.stdout


def test_a_folder_of_only_invalid_records_is_one_line_and_exit_1(tmp_path):
    (tmp_path / "records").mkdir()
    (tmp_path / "records" / "x.json").write_text('{"schema": 1, "mod')
    done = polybench("report", str(tmp_path))
    assert done.returncode == 1
    line = one_error_line(done.stderr)
    assert f"no valid records in {tmp_path}, 1 invalid ({tmp_path / 'records' / 'x.json'}: not valid JSON" in line
    assert not (tmp_path / "report.md").exists()


# --- a full disk ---------------------------------------------------------------------------------------------


def disk_full(*_args):
    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


def test_a_full_disk_while_a_record_is_written_keeps_the_old_record(tmp_path, monkeypatch, mnist_data_dir, capsys):
    key, old = ok_record("mnist_fcn", "torch", 0.91)
    out = tmp_path / "run"
    records.write_record(key.record_path(out), old)
    before = key.record_path(out).read_bytes()
    # no kernel needed: a cell without an implementation is recorded by the runner itself
    monkeypatch.setattr(frameworks, "has_implementation", lambda framework, model: False)
    # the data and its array cache are in place (another test may have removed the cache), so
    # the first file this run writes is the record
    tables.load_splits(get_spec("mnist_fcn"), mnist_data_dir)
    real_fsync = os.fsync

    def full_for_records(fd):  # the disk fills as the new record is flushed (plan.json still fits)
        if "/records/" in os.readlink(f"/proc/self/fd/{fd}"):
            disk_full()
        return real_fsync(fd)

    monkeypatch.setattr(os, "fsync", full_for_records)
    code = cli.main(
        [
            "run",
            "--framework",
            "torch",
            "--model",
            "mnist_fcn",
            "--profile",
            "quick",
            "--threads",
            "1",
            "--out",
            str(out),
            "--data-dir",
            str(mnist_data_dir),
        ]
    )
    err = capsys.readouterr().err
    assert code == 1
    assert one_error_line(err) == (
        f"polybench: error: no space left on the device while writing "
        f"{key.record_path(out)}; the previous file is unchanged. Free some space and "
        f"run the command again"
    )
    assert key.record_path(out).read_bytes() == before
    assert sorted(p.name for p in (out / "records").iterdir()) == [key.record_path(out).name]  # no temp file


def test_a_full_disk_while_a_csv_is_written_keeps_the_old_csv(tmp_path, monkeypatch, capsys):
    assert cli.main(["data", "--model", "damped_sine", "--data-dir", str(tmp_path)]) == 0
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    monkeypatch.setattr(os, "fsync", disk_full)
    capsys.readouterr()
    assert cli.main(["data", "--model", "damped_sine", "--force", "--data-dir", str(tmp_path)]) == 1
    line = one_error_line(capsys.readouterr().err)
    assert "no space left on the device while writing " in line and "damped_sine_train.csv" in line
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == before


def test_a_full_disk_while_a_chart_is_drawn_is_one_line(tmp_path, monkeypatch, capsys):
    import matplotlib.figure

    key, record = ok_record("mnist_fcn", "torch")
    records.write_record(key.record_path(tmp_path), record)

    def full(self, path, **kwargs):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))

    monkeypatch.setattr(matplotlib.figure.Figure, "savefig", full)
    assert cli.main(["report", str(tmp_path)]) == 1
    line = one_error_line(capsys.readouterr().err)
    assert line == (
        f"polybench: error: no space left on the device (No space left on device: "
        f"{tmp_path / 'charts' / 'test_metric.png'}); free some space and run the command again"
    )


def test_a_full_disk_inside_the_write_block_leaves_no_trace(tmp_path):
    from polybench.atomic import atomic_write
    from polybench.errors import DiskFullError

    target = tmp_path / "summary.csv"
    target.write_text("old")
    with pytest.raises(DiskFullError, match="no space left on the device while writing .*summary.csv"):
        with atomic_write(target) as f:
            f.write("half")
            disk_full()
    assert target.read_text() == "old" and [p.name for p in tmp_path.iterdir()] == ["summary.csv"]


# --- data: CSVs and their cache ------------------------------------------------------------------------------


@pytest.fixture
def sine_dir(tmp_path) -> Path:
    """A data folder with the damped_sine CSVs (10,000 train rows: period, decay) and their caches."""
    assert cli.main(["data", "--model", "damped_sine", "--data-dir", str(tmp_path)]) == 0
    return tmp_path


def edit_lines(path: Path, edit) -> None:
    lines = path.read_text().splitlines(keepends=True)
    path.write_text("".join(edit(lines)))


@pytest.mark.parametrize(
    "edit, where",
    ids=["extra value", "missing value", "not a number", "not an integer", "missing rows", "cut mid-line", "header"],
    argvalues=[
        (lambda lines: lines[:5] + ["12,0.5,7\n"] + lines[6:], "line 6: 3 values, expected 2"),
        (lambda lines: lines[:5] + ["12\n"] + lines[6:], "line 6: 1 values, expected 2"),
        (lambda lines: lines[:5] + ["12,abc\n"] + lines[6:], "line 6: decay is 'abc', not a number"),
        (lambda lines: lines[:9] + ["x7,0.5\n"] + lines[10:], "line 10: period is 'x7', not a number"),
        (lambda lines: lines[:-100], "9900 data rows, expected 10000 (truncated?)"),
        (lambda lines: lines[:-1] + [lines[-1].split(",")[0]], "line 10001: 1 values, expected 2"),  # cut mid-line
        (lambda lines: ["period;decay\n"] + lines[1:], "line 1: the header does not match the spec's columns"),
    ],
)
def test_a_damaged_csv_is_one_line_naming_file_line_and_fix(sine_dir, capsys, edit, where):
    csv_path = sine_dir / "damped_sine_train.csv"
    edit_lines(csv_path, edit)
    capsys.readouterr()
    assert cli.main(["data", "--model", "damped_sine", "--data-dir", str(sine_dir)]) == 1
    line = one_error_line(capsys.readouterr().err)
    assert line == f"polybench: error: {csv_path}: {where}; rewrite it with `polybench data --force`"
    assert cli.main(["data", "--model", "damped_sine", "--force", "--data-dir", str(sine_dir)]) == 0  # the fix works


def _truncated(data: bytes) -> bytes:
    return data[: len(data) // 2]


def _zeroed(data: bytes) -> bytes:
    return b"\0" * len(data)


def _scrambled_header(data: bytes) -> bytes:
    return data[:100] + bytes(reversed(data[100:400])) + data[400:]


@pytest.mark.parametrize("damage", [_truncated, _zeroed, _scrambled_header])
def test_a_corrupt_cache_is_rebuilt_from_the_csv_with_a_notice(sine_dir, capsys, damage):
    from polybench.data import tables
    from polybench.specs import get_spec

    spec = get_spec("damped_sine")
    csv_path = sine_dir / "damped_sine_train.csv"
    cached = cache.cache_path(csv_path)
    good = tables.parse_table(csv_path, spec.schema)
    cached.write_bytes(damage(cached.read_bytes()))
    capsys.readouterr()
    assert cli.main(["data", "--model", "damped_sine", "--data-dir", str(sine_dir)]) == 0
    err = capsys.readouterr().err
    assert f"data: the cache {cached} is unreadable (" in err and "rebuilding it from damped_sine_train.csv" in err
    assert "Traceback" not in err
    arrays = tables.read_table(csv_path, spec.schema, spec.csv_rows()[csv_path.name])
    assert all(np.array_equal(arrays[k], good[k]) for k in good)
    capsys.readouterr()
    tables.read_table(csv_path, spec.schema, spec.csv_rows()[csv_path.name])
    assert capsys.readouterr().err == ""  # rebuilt once; read from the cache since


# --- environment set-up ----------------------------------------------------------------------------------------


def test_a_failing_install_leaves_the_environment_not_ready_and_names_the_log(tmp_path, monkeypatch, capsys):
    lock_dir = tmp_path / "locks"
    lock_dir.mkdir()
    (lock_dir / "torch.txt").write_text("torch==2.13.0\nthis is not a requirement!\n")  # uv rejects the line
    monkeypatch.setattr(locks, "LOCKS", lock_dir)
    monkeypatch.setenv("POLYBENCH_ENV_DIR", str(tmp_path / "envs"))
    assert cli.main(["setup", "--framework", "torch"]) == 1
    captured = capsys.readouterr()
    log = tmp_path / "envs" / "torch" / "setup.log"
    line = one_error_line(captured.err)
    assert line.startswith(
        f"polybench: error: setting up the environment failed while installing {lock_dir / 'torch.txt'} (exit 2): "
    )
    assert line.endswith(f"; see {log}")
    assert "this is not a requirement!" in log.read_text()
    assert not kernels.is_ready("torch")
    assert cli.main(["list"]) == 0
    assert "torch          not set up (polybench setup --framework torch)" in capsys.readouterr().out


# --- the run folder ------------------------------------------------------------------------------------------


def test_a_run_folder_that_cannot_be_written_is_a_usage_error(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    done = polybench("run", "--framework", "torch", "--model", "echo", "--out", str(blocker / "run"))
    assert done.returncode == 2 and done.stdout == ""
    assert one_error_line(done.stderr) == (
        f"polybench: error: --out {blocker / 'run'}: cannot write there "
        f"(Not a directory); choose a folder you can write to"
    )
    assert blocker.read_text() == "not a folder"
    done = polybench("report", str(PROJECT_ROOT / "results"), "--out", str(blocker / "report"))
    assert done.returncode == 2 and "--out " + str(blocker / "report") + ": cannot write there" in done.stderr


def test_a_second_run_on_a_held_folder_is_refused(tmp_path, mnist_data_dir, capsys):
    from polybench.runner import folder

    with folder.locked(tmp_path / "run"):
        holder = subprocess.run(
            [
                sys.executable,
                "-m",
                "polybench.cli",
                "run",
                "--framework",
                "torch",
                "--model",
                "mnist_fcn",
                "--profile",
                "quick",
                "--data-dir",
                str(mnist_data_dir),
                "--out",
                str(tmp_path / "run"),
            ],
            capture_output=True,
            text=True,
            timeout=300,
            stdin=subprocess.DEVNULL,
            cwd=PROJECT_ROOT,
        )
    assert holder.returncode == 1
    assert one_error_line(holder.stderr) == (
        f"polybench: error: another `polybench run` (pid {os.getpid()}) is "
        f"writing to {tmp_path / 'run'}; wait for it to finish or choose "
        f"another --out"
    )
    assert not (tmp_path / "run" / "records").exists()


def test_a_record_of_the_previous_schema_reads_without_its_retired_field():
    # a real quick run's record written by schema 1, which still timed the do-nothing loop
    path = Path(__file__).parent / "fixtures" / "report_run" / "records" / "mnist_fcn__torch__eager__seed0.json"
    assert json.loads(path.read_text())["schema"] == 1
    record = records.read_record(path)
    assert record.status == "ok" and record.test_metric > 0.5
    assert "harness_seconds_per_batch" not in record.to_dict()
