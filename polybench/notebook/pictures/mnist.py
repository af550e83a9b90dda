"""MNIST's pictures: a grid of digits, the class counts, the confusion matrix."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from polybench.notebook.pictures.common import TaskPictures
from polybench.specs.base import Split
from polybench.specs.mnist import IMAGE_SIDE


def digit_grid(split: Split, rows: int = 2, cols: int = 10, predictions: np.ndarray | None = None) -> plt.Figure:
    """The first ``rows * cols`` digits of a split with their labels (and predictions, red when wrong)."""
    fig, axes = plt.subplots(rows, cols, figsize=(cols * 0.9, rows * 1.1))
    for i, ax in enumerate(axes.flat):
        ax.imshow(split.x[i].reshape(IMAGE_SIDE, IMAGE_SIDE), cmap="gray_r")
        label = f"{split.y[i]}" if predictions is None else f"{split.y[i]}→{predictions[i]}"
        color = "black" if predictions is None or predictions[i] == split.y[i] else "red"
        ax.set_title(label, fontsize=9, color=color)
        ax.axis("off")
    fig.tight_layout()
    return fig


def class_counts(y: np.ndarray, classes: int) -> plt.Figure:
    """Bar chart of how often each class occurs."""
    fig, ax = plt.subplots(figsize=(6, 2.5))
    ax.bar(range(classes), np.bincount(y, minlength=classes))
    ax.set_xticks(range(classes))
    ax.set_xlabel("class")
    ax.set_ylabel("samples")
    fig.tight_layout()
    return fig


def confusion_matrix(y_true: np.ndarray, y_pred: np.ndarray, classes: int) -> plt.Figure:
    """Counts of (true class, predicted class), with the counts written in the cells."""
    counts = np.zeros((classes, classes), dtype=np.int64)
    np.add.at(counts, (y_true, y_pred), 1)
    fig, ax = plt.subplots(figsize=(6, 5.5))
    ax.imshow(np.log1p(counts), cmap="Blues")
    for (i, j), n in np.ndenumerate(counts):
        if n:
            ax.text(j, i, str(n), ha="center", va="center", fontsize=7, color="white" if i == j else "black")
    ax.set_xticks(range(classes))
    ax.set_yticks(range(classes))
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    fig.tight_layout()
    return fig


class MnistPictures(TaskPictures):
    heading = "Confusion matrix and sample predictions (red: wrong)"

    def data_pictures(self, train, spec):
        return [digit_grid(train), class_counts(train.y, spec.output_shape[-1])]

    def result_pictures(self, test, spec, outputs, forward):
        predicted = spec.predictions(outputs)
        return [confusion_matrix(test.y, predicted, spec.output_shape[-1]), digit_grid(test, predictions=predicted)]
