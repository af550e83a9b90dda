"""Figures the notebooks show: data samples, source code, learning curves, task pictures."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from polybench.specs.base import Spec, Split


def show_source(source: str, title: str) -> None:
    """Display Python source as a highlighted Markdown block in the notebook."""
    from IPython.display import Markdown, display

    display(Markdown(f"**{title}**\n\n```python\n{source.rstrip()}\n```"))


def digit_grid(split: Split, rows: int = 2, cols: int = 10, predictions: np.ndarray | None = None) -> plt.Figure:
    """The first ``rows * cols`` digits of a split with their labels (and predictions)."""
    fig, axes = plt.subplots(rows, cols, figsize=(cols * 0.9, rows * 1.1))
    for i, ax in enumerate(axes.flat):
        ax.imshow(split.x[i].reshape(28, 28), cmap="gray_r")
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


def learning_curves(epochs: list, spec: Spec) -> plt.Figure:
    """Training and validation loss, validation metric (with the target) per epoch."""
    x = [row.epoch for row in epochs]
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 3.5))
    left.plot(x, [row.train_loss for row in epochs], marker="o", label="train")
    left.plot(x, [row.val_loss for row in epochs], marker="o", label="validation")
    left.set_xlabel("epoch")
    left.set_ylabel(f"loss ({spec.loss})")
    left.legend()
    right.plot(x, [row.val_metric for row in epochs], marker="o", color="C2")
    right.axhline(spec.metric.target, color="grey", linestyle="--", label=f"target {spec.metric.target}")
    right.set_xlabel("epoch")
    right.set_ylabel(f"validation {spec.metric.name}")
    right.legend()
    for ax in (left, right):
        ax.set_xticks(x)
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
            ax.text(j, i, str(n), ha="center", va="center", fontsize=7,
                    color="white" if i == j else "black")
    ax.set_xticks(range(classes))
    ax.set_yticks(range(classes))
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    fig.tight_layout()
    return fig
