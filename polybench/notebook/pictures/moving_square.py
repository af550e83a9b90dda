"""Moving square's picture: a film strip of each video, titled with the true and predicted direction."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from polybench.notebook.pictures.common import TaskPictures
from polybench.specs.base import Split

DIRECTIONS = {0: "moves left", 1: "moves right"}  # the spec's labels


def filmstrip(split: Split, outputs: np.ndarray | None = None, n: int = 2, every: int = 7) -> plt.Figure:
    """Every ``every``-th frame of the first ``n`` videos, titled with truth (and prediction)."""
    videos = split.inputs(np.arange(n))[:, ::every, 0]
    fig, axes = plt.subplots(n, videos.shape[1], figsize=(1.3 * videos.shape[1], 1.5 * n), squeeze=False)
    for i in range(n):
        title = f"true: {DIRECTIONS[int(split.y[i])]}"
        if outputs is not None:
            title += f", predicted: {DIRECTIONS[int(outputs[i].argmax())]}"
        axes[i, 0].set_title(title, fontsize=9, loc="left")
        for j, ax in enumerate(axes[i]):
            ax.imshow(videos[i, j], cmap="gray_r", vmin=0, vmax=1)
            ax.set_xlabel(f"frame {j * every}", fontsize=7)
            ax.set_xticks([])
            ax.set_yticks([])
    fig.tight_layout()
    return fig


class MovingSquarePictures(TaskPictures):
    heading = "Test videos with the predicted direction"

    def data_pictures(self, train, spec):
        return [filmstrip(train)]

    def result_pictures(self, test, spec, outputs, forward):
        return [filmstrip(test, outputs, n=4)]
