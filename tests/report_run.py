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


def contention(verdict: str = "busy", reason: str = "other processes used 1.9 cores on average") -> dict:
    """A record's contention field as the sampler writes it."""
    return {
        "verdict": verdict,
        "reasons": [reason] if verdict == "busy" else [],
        "rule": "busy when other processes use more than 0.10 of one core on average",
        "samples": 20,
        "seconds": 10.0,
        "others_cpu_cores": 1.9 if verdict == "busy" else 0.01,
        "others_cpu_cores_max": 2.0 if verdict == "busy" else 0.05,
        "load_average": 3.0,
        "cpu_pressure_some": None,
        "steal_fraction": 0.0,
        "cpu_mhz": None,
        "busiest": ["stress-ng (1.9 cores)"] if verdict == "busy" else [],
        "gpu_other_processes": None,
        "gpu_throttle_reasons": None,
    }
