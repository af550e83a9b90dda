"""Shape generation's pictures: the training rectangles, and the shapes the trained model
draws when each predicted corner is fed back in."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from polybench.notebook.pictures.common import Forward, TaskPictures
from polybench.specs.base import Split
from polybench.specs.shape_gen import PAIRS


def rectangles(split: Split, n: int = 10) -> plt.Figure:
    """The first ``n`` rectangles, drawn from their (corner -> next corner) samples."""
    fig, ax = plt.subplots(figsize=(4, 4))
    for i in range(n):
        first = PAIRS * i
        path = np.vstack([split.x[first : first + PAIRS, 0], split.y[first + PAIRS - 1], split.x[first, 0]])
        ax.plot(path[:, 0], path[:, 1], "-", alpha=0.7)
    ax.set_aspect("equal")
    fig.tight_layout()
    return fig


def generate_shape(forward: Forward, start: np.ndarray, corners: int = 4) -> np.ndarray:
    """Feed each predicted corner back into the model: (corners, 2) points from ``start``."""
    points = [np.asarray(start, dtype=np.float32)]
    while len(points) < corners:
        points.append(np.asarray(forward(points[-1][None, None, :]))[0])
    return np.array(points)


def from_first_edge(forward: Forward, test: Split, rectangle: int) -> np.ndarray:
    """A test rectangle completed by the model from its first edge: (0, 0), then its second
    corner (w, 0), then two predicted corners."""
    return np.vstack([[0.0, 0.0], generate_shape(forward, test.y[PAIRS * rectangle], corners=3)])


def corner_angle_error(shape: np.ndarray) -> float:
    """Rectangularity of a 4-point shape: mean |angle − 90°| over its corners, in degrees."""
    errors = []
    for k in range(4):
        u, v = shape[k - 1] - shape[k], shape[(k + 1) % 4] - shape[k]
        cos = np.dot(u, v) / max(np.linalg.norm(u) * np.linalg.norm(v), 1e-9)
        errors.append(abs(np.degrees(np.arccos(np.clip(cos, -1.0, 1.0))) - 90.0))
    return float(np.mean(errors))


def generated_shapes(forward: Forward, test: Split, n: int = 6) -> plt.Figure:
    """Shapes the model draws: the first from (0, 0) alone, the others from a test
    rectangle's first edge; each titled with its mean corner-angle error."""
    fig, axes = plt.subplots(1, n, figsize=(2.3 * n, 2.6))
    for i, ax in enumerate(axes):
        if i == 0:
            shape = generate_shape(forward, np.zeros(2, dtype=np.float32))
            label = "from (0,0)"
        else:
            shape = from_first_edge(forward, test, i)
            label = f"from (0,0),({shape[1, 0]:.2f},0)"
        closed = np.vstack([shape, shape[:1]])
        ax.plot(closed[:, 0], closed[:, 1], "o-")
        ax.set_title(f"{label}\nangle error {corner_angle_error(shape):.1f}°", fontsize=8)
        ax.set_aspect("equal")
    fig.tight_layout()
    return fig


def rectangularity(forward: Forward, test: Split, n: int = 100) -> str:
    """The mean corner-angle error over ``n`` test rectangles completed from their first edge, as a line."""
    errors = [corner_angle_error(from_first_edge(forward, test, i)) for i in range(n)]
    return (
        f"rectangularity: mean |corner angle − 90°| over {n} test rectangles completed from their first edge: "
        f"{np.mean(errors):.1f}°"
    )


class ShapeGenPictures(TaskPictures):
    heading = "Generated shapes: each predicted corner fed back in"

    def data_pictures(self, train, spec):
        return [rectangles(train)]

    def result_pictures(self, test, spec, outputs, forward):
        return [generated_shapes(forward, test), rectangularity(forward, test)]
