"""A ``document.Report`` -> report.md and report.html, through the Jinja2 templates in
polybench/report/templates. HTML templates autoescape every value; Markdown text is rendered
with raw HTML off, so nothing from records, notebooks or error messages can run. The page's
style sheet and script (polybench/report/static) are inlined: report.html opens from disk and
loads nothing."""

from __future__ import annotations

import base64
import functools
import re
from importlib import resources
from pathlib import Path

from jinja2 import Environment, PackageLoader, StrictUndefined, Template, select_autoescape
from markdown_it import MarkdownIt
from markupsafe import Markup

from polybench.atomic import atomic_write
from polybench.report.document import Report
from polybench.report.implementations import pygments_css

#: Markdown with raw HTML off: anything in the text is shown, never run.
MARKDOWN = MarkdownIt("js-default")


def _markdown(text: str) -> Markup:
    return Markup(MARKDOWN.render(text))  # noqa: S704 - markdown-it escapes raw HTML ("js-default")


def _markdown_inline(text: str) -> Markup:
    return Markup(MARKDOWN.renderInline(text))  # noqa: S704 - as above


def _md_cell(value: object) -> str:
    """A Markdown table cell: a pipe in the text must not end the cell."""
    return str(value).replace("|", "\\|")


def _data_uri(path: Path) -> str:
    return "data:image/png;base64," + base64.b64encode(Path(path).read_bytes()).decode("ascii")


@functools.cache
def environment() -> Environment:
    """The template environment: autoescaping for .html templates, none for .md ones."""
    env = Environment(
        loader=PackageLoader("polybench.report", "templates"),
        autoescape=select_autoescape(enabled_extensions=("html.j2",), default_for_string=False),
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        undefined=StrictUndefined,
    )
    env.filters.update(markdown=_markdown, markdown_inline=_markdown_inline, md_cell=_md_cell, data_uri=_data_uri)
    return env


def static(name: str) -> str:
    """A file of polybench/report/static (the page's style sheet or script)."""
    return resources.files("polybench.report").joinpath("static", name).read_text()


def template(name: str) -> Template:
    """One of polybench/report/templates."""
    return environment().get_template(name)


def tidy(text: str) -> str:
    """A rendered Markdown text with at most one blank line between blocks."""
    return re.sub(r"\n{3,}", "\n\n", text).strip() + "\n"


def markdown(report: Report) -> str:
    """report.md's text."""
    return tidy(template("report.md.j2").render(report=report))


def html(report: Report) -> str:
    """report.html's text."""
    return (
        environment()
        .get_template("report.html.j2")
        .render(
            report=report,
            css=Markup(static("report.css") + pygments_css()),  # noqa: S704 - the package's own files
            js=Markup(static("report.js")),  # noqa: S704 - as above
        )
    )


def write(report: Report, out_dir: Path) -> list[Path]:
    """Write report.md and report.html into ``out_dir`` (atomically); return their paths."""
    paths = [Path(out_dir) / "report.md", Path(out_dir) / "report.html"]
    for path, text in zip(paths, (markdown(report), html(report)), strict=True):
        with atomic_write(path, "w") as f:
            f.write(text)
    return paths
