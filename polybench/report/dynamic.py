"""Dynamic shapes: the dynamic models (polybench.specs.dynamic) per framework and strategy, and
when define-by-run wins: eager mode's exact lengths and trees against each graph strategy's
compilations and padding, from the same report's runs."""

from __future__ import annotations

import dataclasses
import statistics

from polybench.records import Record
from polybench.report import noise

Cells = dict[tuple[str, str, str], list[Record]]


def dynamic_of(record: Record) -> dict | None:
    """The record's ShapeLog figures (``env.implementation.dynamic``), None for a fixed-shape model."""
    return (record.environment.get("implementation") or {}).get("dynamic")


def own_count(log: dict) -> tuple[float, str] | None:
    """The framework's own count of what it compiled, where it keeps one (``framework_count``:
    the ShapeLog counts the shapes met; a framework that generalises shapes compiles fewer):
    (count, what it counts)."""
    own = log.get("framework_count")
    return (float(own["count"]), own["what"]) if own else None


def _mean(values: list[float]) -> float | None:
    return statistics.fmean(values) if values else None


@dataclasses.dataclass(frozen=True)
class StrategyRow:
    """One (model, framework, mode label) cell of a dynamic model: its runs' means."""

    model: str
    framework: str
    mode: str  # the label: "eager", "graph", "graph+pad", "idiomatic"
    strategy: str
    runs: int
    metric: float | None
    target_met: str  # "3/3"
    first: float | None
    steady: float | None
    train: float | None
    compilations: float | None
    compile_seconds: float | None
    padded_share: float | None
    loc: int | None
    own: str = "–"  # the framework's own count, "3 tf.function traces"


def strategy_rows(cells: Cells) -> list[StrategyRow]:
    """Every cell of a dynamic model whose runs finished (at least one ``ok``)."""
    rows = []
    for (model, framework, label), recs in cells.items():
        ok = [r for r in recs if r.status == "ok" and dynamic_of(r) is not None]
        if not ok:
            continue
        logs = [dynamic_of(r) for r in ok]
        owns = [count for count in map(own_count, logs) if count is not None]
        own = f"{statistics.fmean(c for c, _ in owns):.0f} {owns[0][1]}" if owns else "–"
        rows.append(
            StrategyRow(
                model,
                framework,
                label,
                logs[0]["strategy"],
                len(ok),
                _mean([r.test_metric for r in ok if r.test_metric is not None]),
                f"{sum(bool(r.target_met) for r in ok)}/{len(ok)}",
                _mean([r.first_epoch_seconds for r in ok if r.first_epoch_seconds is not None]),
                _mean([r.steady_epoch_seconds for r in ok if r.steady_epoch_seconds is not None]),
                _mean([r.train_seconds for r in ok if r.train_seconds is not None]),
                _mean([log["compilations"] for log in logs]),
                _mean([log["compile_seconds"] for log in logs]),
                _mean([log["padded_share"] for log in logs]),
                ok[0].implementation_loc,
                own,
            )
        )
    return sorted(rows, key=lambda r: (r.model, r.framework, r.mode))


def _fmt(value: float | None, spec: str) -> str:
    return "–" if value is None else format(value, spec)


HEADER = [
    "model",
    "framework",
    "mode",
    "strategy",
    "runs",
    "test metric",
    "target met",
    "first epoch s",
    "steady epoch s",
    "training s",
    "compilations",
    "framework's own count",
    "compile s",
    "padded share",
    "lines of code",
]


def table_rows(rows: list[StrategyRow]) -> list[list[str]]:
    return [
        [
            r.model,
            r.framework,
            r.mode,
            r.strategy,
            str(r.runs),
            _fmt(r.metric, ".4f"),
            r.target_met,
            _fmt(r.first, ".2f"),
            _fmt(r.steady, ".3f"),
            _fmt(r.train, ".1f"),
            _fmt(r.compilations, ".0f"),
            r.own,
            _fmt(r.compile_seconds, ".1f"),
            _fmt(None if r.padded_share is None else 100 * r.padded_share, ".0f")
            + ("%" if r.padded_share is not None else ""),
            _fmt(r.loc, "d"),
        ]
        for r in rows
    ]


def verdicts(cells: Cells) -> list[str]:
    """Per dynamic model and framework: eager mode against its fastest graph strategy, steady
    epochs by the noise rule and whole training time (compilation included)."""
    lines = []
    rows = strategy_rows(cells)
    for model, framework in dict.fromkeys((r.model, r.framework) for r in rows):
        eager = cells.get((model, framework, "eager"))
        graphs = [r for r in rows if r.model == model and r.framework == framework and r.mode.startswith("graph")]
        if not eager or not [r for r in eager if r.status == "ok"] or not graphs:
            continue
        best = min((g for g in graphs if g.steady is not None), key=lambda g: g.steady, default=None)
        if best is None:
            continue
        graph_recs = cells[(model, framework, best.mode)]
        which = noise.measure(eager, graph_recs)
        difference = noise.differ(noise.times(graph_recs, which), noise.times(eager, which))
        eager_row = next(r for r in rows if r.model == model and r.framework == framework and r.mode == "eager")
        if difference.direction is None:
            verdict = f"not judged ({difference.why})"
        else:
            word = {1: "define-by-run is slower", -1: "define-by-run is faster", 0: "inside the noise"}
            verdict = f"{word[difference.direction]}, eager/graph {difference.ratio:.2f} ({difference.why})"
        total = (
            f"; whole training {eager_row.train:.1f} s eager against {best.train:.1f} s graph"
            if eager_row.train is not None and best.train is not None
            else ""
        )
        lines.append(
            f"{model} / {framework}: eager steady epoch {_fmt(eager_row.steady, '.3f')} s against graph's fastest "
            f"strategy ({best.strategy}) {_fmt(best.steady, '.3f')} s: {verdict}{total}, the graph run compiling "
            f"{_fmt(best.compilations, '.0f')} shapes in {_fmt(best.compile_seconds, '.1f')} s and computing "
            f"{_fmt(None if best.padded_share is None else 100 * best.padded_share, '.0f')}% padding."
        )
    return lines
