"""Records -> summary.csv, report.md and charts/*.png. Reads records only; reruns nothing."""

from __future__ import annotations

from pathlib import Path

from polybench import records
from polybench.atomic import atomic_write
from polybench.errors import PolybenchError
from polybench.report import charts, markdown, modes
from polybench.report.frame import aggregate, summary_frame
from polybench.report.markdown import results_rows

__all__ = ["aggregate", "build", "results_rows", "summary_frame", "terminal_table"]


def _latest_records(run_dirs: list[Path]) -> tuple[list[dict], list[dict]]:
    """The run folders' records, the latest per cell, and the older ones they supersede."""
    return records.latest(records.read_records([Path(d) for d in run_dirs]))


def build(run_dirs: list[Path], out_dir: Path) -> list[Path]:
    """Write summary.csv, report.md and charts/*.png into ``out_dir``; return their paths."""
    run_dirs = [Path(d) for d in run_dirs]
    for run_dir in run_dirs:
        if not (run_dir / "records").is_dir():
            raise PolybenchError(f"{run_dir}: no records/ folder; pass a run folder made by `polybench run`")
    recs, superseded = _latest_records(run_dirs)
    if not recs:
        raise PolybenchError(f"no records in {', '.join(str(d) for d in run_dirs)}; nothing to report")
    out_dir = Path(out_dir)
    charts_dir = out_dir / "charts"
    charts_dir.mkdir(parents=True, exist_ok=True)
    frame = summary_frame(recs)
    with atomic_write(out_dir / "summary.csv", "w") as f:
        frame.to_csv(f, index=False)
    table = aggregate(frame)
    written = [charts_dir / "test_metric.png", charts_dir / "epoch_time.png", charts_dir / "peak_memory.png"]
    charts.chart_metric(table, written[0])
    charts.chart_epoch_time(table, written[1])
    charts.chart_memory(table, written[2])
    for model in dict.fromkeys(frame.model):
        written.append(charts_dir / f"curves_{model}.png")
        charts.chart_curves(recs, model, written[-1])
    ratios = modes.ratio_table(table)
    if len(ratios):
        written.append(charts_dir / "graph_vs_eager.png")
        modes.chart(ratios, written[-1])
    markdown.write(out_dir / "report.md", frame, table, ratios, written, run_dirs, superseded)
    return [out_dir / "summary.csv", out_dir / "report.md", *written]


def terminal_table(run_dirs: list[Path]) -> str:
    """The results table as fixed-width text for the end of `polybench run`."""
    table = aggregate(summary_frame(_latest_records(run_dirs)[0]))
    header, rows = results_rows(table)
    cells = [header] + rows
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]
    return "\n".join("  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)).rstrip() for row in cells)
