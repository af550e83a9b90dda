"""Damped sine's picture: input waves with their true and predicted continuations."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from polybench.notebook.pictures.common import TaskPictures
from polybench.specs.base import Split


def sine_continuations(split: Split, outputs: np.ndarray | None = None, n: int = 4) -> plt.Figure:
    """Input waves with their true next steps (and the predicted ones)."""
    fig, axes = plt.subplots(1, n, figsize=(3.2 * n, 2.6), sharey=True)
    steps_in, steps_out = split.x.shape[1], split.y.shape[1]
    for i, ax in enumerate(axes):
        ax.plot(range(steps_in), split.x[i, :, 0], color="grey", label="input")
        ahead = range(steps_in, steps_in + steps_out)
        ax.plot(ahead, split.y[i], "o-", color="C0", markersize=3, label="true")
        if outputs is not None:
            ax.plot(ahead, outputs[i], "x--", color="C3", label="predicted")
        ax.set_xlabel("step")
    axes[0].legend(fontsize=8)
    fig.tight_layout()
    return fig


class DampedSinePictures(TaskPictures):
    heading = "Predicted against true continuation"

    def data_pictures(self, train, spec):
        return [sine_continuations(train)]

    def result_pictures(self, test, spec, outputs, forward):
        return [sine_continuations(test, outputs)]
