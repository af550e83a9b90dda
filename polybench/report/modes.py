"""Imperative vs symbolic: graph/eager ratios per framework × model, a chart and a paragraph.

The claim under test: define-and-run (graph) programs are faster and leaner than
define-by-run (eager) ones. A ratio below 1 means graph mode is faster (or leaner).
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from polybench.report.charts import COLORS  # noqa: E402
from polybench.specs import lstm_models  # noqa: E402

RATIOS = {"steady": "steady_epoch_seconds", "first": "first_epoch_seconds", "memory": "peak_rss_bytes"}


def ratio_table(table: pd.DataFrame) -> pd.DataFrame:
    """One row per (model, framework) that has both modes ok: graph/eager ratios of the
    steady-state epoch, the first epoch and peak host memory, plus the compile cost
    (first graph epoch minus its steady epoch, in seconds)."""
    ok = table[table.ok > 0]
    eager = ok[ok["mode"] == "eager"].set_index(["model", "framework"])
    graph = ok[ok["mode"] == "graph"].set_index(["model", "framework"])
    both = eager.index.intersection(graph.index)
    if both.empty:
        return pd.DataFrame(columns=["model", "framework", *RATIOS, "compile_seconds"])
    out = pd.DataFrame(index=both)
    for name, column in RATIOS.items():
        out[name] = graph.loc[both, column] / eager.loc[both, column]
    out["compile_seconds"] = graph.loc[both, "first_epoch_seconds"] - graph.loc[both, "steady_epoch_seconds"]
    out["compile_share"] = out["compile_seconds"] / graph.loc[both, "steady_epoch_seconds"]
    return out.reset_index()


def missing_lines(frame: pd.DataFrame) -> list[str]:
    """One line per (model, framework) that finished in one mode but not in the other, with
    the other mode's status and reason: the cells the ratio table cannot show."""
    lines = []
    for (model, framework), cell in frame.groupby(["model", "framework"], sort=False):
        ok_modes = set(cell.loc[cell.status == "ok", "mode"])
        if len(ok_modes) != 1 or cell["mode"].nunique() < 2:
            continue
        for r in cell[~cell["mode"].isin(ok_modes)].drop_duplicates("mode").itertuples():
            reason = f": {r.error}" if isinstance(r.error, str) and r.error else ""
            lines.append(
                f"{framework}/{model} ran in {next(iter(ok_modes))} mode only; {r.mode} mode was {r.status}{reason}"
            )
    return lines


def time_ratio(ratios: pd.DataFrame) -> tuple[str, str]:
    """Which epoch-time ratio to compare: the steady state, or the first epoch when the runs
    had only one (the quick profile); and how to name it."""
    if ratios.steady.notna().any():
        return "steady", "steady state"
    return "first", "first (only) epoch"


def chart(ratios: pd.DataFrame, path: Path) -> None:
    """Steady-state (or only-epoch) time graph/eager per model, one bar per framework (log scale)."""
    column, label = time_ratio(ratios)
    models = list(dict.fromkeys(ratios.model))
    frameworks = list(dict.fromkeys(ratios.framework))
    width = 0.8 / max(len(frameworks), 1)
    fig, ax = plt.subplots(figsize=(max(6, 1.4 * len(models)), 3.8))
    for i, framework in enumerate(frameworks):
        sub = ratios[ratios.framework == framework].set_index("model").reindex(models)
        x = np.arange(len(models)) + (i - (len(frameworks) - 1) / 2) * width
        ax.bar(x, sub[column].fillna(0), width=width, color=COLORS.get(framework, "grey"), label=framework)
    ax.axhline(1.0, color="black", linewidth=1)
    ax.set_yscale("log")
    ax.set_xticks(np.arange(len(models)), models, rotation=20)
    ax.set_ylabel(f"graph / eager epoch time ({label})")
    ax.set_title("Below 1: graph mode is faster")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def paragraph(ratios: pd.DataFrame) -> str:
    """What the numbers say about the claim, generated from them."""
    if ratios.empty:
        return "No (model, framework) cell has both an eager and a graph run that finished."
    column, label = time_ratio(ratios)
    parts = []
    if column == "first":
        parts.append("The runs had one epoch each, so the times compared include compilation and warm-up.")
    faster = ratios[ratios[column] < 1]
    parts.append(
        f"Graph mode was faster in the {label} in {len(faster)} of {len(ratios)} cells"
        f" (median ratio {ratios[column].median():.2f})."
    )
    per_framework = ratios.groupby("framework", sort=False)[column].median().dropna().sort_values()
    parts.append(
        f"Median ratio by framework ({label}): " + ", ".join(f"{fw} {r:.2f}" for fw, r in per_framework.items()) + "."
    )
    lstm = ratios[ratios.model.isin(lstm_models())]
    if len(lstm) and lstm[column].notna().any():
        best = lstm.groupby("framework")[column].median().dropna().sort_values()
        parts.append(f"On the LSTM tasks {best.index[0]} gains most (median ratio {best.iloc[0]:.2f}).")
    compile_cost = ratios.dropna(subset=["compile_share"]).sort_values("compile_share", ascending=False)
    if len(compile_cost) and compile_cost.iloc[0].compile_share > 0:
        top = compile_cost.iloc[0]
        parts.append(
            f"The largest compile cost, relative to the epoch, is {top.framework} on {top.model}: its "
            f"first graph epoch takes {top.compile_seconds:.1f} s longer than its steady epochs "
            f"(+{top.compile_share:.0%}; {top['first']:.2f}× the eager first epoch)."
        )
    noise = ratios[ratios.compile_seconds <= 0]
    if len(noise):
        parts.append(
            f"In {len(noise)} cell(s) the first graph epoch was no slower than the steady ones: there "
            "the compile cost is below the epoch-to-epoch noise."
        )
    leaner = ratios[ratios.memory < 1]
    parts.append(
        f"Graph mode used less peak host memory in {len(leaner)} of {len(ratios)} cells "
        f"(median ratio {ratios.memory.median():.2f}); the claim of faster and leaner holds where both "
        "ratios are below 1: "
        + (
            ", ".join(
                f"{r.framework}/{r.model}" for r in ratios.itertuples() if getattr(r, column) < 1 and r.memory < 1
            )
            or "nowhere"
        )
        + "."
    )
    return " ".join(parts)
