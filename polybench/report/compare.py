"""`polybench compare BASE NEW`: two run folders set against each other, cell by cell.

Reads records only (the latest per cell, as the report does). A cell is (model, framework, mode)
at one profile. For every cell in both folders: the test metric, steady and first epoch time and
peak memory, base and new, a speed verdict that takes the noise into account (NOISE_RULE, which
compare.md prints and README repeats), the environment differences that could explain a change,
and the cells found on one side only.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from pathlib import Path

import numpy as np
import pandas as pd

from polybench import records
from polybench.atomic import atomic_write
from polybench.frameworks import FRAMEWORKS
from polybench.report.frame import interval
from polybench.report.markdown import fmt, markdown_table
from polybench.specs import SPECS

CELL = ("model", "framework", "mode", "profile")
#: Relative change taken as real when a cell has no noise estimate (one seed, one epoch).
TOLERANCE = 0.10
NOISE_RULE = (
    "The speed verdict compares the steady-state epoch time (median of epochs 2..n; the first epoch "
    "when a run has only one). Noise: when the cell has two or more ok seeds on both sides, the "
    "seeds' values; otherwise the steady-state epochs of each side's runs (pooled over its seeds). "
    "Each side gets the 95% t-interval of the mean of those values: **slower** when the new "
    "interval lies wholly above the base one, **faster** when wholly below, **unchanged** when "
    "they overlap. With fewer than two values on a side (one seed of one epoch) there is no noise "
    f"estimate: a change beyond ±{TOLERANCE:.0%} counts, marked 'no noise estimate'. A cell "
    "**loses its target** when the base met it and the new run does not (or did not finish)."
)
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
class Speed:
    """One side's speed figure for a cell: the central value and the values its noise comes from."""

    value: float | None
    samples: tuple[float, ...]
    source: str  # "seeds", "steady epochs" or "" (no noise estimate)

    def bounds(self) -> tuple[float, float]:
        return interval(pd.Series(self.samples, dtype=float)) if len(self.samples) >= 2 else (np.nan, np.nan)


@dataclasses.dataclass(frozen=True)
class CellChange:
    """Base against new for one cell present in both folders."""

    cell: tuple[str, str, str, str]
    measure: str  # "steady epoch" or "first epoch"
    base: Speed
    new: Speed
    noise: str
    verdict: str  # "faster", "slower", "unchanged" or "not timed"
    first_ratio: float | None
    memory_ratio: float | None
    metric: str
    metric_base: float | None
    metric_new: float | None
    lost_target: bool

    @property
    def ratio(self) -> float | None:
        return _ratio(self.new.value, self.base.value)

    @property
    def regression(self) -> bool:
        return self.verdict == "slower" or self.lost_target


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


def cells(run_dir: Path) -> dict[tuple, list[dict]]:
    """A run folder's latest records grouped by cell."""
    grouped: dict[tuple, list[dict]] = {}
    for record in records.latest(records.read_records([Path(run_dir)]))[0]:
        grouped.setdefault(tuple(record[k] for k in CELL), []).append(record)
    return grouped


def _ok(recs: list[dict]) -> list[dict]:
    return [r for r in recs if r["status"] == "ok"]


def speed(recs: list[dict], measure: str, by_seeds: bool) -> Speed:
    """A side's central value of ``measure`` and the values for its noise (see NOISE_RULE)."""
    ok = _ok(recs)
    field = "steady_epoch_seconds" if measure == "steady epoch" else "first_epoch_seconds"
    value = _median(r[field] for r in ok)
    if by_seeds:
        return Speed(value, tuple(r[field] for r in ok if r[field] is not None), "seeds")
    epochs = tuple(row["seconds"] for r in ok for row in r["epochs"][1:]) if measure == "steady epoch" else ()
    return Speed(value, epochs, "steady epochs") if len(epochs) >= 2 else Speed(value, (), "")


def verdict(base: Speed, new: Speed) -> tuple[str, str]:
    """(verdict, the noise it was judged against) for two sides' speeds."""
    if base.value is None or new.value is None:
        return "not timed", "–"
    if len(base.samples) >= 2 and len(new.samples) >= 2:
        (base_low, base_high), (new_low, new_high) = base.bounds(), new.bounds()
        noise = f"{base.source} (n={len(base.samples)}/{len(new.samples)}), 95% intervals"
        if new_low > base_high:
            return "slower", noise
        if new_high < base_low:
            return "faster", noise
        return "unchanged", noise
    ratio = new.value / base.value
    noise = f"no noise estimate (±{TOLERANCE:.0%})"
    return ("slower" if ratio > 1 + TOLERANCE else "faster" if ratio < 1 / (1 + TOLERANCE) else "unchanged"), noise


def _met(recs: list[dict]) -> bool:
    ok = _ok(recs)
    return bool(ok) and sum(bool(r["target_met"]) for r in ok) * 2 > len(ok)  # most seeds met it


def change(cell: tuple, base_recs: list[dict], new_recs: list[dict]) -> CellChange:
    """Base against new for one cell."""
    base_ok, new_ok = _ok(base_recs), _ok(new_recs)
    steady = all(r["steady_epoch_seconds"] is not None for r in base_ok + new_ok) and base_ok and new_ok
    measure = "steady epoch" if steady else "first epoch"
    by_seeds = len(base_ok) >= 2 and len(new_ok) >= 2
    base, new = speed(base_recs, measure, by_seeds), speed(new_recs, measure, by_seeds)
    judged, noise = verdict(base, new)
    first = [_median(r["first_epoch_seconds"] for r in ok) for ok in (base_ok, new_ok)]
    memory = [_median(r["peak_rss_bytes"] for r in ok) for ok in (base_ok, new_ok)]
    return CellChange(
        cell,
        measure,
        base,
        new,
        noise,
        judged,
        _ratio(first[1], first[0]),
        _ratio(memory[1], memory[0]),
        (base_recs + new_recs)[0]["metric"],
        _median(r["test_metric"] for r in base_ok),
        _median(r["test_metric"] for r in new_ok),
        _met(base_recs) and not _met(new_recs),
    )


def _environment(recs: list[dict]) -> dict:
    """The most common value of each environment field among a framework's records, and the
    packages of the latest record that lists them."""
    env = {}
    for field in ENV_FIELDS:
        values = [
            str(r.get(field) if field in ("device", "gpu_name") else (r.get("environment") or {}).get(field))
            for r in recs
        ]
        env[field] = Counter(values).most_common(1)[0][0] if values else "None"
    listed = sorted(
        (r for r in recs if (r.get("environment") or {}).get("packages")), key=lambda r: r.get("finished_at") or ""
    )
    env["packages"] = listed[-1]["environment"]["packages"] if listed else {}
    return env


def environment_differences(base: dict[tuple, list[dict]], new: dict[tuple, list[dict]]) -> list[str]:
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
        verdict_text = c.verdict + ("; target lost" if c.lost_target else "")
        out.append(
            [
                *c.cell[:3],
                f"{c.metric} {fmt(c.metric_base)} → {fmt(c.metric_new)}",
                f"{fmt(c.base.value, '.3f')} → {fmt(c.new.value, '.3f')} ({c.measure})",
                fmt(c.ratio, ".3f"),
                fmt(c.first_ratio, ".3f"),
                fmt(c.memory_ratio, ".3f"),
                c.noise,
                verdict_text,
            ]
        )
    return header, out


def terminal_table(comparison: Comparison) -> str:
    """The comparison as fixed-width text, with the one-side cells and a verdict line."""
    header, body = rows(comparison)
    table = [header] + body
    widths = [max(len(row[i]) for row in table) for i in range(len(header))]
    lines = ["  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)).rstrip() for row in table]
    lines += _one_side_lines(comparison) + [summary(comparison)]
    return "\n".join(lines)


def _one_side_lines(comparison: Comparison) -> list[str]:
    def name(cell):
        return f"{cell[0]}/{cell[1]}/{cell[2]} ({cell[3]})"

    lines = []
    if comparison.base_only:
        lines.append(f"only in base ({len(comparison.base_only)}): " + ", ".join(map(name, comparison.base_only)))
    if comparison.new_only:
        lines.append(f"only in new ({len(comparison.new_only)}): " + ", ".join(map(name, comparison.new_only)))
    return lines


def summary(comparison: Comparison) -> str:
    """One line: how many cells were faster, slower, unchanged; targets lost."""
    counts = Counter(c.verdict for c in comparison.changes)
    lost = sum(c.lost_target for c in comparison.changes)
    return (
        f"{len(comparison.changes)} cells in both: {counts['faster']} faster, {counts['slower']} slower, "
        f"{counts['unchanged']} unchanged"
        + (f", {counts['not timed']} not timed" if counts["not timed"] else "")
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
    one_side = _one_side_lines(comparison)
    lines = [
        "# polybench compare",
        "",
        f"Base: {comparison.base_dir}. New: {comparison.new_dir}. Ratios are new / base (below 1: faster or leaner).",
        "",
        NOISE_RULE,
        "",
        "## Cells",
        "",
        markdown_table(*rows(comparison)),
        "",
        summary(comparison) + ".",
        "",
        "## Environment differences",
        "",
        *(comparison.environment or ["No framework ran in both folders."]),
        "",
        "## Cells on one side only",
        "",
        *(f"- {line}" for line in one_side or ["none"]),
        "",
    ]
    if comparison.changes:
        lines += ["## Chart", "", f"![compare](charts/{picture.name})", ""]
    with atomic_write(out_dir / "compare.md", "w") as f:
        f.write("\n".join(lines))
    return [out_dir / "compare.md"] + ([picture] if comparison.changes else [])
