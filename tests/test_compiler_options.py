"""Named compiler options: declared per framework and mode, chosen with `--compiler-option`,
recorded as cells of their own ("graph+xla"), and set against the mode's default in the report."""

from __future__ import annotations

import json

import pytest
from test_report import fake_record

from polybench import frameworks, records, report, runner
from polybench.errors import UsageError
from polybench.notebook.settings import RunSettings
from polybench.runner import resume


def test_every_declared_option_belongs_to_a_compiled_mode_and_says_what_it_changes():
    declared = {fw: f.compiler_options for fw, f in frameworks.DECLARED.items()}
    strategies = {"pad", "bucket", "exact", "by-height", "scan"}  # the dynamic models' strategies
    assert set(declared["tensorflow"]["graph"]) == {"xla"} | strategies
    assert set(declared["mxnet"]["graph"]) == {"static-alloc", "dynamic"} | strategies
    assert set(declared["torch"]["graph"]) == {"max-autotune"} | strategies
    assert set(declared["jax"]["graph"]) == set(declared["chainer"]["graph"]) == strategies
    for options in declared.values():
        assert set(options) <= {"graph"}
        assert all(what for names in options.values() for what in names.values())


def test_settings_refuse_an_option_the_mode_does_not_declare():
    assert RunSettings("mnist_fcn", "tensorflow", mode="graph", compiler_option="xla").compiler_option == "xla"
    with pytest.raises(UsageError, match="tensorflow eager has no compiler option 'xla' \\(its options: none\\)"):
        RunSettings("mnist_fcn", "tensorflow", mode="eager", compiler_option="xla")


def test_an_option_is_a_cell_of_its_own_in_file_names_and_plans():
    plan = runner.Plan(["mxnet"], ["echo"], ["graph"], [0], compiler_options=[None, "dynamic"])
    assert [key.stem for key in plan.keys()] == ["echo__mxnet__graph__seed0", "echo__mxnet__graph+dynamic__seed0"]
    _, data = fake_record("echo", "mxnet")
    data.update(mode="graph", compiler_option="dynamic")
    record = records.Record.from_dict(data)
    assert record.mode_label == "graph+dynamic" and record.key.stem == "echo__mxnet__graph+dynamic__seed0"


def test_a_plan_stored_before_compiler_options_resumes_as_the_default(tmp_path):
    plan = runner.Plan(["torch"], ["mnist_fcn"], ["eager"], [0], profile="quick", threads=2, data_dir=tmp_path)
    path = resume.write_plan(plan, tmp_path)
    stored = json.loads(path.read_text())
    del stored["compiler_options"]
    path.write_text(json.dumps(stored))
    resume.check_same_plan(plan, tmp_path)  # no refusal: the old plan meant the default


def _write(folder, framework, mode, option, seconds, compiler):
    _, data = fake_record("mnist_fcn", framework, seconds=seconds)
    data.update(mode=mode, compiler_option=option, compiler=compiler)
    key = records.RunKey("mnist_fcn", framework, mode, 0, option)
    records.write_record(key.record_path(folder), data)


def test_the_report_sets_each_option_against_the_default_with_the_noise_rule(tmp_path):
    plain = {"name": "tf.function", "options": {"jit_compile": False}}
    _write(tmp_path, "tensorflow", "graph", None, (3.0, 2.0, 2.02, 2.01, 1.99), plain)
    _write(tmp_path, "tensorflow", "graph", "xla", (9.0, 3.0, 3.03, 2.98, 3.01), {"name": "xla", "options": {}})
    # an option whose default cell is not in the report is named, not compared
    _write(tmp_path, "mxnet", "graph", "dynamic", (2.0, 1.0, 1.0), {"name": "hybridize", "options": {}})
    report.build([tmp_path], tmp_path)
    text = (tmp_path / "report.md").read_text()
    # both tensorflow cells are rows of the results table: the option's run did not replace the default's
    assert "| mnist_fcn | tensorflow | graph | 1/1 |" in text and "| mnist_fcn | tensorflow | graph+xla | 1/1 |" in text
    section = text.split("## Compiler options", 1)[1].split("\n## ", 1)[0]
    row = next(line for line in section.splitlines() if line.startswith("| mnist_fcn | tensorflow | graph | xla |"))
    cells = [c.strip() for c in row.strip("|").split("|")]
    assert cells[5:8] == ["2.005", "3.005", "1.50"]
    assert cells[8].startswith("slower (Welch t-test p=")
    assert cells[9:] == ["3.00", "9.00"]
    assert "without their default cell here:\n\n- mnist_fcn/mxnet/graph+dynamic" in section
