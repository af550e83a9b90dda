"""report.html: one self-contained page a reader opens from disk, with no network.

It shows what report.md shows and more: the results table (the same columns and figures,
from the same ``results_rows``) with filters and sorting, each cell's failures with their
reasons and links to the executed notebooks (as HTML beside it); report.md's other
sections rendered from report.md itself, so both always say the same; the charts embedded
as data: URIs; and per model its spec and every framework's implementation as tabs.
Everything that comes from records, notebooks or error messages is escaped.
"""

from __future__ import annotations

import base64
import dataclasses
import re
from html import escape
from pathlib import Path

import pandas as pd

from polybench import records
from polybench.atomic import atomic_write
from polybench.report import assets, implementations
from polybench.report.implementations import MARKDOWN
from polybench.report.markdown import results_rows


def split_markdown(text: str) -> tuple[str, list[tuple[str, str]]]:
    """report.md -> its introduction (below the title) and its (heading, body) sections."""
    parts = re.split(r"^## (.+)$", text, flags=re.MULTILINE)
    intro = re.sub(r"^# .*\n", "", parts[0], count=1)
    return intro, [(heading.strip(), body) for heading, body in zip(parts[1::2], parts[2::2], strict=True)]


def _stem(row) -> str:
    return records.RunKey(row.model, row.framework, row.mode, int(row.seed)).stem


def _cell_extras(frame: pd.DataFrame, cell: tuple, pages: dict[str, str], problems: dict[str, str]) -> tuple[str, str]:
    """The status/reason and notebook-link cells of one (model, framework, mode) row."""
    runs = frame[(frame.model == cell[0]) & (frame.framework == cell[1]) & (frame["mode"] == cell[2])]
    reasons = [f"seed {r.seed} {r.status}: {r.error}" for r in runs.itertuples() if r.status != "ok"]
    status = "ok" if not reasons else "<br>".join(f'<span class="reason">{escape(text)}</span>' for text in reasons)
    links = []
    for r in runs.itertuples():
        stem = _stem(r)
        if stem in pages:
            links.append(f'<a class="notebook" href="{escape(pages[stem])}">seed {r.seed}</a>')
        elif stem in problems:
            links.append(f'<span class="reason">seed {r.seed}: {escape(problems[stem])}</span>')
    return status, " ".join(links) or "–"


def results_html(frame: pd.DataFrame, table: pd.DataFrame, pages: dict[str, str], problems: dict[str, str]) -> str:
    """The results table with filter selects, one row per (model, framework, mode) cell."""
    header, rows = results_rows(table)
    header = [*header, "status / reason", "notebook"]
    body = []
    for cell, row in zip(table.itertuples(), rows, strict=True):
        status, links = _cell_extras(frame, (cell.model, cell.framework, cell.mode), pages, problems)
        values = "".join(f"<td>{escape(value)}</td>" for value in row)
        css = "" if cell.ok == cell.runs else ' class="not-ok"'
        body.append(
            f'<tr data-model="{escape(cell.model)}" data-framework="{escape(cell.framework)}" '
            f'data-mode="{escape(cell.mode)}"{css}>{values}<td>{status}</td><td>{links}</td></tr>'
        )
    selects = []
    for name in ("model", "framework", "mode"):
        options = "".join(f'<option value="{escape(v)}">{escape(v)}</option>' for v in dict.fromkeys(table[name]))
        selects.append(f'<label>{name} <select name="{name}"><option value="">all</option>{options}</select></label>')
    head = "".join(f"<th>{escape(h)}</th>" for h in header)
    return (
        f'<div class="filters">{"".join(selects)}<span><span id="shown-count">{len(rows)}</span> of '
        f"{len(rows)} cells shown; click a column heading to sort</span></div>"
        f'<div class="table-wrap"><table id="results-table"><thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(body)}</tbody></table></div>"
    )


def failures_html(frame: pd.DataFrame) -> str:
    """Every run that did not finish, its status and its error as text."""
    failures = frame[frame.status != "ok"]
    if not len(failures):
        return "<p>Every run finished.</p>"
    items = "".join(
        f"<li>{escape(f'{r.model} / {r.framework} / {r.mode} / seed {r.seed}')}: "
        f'<strong>{escape(str(r.status))}</strong> — <span class="error">{escape(str(r.error))}</span></li>'
        for r in failures.itertuples()
    )
    return f"<ul>{items}</ul>"


def charts_html(charts: list[Path]) -> str:
    """Every chart PNG embedded as a data: URI, with its file name as caption."""
    figures = []
    for chart in charts:
        data = base64.b64encode(Path(chart).read_bytes()).decode("ascii")
        figures.append(
            f'<figure><img src="data:image/png;base64,{data}" alt="{escape(chart.stem)}">'
            f"<figcaption>charts/{escape(chart.name)}</figcaption></figure>"
        )
    return f'<div class="charts">{"".join(figures)}</div>'


def _anchor(heading: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", heading.lower()).strip("-")


@dataclasses.dataclass
class Inputs:
    """What report.html is drawn from: report.md's text and the data behind it."""

    markdown: str
    recs: list[dict]
    frame: pd.DataFrame
    table: pd.DataFrame
    charts: list[Path]
    notebook_pages: dict[str, str]  # run stem -> page path relative to report.html
    notebook_problems: dict[str, str]  # run stem -> why its notebook could not be converted


def page(inputs: Inputs) -> str:
    """The whole report.html text."""
    intro, sections = split_markdown(inputs.markdown)
    own = {
        "Results": lambda: results_html(inputs.frame, inputs.table, inputs.notebook_pages, inputs.notebook_problems),
        "Runs that did not finish": lambda: failures_html(inputs.frame),
        "Charts": lambda: charts_html(inputs.charts),
    }
    parts = [(heading, own[heading]() if heading in own else MARKDOWN.render(body)) for heading, body in sections]
    models = dict.fromkeys(inputs.frame.model)
    parts.append(
        (
            "Models and their implementations",
            "".join(implementations.model_html(model, inputs.recs) for model in models),
        )
    )
    nav = "".join(f'<a href="#{_anchor(h)}">{escape(h)}</a>' for h, _ in parts)
    body = "".join(f'<section id="{_anchor(h)}"><h2>{escape(h)}</h2>{b}</section>' for h, b in parts)
    return (
        f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>polybench report</title><style>{assets.CSS}{implementations.pygments_css()}</style></head>"
        f"<body><main><h1>polybench report</h1>{MARKDOWN.render(intro)}<nav>{nav}</nav>{body}</main>"
        f"<script>{assets.JS}</script></body></html>\n"
    )


def write(path: Path, inputs: Inputs) -> None:
    """Write report.html (atomically)."""
    text = page(inputs)
    with atomic_write(Path(path), "w") as f:
        f.write(text)
