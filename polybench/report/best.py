"""Each framework at its best: per model, every framework in the fastest of its cells that met
the target (any mode, compiler options included) and in its default mode, ranked by epoch time,
each set against the fastest by the noise rule."""

from __future__ import annotations

import dataclasses

import pandas as pd

from polybench import frameworks
from polybench.records import Record
from polybench.report import noise

Cells = dict[tuple[str, str, str], list[Record]]


@dataclasses.dataclass(frozen=True)
class Entry:
    """One framework's best cell of one model, and its default mode's."""

    model: str
    framework: str
    mode: str  # the best cell's mode label ("graph", "graph+NAME" with a compiler option, "idiomatic")
    seconds: float
    measure: str  # noise.STEADY or noise.FIRST
    rank: int
    ratio: float  # seconds over the fastest framework's
    versus: str  # the noise rule's verdict against the fastest ("" for the fastest itself)
    default: str  # the default mode's cell: its time and ratio to this best, or why it has none


def _met(row) -> bool:
    return bool(row.ok > 0 and row.ok == row.runs and row.target_met)


def _verdict(diff: noise.Difference) -> str:
    if diff.direction is None:
        return diff.why
    if diff.direction == 0:
        return f"inside the noise ({diff.why})"
    return f"{'slower' if diff.direction > 0 else 'faster'} ({diff.why})"


def _default_text(framework: str, best_mode: str, best_seconds: float, rows: pd.DataFrame, cells: Cells) -> str:
    if framework not in frameworks.DEFAULT_MODES:
        return "–"
    default = frameworks.default_mode(framework, rows.model.iloc[0] if len(rows) else None)
    if default == best_mode:
        return "the default"
    row = rows[rows["mode"] == default]
    if row.empty:
        return f"{default}: not run"
    row = next(row.itertuples())
    if not _met(row):
        return f"{default}: target not met" if row.ok else f"{default}: {row.statuses}"
    times = noise.times(cells[(row.model, framework, default)], noise.STEADY)
    seconds = times.median if times.values else row.first_epoch_seconds
    return f"{default}: {seconds:.3f} s ({seconds / best_seconds:.2f}× its best)"


def entries(table: pd.DataFrame, cells: Cells) -> tuple[list[Entry], list[str]]:
    """The ranked entries of every model, and one line per (model, framework) that met no target."""
    out, missing = [], []
    for model, rows in table.groupby("model", sort=False):
        best: dict[str, tuple[str, list[Record]]] = {}
        for framework, mine in rows.groupby("framework", sort=False):
            met = [r for r in mine.itertuples() if _met(r)]
            if not met:
                missing.append(f"{model}/{framework}: no mode met the target ({', '.join(sorted(set(mine['mode'])))})")
                continue
            which = noise.measure(*(cells[(model, framework, r.mode)] for r in met))
            fastest = min(met, key=lambda r: noise.times(cells[(model, framework, r.mode)], which).median)
            best[framework] = (fastest.mode, cells[(model, framework, fastest.mode)])
        if not best:
            continue
        which = noise.measure(*(recs for _, recs in best.values()))
        timed = sorted(
            ((noise.times(recs, which), framework, mode) for framework, (mode, recs) in best.items()),
            key=lambda item: item[0].median,
        )
        lead = timed[0][0]
        for rank, (times, framework, mode) in enumerate(timed, start=1):
            out.append(
                Entry(
                    model,
                    framework,
                    mode,
                    times.median,
                    which,
                    rank,
                    times.median / lead.median,
                    "" if rank == 1 else _verdict(noise.differ(lead, times)),
                    _default_text(framework, mode, times.median, rows[rows.framework == framework], cells),
                )
            )
    return out, missing


HEADER = ["model", "rank", "framework", "its fastest mode", "epoch s", "× fastest", "against the fastest", "default"]


def rows(found: list[Entry]) -> list[list[str]]:
    """The report table's rows."""
    return [
        [
            e.model,
            str(e.rank),
            e.framework,
            e.mode,
            f"{e.seconds:.3f}" + ("" if e.measure == noise.STEADY else " (first)"),
            f"{e.ratio:.2f}",
            e.versus or "–",
            e.default,
        ]
        for e in found
    ]
