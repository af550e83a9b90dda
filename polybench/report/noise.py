"""The one noise rule, and when a cell's epoch times cannot be trusted at all.

Rule, stated once (report.md and compare.md print ``RULE``; README repeats it): two cells'
epoch times differ when Welch's t-test (scipy.stats.ttest_ind, unequal variances) on the
logarithms of their steady epoch times, pooled over each cell's ok runs (seeds), gives
p < ALPHA, and the ratio of their medians is at least 1 + MIN_EFFECT. Cells whose runs had
one epoch each are compared on their first epochs, one per seed. With fewer than MIN_TIMES
times on a side the rule cannot tell. A busy cell (its record's contention verdict) is never
judged: its times measured the other load as much as the framework.

Stability, pyperf's rule applied to one run's steady epochs: ``unstable`` when their spread
(max − min) is SPREAD_LIMIT or more of their median, or one epoch lies OUTLIER_LIMIT or more
away from the median.
"""

from __future__ import annotations

import dataclasses
import math
import warnings
from collections.abc import Sequence

import numpy as np
from scipy import stats

from polybench.records import Record

#: Significance level of the t-test.
ALPHA = 0.05
#: The smallest relative difference of the medians called a difference (1%).
MIN_EFFECT = 0.01
#: Fewest times a side needs for the test.
MIN_TIMES = 3
#: pyperf's stability limits: spread over median, and one epoch's distance from the median.
SPREAD_LIMIT = 0.10
OUTLIER_LIMIT = 0.50
STEADY, FIRST = "steady epoch", "first epoch"

RULE = (
    f"Noise rule: two cells' epoch times differ when Welch's t-test on the logarithms of their steady "
    f"epoch times (epochs 2..n of every ok seed, pooled) gives p < {ALPHA:g} and their medians differ by "
    f"at least {MIN_EFFECT:.0%}; cells whose runs had one epoch are compared on their first epochs, one "
    f"per seed. With fewer than {MIN_TIMES} times on a side the rule cannot tell. Cells that ran while "
    "the machine was busy are left out of the verdicts. A run is unstable when its steady epochs spread "
    f"(max − min) {SPREAD_LIMIT:.0%} or more of their median, or one lies {OUTLIER_LIMIT:.0%} or more away from it."
)


@dataclasses.dataclass(frozen=True)
class Times:
    """One cell's epoch times as the rule reads them."""

    measure: str  # STEADY or FIRST
    values: tuple[float, ...]
    busy: bool = False

    @property
    def median(self) -> float | None:
        return float(np.median(self.values)) if self.values else None


@dataclasses.dataclass(frozen=True)
class Difference:
    """What the rule says of cell b against cell a."""

    ratio: float | None  # median b / median a
    direction: int | None  # 1: b slower, -1: b faster, 0: inside the noise, None: not judged
    why: str  # the test and its figures, or why there was no verdict

    @property
    def judged(self) -> bool:
        return self.direction is not None


def measure(*cells: Sequence[Record]) -> str:
    """STEADY when every ok run of every cell has a steady epoch, else FIRST (one-epoch runs)."""
    ok = [r for recs in cells for r in recs if r.status == "ok"]
    return STEADY if ok and all(steady_epochs(r) for r in ok) else FIRST


def steady_epochs(record: Record) -> list[float]:
    """The run's steady-state epoch times: epochs 2..n that have a time."""
    return [row.seconds for row in record.epochs[1:] if row.seconds is not None]


def times(recs: Sequence[Record], which: str) -> Times:
    """A cell's times for the rule: every steady epoch of its ok runs, or their first epochs."""
    ok = [r for r in recs if r.status == "ok"]
    if which == STEADY:
        values = [s for r in ok for s in steady_epochs(r)]
    else:
        values = [r.first_epoch_seconds for r in ok if r.first_epoch_seconds is not None]
    return Times(which, tuple(values), busy=any(busy_reasons(r) is not None for r in ok))


def busy_reasons(record: Record) -> list[str] | None:
    """The record's reasons when its contention verdict is busy, else None."""
    contention = record.contention
    if contention is None or contention.verdict != "busy":
        return None
    return list(contention.reasons) or ["busy (no reason recorded)"]


def differ(a: Times, b: Times) -> Difference:
    """Cell b against cell a by the rule (module docstring)."""
    ratio = b.median / a.median if a.median and b.median is not None else None
    if a.busy or b.busy:
        return Difference(ratio, None, "busy — rerun")
    if min(len(a.values), len(b.values)) < MIN_TIMES:
        return Difference(
            ratio, None, f"cannot tell (fewer than {MIN_TIMES} {a.measure} times: n={len(a.values)}/{len(b.values)})"
        )
    log_a, log_b = np.log(a.values), np.log(b.values)
    if np.ptp(log_a) == 0 and np.ptp(log_b) == 0:  # no spread at all: any difference is real
        p_value = 0.0 if log_a[0] != log_b[0] else 1.0
    else:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # one side without spread
            p_value = float(stats.ttest_ind(log_b, log_a, equal_var=False).pvalue)
    why = f"Welch t-test p={p_value:.2g}, n={len(a.values)}/{len(b.values)}"
    if p_value < ALPHA and abs(math.log(ratio)) >= math.log1p(MIN_EFFECT):
        return Difference(ratio, 1 if ratio > 1 else -1, why)
    return Difference(ratio, 0, why)


def instability(steady: Sequence[float]) -> str | None:
    """Why a run's steady epochs are unstable (pyperf's rule), with the figure; None when stable
    or with fewer than two steady epochs."""
    if len(steady) < 2:
        return None
    median = float(np.median(steady))
    spread = (max(steady) - min(steady)) / median
    furthest = max(abs(s - median) for s in steady) / median
    if furthest >= OUTLIER_LIMIT:
        return f"unstable: one steady epoch {furthest:.0%} from the median"
    if spread >= SPREAD_LIMIT:
        return f"unstable: steady epochs spread {spread:.0%} of their median"
    return None
