"""The record type: strict typing, older schemas, the published JSON Schema, the clock."""

from __future__ import annotations

import datetime
import json
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest

from polybench import PROJECT_ROOT, records

KEY = records.RunKey("mnist_fcn", "torch", "eager", 0)
#: Records written by earlier schemas: the committed report fixture (schema 1) and the H100 reference run (2).
OLD_RECORDS = sorted((Path(__file__).parent / "fixtures" / "report_run" / "records").glob("*.json")) + sorted(
    (PROJECT_ROOT / "results" / "reference" / "nvidia-h100-80gb-hbm3").glob("records/*.json")
)
CONTENTION = {
    "verdict": "busy",
    "reasons": ["other processes used 1.9 cores on average (limit 0.10)"],
    "rule": "busy when other processes use more than 0.10 of one core on average",
    "samples": 12,
    "seconds": 6.0,
    "others_cpu_cores": 1.9,
    "others_cpu_cores_max": 2.0,
    "load_average": 3.1,
    "cpu_pressure_some": 0.4,
    "steal_fraction": 0.0,
    "cpu_mhz": 2400.0,
    "busiest": ["pytest (1.8 cores)"],
    "gpu_other_processes": None,
    "gpu_throttle_reasons": None,
}


def test_records_of_older_schemas_still_read_as_objects():
    schemas = {json.loads(path.read_text())["schema"] for path in OLD_RECORDS}
    assert schemas == {1, 2}  # both older layouts are among the files
    for path in OLD_RECORDS:
        record = records.read_record(path)
        assert isinstance(record, records.Record) and record.status in records.STATUSES
        assert record.schema_version == json.loads(path.read_text())["schema"]
        assert record.compiler is None and record.contention is None  # fields schema 3 added
        assert all(row.seconds is None or row.seconds > 0 for row in record.epochs)
    first = records.read_record(OLD_RECORDS[0])
    assert first.to_dict()["schema"] == 1 and "harness_seconds_per_batch" not in first.to_dict()


def test_a_new_record_is_of_the_current_schema_and_round_trips(tmp_path):
    record = records.Record.new(
        KEY,
        "quick",
        "ok",
        test_metric=0.97,
        compiler={"name": "inductor", "options": {"mode": "default", "fullgraph": True}},
        contention=CONTENTION,
        epochs=[{"epoch": 1, "train_loss": 0.3, "val_loss": 0.3, "val_metric": 0.9, "seconds": 2.0}],
    )
    records.write_record(tmp_path / "r.json", record)
    again = records.read_record(tmp_path / "r.json")
    assert again == record and again.schema_version == records.SCHEMA_VERSION == 3
    assert again.compiler.options["fullgraph"] is True and again.contention.verdict == "busy"
    assert json.loads((tmp_path / "r.json").read_text())["schema"] == 3


@pytest.mark.parametrize(
    "fields, reason",
    [
        ({"epochs_planned": True}, "field 'epochs_planned' should be int | None, not bool True"),
        ({"batch_size": 32.0}, "field 'batch_size' should be int | None, not float 32.0"),
        ({"target_met": 1}, "field 'target_met' should be bool | None, not int 1"),
        ({"epochs": [{"epoch": 1, "seconds": False}]}, "field 'epochs[0].seconds': input should be a valid number"),
        ({"epochs": [{"epoch": 1, "secs": 2.0}]}, "unknown field(s) secs"),
        ({"compiler": {"name": "xla", "options": {"flags": ["a"]}}}, "field 'compiler.options.flags'"),
        ({"contention": {**CONTENTION, "verdict": "noisy"}}, "field 'contention.verdict'"),
        ({"contention": {**CONTENTION, "others_cpu": 1.0}}, "unknown field(s) others_cpu"),
    ],
)
def test_a_wrong_type_is_refused_with_a_one_line_reason(fields, reason):
    with pytest.raises(records.RecordError) as caught:
        records.Record.new(KEY, "quick", "failed", **fields)
    assert reason in caught.value.reason and "\n" not in caught.value.reason


def test_infinities_and_nan_are_written_as_null_everywhere(tmp_path):
    record = records.Record.new(
        KEY,
        "quick",
        "diverged",
        test_loss=float("inf"),
        epochs=[{"epoch": 1, "train_loss": float("nan")}],
        environment={"probe": [float("-inf"), 1.0]},
    )
    records.write_record(tmp_path / "r.json", record)
    data = json.loads((tmp_path / "r.json").read_text())
    assert data["test_loss"] is None and data["epochs"][0]["train_loss"] is None
    assert data["environment"]["probe"] == [None, 1.0]


def test_a_bad_assignment_is_refused_and_the_file_is_left_as_it_was(tmp_path):
    record = records.Record.new(KEY, "quick", "failed")
    records.write_record(tmp_path / "r.json", record)
    before = (tmp_path / "r.json").read_text()
    with pytest.raises(Exception, match="valid integer"):
        record.seed = "0"
    with pytest.raises(records.RecordError, match="unknown field"):
        records.write_record(tmp_path / "r.json", {**record.to_dict(), "colour": "blue"})
    assert (tmp_path / "r.json").read_text() == before


def test_the_committed_json_schema_is_current():
    committed = PROJECT_ROOT / records.SCHEMA_FILE
    assert committed.is_file() and committed.read_text() == records.json_schema(), (
        f"{records.SCHEMA_FILE} is out of date with polybench.records.Record; regenerate it: {records.SCHEMA_COMMAND}"
    )


def test_the_json_schema_accepts_a_record_and_refuses_a_bool_for_a_number(tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "polybench.records", "--schema"], capture_output=True, text=True, check=True
    )
    validator = jsonschema.Draft202012Validator(json.loads(done.stdout))
    record = records.Record.new(KEY, "quick", "ok", test_metric=0.97, contention=CONTENTION).to_dict()
    assert list(validator.iter_errors(record)) == []
    assert [e.message for e in validator.iter_errors({**record, "seed": True})] == ["True is not of type 'integer'"]
    reference = json.loads(next(p for p in OLD_RECORDS if "reference" in p.parts).read_text())
    assert list(validator.iter_errors(reference)) == []  # a schema-2 record fits the schema-3 layout


def test_now_is_an_iso_utc_timestamp_beside_the_records():
    stamp = datetime.datetime.fromisoformat(records.now())
    assert stamp.utcoffset() == datetime.timedelta(0)
    assert abs(datetime.datetime.now(datetime.UTC) - stamp) < datetime.timedelta(minutes=1)
