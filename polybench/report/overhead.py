"""The shared loop's own cost: its epoch time over the framework's own loop's (mode idiomatic).

Per (model, framework) and shared-loop mode (eager, graph): shared / idiomatic epoch time,
the steady-state epochs when both runs have them, else the first (only) epoch, which then
includes warm-up and compilation. Above 1: the shared loop is slower than the framework's
own. Whether a ratio is inside the noise follows the noise rule (noise.RULE, printed in
the report).
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from polybench.probes import Form, Probe  # noqa: E402
from polybench.records import Record  # noqa: E402
from polybench.report import noise  # noqa: E402
from polybench.report.charts import COLORS  # noqa: E402

SHARED_MODES = ("eager", "graph")
COLUMNS = [
    "model",
    "framework",
    "mode",
    "ratio",
    "epochs",
    "noise",
    "shared_noise",
    "idiomatic_noise",
    "verdict",
    "cause",
]


def _epoch_figure(shared: pd.Series, idiomatic: pd.Series) -> tuple[str, str]:
    """The epoch-time column both runs have, and how to name it."""
    if pd.notna(shared.steady_epoch_seconds) and pd.notna(idiomatic.steady_epoch_seconds):
        return "steady_epoch_seconds", "steady"
    return "first_epoch_seconds", "first (only)"


def _verdict(shared: list[Record], idiomatic: list[Record]) -> str:
    """What the shared loop's epoch times say against the framework's own loop's, by the noise rule."""
    which = noise.measure(shared, idiomatic)
    diff = noise.differ(noise.times(idiomatic, which), noise.times(shared, which))
    if not diff.judged:
        return diff.why
    return "inside the noise" if diff.direction == 0 else _direction(diff.ratio)


def _cause(shared: pd.Series, idiomatic: pd.Series) -> str | None:
    """A difference between the two runs that their records show and that changes the step's
    speed, else None: the compiler (its name or options) of the shared step and of the
    framework's own loop differ. Records without a compiler have no recorded cause."""
    shared_compiler, own_compiler = shared.get("compiler"), idiomatic.get("compiler")
    if pd.isna(shared_compiler) or pd.isna(own_compiler) or shared_compiler == own_compiler:
        return None
    shared_part = "was not compiled" if shared_compiler == "none" else f"was compiled by {shared_compiler}"
    own_part = "was not compiled" if own_compiler == "none" else f"by {own_compiler}"
    return f"the shared step {shared_part}, the framework's own loop {own_part}"


def _direction(ratio: float) -> str:
    return "shared loop slower" if ratio > 1 else "shared loop faster"


def overhead_table(table: pd.DataFrame, cells: dict[tuple[str, str, str], list[Record]]) -> pd.DataFrame:
    """One row per (model, framework, shared mode) whose shared and idiomatic cells both have
    ok runs: the epoch-time ratio shared / idiomatic, which epochs it compares, the combined
    relative noise sqrt(n_shared² + n_idiomatic²) and the verdict (``cells``: each cell's records)."""
    ok = table[table.ok > 0].set_index(["model", "framework", "mode"])
    rows = []
    for (model, framework, mode), shared in ok.iterrows():
        if mode not in SHARED_MODES or (model, framework, "idiomatic") not in ok.index:
            continue
        idiomatic = ok.loc[(model, framework, "idiomatic")]
        column, epochs = _epoch_figure(shared, idiomatic)
        ratio = shared[column] / idiomatic[column]
        noise_width = np.hypot(shared.epoch_noise, idiomatic.epoch_noise)
        rows.append(
            [
                model,
                framework,
                mode,
                ratio,
                epochs,
                noise_width,
                shared.epoch_noise,
                idiomatic.epoch_noise,
                _verdict(cells[(model, framework, mode)], cells[(model, framework, "idiomatic")]),
                _cause(shared, idiomatic),
            ]
        )
    return pd.DataFrame(rows, columns=COLUMNS)


def rows(overhead: pd.DataFrame) -> list[list[str]]:
    """The report table's rows: model, framework, mode, ratio, epochs compared, noise, verdict."""

    def pct(value) -> str:
        return "–" if pd.isna(value) else f"±{value:.1%}"

    return [
        [r.model, r.framework, r.mode, f"{r.ratio:.2f}", r.epochs, pct(r.noise), r.verdict]
        for r in overhead.itertuples()
    ]


def _ms(form: Form) -> str:
    low, high = min(form.ms), max(form.ms)
    return f"{np.median(form.ms):.3g} ms [{low:.3g}–{high:.3g}]"


def probe_finding(probe: Probe) -> str:
    """What one per-step probe measured: the shared step against the framework's own loop's by
    the noise rule (one figure per repeat on each side), and any variant that comes within the
    noise of the own loop where the shared step does not (what closes the gap)."""
    shared, own = probe.loop("shared"), probe.loop("idiomatic")
    head = (
        f"per-step probe of {probe.framework}/{probe.model} ({probe.tool}, {probe.taken_at}"
        f"{f', commit {probe.commit[:7]}' if probe.commit else ''}, {probe.steps}, "
        f"machine {'busy' if probe.busy else 'quiet'}): "
    )
    if shared is None or own is None:
        return head + "; ".join(f"{form.name} {_ms(form)} ({form.what})" for form in probe.forms)
    times = [noise.Times("ms per step", form.ms, probe.busy) for form in (own, shared)]
    diff = noise.differ(*times)
    verdict = diff.why if not diff.judged else ("inside the noise" if diff.direction == 0 else _direction(diff.ratio))
    parts = [f"own loop {_ms(own)}, shared step {_ms(shared)}: {diff.ratio:.2f}× ({verdict}; {diff.why})"]
    if diff.direction == 0:
        parts.append("per step the two loops do not differ, so the epoch gap is the machine's noise")
    elif diff.direction == 1:
        closing = [
            form
            for form in probe.forms
            if form.loop is None and noise.differ(times[0], noise.Times("ms per step", form.ms)).direction == 0
        ]
        if closing:
            parts.append("the gap closes with " + ", ".join(f"{f.name} ({f.what}, {_ms(f)})" for f in closing))
        else:
            others = [f"{f.name} {_ms(f)}" for f in probe.forms if f.loop is None]
            parts.append("no variant closes it" + (f" ({', '.join(others)})" if others else ""))
    return head + "; ".join(parts)


def paragraph(overhead: pd.DataFrame, probes: list[Probe] = ()) -> str:
    """A summary generated from the ratios: the best shared mode per cell against 1.05, with
    the latest per-step probe (a report input, see polybench.probes) of each cell above it."""
    if overhead.empty:
        return (
            "No (model, framework) cell has both an idiomatic run and a shared-loop run that finished: "
            "run `--mode all` (or idiomatic beside eager/graph) to measure the shared loop's cost."
        )
    best = overhead.loc[overhead.groupby(["model", "framework"], sort=False).ratio.idxmin()]
    within = best[best.ratio <= 1.05]
    parts = [
        f"In its best shared-loop mode, the shared loop came within 1.05× of the framework's own loop in "
        f"{len(within)} of {len(best)} (model, framework) cells (median best ratio {best.ratio.median():.2f})."
    ]
    over = best[best.ratio > 1.05].sort_values("ratio", ascending=False)
    if len(over):
        parts.append(
            "Above 1.05: "
            + ", ".join(f"{r.framework}/{r.model} {r.ratio:.2f} ({r.mode}; {r.verdict})" for r in over.itertuples())
            + "."
        )
        # A cell's recorded cause may sit in its other shared mode (graph compiled while eager is
        # its best mode), so every mode of the cells above 1.05 is looked at.
        over_cells = set(zip(over.model, over.framework, strict=True))
        caused = [r for r in overhead.itertuples() if pd.notna(r.cause) and (r.model, r.framework) in over_cells]
        if caused:
            parts.append(
                "Recorded cause: "
                + "; ".join(f"{r.framework}/{r.model} ({r.mode} {r.ratio:.2f}): {r.cause}" for r in caused)
                + "."
            )
        latest = {(p.model, p.framework): p for p in probes}  # oldest first: the latest wins
        probed = [latest[(r.model, r.framework)] for r in over.itertuples() if (r.model, r.framework) in latest]
        if probed:
            parts.append("Measured: " + "; ".join(probe_finding(p) for p in probed) + ".")
        explained = {(r.model, r.framework) for r in caused} | {(p.model, p.framework) for p in probed}
        unexplained = [
            r
            for r in over.itertuples()
            if (r.model, r.framework) not in explained and r.verdict == "shared loop slower"
        ]
        if unexplained:
            parts.append(
                "No cause is recorded for "
                + ", ".join(f"{r.framework}/{r.model} ({r.mode})" for r in unexplained)
                + ": their records show no compilation difference between the two loops, and no per-step probe "
                "(tools/loop_forms.py --out RUN_FOLDER) is in the run folder."
            )
    if (overhead.epochs != "steady").any():
        parts.append("Cells compared on their only epoch include warm-up and compilation on both sides.")
    return " ".join(parts)


def chart(overhead: pd.DataFrame, path: Path) -> None:
    """Shared / idiomatic epoch time per model: one bar per (framework, shared mode), log scale,
    with the combined within-run noise (± one standard deviation over the median) as error bars."""
    models = list(dict.fromkeys(overhead.model))
    cells = list(dict.fromkeys(zip(overhead.framework, overhead["mode"], strict=True)))
    width = 0.8 / max(len(cells), 1)
    fig, ax = plt.subplots(figsize=(max(6, 1.6 * len(models)), 4))
    for i, (framework, mode) in enumerate(cells):
        sub = overhead[(overhead.framework == framework) & (overhead["mode"] == mode)].set_index("model")
        sub = sub.reindex(models)
        x = np.arange(len(models)) + (i - (len(cells) - 1) / 2) * width
        ratio = sub.ratio.to_numpy(dtype=float)
        band = sub.noise.to_numpy(dtype=float)
        errors = np.vstack([ratio - ratio * np.exp(-band), ratio * np.exp(band) - ratio])
        ax.bar(
            x,
            np.nan_to_num(ratio),
            width=width,
            color=COLORS.get(framework, "grey"),
            hatch="" if mode == "eager" else "//",
            edgecolor="white",
            label=f"{framework} {mode}",
            yerr=np.nan_to_num(errors),
            capsize=2,
        )
    ax.axhline(1.0, color="black", linewidth=1)
    ax.axhline(1.05, color="grey", linewidth=1, linestyle="--")
    ax.set_yscale("log")
    ax.set_xticks(np.arange(len(models)), models, rotation=20)
    ax.set_ylabel("shared loop / idiomatic epoch time")
    ax.set_title("Above 1: the shared loop is slower than the framework's own (dashed: 1.05)")
    ax.legend(fontsize=7, ncol=2)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
