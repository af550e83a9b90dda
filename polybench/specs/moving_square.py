"""Moving square: which way does a growing line move? (Brownlee ch. 8, CNN LSTM)."""

from __future__ import annotations

import numpy as np

from polybench.specs import ops
from polybench.specs.base import (
    Columns,
    GeneratedSpec,
    Metric,
    Parameter,
    Split,
    conv_flops,
    dense_flops,
    dense_parameters,
    dense_reference,
    lstm_flops,
    lstm_parameters,
    lstm_reference,
    task_profiles,
)

SIZE = 50  # frames per video, and pixels per side
FILTERS, POOLED = 2, (SIZE - 1) // 2  # 2x2 'valid' conv -> 49x49, max-pool 2 -> 24x24


def render_frames(compact: np.ndarray) -> np.ndarray:
    """(B, 2) rows of (row, direction) -> (B, 50 frames, 1, 50, 50) float32 videos.

    In frame t the line covers t+1 pixels of its row: from the left edge when the
    direction is 1 (it moves right), from the right edge when it is 0.
    """
    rows, direction = compact[:, 0], compact[:, 1]
    t = np.arange(SIZE)
    grows_right = (np.arange(SIZE)[None, :] <= t[:, None]).astype(np.float32)  # (frame, column)
    masks = np.stack([grows_right[:, ::-1], grows_right])  # by direction
    frames = np.zeros((len(compact), SIZE, SIZE, SIZE), dtype=np.float32)  # (B, frame, row, column)
    frames[np.arange(len(compact)), :, rows, :] = masks[direction]
    return frames[:, :, None]


class MovingSquare(GeneratedSpec):
    """Four epochs. With two, JAX's seed 2 ended at 0.938 test accuracy against the 0.98 target
    (2026-12-02): its LSTM stayed on the chance plateau for most of epoch 1 (validation 0.55 after
    it, 0.94 after epoch 2), where PyTorch's seed 2 had left it within epoch 1 (0.99). With three
    it ended at 0.978 (validation 0.99 after epoch 3, training loss 0.088 and falling): converging
    one epoch before the end is not enough to meet the target. How long an LSTM stays on that
    plateau varies with the seed and the float order, so every framework gets two epochs more."""

    name = "moving_square"
    title = "Moving square: per-frame Conv(2, 2×2) → LSTM(50) tells the direction"
    description = (
        "Each sample is a video of 50 frames of 50×50 pixels: a line grows one pixel per frame along a "
        "random row, from the left edge (moving right, label 1) or from the right edge (moving left, "
        "label 0). Each frame goes through the same conv 2 filters 2×2 ('valid') + ReLU, max-pool 2 and "
        "flatten (channel, row, column); an LSTM(50) reads the 50 frame vectors and a dense layer gives "
        "2 logits. Adam 1e-3, batch 32, 4 epochs. Frames are rendered per batch from (row, direction)."
    )
    loss = "softmax_cross_entropy"
    metric = Metric("accuracy", higher_is_better=True, target=0.98)
    sizes = {"train": 5_000, "val": 100, "test": 500}
    profiles = task_profiles(epochs=4, batch_size=32, learning_rate=1e-3, quick_sizes=(160, 32, 64), time_limit_s=1800)
    input_shape = (SIZE, 1, SIZE, SIZE)
    output_shape = (2,)
    schema = {"row": Columns(("row",), "int64"), "direction": Columns(("direction",), "int64")}

    def forward_flops(self):
        return (
            SIZE * conv_flops(1, FILTERS, 2, SIZE - 1, SIZE - 1)
            + lstm_flops(SIZE, FILTERS * POOLED * POOLED, 50)
            + dense_flops(50, 2)
        )

    @property
    def parameters(self):
        return (
            [
                Parameter("conv.kernel", (FILTERS, 1, 2, 2), "glorot_uniform"),
                Parameter("conv.bias", (FILTERS,), "zeros"),
            ]
            + lstm_parameters("lstm", FILTERS * POOLED * POOLED, 50)
            + dense_parameters("output", 50, 2)
        )

    def generate(self, n, rng):
        return {"row": rng.integers(0, SIZE, size=n), "direction": rng.integers(0, 2, size=n)}

    def render(self, columns):
        compact = np.stack([columns["row"], columns["direction"]], axis=1).astype(np.int64)
        return Split(compact, columns["direction"].astype(np.int64), render=render_frames)

    def reference_forward(self, params, x):
        x = np.asarray(x, dtype=np.float64)
        n, steps = x.shape[:2]
        frames = x.reshape(n * steps, *x.shape[2:])
        h = ops.max_pool2d(ops.relu(ops.conv2d(frames, params["conv.kernel"], params["conv.bias"], "valid")))
        h = lstm_reference(params, "lstm", h.reshape(n, steps, -1))
        return dense_reference(params, "output", h)
