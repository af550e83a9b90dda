"""Charts of a report: one PNG per figure, one panel per model, one colour per framework."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.patches import Patch  # noqa: E402
from matplotlib.ticker import FuncFormatter  # noqa: E402

from polybench import frameworks  # noqa: E402
from polybench.frameworks import FRAMEWORKS  # noqa: E402
from polybench.records import Record  # noqa: E402
from polybench.report.frame import MIB  # noqa: E402

COLORS = {fw: f"C{i}" for i, fw in enumerate(FRAMEWORKS)}


def figure(value: float) -> str:
    """A chart label as a reader writes it: 1,453 and 27.5 and 0.982, never 1.45e+03."""
    if value is None or np.isnan(value):
        return "n/a"
    if abs(value) >= 100:
        return f"{value:,.0f}"
    if abs(value) >= 10:
        return f"{value:.1f}"
    return f"{value:.3g}"


#: Axis ticks with thousands separators.
TICKS = FuncFormatter(lambda value, _: f"{value:,.0f}" if abs(value) >= 100 else f"{value:g}")


def _systems(table: pd.DataFrame) -> dict[str, str]:
    """Each framework of ``table`` (registry order) and the system it ran, with versions."""
    systems = table.system if "system" in table else pd.Series([""] * len(table), index=table.index)
    found: dict[str, str] = {}
    for framework, system in zip(table.framework, systems.fillna(""), strict=True):
        if system or framework not in found:
            found[framework] = system
    return found


def _finish(fig, systems: dict[str, str]) -> None:
    """Lay the figure out with a legend below it naming each framework's colour, system and versions
    (registry order), the figure made taller by the legend's rows."""
    order = {fw: i for i, fw in enumerate(FRAMEWORKS)}
    names = sorted(systems, key=lambda fw: order.get(fw, len(order)))
    labels = [f"{fw}: {systems[fw]}" if systems[fw] else fw for fw in names]
    width = max((len(label) for label in labels), default=1) * 0.065 + 0.5  # inches at fontsize 8
    columns = max(1, min(len(labels), int(fig.get_figwidth() // width)))
    height = 0.15 + 0.2 * -(-len(labels) // columns)
    fig.set_figheight(fig.get_figheight() + height)
    handles = [Patch(color=COLORS.get(fw, "grey")) for fw in names]
    fig.legend(handles, labels, loc="lower center", ncol=columns, fontsize=8, frameon=False)
    fig.tight_layout(rect=(0, height / fig.get_figheight(), 1, 1))  # the legend below the panels


def _label(row, modes: int) -> str:
    return row.framework if modes == 1 else f"{row.framework}\n{row.mode}"


def _model_axes(table: pd.DataFrame, title: str):
    """One panel per model of the table; panels holding many bars (frameworks × modes) get
    wider and fewer per row, so their labels stay readable."""
    models = list(dict.fromkeys(table.model))
    bars = int(table.groupby("model").size().max())
    cols = min(len(models), 4 if bars <= 5 else 2)
    rows = -(-len(models) // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(max(4.2, 0.85 * bars) * cols, 3.6 * rows), squeeze=False)
    for ax in axes.flat[len(models) :]:
        ax.set_visible(False)
    fig.suptitle(title)
    return fig, dict(zip(models, axes.flat, strict=False))  # more axes than models: the rest are hidden


def _bars(ax, table: pd.DataFrame, column: str, scale: float = 1.0, modes: int = 1, **style) -> None:
    labels = [_label(r, modes) for r in table.itertuples()]
    values = table[column].astype(float) / scale
    bars = ax.bar(labels, values.fillna(0), color=[COLORS.get(f, "grey") for f in table.framework], **style)
    ax.yaxis.set_major_formatter(TICKS)
    for bar, value in zip(bars, values, strict=True):
        ax.annotate(
            figure(value),
            (bar.get_x() + bar.get_width() / 2, bar.get_height()),
            ha="center",
            va="bottom",
            fontsize=8,
        )


def chart_metric(table: pd.DataFrame, path: Path) -> None:
    """Test metric per model, one bar per framework, with the target."""
    modes = table["mode"].nunique()
    fig, axes = _model_axes(table, "Test metric (mean over seeds; dashed: full-profile target)")
    for model, ax in axes.items():
        sub = table[table.model == model]
        first = sub.iloc[0]
        _bars(ax, sub, "test_metric", modes=modes)
        ax.axhline(first.target, color="grey", linestyle="--")
        ax.set_title(
            f"{model}: {first.metric} ({'higher' if first.higher_is_better else 'lower'} is better)", fontsize=10
        )
        if first.higher_is_better and sub.test_metric.notna().any():
            low = min(sub.test_metric.min(), first.target)
            ax.set_ylim(max(0.0, low - (1 - low) * 0.5), 1.0 if low <= 1 else None)
    _finish(fig, _systems(table))
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _paired_bars(table: pd.DataFrame, path: Path, title: str, pair: tuple[tuple[str, dict], ...], unit: str) -> None:
    """Two bars per cell (left and right of its tick), one panel per model, each bar labelled;
    ``pair`` is each bar's column and style; values are divided into ``unit`` (seconds: 1; MiB)."""
    modes = table["mode"].nunique()
    fig, axes = _model_axes(table, title)
    for model, ax in axes.items():
        sub = table[table.model == model].reset_index(drop=True)
        x = np.arange(len(sub))
        colors = [COLORS.get(f, "grey") for f in sub.framework]
        for offset, (column, style) in zip((-0.2, 0.2), pair, strict=True):
            values = sub[column].astype(float) / (MIB if unit == "MiB" else 1)
            ax.bar(x + offset, values.fillna(0), width=0.4, color=colors, **style)
            for i, value in enumerate(values):
                position = (i + offset, 0 if np.isnan(value) else value)
                ax.annotate(figure(value), position, ha="center", va="bottom", fontsize=7)
        ax.set_xticks(x, [_label(r, modes) for r in sub.itertuples()])
        ax.yaxis.set_major_formatter(TICKS)
        ax.set_title(model, fontsize=10)
        ax.set_ylabel(unit)
    _finish(fig, _systems(table))
    fig.savefig(path, dpi=110)
    plt.close(fig)


def chart_epoch_time(table: pd.DataFrame, path: Path) -> None:
    """First-epoch and steady-state epoch seconds per model and framework."""
    _paired_bars(
        table,
        path,
        "Epoch time, seconds (light: first epoch incl. warm-up; dark: steady state)",
        (("first_epoch_seconds", {"alpha": 0.4}), ("steady_epoch_seconds", {})),
        "seconds",
    )


def chart_memory(table: pd.DataFrame, path: Path) -> None:
    """Peak host RSS per model and framework (GPU memory has its own chart, chart_gpu_memory)."""
    modes = table["mode"].nunique()
    fig, axes = _model_axes(table, "Peak host memory during training (RSS), MiB")
    for model, ax in axes.items():
        _bars(ax, table[table.model == model], "peak_rss_bytes", scale=MIB, modes=modes)
        ax.set_title(model, fontsize=10)
        ax.set_ylabel("MiB")
    _finish(fig, _systems(table))
    fig.savefig(path, dpi=110)
    plt.close(fig)


def has_gpu_memory(table: pd.DataFrame) -> bool:
    """Whether any cell measured GPU memory."""
    return bool(table.gpu_peak_nvml_bytes.notna().any() or table.gpu_peak_framework_bytes.notna().any())


def chart_gpu_memory(table: pd.DataFrame, path: Path) -> None:
    """Peak GPU memory per model and framework, apart from host memory: the framework's own
    allocator peak (solid) beside what NVML saw the process hold (hatched)."""
    _paired_bars(
        table,
        path,
        "Peak GPU memory, MiB (solid: the framework's own peak; hatched: NVML)",
        (
            ("gpu_peak_framework_bytes", {}),
            ("gpu_peak_nvml_bytes", {"hatch": "//", "alpha": 0.55, "edgecolor": "white"}),
        ),
        "MiB",
    )


def chart_all(table: pd.DataFrame, recs: list[Record], charts_dir: Path) -> list[Path]:
    """The charts every report has: test metric, epoch time, host memory (and GPU memory where
    measured), learning curves per model. Returns their paths."""
    written = [charts_dir / "test_metric.png", charts_dir / "epoch_time.png", charts_dir / "peak_memory.png"]
    chart_metric(table, written[0])
    chart_epoch_time(table, written[1])
    chart_memory(table, written[2])
    if has_gpu_memory(table):
        written.append(charts_dir / "gpu_memory.png")
        chart_gpu_memory(table, written[-1])
    for model in dict.fromkeys(table.model):
        written.append(charts_dir / f"curves_{model}.png")
        chart_curves(recs, model, written[-1])
    return written


def chart_curves(recs: list[Record], model: str, path: Path) -> None:
    """Validation metric and training loss per epoch, one line per framework (and seed)."""
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 3.6))
    runs = [r for r in recs if r.model == model and r.epochs]
    for r in runs:
        epochs = [row.epoch for row in r.epochs]
        style = dict(
            color=COLORS.get(r.framework, "grey"),
            marker="o",
            markersize=3,
            label=f"{r.framework} {r.mode_label} s{r.seed}",
            linestyle="-" if r.status == "ok" else ":",
        )
        left.plot(epochs, [np.nan if row.val_metric is None else row.val_metric for row in r.epochs], **style)
        right.plot(epochs, [np.nan if row.train_loss is None else row.train_loss for row in r.epochs], **style)
    if runs:
        if runs[0].target is not None:
            left.axhline(runs[0].target, color="grey", linestyle="--", label="target")
        left.set_ylabel(f"validation {runs[0].metric}")
    right.set_ylabel("training loss")
    for ax in (left, right):
        ax.set_xlabel("epoch")
        if runs:
            ax.legend(fontsize=8)
    fig.suptitle(f"{model}: learning curves")
    systems: dict[str, str] = {}
    for r in runs:
        system = frameworks.system(r.framework, r.environment.get("versions") or {})
        if system or r.framework not in systems:
            systems[r.framework] = system or ""
    _finish(fig, systems)
    fig.savefig(path, dpi=110)
    plt.close(fig)
