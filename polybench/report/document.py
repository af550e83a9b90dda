"""The report model: what report.md and report.html say, built once from the records.

A ``Report`` is a title, an introduction and sections; a section holds blocks (paragraphs in
Markdown, tables, bullet lists). The templates in polybench/report/templates render the same
object to report.md and report.html, so both always say the same; report.html adds what only a
page can hold (filters, notebook links, the charts embedded, the implementations).
"""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path


@dataclasses.dataclass
class Paragraph:
    """Text in Markdown (report.html renders it with raw HTML off)."""

    text: str
    kind: str = "paragraph"


@dataclasses.dataclass
class Table:
    """A table; without rows it shows its ``empty`` sentence instead (never a bare header)."""

    header: list[str]
    rows: list[list[str]]
    empty: str = ""
    kind: str = "table"


@dataclasses.dataclass
class Bullets:
    """A bullet list of Markdown items, after an optional lead sentence."""

    items: list[str]
    lead: str = ""
    kind: str = "bullets"


Block = Paragraph | Table | Bullets


@dataclasses.dataclass
class NotebookLink:
    """A run's executed notebook as a page beside report.html, or why it could not be shown."""

    label: str
    href: str | None = None
    problem: str | None = None


@dataclasses.dataclass
class ResultRow:
    """One (model, framework, mode) cell of the results table, with what report.html adds."""

    cells: list[str]
    model: str
    framework: str
    mode: str
    all_ok: bool
    busy: bool
    reasons: list[str]  # each run that did not finish: "seed 0 failed: ..."
    notebooks: list[NotebookLink]


@dataclasses.dataclass
class Failure:
    """A run that did not finish."""

    run: str  # "model / framework / mode / seed N"
    status: str
    error: str


@dataclasses.dataclass
class Section:
    """A titled part of the report. ``key`` names the sections report.html draws its own way."""

    title: str
    blocks: list[Block] = dataclasses.field(default_factory=list)
    key: str = ""

    @property
    def anchor(self) -> str:
        return re.sub(r"[^a-z0-9]+", "-", self.title.lower()).strip("-")


@dataclasses.dataclass
class Report:
    """Everything report.md and report.html show."""

    title: str
    intro: list[Block]
    sections: list[Section]
    header: list[str]  # the results table's header
    results: list[ResultRow]
    failures: list[Failure]
    charts: list[Path]
    models: list = dataclasses.field(default_factory=list)  # implementations.ModelView, report.html only
