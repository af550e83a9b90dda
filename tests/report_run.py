"""The committed run folder the report tests build from, and a failed record to add to it."""

from __future__ import annotations

from pathlib import Path

from polybench import records

#: Real quick runs of torch and mxnet (mnist_fcn, addition); see fixtures/README.md.
FIXTURE_RUN = Path(__file__).parent / "fixtures" / "report_run"
SCRIPT_ERROR = 'ValueError: bad value <script>window.polybenchInjected = 1;</script> & "quotes"'


def add_failed_record(run_dir: Path, error: str = SCRIPT_ERROR) -> records.RunKey:
    """A failed chainer run of addition whose error text holds a script element."""
    key = records.RunKey("addition", "chainer", "eager", 0)
    record = records.Record.new(
        key,
        "quick",
        "failed",
        error=error,
        device="cpu",
        metric="exact_match",
        metric_higher_is_better=True,
        target=0.97,
        environment={"threads": 2, "cpu_model": "Test CPU"},
    )
    records.write_record(key.record_path(run_dir), record)
    return key
