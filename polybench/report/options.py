"""Compiler options against the mode's default: the runs made with `--compiler-option NAME`
beside the same (model, framework, mode) compiled the default way, by the noise rule."""

from __future__ import annotations

import dataclasses

from polybench.records import Record
from polybench.report import noise

Cells = dict[tuple[str, str, str], list[Record]]


@dataclasses.dataclass(frozen=True)
class OptionRow:
    """One compiler option's cell against its default cell."""

    model: str
    framework: str
    mode: str
    option: str
    compiler: str  # what compiled the option's runs, as their records name it
    default_seconds: float | None
    option_seconds: float | None
    difference: noise.Difference
    default_first: float | None
    option_first: float | None

    @property
    def verdict(self) -> str:
        if self.difference.direction is None:
            return self.difference.why
        word = {1: "slower", -1: "faster", 0: "inside the noise"}[self.difference.direction]
        return f"{word} ({self.difference.why})"


def _first(recs: list[Record]) -> float | None:
    firsts = [r.first_epoch_seconds for r in recs if r.status == "ok" and r.first_epoch_seconds is not None]
    return sum(firsts) / len(firsts) if firsts else None


def _compiler(recs: list[Record]) -> str:
    named = {
        f"{r.compiler.name} ({', '.join(f'{k}={v}' for k, v in r.compiler.options.items())})"
        for r in recs
        if r.compiler is not None
    }
    return "; ".join(sorted(named)) or "not recorded"


def option_rows(cells: Cells) -> list[OptionRow]:
    """Every cell run with a compiler option whose default cell is in the report too."""
    rows = []
    for (model, framework, _label), recs in cells.items():
        option = recs[0].compiler_option
        if option is None:
            continue
        mode = recs[0].mode
        default = cells.get((model, framework, mode))
        if not default:
            continue
        which = noise.measure(default, recs)
        base, tried = noise.times(default, which), noise.times(recs, which)
        rows.append(
            OptionRow(
                model,
                framework,
                mode,
                option,
                _compiler(recs),
                base.median,
                tried.median,
                noise.differ(base, tried),
                _first(default),
                _first(recs),
            )
        )
    return rows


def unmatched(cells: Cells) -> list[str]:
    """Cells run with a compiler option whose default cell is not in the report."""
    return [
        "/".join(cell)
        for cell, recs in cells.items()
        if recs[0].compiler_option is not None and (cell[0], cell[1], recs[0].mode) not in cells
    ]


def _fmt(value: float | None, spec: str) -> str:
    return "–" if value is None else format(value, spec)


def table_rows(rows: list[OptionRow]) -> list[list[str]]:
    """The report table's rows: the cell, the option, its compiler, both steady medians, their
    ratio and the verdict, both first epochs (where compilation lands)."""
    return [
        [
            r.model,
            r.framework,
            r.mode,
            r.option,
            r.compiler,
            _fmt(r.default_seconds, ".3f"),
            _fmt(r.option_seconds, ".3f"),
            _fmt(r.difference.ratio, ".2f"),
            r.verdict,
            _fmt(r.default_first, ".2f"),
            _fmt(r.option_first, ".2f"),
        ]
        for r in rows
    ]


HEADER = [
    "model",
    "framework",
    "mode",
    "option",
    "option's compiler",
    "default s",
    "option s",
    "option / default",
    "verdict",
    "default first s",
    "option first s",
]
