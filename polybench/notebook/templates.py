"""Writes notebooks/<model>.ipynb from notebooks/template.py, one notebook per model.

The template is a Python file in jupytext's percent format: every notebook tells its story
(task, parameters, data, the chosen framework's source, training, learning curves, test
evaluation, the task's own picture, record) from it. Per model, ``<<name>>`` placeholders
are filled in from the spec (title, description, target) and its task pictures (the
heading); raw cells are notes about the template and are left out. The committed notebooks
are this module's output: `python -m polybench.notebook.templates` rewrites them and a test
checks that they are current.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from polybench import PROJECT_ROOT
from polybench.specs import SPECS, get_spec

NOTEBOOK_DIR = PROJECT_ROOT / "notebooks"
TEMPLATE = PROJECT_ROOT / "notebooks" / "template.py"
PLACEHOLDER = re.compile(r"<<(\w+)>>")
KERNELSPEC = {"name": "polybench-torch", "display_name": "polybench (torch)", "language": "python"}


def fillers(model: str) -> dict[str, str]:
    """What each placeholder of the template stands for in ``model``'s notebook."""
    from polybench.notebook import pictures  # matplotlib: imported here, not by the runner, which needs paths only

    spec = get_spec(model)
    return {
        "model": model,
        "title": spec.title,
        "description": spec.description,
        "metric": spec.metric.name,
        "target": f"{'≥' if spec.metric.higher_is_better else '≤'} {spec.metric.target}",
        "heading": pictures.for_model(model).heading,
    }


def fill(source: str, values: dict[str, str]) -> str:
    """``source`` with every ``<<name>>`` replaced; a KeyError names a placeholder with no value."""

    def value(match: re.Match) -> str:
        try:
            return values[match.group(1)]
        except KeyError:
            raise KeyError(f"{TEMPLATE.name}: no value for the placeholder {match.group(0)}") from None

    return PLACEHOLDER.sub(value, source)


def build(model: str) -> nbformat.NotebookNode:
    """The notebook for ``model``: the template's code and Markdown cells, filled in, with
    the parameters cell's tag kept."""
    import jupytext  # here, not by the runner, which needs paths only

    values = fillers(model)
    cells = []
    for cell in jupytext.read(TEMPLATE, fmt="py:percent").cells:
        if cell.cell_type == "raw":
            continue
        source = fill(cell.source, values)
        if cell.cell_type == "markdown":
            cells.append(new_markdown_cell(source))
        else:
            cells.append(new_code_cell(source))
            if "tags" in cell.metadata:
                cells[-1].metadata["tags"] = list(cell.metadata["tags"])
    notebook = new_notebook(cells=cells)
    notebook.metadata["kernelspec"] = dict(KERNELSPEC)
    notebook.metadata["language_info"] = {"name": "python"}
    return notebook


def render(model: str) -> str:
    """The notebook for ``model`` as the text written to disk."""
    notebook = build(model)
    for index, cell in enumerate(notebook.cells):
        cell["id"] = f"{model}-{index}"  # stable ids keep the committed files reproducible
    return nbformat.writes(notebook) + "\n"


def notebook_path(model: str) -> Path:
    """Where the committed notebook for ``model`` lives."""
    return NOTEBOOK_DIR / f"{model}.ipynb"


def main() -> int:
    """Rewrite every model's notebook."""
    for model in SPECS:
        notebook_path(model).write_text(render(model))
        print(notebook_path(model).relative_to(PROJECT_ROOT))
    return 0


if __name__ == "__main__":
    sys.exit(main())
