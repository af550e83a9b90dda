"""`polybench compare BASE NEW`: two run folders set against each other, cell by cell.

Reads records only (the latest per cell, as the report does). A cell is (model, framework, mode)
at one profile. For every cell in both folders: the test metric, steady and first epoch time and
peak memory, base and new, a speed verdict by the report's noise rule (noise.RULE, which
compare.md prints and README repeats), the environment differences that could explain a change,
and the cells found on one side only. A cell that ran on a busy machine on either side gets no
speed verdict ("busy — rerun") and never counts as a regression; an unstable side is flagged.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from pathlib import Path

import numpy as np

from polybench import records
from polybench.atomic import atomic_write
from polybench.frameworks import FRAMEWORKS
from polybench.report import noise, render
from polybench.report.content import fmt
from polybench.specs import SPECS

CELL = ("model", "framework", "mode", "profile")
BUSY = "busy — rerun"
#: Environment fields whose differences could explain a change, with their labels.
ENV_FIELDS = {
    "threads": "threads",
    "cpu_model": "CPU",
    "cpu_count": "cores",
    "device": "device",
    "gpu_name": "GPU",
    "commit": "commit",
    "python": "Python",
    "lock_hash": "lock hash",
}


@dataclasses.dataclass(frozen=True)
class CellChange:
    """Base against new for one cell present in both folders."""

    cell: tuple[str, str, str, str]
    base: noise.Times
    new: noise.Times
    difference: noise.Difference
    first_ratio: float | None
    memory_ratio: float | None
    metric: str
    metric_base: float | None
    metric_new: float | None
    lost_target: bool
    unstable: list[str]  # "base: unstable: ..." for each side whose runs were unstable

    @property
    def measure(self) -> str:
        return self.base.measure

    @property
    def ratio(self) -> float | None:
        return self.difference.ratio

    @property
    def noise(self) -> str:
        """What the verdict was judged by: the test and its figures, or why there was none."""
        return self.difference.why

    @property
    def busy(self) -> bool:
        return self.base.busy or self.new.busy

    @property
    def verdict(self) -> str:
        """faster, slower, unchanged; "busy — rerun", "cannot tell" or "not timed" without a verdict."""
        if self.busy:
            return BUSY
        if self.base.median is None or self.new.median is None:
            return "not timed"
        return {1: "slower", -1: "faster", 0: "unchanged", None: "cannot tell"}[self.difference.direction]

    @property
    def regression(self) -> bool:
        return not self.busy and (self.verdict == "slower" or self.lost_target)


@dataclasses.dataclass(frozen=True)
class Comparison:
    """Everything `polybench compare` found."""

    base_dir: Path
    new_dir: Path
    changes: list[CellChange]
    base_only: list[tuple]
    new_only: list[tuple]
    environment: list[str]

    @property
    def regressions(self) -> list[CellChange]:
        return [c for c in self.changes if c.regression]


def _ratio(new, base) -> float | None:
    return new / base if new is not None and base and not np.isnan(base) and not np.isnan(new) else None


def _median(values) -> float | None:
    values = [v for v in values if v is not None]
    return float(np.median(values)) if values else None


def cells(run_dir: Path) -> dict[tuple, list[records.Record]]:
    """A run folder's latest records grouped by cell."""
    grouped: dict[tuple, list[records.Record]] = {}
    for record in records.latest(records.read_records([Path(run_dir)]))[0]:
        grouped.setdefault(tuple(getattr(record, "mode_label" if k == "mode" else k) for k in CELL), []).append(record)
    return grouped


def _ok(recs: list[records.Record]) -> list[records.Record]:
    return [r for r in recs if r.status == "ok"]


def _unstable(side: str, recs: list[records.Record]) -> list[str]:
    """One note per unstable ok run of a side: "base seed 0: unstable: ..."."""
    notes = []
    for r in _ok(recs):
        why = noise.instability(noise.steady_epochs(r))
        if why:
            notes.append(f"{side} seed {r.seed}: {why}")
    return notes


def _met(recs: list[records.Record]) -> bool:
    ok = _ok(recs)
    return bool(ok) and sum(bool(r.target_met) for r in ok) * 2 > len(ok)  # most seeds met it


def change(cell: tuple, base_recs: list[records.Record], new_recs: list[records.Record]) -> CellChange:
    """Base against new for one cell."""
    base_ok, new_ok = _ok(base_recs), _ok(new_recs)
    which = noise.measure(base_recs, new_recs)
    base, new = noise.times(base_recs, which), noise.times(new_recs, which)
    first = [_median(r.first_epoch_seconds for r in ok) for ok in (base_ok, new_ok)]
    memory = [_median(r.peak_rss_bytes for r in ok) for ok in (base_ok, new_ok)]
    return CellChange(
        cell,
        base,
        new,
        noise.differ(base, new),
        _ratio(first[1], first[0]),
        _ratio(memory[1], memory[0]),
        (base_recs + new_recs)[0].metric,
        _median(r.test_metric for r in base_ok),
        _median(r.test_metric for r in new_ok),
        _met(base_recs) and not _met(new_recs),
        _unstable("base", base_recs) + _unstable("new", new_recs),
    )


def _environment(recs: list[records.Record]) -> dict:
    """The most common value of each environment field among a framework's records, and the
    packages of the latest record that lists them."""
    env = {}
    for field in ENV_FIELDS:
        values = [str(getattr(r, field) if field in ("device", "gpu_name") else r.environment.get(field)) for r in recs]
        env[field] = Counter(values).most_common(1)[0][0] if values else "None"
    listed = sorted((r for r in recs if r.environment.get("packages")), key=lambda r: r.finished_at or "")
    env["packages"] = listed[-1].environment["packages"] if listed else {}
    return env


def environment_differences(
    base: dict[tuple, list[records.Record]], new: dict[tuple, list[records.Record]]
) -> list[str]:
    """Per framework in both folders, what differs between the environments that could explain a change."""
    lines = []
    frameworks = dict.fromkeys(cell[1] for cell in [*base, *new])
    for framework in frameworks:
        sides = [[r for cell, recs in side.items() if cell[1] == framework for r in recs] for side in (base, new)]
        if not all(sides):
            continue
        old, now = _environment(sides[0]), _environment(sides[1])
        diffs = [f"{label} {old[f]} → {now[f]}" for f, label in ENV_FIELDS.items() if old[f] != now[f]]
        if old["packages"] and now["packages"]:
            changed = [
                f"{name} {old['packages'][name]} → {now['packages'][name]}"
                for name in old["packages"]
                if name in now["packages"] and old["packages"][name] != now["packages"][name]
            ]
            changed += [
                f"{name} {version} removed" for name, version in old["packages"].items() if name not in now["packages"]
            ]
            changed += [
                f"{name} {version} added" for name, version in now["packages"].items() if name not in old["packages"]
            ]
            diffs.append("packages: " + ("; ".join(changed) if changed else "identical"))
        else:
            diffs.append("packages: not listed in both folders' records")
        lines.append(f"- {framework}: " + ", ".join(diffs))
    return lines


def compare(base_dir: Path, new_dir: Path) -> Comparison:
    """Set the records of ``new_dir`` against those of ``base_dir``."""
    base, new = cells(base_dir), cells(new_dir)
    changes = [change(cell, base[cell], new[cell]) for cell in sorted(base, key=_order) if cell in new]
    return Comparison(
        Path(base_dir),
        Path(new_dir),
        changes,
        sorted((c for c in base if c not in new), key=_order),
        sorted((c for c in new if c not in base), key=_order),
        environment_differences(base, new),
    )


def _order(cell: tuple) -> tuple:
    """Registry order: models as SPECS lists them, frameworks as FRAMEWORKS does."""
    model, framework, mode, profile = cell
    models, frameworks = list(SPECS), list(FRAMEWORKS)
    return (
        models.index(model) if model in models else len(models),
        model,
        frameworks.index(framework) if framework in frameworks else len(frameworks),
        framework,
        mode,
        profile,
    )


def rows(comparison: Comparison) -> tuple[list[str], list[list[str]]]:
    """Header and rows of the comparison table (terminal and compare.md)."""
    header = [
        "model",
        "framework",
        "mode",
        "test metric base → new",
        "epoch s base → new",
        "ratio",
        "first epoch ratio",
        "peak RSS ratio",
        "noise",
        "verdict",
    ]
    out = []
    for c in comparison.changes:
        notes = (["target lost"] if c.lost_target else []) + (["unstable"] if c.unstable else [])
        out.append(
            [
                *c.cell[:3],
                f"{c.metric} {fmt(c.metric_base)} → {fmt(c.metric_new)}",
                f"{fmt(c.base.median, ',.3f')} → {fmt(c.new.median, ',.3f')} ({c.measure})",
                fmt(c.ratio, ".3f"),
                fmt(c.first_ratio, ".3f"),
                fmt(c.memory_ratio, ".3f"),
                c.noise,
                "; ".join([c.verdict, *notes]),
            ]
        )
    return header, out


def terminal_table(comparison: Comparison) -> str:
    """The comparison as fixed-width text, with the one-side cells and a verdict line."""
    header, body = rows(comparison)
    table = [header] + body
    widths = [max(len(row[i]) for row in table) for i in range(len(header))]
    lines = ["  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)).rstrip() for row in table]
    lines += _one_side_lines(comparison) + flagged_lines(comparison) + [summary(comparison)]
    return "\n".join(lines)


def _name(cell: tuple) -> str:
    return f"{cell[0]}/{cell[1]}/{cell[2]} ({cell[3]})"


def _one_side_lines(comparison: Comparison) -> list[str]:
    lines = []
    if comparison.base_only:
        lines.append(f"only in base ({len(comparison.base_only)}): " + ", ".join(map(_name, comparison.base_only)))
    if comparison.new_only:
        lines.append(f"only in new ({len(comparison.new_only)}): " + ", ".join(map(_name, comparison.new_only)))
    return lines


def flagged_lines(comparison: Comparison) -> list[str]:
    """The cells that got no speed verdict because a side was busy, and the unstable ones."""
    busy = [c for c in comparison.changes if c.busy]
    unstable = [c for c in comparison.changes if c.unstable]
    lines = []
    if busy:
        lines.append(
            f"{BUSY} ({len(busy)}): "
            + ", ".join(f"{_name(c.cell)} ({' and '.join(_busy_sides(c))} busy)" for c in busy)
        )
    if unstable:
        lines.append(
            f"unstable ({len(unstable)}): " + "; ".join(f"{_name(c.cell)}: {', '.join(c.unstable)}" for c in unstable)
        )
    return lines


def _busy_sides(change: CellChange) -> list[str]:
    return [side for side, times in (("base", change.base), ("new", change.new)) if times.busy]


def summary(comparison: Comparison) -> str:
    """One line: how many cells were faster, slower, unchanged; without a verdict; targets lost."""
    counts = Counter(c.verdict for c in comparison.changes)
    lost = sum(c.lost_target for c in comparison.changes)
    others = [f"{counts[name]} {name}" for name in ("cannot tell", BUSY, "not timed") if counts[name]]
    return (
        f"{len(comparison.changes)} cells in both: {counts['faster']} faster, {counts['slower']} slower, "
        f"{counts['unchanged']} unchanged"
        + "".join(f", {text}" for text in others)
        + f"; {lost} lost their target; {len(comparison.base_only) + len(comparison.new_only)} on one side only"
    )


def chart(comparison: Comparison, path: Path) -> None:
    """Horizontal bars of the new/base ratios per cell: epoch time, first epoch, peak RSS."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    labels = [f"{c.cell[0]}/{c.cell[1]}/{c.cell[2]} ({c.verdict})" for c in comparison.changes]
    series = {
        "epoch time (verdict)": [c.ratio for c in comparison.changes],
        "first epoch": [c.first_ratio for c in comparison.changes],
        "peak RSS": [c.memory_ratio for c in comparison.changes],
    }
    fig, ax = plt.subplots(figsize=(8, 1.8 + 0.55 * max(1, len(labels))))
    positions = np.arange(len(labels))
    height = 0.8 / len(series)
    for i, (name, values) in enumerate(series.items()):
        ax.barh(positions + (i - 1) * height, [np.nan if v is None else v for v in values], height, label=name)
    ax.axvline(1.0, color="grey", linestyle="--")
    ax.set_yticks(positions, labels, fontsize=8)
    ax.invert_yaxis()
    ax.set_xlabel("new / base (below 1: faster or leaner)")
    ax.set_title(f"{comparison.new_dir.name} against {comparison.base_dir.name}")
    fig.legend(fontsize=8, loc="lower center", ncol=len(series), frameon=False)
    fig.tight_layout(rect=(0, 0.35 / fig.get_figheight(), 1, 1))  # room for the legend below
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_write(path, "wb") as f:
        fig.savefig(f, format="png", dpi=110)
    plt.close(fig)


def write(comparison: Comparison, out_dir: Path) -> list[Path]:
    """Write compare.md and charts/compare.png into ``out_dir``; return their paths."""
    out_dir = Path(out_dir)
    picture = out_dir / "charts" / "compare.png"
    if comparison.changes:
        chart(comparison, picture)
    header, body = rows(comparison)
    text = render.template("compare.md.j2").render(
        comparison=comparison,
        rule=noise.RULE,
        header=header,
        rows=body,
        summary=summary(comparison),
        flagged=flagged_lines(comparison),
        one_side=_one_side_lines(comparison),
        picture=picture.name if comparison.changes else None,
    )
    with atomic_write(out_dir / "compare.md", "w") as f:
        f.write(render.tidy(text))
    return [out_dir / "compare.md"] + ([picture] if comparison.changes else [])
