"""Executed notebooks -> HTML pages beside report.html (nbconvert), readable offline.

Each run's executed notebook becomes ``notebooks_html/<stem>.html``. nbconvert's JupyterLab
template loads require.js, MathJax and Mermaid from a CDN; the template here leaves those
out (the notebooks use none of them), so the pages open from disk with no network.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
from jinja2 import DictLoader
from nbconvert import HTMLExporter

from polybench import records
from polybench.atomic import atomic_write

FOLDER = "notebooks_html"

_TEMPLATE = """\
{%- extends 'lab/index.html.j2' -%}
{%- block html_head_js_requirejs -%}{%- endblock html_head_js_requirejs -%}
{% block jupyter_widgets %}{% endblock jupyter_widgets %}
{%- block html_head_js_mathjax -%}{%- endblock html_head_js_mathjax -%}
{%- block html_head_js_mermaidjs -%}{%- endblock html_head_js_mermaidjs -%}
"""


def _exporter() -> HTMLExporter:
    return HTMLExporter(
        extra_loaders=[DictLoader({"polybench_offline.html.j2": _TEMPLATE})], template_file="polybench_offline.html.j2"
    )


def notebook_of(record: records.Record, run_dirs: list[Path]) -> Path | None:
    """The executed notebook of ``record``: in the run folder whose record file is this very
    record (same finish time), the latest folder first; None when there is none."""
    key = record.key
    for run_dir in reversed(run_dirs):
        record_path, notebook = key.record_path(run_dir), key.notebook_path(run_dir)
        if (
            notebook.is_file()
            and record_path.is_file()
            and records.read_record(record_path).finished_at == record.finished_at
        ):
            return notebook
    return None


def convert(notebook: Path, target: Path, exporter: HTMLExporter | None = None) -> None:
    """Write ``notebook`` as an HTML page at ``target`` (atomically); skipped when ``target``
    is already newer than the notebook."""
    if target.is_file() and target.stat().st_mtime >= notebook.stat().st_mtime:
        return
    body, _ = (exporter or _exporter()).from_notebook_node(nbformat.read(notebook, as_version=4))
    target.parent.mkdir(parents=True, exist_ok=True)
    with atomic_write(target, "w") as f:
        f.write(body)


def convert_all(
    recs: list[records.Record], run_dirs: list[Path], out_dir: Path
) -> tuple[dict[str, str], dict[str, str]]:
    """Convert every record's executed notebook. Returns run stem -> the page's path relative
    to ``out_dir``, and run stem -> a one-line reason for each notebook that could not be read."""
    exporter = _exporter()
    pages, problems = {}, {}
    for record in recs:
        notebook = notebook_of(record, run_dirs)
        if notebook is None:
            continue
        stem = notebook.stem
        try:
            convert(notebook, out_dir / FOLDER / f"{stem}.html", exporter)
        except (OSError, ValueError, nbformat.ValidationError) as exc:  # a notebook cut short by a kill
            problems[stem] = f"unreadable notebook: {exc}".splitlines()[0]
            continue
        pages[stem] = f"{FOLDER}/{stem}.html"
    return pages, problems
