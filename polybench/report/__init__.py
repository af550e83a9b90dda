"""Records -> summary.csv, report.md, report.html and charts/*.png. Reads records (and, for
report.html, the executed notebooks beside them); reruns nothing."""

from __future__ import annotations

from pathlib import Path

from polybench import probes, records
from polybench.atomic import atomic_write
from polybench.errors import PolybenchError
from polybench.report import charts, content, implementations, modes, notebooks, overhead, render
from polybench.report.content import results_rows
from polybench.report.frame import aggregate, summary_frame

__all__ = ["aggregate", "build", "results_rows", "summary_frame", "terminal_table"]


def _latest_records(
    run_dirs: list[Path],
) -> tuple[list[records.Record], list[records.Record], list[records.LeftOut]]:
    """The run folders' valid records, the latest per cell; the older ones they supersede;
    the record files left out as invalid (each with its reason)."""
    valid, left_out = records.load_records([Path(d) for d in run_dirs])
    return *records.latest(valid), left_out


def left_out_lines(left_out: list[records.LeftOut]) -> list[str]:
    """A count of the invalid record files left out of the report, then one line per file."""
    if not left_out:
        return []
    return [f"{len(left_out)} invalid record file(s) left out of the report:", *(f"  {item}" for item in left_out)]


def build(run_dirs: list[Path], out_dir: Path) -> list[Path]:
    """Write summary.csv, report.md, report.html (with notebooks_html/) and charts/*.png into
    ``out_dir``; return their paths."""
    run_dirs = [Path(d) for d in run_dirs]
    for run_dir in run_dirs:
        if not (run_dir / "records").is_dir():
            raise PolybenchError(f"{run_dir}: no records/ folder; pass a run folder made by `polybench run`")
    recs, superseded, left_out = _latest_records(run_dirs)
    if not recs:
        folders = ", ".join(str(d) for d in run_dirs)
        if left_out:
            raise PolybenchError(
                f"no valid records in {folders}, {len(left_out)} invalid "
                f"({'; '.join(map(str, left_out))}); nothing to report"
            )
        raise PolybenchError(f"no records in {folders}; nothing to report")
    out_dir = Path(out_dir)
    charts_dir = out_dir / "charts"
    charts_dir.mkdir(parents=True, exist_ok=True)
    frame = summary_frame(recs)
    with atomic_write(out_dir / "summary.csv", "w") as f:
        frame.to_csv(f, index=False)
    table = aggregate(frame)
    written = charts.chart_all(table, recs, charts_dir)
    cells = content.cells_of(recs)
    ratios = modes.ratio_table(table)
    if len(ratios):
        written.append(charts_dir / "graph_vs_eager.png")
        modes.chart(ratios, written[-1])
    overheads = overhead.overhead_table(table, cells)
    if len(overheads):
        written.append(charts_dir / "shared_vs_idiomatic.png")
        overhead.chart(overheads, written[-1])
    pages, problems = notebooks.convert_all(recs, run_dirs, out_dir)
    found, unreadable = probes.read_all(run_dirs)
    inputs = content.Inputs(
        frame, table, recs, ratios, written, run_dirs, superseded, left_out, pages, problems, found, unreadable
    )
    models = [implementations.model_view(model, recs) for model in dict.fromkeys(frame.model)]
    document = content.build(inputs, models)
    return [out_dir / "summary.csv", *render.write(document, out_dir), *written]


def terminal_table(run_dirs: list[Path]) -> str:
    """The results table as fixed-width text for the end of `polybench run`, followed by the
    invalid record files it left out."""
    recs, _, left_out = _latest_records(run_dirs)
    table = aggregate(summary_frame(recs))
    header, rows = results_rows(table)
    cells = [header] + rows
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]
    lines = ["  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)).rstrip() for row in cells]
    return "\n".join(lines + ([""] + left_out_lines(left_out) if left_out else []))
