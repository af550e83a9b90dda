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


def sample_table(split: Split, spec: Spec, outputs: np.ndarray | None = None, n: int = 10):
    """The first ``n`` samples as a table: input, target, and the prediction if given.

    One-hot inputs are decoded (digits for echo, characters for addition)."""
    import pandas as pd

    from polybench.specs.addition import decode

    x, y = split.inputs(np.arange(n)), split.y[:n]
    if spec.name == "addition":
        rows = {"problem": decode(x.argmax(-1)), "answer": decode(y)}
        if outputs is not None:
            rows["predicted"] = decode(spec.predictions(outputs[:n]))
    else:
        rows = {"sequence": [" ".join(map(str, r)) for r in x.argmax(-1).tolist()], "label": y.tolist()}
        if outputs is not None:
            rows["predicted"] = spec.predictions(outputs[:n]).tolist()
    table = pd.DataFrame(rows)
    if outputs is not None:
        table["correct"] = table.iloc[:, 1] == table.iloc[:, 2]
    return table


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


def filmstrip(split: Split, outputs: np.ndarray | None = None, n: int = 2, every: int = 7) -> plt.Figure:
    """Every ``every``-th frame of the first ``n`` videos, titled with truth (and prediction)."""
    videos = split.inputs(np.arange(n))[:, ::every, 0]
    names = {0: "moves left", 1: "moves right"}
    fig, axes = plt.subplots(n, videos.shape[1], figsize=(1.3 * videos.shape[1], 1.5 * n), squeeze=False)
    for i in range(n):
        title = f"true: {names[int(split.y[i])]}"
        if outputs is not None:
            title += f", predicted: {names[int(outputs[i].argmax())]}"
        axes[i, 0].set_title(title, fontsize=9, loc="left")
        for j, ax in enumerate(axes[i]):
            ax.imshow(videos[i, j], cmap="gray_r", vmin=0, vmax=1)
            ax.set_xlabel(f"frame {j * every}", fontsize=7)
            ax.set_xticks([])
            ax.set_yticks([])
    fig.tight_layout()
    return fig


def cumsum_switches(split: Split, outputs: np.ndarray | None = None, n: int = 4, limit: float = 2.5) -> plt.Figure:
    """Running sums against the limit, with the true switch step (and predicted probabilities)."""
    fig, axes = plt.subplots(1, n, figsize=(3.2 * n, 2.6), sharey=True)
    for i, ax in enumerate(axes):
        steps = np.arange(split.x.shape[1])
        ax.plot(steps, np.cumsum(split.x[i, :, 0]), "o-", color="grey", markersize=3, label="running sum")
        ax.axhline(limit, color="black", linestyle=":", linewidth=1)
        ax.step(steps, split.y[i] * limit, where="mid", color="C0", label="true (×2.5)")
        if outputs is not None:
            ax.plot(steps, 1 / (1 + np.exp(-outputs[i])) * limit, "x--", color="C3", label="P(1) (×2.5)")
        ax.set_xlabel("step")
    axes[0].legend(fontsize=7)
    fig.tight_layout()
    return fig


def rectangles(split: Split, n: int = 10) -> plt.Figure:
    """The first ``n`` rectangles, drawn from their (corner -> next corner) samples."""
    fig, ax = plt.subplots(figsize=(4, 4))
    for i in range(n):
        path = np.vstack([split.x[3 * i: 3 * i + 3, 0], split.y[3 * i + 2], split.x[3 * i, 0]])
        ax.plot(path[:, 0], path[:, 1], "-", alpha=0.7)
    ax.set_aspect("equal")
    fig.tight_layout()
    return fig


def generate_shape(forward, start: np.ndarray, corners: int = 4) -> np.ndarray:
    """Feed each predicted corner back into the model: (corners, 2) points from ``start``."""
    points = [np.asarray(start, dtype=np.float32)]
    while len(points) < corners:
        points.append(np.asarray(forward(points[-1][None, None, :]))[0])
    return np.array(points)


def corner_angle_error(shape: np.ndarray) -> float:
    """Rectangularity of a 4-point shape: mean |angle − 90°| over its corners, in degrees."""
    errors = []
    for k in range(4):
        u, v = shape[k - 1] - shape[k], shape[(k + 1) % 4] - shape[k]
        cos = np.dot(u, v) / max(np.linalg.norm(u) * np.linalg.norm(v), 1e-9)
        errors.append(abs(np.degrees(np.arccos(np.clip(cos, -1.0, 1.0))) - 90.0))
    return float(np.mean(errors))


def generated_shapes(forward, test: Split, n: int = 6) -> plt.Figure:
    """Shapes the model draws: the first from (0, 0) alone, the others from a test
    rectangle's first edge; each titled with its mean corner-angle error."""
    fig, axes = plt.subplots(1, n, figsize=(2.3 * n, 2.6))
    for i, ax in enumerate(axes):
        if i == 0:
            shape = generate_shape(forward, np.zeros(2, dtype=np.float32))
            label = "from (0,0)"
        else:
            first_edge = test.y[3 * i]  # (w, 0): the corner after (0, 0)
            shape = np.vstack([[0.0, 0.0], generate_shape(forward, first_edge, corners=3)])
            label = f"from (0,0),({first_edge[0]:.2f},0)"
        angle_error = corner_angle_error(shape)
        closed = np.vstack([shape, shape[:1]])
        ax.plot(closed[:, 0], closed[:, 1], "o-")
        ax.set_title(f"{label}\nangle error {angle_error:.1f}°", fontsize=8)
        ax.set_aspect("equal")
    fig.tight_layout()
    return fig
