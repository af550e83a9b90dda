"""Records -> one flat row each (summary.csv) -> one row per (model, framework, mode)
with means over seeds and 95% t-intervals of the mean.

Statistics, stated once: a cell's figure is the mean over its seeds, with a 95% t-interval
of that mean when it has two or more. Within one run, the steady epoch time is the median of
epochs 2..n and its noise the relative spread of those epochs (``epoch_noise``: their
standard deviation over their median; needs at least two steady epochs). Two times are
"inside the noise" by the rule in ``inside_noise``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from polybench.frameworks import FRAMEWORKS
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


def summary_frame(recs: list[dict]) -> pd.DataFrame:
    """One row per record, nested fields flattened, in registry order."""
    rows = []
    for r in recs:
        env = r.get("environment") or {}
        versions = env.get("versions") or {}
        batches = -(-r["train_samples"] // r["batch_size"]) if r.get("train_samples") and r.get("batch_size") else None
        steady = r.get("steady_epoch_seconds") or r.get("first_epoch_seconds")
        achieved, peak = r.get("achieved_flops_per_second"), r.get("peak_flops_per_second")
        rows.append(
            {
                "model": r["model"],
                "framework": r["framework"],
                "mode": r["mode"],
                "seed": r["seed"],
                "profile": r["profile"],
                "device": r["device"],
                "device_kind": "gpu" if r.get("gpu_name") else "cpu",
                "status": r["status"],
                "error": r["error"],
                "metric": r["metric"],
                "higher_is_better": r["metric_higher_is_better"],
                "test_metric": r["test_metric"],
                "test_loss": r["test_loss"],
                "target": r["target"],
                "target_met": r["target_met"],
                "epochs_run": len(r["epochs"]),
                "batch_size": r["batch_size"],
                "train_samples": r["train_samples"],
                "batches_per_epoch": batches,
                "first_epoch_seconds": r["first_epoch_seconds"],
                "steady_epoch_seconds": r["steady_epoch_seconds"],
                "step_seconds": steady / batches if steady and batches else None,
                "samples_per_second": r["samples_per_second"],
                "train_seconds": r["train_seconds"],
                "time_to_target_seconds": r.get("time_to_target_seconds"),
                "epoch_noise": epoch_noise(r["epochs"]),
                "flops_per_sample": r.get("flops_per_sample"),
                "achieved_flops_per_second": achieved,
                "peak_flops_per_second": peak,
                "share_of_peak": achieved / peak if achieved and peak else None,
                "peak_rss_bytes": r["peak_rss_bytes"],
                "gpu_peak_framework_bytes": r["gpu_peak_framework_bytes"],
                "gpu_peak_nvml_bytes": r["gpu_peak_nvml_bytes"],
                "gpu_name": r["gpu_name"],
                "gpu_driver": r.get("gpu_driver"),
                "implementation_loc": r["implementation_loc"],
                "model_loc": r.get("model_loc"),
                "step_loc": r.get("step_loc"),
                "xla": compiled_with_xla(r),
                "threads": env.get("threads"),
                "cpu_model": env.get("cpu_model"),
                "cpu_count": env.get("cpu_count"),
                "blas": env.get("blas"),
                "framework_version": versions.get(r["framework"]),
                "commit": env.get("commit"),
                "command": env.get("command"),
                "hostname": env.get("hostname"),
                "executor": env.get("executor"),
                "slot": env.get("slot"),
                "python": env.get("python"),
                "lock": env.get("lock"),
                "lock_hash": env.get("lock_hash"),
                "packages": len(env.get("packages") or {}) or None,
                "started_at": r["started_at"],
                "finished_at": r["finished_at"],
                **{f"{EXTRA}{name}": value for name, value in (r.get("extra_metrics") or {}).items()},
            }
        )
    frame = pd.DataFrame(rows)
    order = {name: i for i, name in enumerate([*SPECS, *FRAMEWORKS])}
    return frame.sort_values(
        ["model", "framework", "mode", "seed"], key=lambda col: col.map(lambda v: (order.get(v, len(order)), str(v)))
    ).reset_index(drop=True)


def compiled_with_xla(record: dict) -> bool | None:
    """Whether the run's train step was compiled with XLA, where its framework records it: the
    shared step's ``environment.implementation.xla`` (TensorFlow graph mode), or what Keras' fit
    resolved ``jit_compile="auto"`` to (``environment.idiomatic.jit_compile``); None elsewhere."""
    env = record.get("environment") or {}
    if record.get("mode") == "idiomatic":
        return (env.get("idiomatic") or {}).get("jit_compile")
    return (env.get("implementation") or {}).get("xla")


def epoch_noise(epochs: list[dict]) -> float | None:
    """Within-run noise of the steady epoch time: the standard deviation of epochs 2..n over
    their median; None with fewer than two steady epochs."""
    steady = [row["seconds"] for row in epochs[1:]]
    if len(steady) < 2:
        return None
    return float(np.std(steady, ddof=1) / np.median(steady))


#: "Outside the noise" means a ratio further from 1 than this many combined noise widths.
NOISE_WIDTHS = 2.0


def inside_noise(ratio: float, noise_a: float | None, noise_b: float | None) -> bool | None:
    """Whether the ratio of two epoch times is inside their within-run noise: |ln ratio| at most
    NOISE_WIDTHS times sqrt(noise_a² + noise_b²) (relative noises, see ``epoch_noise``).
    None when either noise is unknown (a run with fewer than three epochs)."""
    if noise_a is None or noise_b is None or pd.isna(noise_a) or pd.isna(noise_b) or pd.isna(ratio):
        return None
    return abs(np.log(ratio)) <= NOISE_WIDTHS * float(np.hypot(noise_a, noise_b))


NOISE_RULE = (
    f"Noise rule: with one seed, two epoch times differ outside the noise when their ratio r "
    f"has |ln r| > {NOISE_WIDTHS:g}·sqrt(n₁² + n₂²), where n is each run's within-run noise (the "
    "standard deviation of its steady epochs over their median); runs with fewer than three epochs "
    "have no measured noise. With two or more seeds per cell, they differ when their 95% t-intervals "
    "of the mean do not overlap."
)


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
        xla=("xla", "first"),
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
