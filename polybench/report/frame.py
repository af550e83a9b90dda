"""Records -> one flat row each (summary.csv) -> one row per (model, framework, mode)
with means over seeds and 95% t-intervals of the mean.

Statistics: a cell's figure is the mean over its seeds, with a 95% t-interval of that mean
when it has two or more. Within one run, the steady epoch time is the median of epochs 2..n
and its spread ``epoch_noise`` (their standard deviation over their median), a description
only: whether two cells differ is decided by the noise rule in noise.py.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from polybench import frameworks
from polybench.frameworks import FRAMEWORKS
from polybench.records import Compiler, Record
from polybench.report import noise
from polybench.specs import SPECS

GROUP = ["model", "framework", "mode"]
MIB = 2**20  # bytes in a mebibyte: memory is shown in MiB
EXTRA = "test_extra_"  # summary columns of a spec's further metrics, e.g. test_extra_sequence_accuracy
#: Figures summarised with a mean and a 95% t-interval over seeds.
MEASURES = [
    "test_metric",
    "first_epoch_seconds",
    "steady_epoch_seconds",
    "samples_per_second",
    "time_to_target_seconds",
    "peak_rss_bytes",
    "gpu_peak_framework_bytes",
    "gpu_peak_nvml_bytes",
    "achieved_flops_per_second",
    "peak_flops_per_second",
    "share_of_peak",
    "step_seconds",
    "epoch_noise",
]
#: Figures that do not vary between seeds.
CONSTANTS = ["implementation_loc", "model_loc", "step_loc", "flops_per_sample", "batches_per_epoch"]


def summary_frame(recs: list[Record]) -> pd.DataFrame:
    """One row per record, nested fields flattened, in registry order."""
    rows = []
    for r in recs:
        env = r.environment
        versions = env.get("versions") or {}
        batches = -(-r.train_samples // r.batch_size) if r.train_samples and r.batch_size else None
        steady = r.steady_epoch_seconds or r.first_epoch_seconds
        achieved, peak = r.achieved_flops_per_second, r.peak_flops_per_second
        contention = r.contention
        rows.append(
            {
                "model": r.model,
                "framework": r.framework,
                "mode": r.mode_label,  # a compiler option's runs are a cell of their own: "graph+NAME"
                "compiler_option": r.compiler_option,
                "seed": r.seed,
                "profile": r.profile,
                "device": r.device,
                "device_kind": "gpu" if r.gpu_name else "cpu",
                "status": r.status,
                "error": r.error,
                "metric": r.metric,
                "higher_is_better": r.metric_higher_is_better,
                "test_metric": r.test_metric,
                "test_loss": r.test_loss,
                "target": r.target,
                "target_met": r.target_met,
                "epochs_run": len(r.epochs),
                "batch_size": r.batch_size,
                "train_samples": r.train_samples,
                "batches_per_epoch": batches,
                "first_epoch_seconds": r.first_epoch_seconds,
                "steady_epoch_seconds": r.steady_epoch_seconds,
                "step_seconds": steady / batches if steady and batches else None,
                "samples_per_second": r.samples_per_second,
                "train_seconds": r.train_seconds,
                "time_to_target_seconds": r.time_to_target_seconds,
                "epoch_noise": epoch_noise(noise.steady_epochs(r)),
                "unstable": noise.instability(noise.steady_epochs(r)),
                "flops_per_sample": r.flops_per_sample,
                "achieved_flops_per_second": achieved,
                "peak_flops_per_second": peak,
                "share_of_peak": achieved / peak if achieved and peak else None,
                "peak_rss_bytes": r.peak_rss_bytes,
                "gpu_peak_framework_bytes": r.gpu_peak_framework_bytes,
                "gpu_peak_nvml_bytes": r.gpu_peak_nvml_bytes,
                "gpu_name": r.gpu_name,
                "gpu_driver": r.gpu_driver,
                "implementation_loc": r.implementation_loc,
                "model_loc": r.model_loc,
                "step_loc": r.step_loc,
                "compiler": compiler_text(r.compiler),
                "contention": contention.verdict if contention else None,
                "busy": noise.busy_reasons(r) is not None,
                "contention_reasons": "; ".join(contention.reasons) if contention else None,
                "others_cpu_cores": contention.others_cpu_cores if contention else None,
                "threads": env.get("threads"),
                "cpu_model": env.get("cpu_model"),
                "cpu_count": env.get("cpu_count"),
                "blas": env.get("blas"),
                "framework_version": versions.get(r.framework),
                "system": frameworks.system(r.framework, versions),  # None: the framework never ran
                "commit": env.get("commit"),
                "command": env.get("command"),
                "hostname": env.get("hostname"),
                "executor": env.get("executor"),
                "slot": env.get("slot"),
                "python": env.get("python"),
                "lock": env.get("lock"),
                "lock_hash": env.get("lock_hash"),
                "packages": len(env.get("packages") or {}) or None,
                "started_at": r.started_at,
                "finished_at": r.finished_at,
                **{f"{EXTRA}{name}": value for name, value in r.extra_metrics.items()},
            }
        )
    frame = pd.DataFrame(rows)
    order = {name: i for i, name in enumerate([*SPECS, *FRAMEWORKS])}
    return frame.sort_values(
        ["model", "framework", "mode", "seed"], key=lambda col: col.map(lambda v: (order.get(v, len(order)), str(v)))
    ).reset_index(drop=True)


def compiler_text(compiler: Compiler | None) -> str | None:
    """A record's compiler as one phrase: its name, and its options in brackets when it has any
    ("none", "inductor (mode=default)"); None when the record does not say."""
    if compiler is None:
        return None
    options = ", ".join(f"{name}={value}" for name, value in sorted(compiler.options.items()))
    return f"{compiler.name} ({options})" if options else compiler.name


def epoch_noise(steady: list[float]) -> float | None:
    """Within-run noise of the steady epoch time: the standard deviation of epochs 2..n over
    their median; None with fewer than two steady epochs."""
    if len(steady) < 2:
        return None
    return float(np.std(steady, ddof=1) / np.median(steady))


def interval(values: pd.Series, confidence: float = 0.95) -> tuple[float, float]:
    """A ``confidence`` t-interval for the mean of ``values``; NaN bounds with fewer than
    two values (one seed says nothing about the spread)."""
    values = values.dropna().astype(float)
    if len(values) < 2:
        return float("nan"), float("nan")
    half = stats.t.ppf((1 + confidence) / 2, len(values) - 1) * values.std(ddof=1) / np.sqrt(len(values))
    return values.mean() - half, values.mean() + half


def thread_counts(threads: pd.Series) -> str:
    """The distinct thread counts of some runs, e.g. "1, 2"."""
    return ", ".join(str(int(t)) for t in sorted(threads.dropna().unique()))


def aggregate(frame: pd.DataFrame) -> pd.DataFrame:
    """Per (model, framework, mode): run counts, and for each measure its mean over the ok
    runs with ``<measure>_low`` / ``<measure>_high`` 95% t-interval bounds of that mean."""
    ok = frame[frame.status == "ok"]
    measures = [c for c in MEASURES if c in frame] + [c for c in frame.columns if c.startswith(EXTRA)]
    counts = frame.groupby(GROUP, sort=False).agg(
        runs=("status", "size"),
        ok=("status", lambda s: int((s == "ok").sum())),
        metric=("metric", "first"),
        target=("target", "first"),
        higher_is_better=("higher_is_better", "first"),
        reached=("time_to_target_seconds", lambda s: int(s.notna().sum())),
        threads=("threads", thread_counts),
        statuses=("status", lambda s: ", ".join(sorted(s.unique()))),
        compiler=("compiler", "first"),
        system=("system", lambda s: ", ".join(sorted(s.dropna().unique()))),
        busy=("busy", "any"),
        unstable=("unstable", "first"),
    )
    table = counts.join(ok.groupby(GROUP, sort=False)[measures + CONSTANTS].mean())
    for measure in measures:
        bounds = ok.groupby(GROUP, sort=False)[measure].apply(interval)
        table[f"{measure}_low"] = bounds.map(lambda b: b[0])
        table[f"{measure}_high"] = bounds.map(lambda b: b[1])
    table = table.reset_index()
    table["target_met"] = [
        bool(pd.notna(v) and (v >= t if up else v <= t))
        for v, t, up in zip(table.test_metric, table.target, table.higher_is_better, strict=True)
    ]
    return table
