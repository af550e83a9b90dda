"""The report's first comparison: each framework at its best, across modes, ranked by the noise rule."""

from __future__ import annotations

from test_report import fake_record

from polybench import records, report


def _write(folder, framework, mode, seconds, metric=0.98):
    _, data = fake_record("mnist_fcn", framework, metric=metric, seconds=seconds)
    data["mode"] = mode
    records.write_record(records.RunKey("mnist_fcn", framework, mode, 0).record_path(folder), data)


def _section(folder) -> list[list[str]]:
    text = (folder / "report.md").read_text()
    section = text.split("## Each framework at its best", 1)[1].split("\n## ", 1)[0]
    return section, [
        [c.strip() for c in line.strip("|").split("|")] for line in section.splitlines() if line.startswith("| mnist")
    ]


def test_a_default_run_sets_frameworks_in_different_modes_side_by_side(tmp_path):
    # PyTorch's default is eager, TensorFlow's graph: one mode each, and still ranked together.
    _write(tmp_path, "torch", "eager", (3.0, 2.0, 2.01, 1.99, 2.0))
    _write(tmp_path, "tensorflow", "graph", (5.0, 3.0, 3.01, 2.99, 3.0))
    report.build([tmp_path], tmp_path)
    section, rows = _section(tmp_path)
    assert rows[0][:7] == ["mnist_fcn", "1", "torch", "eager", "2.000", "1.00", "–"]
    assert rows[1][:6] == ["mnist_fcn", "2", "tensorflow", "graph", "3.000", "1.50"]
    assert rows[1][6].startswith("slower (Welch t-test p=")
    assert rows[0][7] == rows[1][7] == "the default"


def test_each_framework_is_ranked_by_its_fastest_mode_that_met_the_target(tmp_path):
    _write(tmp_path, "torch", "eager", (3.0, 2.0, 2.02, 1.98, 2.0))
    _write(tmp_path, "torch", "graph", (9.0, 1.0, 1.01, 0.99, 1.0), metric=0.90)  # fast, but missed the target
    _write(tmp_path, "jax", "eager", (3.0, 4.0, 4.04, 3.96, 4.0))
    _write(tmp_path, "jax", "graph", (9.0, 2.0, 2.03, 1.97, 2.01))
    _write(tmp_path, "mxnet", "graph", (9.0, 1.0, 1.0, 1.0), metric=0.5)
    report.build([tmp_path], tmp_path)
    section, rows = _section(tmp_path)
    by_framework = {row[2]: row for row in rows}
    assert by_framework["torch"][3] == "eager"  # its graph mode was faster but missed the target
    assert by_framework["jax"][3] == "graph"
    assert by_framework["jax"][6].startswith("inside the noise")  # 2.0 against 2.0
    assert by_framework["jax"][7] == "the default"
    assert by_framework["torch"][7] == "the default"
    assert "mnist_fcn/mxnet: no mode met the target (graph)" in section
