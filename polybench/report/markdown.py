"""report.md: the results table and the sections that explain what the numbers mean."""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pandas as pd

from polybench.atomic import atomic_write
from polybench.report import environments, modes, overhead, placement
from polybench.report.frame import EXTRA, MIB, NOISE_RULE, inside_noise, thread_counts


def fmt(value, spec: str = ".4f") -> str:
    """``value`` formatted with ``spec``; a missing value as an en dash."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return "–"
    return format(value, spec)


def with_interval(row, measure: str, spec: str, scale: float = 1.0) -> str:
    """Mean over seeds, and its 95% t-interval in brackets when there is one."""
    mean = getattr(row, measure)
    low, high = getattr(row, f"{measure}_low", np.nan), getattr(row, f"{measure}_high", np.nan)
    text = fmt(mean / scale if pd.notna(mean) else np.nan, spec)
    if pd.notna(low) and pd.notna(high):
        text += f" [{fmt(low / scale, spec)}, {fmt(high / scale, spec)}]"
    return text


def markdown_table(header: list[str], rows: list[list[str]]) -> str:
    """A GitHub-flavoured Markdown table."""
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def results_rows(table: pd.DataFrame) -> tuple[list[str], list[list[str]]]:
    """Header and rows of the results table (shared by report.md and the terminal)."""
    header = [
        "model",
        "framework",
        "mode",
        "ok/runs",
        "test metric",
        "target",
        "first epoch s",
        "steady epoch s",
        "samples/s",
        "peak RSS MiB",
        "GPU peak MiB (fw / NVML)",
        "LOC",
    ]
    rows = []
    for r in table.itertuples():
        # A cell with no finished run was never measured: its statuses, not "not met".
        outcome = f"({r.statuses})" if r.ok == 0 else "met" if r.target_met else "not met"
        target = f"{'≥' if r.higher_is_better else '≤'} {r.target} {outcome}"
        gpu = (
            "–"
            if pd.isna(r.gpu_peak_nvml_bytes) and pd.isna(r.gpu_peak_framework_bytes)
            else f"{fmt(r.gpu_peak_framework_bytes / MIB, '.0f')} / {fmt(r.gpu_peak_nvml_bytes / MIB, '.0f')}"
        )
        extras = [
            f"{c[len(EXTRA) :]} {fmt(getattr(r, c))}"
            for c in table.columns
            if c.startswith(EXTRA) and not c.endswith(("_low", "_high")) and pd.notna(getattr(r, c))
        ]
        metric = f"{r.metric} {with_interval(r, 'test_metric', '.4f')}" + "".join(f"; {e}" for e in extras)
        rows.append(
            [
                r.model,
                r.framework,
                r.mode,
                f"{r.ok}/{r.runs}",
                metric,
                target,
                with_interval(r, "first_epoch_seconds", ".2f"),
                with_interval(r, "steady_epoch_seconds", ".2f"),
                fmt(r.samples_per_second, ",.0f"),
                fmt(r.peak_rss_bytes / MIB, ".0f"),
                gpu,
                fmt(r.implementation_loc, ".0f"),
            ]
        )
    if table.threads.nunique() > 1:  # runs with different thread counts: say which is which
        header.insert(3, "threads")
        for row, threads in zip(rows, table.threads, strict=True):
            row.insert(3, threads)
    return header, rows


def noise_lines(table: pd.DataFrame) -> list[str]:
    """For each model and mode, each pair of frameworks: is the epoch-time difference outside
    the noise, by the report's rule (frame.NOISE_RULE)? Steady-state epochs when there are
    any, else the first."""
    measure = "steady_epoch_seconds" if table.steady_epoch_seconds.notna().any() else "first_epoch_seconds"
    what = "steady epoch" if measure == "steady_epoch_seconds" else "first epoch (the only one)"
    lines = []
    for (model, mode), cell in table.groupby(["model", "mode"], sort=False):
        for a, b in itertools.combinations(cell.itertuples(), 2):
            if pd.isna(getattr(a, measure)) or pd.isna(getattr(b, measure)):
                continue
            fast, slow = (a, b) if getattr(a, measure) <= getattr(b, measure) else (b, a)
            ratio = getattr(slow, measure) / getattr(fast, measure)
            a_low, a_high, b_low, b_high = (getattr(r, f"{measure}_{end}") for r in (a, b) for end in ("low", "high"))
            if not any(pd.isna(v) for v in (a_low, a_high, b_low, b_high)):
                inside = a_low <= b_high and b_low <= a_high
                why = "95% intervals overlap"
            else:
                inside = (
                    inside_noise(ratio, a.epoch_noise, b.epoch_noise) if measure == "steady_epoch_seconds" else None
                )
                why = "within the within-run noise"
            verdict = (
                "noise not measured (fewer than three epochs)"
                if inside is None
                else f"inside the noise ({why})"
                if inside
                else f"{fast.framework} faster by {ratio:.2f}×"
            )
            lines.append(f"- {model} ({mode}): {a.framework} vs {b.framework} {what} — {verdict}")
    return lines or ["Each model ran in one framework per mode only: nothing to compare."]


def time_to_target_rows(table: pd.DataFrame) -> list[list[str]]:
    return [
        [r.model, r.framework, r.mode, f"{r.reached}/{r.runs}", with_interval(r, "time_to_target_seconds", ".1f")]
        for r in table.itertuples()
    ]


def efficiency_rows(table: pd.DataFrame) -> list[list[str]]:
    """Per model, frameworks ranked by the share of their measured peak they achieve."""
    rows = []
    for model, cell in table.groupby("model", sort=False):
        ranked = cell.sort_values("share_of_peak", ascending=False, na_position="last")
        for rank, r in enumerate(ranked.itertuples(), start=1):
            rows.append(
                [
                    model,
                    str(rank),
                    r.framework,
                    r.mode,
                    fmt(r.flops_per_sample / 1e6, ".4g"),
                    fmt(r.achieved_flops_per_second / 1e9, ".3g"),
                    fmt(r.peak_flops_per_second / 1e9, ".3g"),
                    with_interval(r, "share_of_peak", ".2%"),
                ]
            )
    return rows


def loc_rows(table: pd.DataFrame) -> tuple[list[str], list[list[str]]]:
    """Lines of code per model (rows) and framework (columns): model module + shared step, and
    where mode idiomatic ran, model module + the framework's own loop."""
    frameworks = list(dict.fromkeys(table.framework))
    header = ["model"] + frameworks
    rows = []
    for model, cell in table.groupby("model", sort=False):
        by_framework: dict[str, list[str]] = {}
        for r in sorted(cell.itertuples(), key=lambda r: r.mode == "idiomatic"):  # shared loop first
            figure = f"{fmt(r.implementation_loc, '.0f')} ({fmt(r.model_loc, '.0f')} + {fmt(r.step_loc, '.0f')})"
            figures = by_framework.setdefault(r.framework, [])
            if r.mode == "idiomatic":
                figures.append(f"idiomatic {figure}")
            elif not figures:
                figures.append(figure)
        rows.append([model] + ["; ".join(by_framework.get(fw, [])) or "–" for fw in frameworks])
    return header, rows


def ratio_rows(ratios: pd.DataFrame) -> list[list[str]]:
    return [
        [
            r.model,
            r.framework,
            fmt(r.steady, ".2f"),
            fmt(r.first, ".2f"),
            fmt(r.memory, ".2f"),
            fmt(r.compile_seconds, ".1f"),
        ]
        for r in ratios.itertuples()
    ]


def write(
    path: Path,
    frame: pd.DataFrame,
    table: pd.DataFrame,
    ratios: pd.DataFrame,
    charts: list[Path],
    run_dirs: list[Path],
    superseded: list[dict] = (),
    left_out: list = (),
) -> None:
    """Write report.md; ``superseded`` are the older records of cells rerun in a later run,
    ``left_out`` the invalid record files (records.LeftOut) the report could not use."""
    counts = frame.status.value_counts().to_dict()
    env = frame.iloc[0]
    overheads = overhead.overhead_table(table)
    seeds = frame.groupby(["model", "framework", "mode"]).size()
    lines = [
        "# polybench report",
        "",
        f"Runs from {', '.join(str(d) for d in run_dirs)}: {len(frame)} records "
        f"({', '.join(f'{n} {s}' for s, n in counts.items())}), "
        f"{seeds.min() if seeds.min() == seeds.max() else f'{seeds.min()}–{seeds.max()}'} seed(s) per cell.",
        f"Profile(s): {', '.join(sorted(frame.profile.unique()))}. Device(s): "
        f"{', '.join(sorted(frame.device_kind.unique()))}"
        f"{' (' + ', '.join(sorted(frame.gpu_name.dropna().unique())) + ')' if frame.gpu_name.notna().any() else ''}. "
        f"CPU: {env.cpu_model} "
        f"({env.cpu_count} cores), "
        f"{thread_counts(frame.threads)} thread(s) per framework"
        f"{' (the threads column says which run used which)' if frame.threads.nunique() > 1 else ''}. Commit(s): "
        f"{', '.join(sorted(str(c) for c in frame.commit.dropna().unique())) or 'unknown'}.",
        *(
            [
                f"{len(superseded)} older record(s) of cells rerun in a later run folder were left out: "
                + ", ".join(
                    f"{r['model']}/{r['framework']}/{r['mode']}/seed {r['seed']} ({r.get('finished_at')})"
                    for r in superseded
                )
                + "."
            ]
            if superseded
            else []
        ),
        *(
            [
                f"{len(left_out)} invalid record file(s) were left out: "
                + "; ".join(f"`{item.path}`: {item.reason}" for item in left_out)
                + "."
            ]
            if left_out
            else []
        ),
        *(["", *mixed] if (mixed := placement.mixed_node_lines(frame)) else []),
        "",
        "Figures are means over each cell's ok runs (seeds), with a 95% t-interval of the mean in brackets "
        "when a cell has two or more seeds. Epoch times cover training steps only; the first epoch "
        "(warm-up, compilation) is shown apart from the steady state (median of epochs 2..n; – with a "
        "single epoch). The target is the spec's full-profile target. LOC counts the model's module "
        "plus the framework's shared training step, without blank lines, comments or docstrings.",
        "",
        "## Results",
        "",
        markdown_table(*results_rows(table)),
        "",
        "## Differences and noise",
        "",
        NOISE_RULE,
        "",
        *noise_lines(table),
        "",
        "## Time to target",
        "",
        "Training seconds (summed epoch times) until the validation metric first met the target.",
        "",
        markdown_table(["model", "framework", "mode", "reached", "seconds"], time_to_target_rows(table)),
        "",
        "## Efficiency",
        "",
        "FLOPs per training sample are counted from the layers (forward ×3 for forward and backward); "
        "achieved FLOP/s is that times steady-state samples per second. The peak is a float32 matrix "
        "product measured by the same framework in the same process after training.",
        "",
        markdown_table(
            ["model", "rank", "framework", "mode", "MFLOP/sample", "achieved GFLOP/s", "peak GFLOP/s", "share of peak"],
            efficiency_rows(table),
        ),
        "",
        "## Shared loop vs the framework's own loop",
        "",
        "Epoch time through the shared loop (eager or graph mode) over the same model trained by the "
        "framework's own documented loop (mode idiomatic: a plain PyTorch loop, Keras compile()+fit(), "
        "Gluon hybridize()+Trainer, Chainer SerialIterator+optimizer.update, a Flax NNX step under "
        "nnx.jit), same weights, data, batch size and optimizer; the idiomatic loop shuffles in its own "
        "way. Above 1: the shared loop is slower. Noise: sqrt(n_shared² + n_idiomatic²) of the two runs' "
        "within-run noises.",
        "",
        markdown_table(
            ["model", "framework", "shared mode", "shared / idiomatic", "epochs", "noise", "verdict"],
            overhead.rows(overheads),
        ),
        "",
        overhead.paragraph(overheads),
        "",
        "## Lines of code",
        "",
        "Total (model module + shared step); where mode idiomatic ran, also the total with the framework's "
        "own loop (frameworks/<name>/idiomatic.py) in place of the shared step. Blank lines, comments and "
        "docstrings are not counted.",
        "",
        markdown_table(*loc_rows(table)),
        "",
    ]
    missing = modes.missing_lines(frame)
    if len(ratios) or missing:
        lines += [
            "## Imperative vs symbolic",
            "",
            "Graph/eager ratios from the same report's runs (below 1: graph mode is faster or leaner). "
            "Compile s: the first graph epoch minus the graph steady epoch.",
            "",
            markdown_table(
                ["model", "framework", "steady epoch", "first epoch", "peak RSS", "compile s"], ratio_rows(ratios)
            ),
            "",
            modes.paragraph(ratios),
            "",
            *([f"Not in the table ({len(missing)}):", *missing, ""] if missing else []),
        ]
    lines += [
        "## Memory",
        "",
        "Peak host RSS is the largest resident set size sampled every 20 ms during training (data "
        "loading and framework start-up included, since they stay resident).",
    ]
    if frame.gpu_peak_nvml_bytes.notna().any():
        lines += [
            "On the GPU, the framework's own counter reports its allocator's peak (MXNet has none: "
            "–); NVML reports the device memory the process holds, which includes the CUDA context "
            "and the allocators' cached blocks, so it is always the larger figure."
        ]
    else:
        lines += ["No GPU was used: the GPU memory columns are empty (null in the records)."]
    lines.append("")
    failures = frame[frame.status != "ok"]
    if len(failures):
        lines += ["## Runs that did not finish", ""]
        lines += [
            f"- {r.model} / {r.framework} / {r.mode} / seed {r.seed}: **{r.status}** — {r.error}"
            for r in failures.itertuples()
        ]
        lines.append("")
    lines += [
        "## Environments",
        "",
        "Each framework ran in its own environment, installed from its lock file (every package "
        "pinned, with hashes); the records list every installed package with its version.",
        "",
        *environments.lines(frame),
        "",
    ]
    lines += ["## Charts", ""]
    lines += [f"![{chart.stem}](charts/{chart.name})" for chart in charts]
    with atomic_write(path, "w") as f:
        f.write("\n".join(lines) + "\n")
