"""The report's content: the results table and the sections that explain what the numbers mean,
built from the records (and their summary tables) into a ``document.Report``."""

from __future__ import annotations

import dataclasses
import itertools
from pathlib import Path

import numpy as np
import pandas as pd

from polybench import records
from polybench.probes import Probe
from polybench.report import backends, best, dynamic, environments, modes, noise, options, overhead, placement
from polybench.report.document import (
    Bullets,
    Failure,
    NotebookLink,
    Paragraph,
    Report,
    ResultRow,
    Section,
    Table,
)
from polybench.report.frame import EXTRA, GROUP, MIB, thread_counts
from polybench.specs.tree_eval import MAX_TOKENS
from polybench.specs.var_addition import PROBLEM_CHARS

Cells = dict[tuple[str, str, str], list[records.Record]]


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


def cells_of(recs: list[records.Record]) -> Cells:
    """Records grouped by (model, framework, mode and compiler option: "graph+NAME")."""
    grouped: Cells = {}
    for record in recs:
        grouped.setdefault((record.model, record.framework, record.mode_label), []).append(record)
    return grouped


def _notes(r) -> str:
    """A cell's warnings for the results table: busy, unstable."""
    notes = ["busy" if r.busy else "", r.unstable if isinstance(r.unstable, str) else ""]
    return "; ".join(note for note in notes if note)


def results_rows(table: pd.DataFrame) -> tuple[list[str], list[list[str]]]:
    """Header and rows of the results table (shared by report.md, report.html and the terminal)."""
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
            else f"{fmt(r.gpu_peak_framework_bytes / MIB, ',.0f')} / {fmt(r.gpu_peak_nvml_bytes / MIB, ',.0f')}"
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
                with_interval(r, "first_epoch_seconds", ",.2f"),
                with_interval(r, "steady_epoch_seconds", ",.2f"),
                fmt(r.samples_per_second, ",.0f"),
                fmt(r.peak_rss_bytes / MIB, ",.0f"),
                gpu,
                fmt(r.implementation_loc, ",.0f"),
            ]
        )
    if table.threads.nunique() > 1:  # runs with different thread counts: say which is which
        header.insert(3, "threads")
        for row, threads in zip(rows, table.threads, strict=True):
            row.insert(3, threads)
    notes = [_notes(r) for r in table.itertuples()]
    if any(notes):
        header.append("notes")
        for row, note in zip(rows, notes, strict=True):
            row.append(note or "–")
    return header, rows


def untrusted_blocks(frame: pd.DataFrame) -> list[Bullets]:
    """The runs whose figures cannot be trusted: busy ones (with their records' reasons) and
    unstable ones (with the figure)."""
    blocks = []
    busy = frame[frame.busy]
    if len(busy):
        blocks.append(
            Bullets(
                [
                    f"{r.model} / {r.framework} / {r.mode} / seed {r.seed}: {r.contention_reasons or 'busy'}"
                    for r in busy.itertuples()
                ],
                lead=f"**Busy machine:** {len(busy)} run(s) trained while other processes used the machine "
                "(their records' contention verdict is busy). Their epoch times, samples/s, time to target "
                "and FLOP/s cannot be trusted (the test metric can); rerun them on a quiet machine:",
            )
        )
    unstable = frame[frame.unstable.notna()]
    if len(unstable):
        blocks.append(
            Bullets(
                [f"{r.model} / {r.framework} / {r.mode} / seed {r.seed}: {r.unstable}" for r in unstable.itertuples()],
                lead=f"**Unstable:** {len(unstable)} run(s) whose steady epochs varied beyond pyperf's limits "
                f"(spread ≥ {noise.SPREAD_LIMIT:.0%} of the median, or one epoch ≥ {noise.OUTLIER_LIMIT:.0%} "
                "from it); their steady epoch time is a median of epochs that disagree:",
            )
        )
    return blocks


def difference_lines(table: pd.DataFrame, cells: Cells) -> list[str]:
    """For each model and mode, each pair of frameworks: do their epoch times differ, by the
    noise rule (noise.RULE)? Busy cells get no verdict."""
    lines = []
    for (model, mode), group in table.groupby(["model", "mode"], sort=False):
        for a, b in itertools.combinations(group.itertuples(), 2):
            recs_a, recs_b = cells[(model, a.framework, mode)], cells[(model, b.framework, mode)]
            if not any(r.status == "ok" for r in recs_a) or not any(r.status == "ok" for r in recs_b):
                continue
            which = noise.measure(recs_a, recs_b)
            times_a, times_b = noise.times(recs_a, which), noise.times(recs_b, which)
            what = "steady epoch" if which == noise.STEADY else "first epoch (the only one)"
            diff = noise.differ(times_a, times_b)
            if times_a.busy or times_b.busy:
                busy = " and ".join(t for t, times in ((a.framework, times_a), (b.framework, times_b)) if times.busy)
                verdict = f"left out: {busy} ran on a busy machine"
            elif not diff.judged:
                verdict = diff.why
            elif diff.direction == 0:
                verdict = f"inside the noise ({diff.why})"
            else:
                fast = a.framework if diff.direction > 0 else b.framework
                verdict = f"{fast} faster by {max(diff.ratio, 1 / diff.ratio):.2f}× ({diff.why})"
            lines.append(f"{model} ({mode}): {a.framework} vs {b.framework} {what} — {verdict}")
    return lines


def time_to_target_rows(table: pd.DataFrame) -> list[list[str]]:
    return [
        [r.model, r.framework, r.mode, f"{r.reached}/{r.runs}", with_interval(r, "time_to_target_seconds", ",.1f")]
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
                    fmt(r.flops_per_sample / 1e6, ",.4g"),
                    fmt(r.achieved_flops_per_second / 1e9, ",.3g"),
                    fmt(r.peak_flops_per_second / 1e9, ",.3g"),
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
            fmt(r.compile_seconds, ",.1f"),
        ]
        for r in ratios.itertuples()
    ]


@dataclasses.dataclass
class Inputs:
    """What the report is built from."""

    frame: pd.DataFrame  # one row per record (summary.csv)
    table: pd.DataFrame  # one row per cell
    recs: list[records.Record]
    ratios: pd.DataFrame  # graph/eager (modes.ratio_table)
    charts: list[Path]
    run_dirs: list[Path]
    superseded: list[records.Record] = dataclasses.field(default_factory=list)
    left_out: list[records.LeftOut] = dataclasses.field(default_factory=list)
    notebook_pages: dict[str, str] = dataclasses.field(default_factory=dict)  # run stem -> page path
    notebook_problems: dict[str, str] = dataclasses.field(default_factory=dict)  # run stem -> why not
    probes: list[Probe] = dataclasses.field(default_factory=list)  # per-step probes (polybench.probes)
    probes_left_out: list[str] = dataclasses.field(default_factory=list)


def intro(inputs: Inputs) -> list:
    """What the report covers: the runs, profiles, devices, CPU, threads, commits; the records
    it left out; the cells whose seeds ran on different nodes; how to read the figures."""
    frame = inputs.frame
    counts = frame.status.value_counts().to_dict()
    env = frame.iloc[0]
    seeds = frame.groupby(GROUP).size()
    gpus = ", ".join(sorted(frame.gpu_name.dropna().unique()))
    blocks: list = [
        Paragraph(
            f"Runs from {', '.join(str(d) for d in inputs.run_dirs)}: {len(frame)} records "
            f"({', '.join(f'{n} {s}' for s, n in counts.items())}), "
            f"{seeds.min() if seeds.min() == seeds.max() else f'{seeds.min()}–{seeds.max()}'} seed(s) per cell.\n"
            f"Profile(s): {', '.join(sorted(frame.profile.unique()))}. Device(s): "
            f"{', '.join(sorted(frame.device_kind.unique()))}{f' ({gpus})' if gpus else ''}. "
            f"CPU: {env.cpu_model} ({env.cpu_count} cores), {thread_counts(frame.threads)} thread(s) per framework"
            f"{' (the threads column says which run used which)' if frame.threads.nunique() > 1 else ''}. Commit(s): "
            f"{', '.join(sorted(str(c) for c in frame.commit.dropna().unique())) or 'unknown'}."
        )
    ]
    if inputs.superseded:
        blocks.append(
            Paragraph(
                f"{len(inputs.superseded)} older record(s) of cells rerun in a later run folder were left out: "
                + ", ".join(
                    f"{r.model}/{r.framework}/{r.mode}/seed {r.seed} ({r.finished_at})" for r in inputs.superseded
                )
                + "."
            )
        )
    if inputs.left_out:
        blocks.append(
            Paragraph(
                f"{len(inputs.left_out)} invalid record file(s) were left out: "
                + "; ".join(f"`{item.path}`: {item.reason}" for item in inputs.left_out)
                + "."
            )
        )
    systems = frame.dropna(subset=["system"]).drop_duplicates(["framework", "system"])
    if not systems.empty:
        blocks.append(
            Paragraph(
                "Frameworks and the systems they ran, with versions: "
                + "; ".join(f"{row.framework}: {row.system}" for row in systems.itertuples())
                + "."
            )
        )
    mixed = placement.mixed_node_lines(frame)
    if mixed:
        blocks.append(Bullets(mixed, lead=placement.MIXED_LEAD))
    blocks.append(
        Paragraph(
            "Figures are means over each cell's ok runs (seeds), with a 95% t-interval of the mean in brackets "
            "when a cell has two or more seeds. Epoch times cover training steps only; the first epoch "
            "(warm-up, compilation) is shown apart from the steady state (median of epochs 2..n; – with a "
            "single epoch). The target is the spec's full-profile target. LOC counts the model's module "
            "plus the framework's shared training step, without blank lines, comments or docstrings."
        )
    )
    return blocks


def results_section(inputs: Inputs) -> Section:
    return Section("Results", untrusted_blocks(inputs.frame), key="results")


def best_section(inputs: Inputs, cells: Cells) -> Section:
    """The first comparison: every framework at its best on each model, ranked."""
    found, missing = best.entries(inputs.table, cells)
    blocks: list = [
        Paragraph(
            "Per model, each framework in the fastest of its cells that met the target (any mode; epoch s is "
            "the median steady epoch, or the first epoch where runs had one), ranked, and set against the "
            "fastest by the noise rule below; the last column gives the framework's default mode beside its best."
        )
    ]
    if found:
        blocks.append(Table(best.HEADER, best.rows(found)))
    else:
        blocks.append(Paragraph("No cell met its target: nothing to rank."))
    if missing:
        blocks.append(Bullets(missing, lead="Not ranked:"))
    return Section("Each framework at its best", blocks)


def differences_section(inputs: Inputs, cells: Cells) -> Section:
    lines = difference_lines(inputs.table, cells)
    blocks: list = [Paragraph(noise.RULE)]
    blocks.append(
        Bullets(lines) if lines else Paragraph("Each model ran in one framework per mode only: nothing to compare.")
    )
    busy = ["/".join(cell) for cell, recs in cells.items() if noise.times(recs, noise.measure(recs)).busy]
    if busy:
        blocks.append(
            Paragraph(
                f"Left out of these verdicts because they ran on a busy machine ({len(busy)}): {', '.join(busy)}."
            )
        )
    return Section("Differences and noise", blocks)


def own_loops(recs: list[records.Record]) -> list[str]:
    """Each framework's own loop (mode idiomatic) as its latest record describes it."""
    loops: dict[str, str] = {}
    for r in sorted(recs, key=lambda r: r.finished_at or ""):
        loop = (r.environment.get("idiomatic") or {}).get("loop") if r.mode == "idiomatic" else None
        if loop:
            loops[r.framework] = loop
    return [f"{framework}: {loop}" for framework, loop in loops.items()]


def overhead_section(inputs: Inputs, cells: Cells) -> Section:
    overheads = overhead.overhead_table(inputs.table, cells)
    blocks: list = [
        Paragraph(
            "Epoch time through the shared loop (eager or graph mode) over the same model trained by the "
            "framework's own documented loop (mode idiomatic), same weights, data, batch size and optimizer; "
            "the idiomatic loop shuffles in its own way. Above 1: the shared loop is slower. Noise: "
            "sqrt(n_shared² + n_idiomatic²) of the two runs' within-run noises (standard deviation of the "
            "steady epochs over their median); the verdict follows the noise rule."
        )
    ]
    loops = own_loops(inputs.recs)
    if loops:
        blocks.append(Bullets(loops, lead="Each framework's own loop, as its records describe it:"))
    blocks += [
        Table(
            ["model", "framework", "shared mode", "shared / idiomatic", "epochs", "noise", "verdict"],
            overhead.rows(overheads),
        ),
        Paragraph(overhead.paragraph(overheads, inputs.probes)),
    ]
    if inputs.probes_left_out:
        blocks.append(Bullets(inputs.probes_left_out, lead="Probe files left out (unreadable):"))
    return Section("Shared loop vs the framework's own loop", blocks)


def modes_section(inputs: Inputs) -> Section | None:
    missing = modes.missing_lines(inputs.frame)
    if not len(inputs.ratios) and not missing:
        return None
    blocks: list = [
        Paragraph(
            "Graph/eager ratios from the same report's runs (below 1: graph mode is faster or leaner). "
            "Compile s: the first graph epoch minus the graph steady epoch."
        ),
        Table(
            ["model", "framework", "steady epoch", "first epoch", "peak RSS", "compile s"], ratio_rows(inputs.ratios)
        ),
        Paragraph(modes.paragraph(inputs.ratios)),
    ]
    if missing:
        blocks.append(Bullets(missing, lead=f"Not in the table ({len(missing)}):"))
    return Section("Imperative vs symbolic", blocks)


def options_section(cells: Cells) -> Section | None:
    """The compiler options a user of each framework would try, against the mode's default."""
    rows, alone = options.option_rows(cells), options.unmatched(cells)
    if not rows and not alone:
        return None
    blocks: list = [
        Paragraph(
            "Runs made with `--compiler-option NAME` against the same model, framework and mode compiled "
            "the default way: steady epoch medians (seconds), their ratio (below 1: the option is faster) "
            "and the noise rule's verdict; the first epochs hold the compilation. "
            "`polybench list` names each framework's options."
        )
    ]
    if rows:
        blocks.append(Table(options.HEADER, options.table_rows(rows)))
    if alone:
        blocks.append(Bullets(alone, lead="Run with a compiler option but without their default cell here:"))
    return Section("Compiler options", blocks)


def dynamic_section(cells: Cells) -> Section | None:
    """The dynamic models per framework and strategy, and when define-by-run wins."""
    rows = dynamic.strategy_rows(cells)
    if not rows:
        return None
    blocks: list = [
        Paragraph(
            f"The dynamic models' samples change shape (var_addition: problems of 3 to {PROBLEM_CHARS} characters; "
            f"tree_eval: expressions of 3 to {MAX_TOKENS} tokens whose parse trees differ). Eager mode computes "
            "each sample at its exact length or tree; graph mode runs a strategy (the mode's default, or "
            "`--compiler-option NAME`): padding and masking to one width, to a few bucket widths or to each "
            "batch's longest, a shift-reduce scan at one width, or the eager by-height order compiled. "
            "Compilations: the shapes the compiled step met (training and evaluation), each a compilation "
            "unless the framework generalises shapes (what the framework itself counts beside, where it "
            "keeps a count: traces, compilations, memory plans); "
            "compile s: the wall time of the calls that met a new shape (compilation and that call's own work); "
            "padded share: of the positions (steps × samples, or tree nodes) computed in training, those that "
            "were padding. Means over the cell's runs."
        ),
        Table(dynamic.HEADER, dynamic.table_rows(rows)),
    ]
    lines = dynamic.verdicts(cells)
    if lines:
        blocks.append(Bullets(lines, lead="Define-by-run against the fastest graph strategy, by the noise rule:"))
    return Section("Dynamic shapes", blocks)


def memory_section(inputs: Inputs) -> Section:
    gpu = inputs.frame.gpu_peak_nvml_bytes.notna().any() or inputs.frame.gpu_peak_framework_bytes.notna().any()
    return Section(
        "Memory",
        [
            Paragraph(
                "Peak host RSS is the largest resident set size sampled every 20 ms during training (data "
                "loading and framework start-up included, since they stay resident)."
            ),
            Paragraph(
                "On the GPU, the framework's own counter reports its allocator's peak (– where the "
                "framework has none); NVML reports the device memory the process holds, which includes the "
                "CUDA context "
                "and the allocators' cached blocks, so it is always the larger figure. charts/gpu_memory.png "
                "shows both beside each other, apart from host memory."
                if gpu
                else "No GPU was used: the GPU memory columns are empty (null in the records)."
            ),
        ],
    )


def failures(frame: pd.DataFrame) -> list[Failure]:
    return [
        Failure(f"{r.model} / {r.framework} / {r.mode} / seed {r.seed}", str(r.status), str(r.error))
        for r in frame[frame.status != "ok"].itertuples()
    ]


def result_rows(inputs: Inputs) -> tuple[list[str], list[ResultRow]]:
    """The results table's header and rows, with each row's statuses and notebook links."""
    header, rows = results_rows(inputs.table)
    out = []
    for cell, cells in zip(inputs.table.itertuples(), rows, strict=True):
        runs = inputs.frame[
            (inputs.frame.model == cell.model)
            & (inputs.frame.framework == cell.framework)
            & (inputs.frame["mode"] == cell.mode)
        ]
        links = []
        for r in runs.itertuples():
            stem = records.RunKey(r.model, r.framework, r.mode, int(r.seed)).stem  # r.mode: the label, "graph+NAME"
            if stem in inputs.notebook_pages:
                links.append(NotebookLink(f"seed {r.seed}", href=inputs.notebook_pages[stem]))
            elif stem in inputs.notebook_problems:
                links.append(NotebookLink(f"seed {r.seed}", problem=inputs.notebook_problems[stem]))
        out.append(
            ResultRow(
                cells,
                cell.model,
                cell.framework,
                cell.mode,
                all_ok=cell.ok == cell.runs,
                busy=bool(cell.busy),
                reasons=[f"seed {r.seed} {r.status}: {r.error}" for r in runs.itertuples() if r.status != "ok"],
                notebooks=links,
            )
        )
    return header, out


def build(inputs: Inputs, models: list) -> Report:
    """The whole report from its inputs; ``models`` are report.html's per-model views."""
    cells = cells_of(inputs.recs)
    table, frame = inputs.table, inputs.frame
    sections = [
        results_section(inputs),
        best_section(inputs, cells),
        backends.section(table),
        differences_section(inputs, cells),
        Section(
            "Time to target",
            [
                Paragraph("Training seconds (summed epoch times) until the validation metric first met the target."),
                Table(["model", "framework", "mode", "reached", "seconds"], time_to_target_rows(table)),
            ],
        ),
        Section(
            "Efficiency",
            [
                Paragraph(
                    "FLOPs per training sample are counted from the layers (forward ×3 for forward and backward); "
                    "achieved FLOP/s is that times steady-state samples per second. The peak is a float32 matrix "
                    "product measured by the same framework in the same process after training."
                ),
                Table(
                    [
                        "model",
                        "rank",
                        "framework",
                        "mode",
                        "MFLOP/sample",
                        "achieved GFLOP/s",
                        "peak GFLOP/s",
                        "share of peak",
                    ],
                    efficiency_rows(table),
                ),
            ],
        ),
        overhead_section(inputs, cells),
        Section(
            "Lines of code",
            [
                Paragraph(
                    "Total (model module + shared step); where mode idiomatic ran, also the total with the "
                    "framework's own loop (frameworks/<name>/idiomatic.py) in place of the shared step. Blank "
                    "lines, comments and docstrings are not counted."
                ),
                Table(*loc_rows(table)),
            ],
        ),
        modes_section(inputs),
        options_section(cells),
        dynamic_section(cells),
        memory_section(inputs),
    ]
    fails = failures(frame)
    if fails:
        sections.append(
            Section(
                "Runs that did not finish",
                [Bullets([f"{f.run}: **{f.status}** — {f.error}" for f in fails])],
                key="failures",
            )
        )
    sections += [
        Section(
            "Environments",
            [
                Paragraph(
                    "Each framework ran in its own environment, installed from its lock file (every package "
                    "pinned, with hashes); the records list every installed package with its version."
                ),
                Bullets(environments.lines(frame)),
            ],
        ),
        Section("Charts", key="charts"),
    ]
    header, rows = result_rows(inputs)
    return Report(
        "polybench report",
        intro(inputs),
        [s for s in sections if s is not None],
        header,
        rows,
        fails,
        inputs.charts,
        models,
    )
