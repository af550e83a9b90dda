"""Cumulative sum's picture: running sums against the limit, the true switch and the predicted probability."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from polybench.notebook.pictures.common import TaskPictures
from polybench.specs.base import Split
from polybench.specs.cumsum import LIMIT


def cumsum_switches(split: Split, outputs: np.ndarray | None = None, n: int = 4) -> plt.Figure:
    """Running sums against the limit, with the true switch step (and predicted probabilities),
    both drawn scaled by the limit."""
    fig, axes = plt.subplots(1, n, figsize=(3.2 * n, 2.6), sharey=True)
    for i, ax in enumerate(axes):
        steps = np.arange(split.x.shape[1])
        ax.plot(steps, np.cumsum(split.x[i, :, 0]), "o-", color="grey", markersize=3, label="running sum")
        ax.axhline(LIMIT, color="black", linestyle=":", linewidth=1)
        ax.step(steps, split.y[i] * LIMIT, where="mid", color="C0", label=f"true (×{LIMIT})")
        if outputs is not None:
            ax.plot(steps, 1 / (1 + np.exp(-outputs[i])) * LIMIT, "x--", color="C3", label=f"P(1) (×{LIMIT})")
        ax.set_xlabel("step")
    axes[0].legend(fontsize=7)
    fig.tight_layout()
    return fig


class CumsumPictures(TaskPictures):
    heading = "Where the running sum passes 2.5: truth and predicted probability"

    def data_pictures(self, train, spec):
        return [cumsum_switches(train)]

    def result_pictures(self, test, spec, outputs, forward):
        return [cumsum_switches(test, outputs)]
