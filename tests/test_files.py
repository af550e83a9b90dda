"""Atomic writes, records, lines of code, and the committed notebooks."""

from __future__ import annotations

import json

import pytest

from polybench import records
from polybench.atomic import atomic_write
from polybench.notebook import loc, progress
from polybench.notebook import templates as notebooks
from polybench.notebook.settings import RunSettings
from polybench.specs import SPECS


def test_atomic_write_leaves_the_old_file_when_interrupted(tmp_path):
    target = tmp_path / "r.json"
    target.write_text("old")
    with pytest.raises(RuntimeError):
        with atomic_write(target) as f:
            f.write("half")
            raise RuntimeError("crash mid-write")
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["r.json"]


def test_records_are_strict_json_and_need_a_known_status(tmp_path):
    key = records.RunKey("mnist_fcn", "torch", "eager", 0)
    with pytest.raises(records.RecordError, match="status 'done' is not one of ok, failed"):
        records.Record.new(key, "quick", "done")
    record = records.Record.new(key, "quick", "diverged", epochs=[{"epoch": 1, "train_loss": float("nan")}])
    records.write_record(tmp_path / "r.json", record)
    text = (tmp_path / "r.json").read_text()
    assert "NaN" not in text and json.loads(text)["epochs"][0]["train_loss"] is None


def test_progress_log_skips_a_torn_last_line(tmp_path):
    path = tmp_path / "p.jsonl"
    path.write_text('{"epoch": 1}\n{"epoch": 2}\n{"epo')
    assert records.read_progress(path) == [{"epoch": 1}, {"epoch": 2}]


def test_lines_of_code_skip_blanks_comments_and_docstrings():
    source = (
        '"""Module doc."""\n\nimport os  # why\n\n\ndef f():\n    """Doc\n    more."""\n    # note\n    return os.sep\n'
    )
    assert loc.count_code_lines(source) == 3


@pytest.mark.parametrize("model", list(SPECS))
def test_committed_notebooks_are_current(model):
    assert notebooks.notebook_path(model).read_text() == notebooks.render(model), (
        "run `python -m polybench.notebook.templates` to rewrite the notebooks"
    )


def test_notebook_parameters_cell_is_tagged():
    nb = notebooks.build("mnist_fcn")
    tagged = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1
    # papermill injects RunSettings.parameters(): the cell must declare every one of them
    names = RunSettings("mnist_fcn", "torch").parameters()
    for name in names:
        assert f"\n{name} = " in "\n" + tagged[0].source


@pytest.mark.parametrize("model", list(SPECS))
def test_notebooks_are_filled_in_from_their_spec(model):
    spec = SPECS[model]()
    cells = notebooks.build(model).cells
    assert cells[0].cell_type == "markdown" and cells[0].source.startswith(f"# {spec.title}\n\n{spec.description}")
    assert f'RunSettings("{model}", framework' in "".join(c.source for c in cells)
    assert not [c.source for c in cells if "<<" in c.source or c.cell_type == "raw"]


def test_a_template_placeholder_without_a_value_is_named():
    with pytest.raises(KeyError, match="<<colour>>"):
        notebooks.fill("# <<title>> in <<colour>>", {"title": "t"})


def test_epoch_line_shows_the_epoch_of_its_total_and_missing_figures_as_nan():
    row = {"epoch": 2, "epochs": 5, "train_loss": None, "val_loss": 0.25, "val_metric": 0.5, "seconds": 1.234}
    assert (
        progress.epoch_line(row, "accuracy")
        == "epoch 2/5  train_loss nan  val_loss 0.2500  val_accuracy 0.5000  1.23 s"
    )
