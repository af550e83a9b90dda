"""Records -> summary.csv, report.md and charts/*.png. Reads records only; reruns nothing."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from polybench import records  # noqa: E402
from polybench.atomic import atomic_write  # noqa: E402
from polybench.errors import PolybenchError  # noqa: E402
from polybench.frameworks import FRAMEWORKS  # noqa: E402
from polybench.specs import SPECS  # noqa: E402

MIB = 2 ** 20
COLORS = {fw: f"C{i}" for i, fw in enumerate(FRAMEWORKS)}
GROUP = ["model", "framework", "mode"]


def summary_frame(recs: list[dict]) -> pd.DataFrame:
    """One row per record, nested fields flattened."""
    rows = []
    for r in recs:
        env = r.get("environment") or {}
        versions = env.get("versions") or {}
        rows.append({
            "model": r["model"], "framework": r["framework"], "mode": r["mode"], "seed": r["seed"],
            "profile": r["profile"], "device": r["device"], "status": r["status"], "error": r["error"],
            "metric": r["metric"], "higher_is_better": r["metric_higher_is_better"],
            "test_metric": r["test_metric"], "test_loss": r["test_loss"], "target": r["target"],
            "target_met": r["target_met"], "epochs_run": len(r["epochs"]), "batch_size": r["batch_size"],
            "train_samples": r["train_samples"], "first_epoch_seconds": r["first_epoch_seconds"],
            "steady_epoch_seconds": r["steady_epoch_seconds"], "samples_per_second": r["samples_per_second"],
            "train_seconds": r["train_seconds"], "peak_rss_bytes": r["peak_rss_bytes"],
            "gpu_peak_framework_bytes": r["gpu_peak_framework_bytes"],
            "gpu_peak_nvml_bytes": r["gpu_peak_nvml_bytes"], "gpu_name": r["gpu_name"],
            "implementation_loc": r["implementation_loc"], "threads": env.get("threads"),
            "cpu_model": env.get("cpu_model"), "framework_version": versions.get(r["framework"]),
            "commit": env.get("commit"), "started_at": r["started_at"], "finished_at": r["finished_at"],
        })
    frame = pd.DataFrame(rows)
    order = {name: i for i, name in enumerate([*SPECS, *FRAMEWORKS])}
    return frame.sort_values(["model", "framework", "mode", "seed"], key=lambda col: col.map(
        lambda v: (order.get(v, len(order)), str(v)))).reset_index(drop=True)


def aggregate(frame: pd.DataFrame) -> pd.DataFrame:
    """Per (model, framework, mode): medians over the ok runs' seeds, and run counts."""
    ok = frame[frame.status == "ok"]
    numeric = ["test_metric", "first_epoch_seconds", "steady_epoch_seconds", "samples_per_second",
               "peak_rss_bytes", "gpu_peak_framework_bytes", "gpu_peak_nvml_bytes", "implementation_loc"]
    medians = ok.groupby(GROUP, sort=False)[numeric].median()
    counts = frame.groupby(GROUP, sort=False).agg(runs=("status", "size"), ok=("status", lambda s: int((s == "ok").sum())),
                                      metric=("metric", "first"), target=("target", "first"),
                                      higher_is_better=("higher_is_better", "first"))
    table = counts.join(medians).reset_index()
    table["target_met"] = [
        bool(np.isfinite(v) and (v >= t if up else v <= t)) if pd.notna(v) else False
        for v, t, up in zip(table.test_metric, table.target, table.higher_is_better)]
    return table


def _label(row, modes: int) -> str:
    return row.framework if modes == 1 else f"{row.framework}\n{row.mode}"


def _model_axes(models: list[str], title: str):
    cols = min(len(models), 4)
    rows = -(-len(models) // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(4.2 * cols, 3.6 * rows), squeeze=False)
    for ax in axes.flat[len(models):]:
        ax.set_visible(False)
    fig.suptitle(title)
    return fig, dict(zip(models, axes.flat))


def _bars(ax, table: pd.DataFrame, column: str, scale: float = 1.0, modes: int = 1, **style) -> None:
    labels = [_label(r, modes) for r in table.itertuples()]
    values = table[column].astype(float) / scale
    bars = ax.bar(labels, values.fillna(0), color=[COLORS.get(f, "grey") for f in table.framework], **style)
    for bar, value in zip(bars, values):
        ax.annotate("n/a" if np.isnan(value) else f"{value:.3g}", (bar.get_x() + bar.get_width() / 2,
                    bar.get_height()), ha="center", va="bottom", fontsize=8)


def chart_metric(table: pd.DataFrame, path: Path) -> None:
    """Test metric per model, one bar per framework, with the target."""
    models = list(dict.fromkeys(table.model))
    modes = table["mode"].nunique()
    fig, axes = _model_axes(models, "Test metric (median over seeds; dashed: full-profile target)")
    for model, ax in axes.items():
        sub = table[table.model == model]
        first = sub.iloc[0]
        _bars(ax, sub, "test_metric", modes=modes)
        ax.axhline(first.target, color="grey", linestyle="--")
        ax.set_title(f"{model}: {first.metric} ({'higher' if first.higher_is_better else 'lower'} is better)",
                     fontsize=10)
        if first.higher_is_better and sub.test_metric.notna().any():
            low = min(sub.test_metric.min(), first.target)
            ax.set_ylim(max(0.0, low - (1 - low) * 0.5), 1.0 if low <= 1 else None)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def chart_epoch_time(table: pd.DataFrame, path: Path) -> None:
    """First-epoch and steady-state epoch seconds per model and framework."""
    models = list(dict.fromkeys(table.model))
    modes = table["mode"].nunique()
    fig, axes = _model_axes(models, "Epoch time, seconds (light: first epoch incl. warm-up; dark: steady state)")
    for model, ax in axes.items():
        sub = table[table.model == model].reset_index(drop=True)
        x = np.arange(len(sub))
        colors = [COLORS.get(f, "grey") for f in sub.framework]
        ax.bar(x - 0.2, sub.first_epoch_seconds.fillna(0), width=0.4, color=colors, alpha=0.4)
        ax.bar(x + 0.2, sub.steady_epoch_seconds.fillna(0), width=0.4, color=colors)
        for i, (first, steady) in enumerate(zip(sub.first_epoch_seconds, sub.steady_epoch_seconds)):
            for offset, value in ((-0.2, first), (0.2, steady)):
                ax.annotate("n/a" if pd.isna(value) else f"{value:.3g}", (i + offset, 0 if pd.isna(value) else value),
                            ha="center", va="bottom", fontsize=7)
        ax.set_xticks(x, [_label(r, modes) for r in sub.itertuples()])
        ax.set_title(model, fontsize=10)
        ax.set_ylabel("seconds")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def chart_memory(table: pd.DataFrame, path: Path) -> None:
    """Peak host RSS per model and framework, and GPU peaks where measured."""
    models = list(dict.fromkeys(table.model))
    modes = table["mode"].nunique()
    has_gpu = table.gpu_peak_nvml_bytes.notna().any() or table.gpu_peak_framework_bytes.notna().any()
    title = "Peak memory during training, MiB (host RSS" + ("; hatched: GPU, NVML)" if has_gpu else ")")
    fig, axes = _model_axes(models, title)
    for model, ax in axes.items():
        sub = table[table.model == model]
        _bars(ax, sub, "peak_rss_bytes", scale=MIB, modes=modes)
        if has_gpu:
            _bars(ax, sub, "gpu_peak_nvml_bytes", scale=MIB, modes=modes, hatch="//", alpha=0.5)
        ax.set_title(model, fontsize=10)
        ax.set_ylabel("MiB")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def chart_curves(recs: list[dict], model: str, path: Path) -> None:
    """Validation metric and training loss per epoch, one line per framework (and seed)."""
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 3.6))
    runs = [r for r in recs if r["model"] == model and r["epochs"]]
    for r in runs:
        epochs = [row["epoch"] for row in r["epochs"]]
        label = f"{r['framework']} {r['mode']} s{r['seed']}"
        style = dict(color=COLORS.get(r["framework"], "grey"), marker="o", markersize=3, label=label,
                     linestyle="-" if r["status"] == "ok" else ":")
        left.plot(epochs, [row["val_metric"] for row in r["epochs"]], **style)
        right.plot(epochs, [row["train_loss"] for row in r["epochs"]], **style)
    if runs:
        left.axhline(runs[0]["target"], color="grey", linestyle="--", label="target")
        left.set_ylabel(f"validation {runs[0]['metric']}")
    right.set_ylabel("training loss")
    for ax in (left, right):
        ax.set_xlabel("epoch")
        if runs:
            ax.legend(fontsize=8)
    fig.suptitle(f"{model}: learning curves")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _fmt(value, spec: str = ".4f") -> str:
    """``value`` formatted with ``spec``; missing values as an en dash."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return "–"
    return format(value, spec)


def markdown_table(header: list[str], rows: list[list[str]]) -> str:
    """A GitHub-flavoured Markdown table."""
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def results_rows(table: pd.DataFrame) -> tuple[list[str], list[list]]:
    """Header and rows of the results table (shared by report.md and the terminal)."""
    header = ["model", "framework", "mode", "ok/runs", "test metric", "target", "first epoch s",
              "steady epoch s", "samples/s", "peak RSS MiB", "GPU peak MiB (fw / NVML)", "LOC"]
    rows = []
    for r in table.itertuples():
        target = f"{'≥' if r.higher_is_better else '≤'} {r.target} {'met' if r.target_met else 'not met'}"
        gpu = "–" if pd.isna(r.gpu_peak_nvml_bytes) and pd.isna(r.gpu_peak_framework_bytes) else \
            f"{_fmt(r.gpu_peak_framework_bytes / MIB, '.0f')} / {_fmt(r.gpu_peak_nvml_bytes / MIB, '.0f')}"
        rows.append([r.model, r.framework, r.mode, f"{r.ok}/{r.runs}",
                     f"{r.metric} {_fmt(r.test_metric)}", target, _fmt(r.first_epoch_seconds, ".2f"),
                     _fmt(r.steady_epoch_seconds, ".2f"), _fmt(r.samples_per_second, ",.0f"),
                     _fmt(r.peak_rss_bytes / MIB, ".0f"), gpu, _fmt(r.implementation_loc, ".0f")])
    return header, rows


def write_markdown(path: Path, frame: pd.DataFrame, table: pd.DataFrame, charts: list[Path],
                   run_dirs: list[Path]) -> None:
    counts = frame.status.value_counts().to_dict()
    env = frame.iloc[0]
    lines = [
        "# polybench report", "",
        f"Runs from {', '.join(str(d) for d in run_dirs)}: {len(frame)} records "
        f"({', '.join(f'{n} {s}' for s, n in counts.items())}).",
        f"Profile(s): {', '.join(sorted(frame.profile.unique()))}. Device(s): "
        f"{', '.join(sorted(str(d) for d in frame.device.unique()))}. CPU: {env.cpu_model}, "
        f"{env.threads} threads per framework. Commit(s): "
        f"{', '.join(sorted(str(c) for c in frame.commit.dropna().unique())) or 'unknown'}.",
        "",
        "Figures are medians over each cell's ok runs. Epoch times cover training steps only; the "
        "first epoch (warm-up, compilation) is shown apart from the steady state (median of epochs "
        "2..n; – with a single epoch). The target is the spec's full-profile target.",
        "", "## Results", "", markdown_table(*results_rows(table)), "",
    ]
    if not frame.gpu_peak_nvml_bytes.notna().any():
        lines += ["No GPU was used: the GPU memory columns are empty (null in the records).", ""]
    failures = frame[frame.status != "ok"]
    if len(failures):
        lines += ["## Runs that did not finish", ""]
        lines += [f"- {r.model} / {r.framework} / {r.mode} / seed {r.seed}: **{r.status}** — {r.error}"
                  for r in failures.itertuples()]
        lines.append("")
    lines += ["## Charts", ""]
    lines += [f"![{chart.stem}](charts/{chart.name})" for chart in charts]
    with atomic_write(path, "w") as f:
        f.write("\n".join(lines) + "\n")


def build(run_dirs: list[Path], out_dir: Path) -> list[Path]:
    """Write summary.csv, report.md and charts/*.png into ``out_dir``; return their paths."""
    run_dirs = [Path(d) for d in run_dirs]
    for run_dir in run_dirs:
        if not (run_dir / "records").is_dir():
            raise PolybenchError(f"{run_dir}: no records/ folder; pass a run folder made by `polybench run`")
    recs = records.read_records(run_dirs)
    if not recs:
        raise PolybenchError(f"no records in {', '.join(str(d) for d in run_dirs)}; nothing to report")
    out_dir = Path(out_dir)
    charts_dir = out_dir / "charts"
    charts_dir.mkdir(parents=True, exist_ok=True)
    frame = summary_frame(recs)
    with atomic_write(out_dir / "summary.csv", "w") as f:
        frame.to_csv(f, index=False)
    table = aggregate(frame)
    charts = [charts_dir / "test_metric.png", charts_dir / "epoch_time.png", charts_dir / "peak_memory.png"]
    chart_metric(table, charts[0])
    chart_epoch_time(table, charts[1])
    chart_memory(table, charts[2])
    for model in dict.fromkeys(frame.model):
        charts.append(charts_dir / f"curves_{model}.png")
        chart_curves(recs, model, charts[-1])
    write_markdown(out_dir / "report.md", frame, table, charts, run_dirs)
    return [out_dir / "summary.csv", out_dir / "report.md", *charts]


def terminal_table(run_dirs: list[Path]) -> str:
    """The results table as fixed-width text for the end of `polybench run`."""
    table = aggregate(summary_frame(records.read_records([Path(d) for d in run_dirs])))
    header, rows = results_rows(table)
    cells = [header] + [[str(v) for v in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]
    return "\n".join("  ".join(v.ljust(w) for v, w in zip(row, widths)) for row in cells)
