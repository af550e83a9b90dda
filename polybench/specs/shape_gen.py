"""Shape generation: from one corner of a rectangle predict the next (Brownlee ch. 11, generative LSTM)."""

from __future__ import annotations

import numpy as np

from polybench.specs.base import (
    Columns,
    GeneratedSpec,
    Metric,
    Split,
    dense_flops,
    dense_parameters,
    dense_reference,
    lstm_flops,
    lstm_parameters,
    lstm_reference,
    task_profiles,
)

PAIRS = 3  # corner 1 -> 2, 2 -> 3, 3 -> 4


def corners(width: np.ndarray, height: np.ndarray) -> np.ndarray:
    """(N, 4, 2): (0,0), (w,0), (w,h), (0,h) of each rectangle."""
    zero = np.zeros_like(width)
    return np.stack(
        [
            np.stack([zero, zero], 1),
            np.stack([width, zero], 1),
            np.stack([width, height], 1),
            np.stack([zero, height], 1),
        ],
        axis=1,
    )


class ShapeGen(GeneratedSpec):
    name = "shape_gen"
    title = "Shape generation: LSTM(10) on one corner predicts the next corner of a rectangle"
    description = (
        "Rectangles have width and height from U(0, 1) and corners (0,0), (w,0), (w,h), (0,h). Each "
        "rectangle gives three samples, a corner and the next one; an LSTM(10) reads the corner as a "
        "one-step sequence and a dense layer predicts the next corner's (x, y); L1 loss. Adam 1e-3, "
        "batch 32, 10 epochs. Predicting the mean gives an MAE of 0.295; the best possible is about "
        "0.083, since the first corner says nothing about the rectangle's size. Split sizes count "
        "rectangles (25000/1000/1000); samples are three times as many."
    )
    loss = "l1"
    metric = Metric("mae", higher_is_better=False, target=0.11)
    sizes = {"train": 25_000, "val": 1_000, "test": 1_000}
    profiles = task_profiles(
        epochs=10, batch_size=32, learning_rate=1e-3, quick_sizes=(3_000, 300, 300), time_limit_s=1800
    )
    input_shape = (1, 2)
    output_shape = (2,)
    schema = {"width": Columns(("width",), "float64"), "height": Columns(("height",), "float64")}

    def forward_flops(self):
        return lstm_flops(1, 2, 10) + dense_flops(10, 2)

    @property
    def parameters(self):
        return lstm_parameters("lstm", 2, 10) + dense_parameters("output", 10, 2)

    def generate(self, n, rng):
        return {
            "width": np.round(rng.uniform(0.0, 1.0, size=n), 6),
            "height": np.round(rng.uniform(0.0, 1.0, size=n), 6),
        }

    def render(self, columns):
        c = corners(columns["width"], columns["height"]).astype(np.float32)
        return Split(c[:, :PAIRS].reshape(-1, 1, 2), c[:, 1:].reshape(-1, 2))

    def reference_forward(self, params, x):
        h = lstm_reference(params, "lstm", np.asarray(x, dtype=np.float64))
        return dense_reference(params, "output", h)
