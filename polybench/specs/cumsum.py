"""Cumulative sum: mark the steps after a running sum passes 2.5 (Brownlee ch. 10, bidirectional LSTM)."""

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
    numbered,
    task_profiles,
)

STEPS, LIMIT, UNITS = 10, 2.5, 50


class Cumsum(GeneratedSpec):
    name = "cumsum"
    title = "Cumulative sum: bidirectional LSTM(50) marks where the running sum passes 2.5"
    description = (
        "Each sample is 10 values drawn from U(0, 1); the target at each step is 1 once the running sum "
        "exceeds 2.5, else 0. A bidirectional LSTM(50) (forward and backward outputs concatenated per "
        "step) feeds a dense layer giving one logit per step; binary cross-entropy on the sigmoid. "
        "Adam 1e-3, batch 10, 3 epochs. Metric: per-step accuracy; whole-sequence accuracy is reported "
        "too."
    )
    loss = "sigmoid_binary_cross_entropy"
    metric = Metric("step_accuracy", higher_is_better=True, target=0.985)
    extra_metrics = ("sequence_accuracy",)
    sizes = {"train": 50_000, "val": 1_000, "test": 1_000}
    profiles = task_profiles(
        epochs=3, batch_size=10, learning_rate=1e-3, quick_sizes=(1_000, 100, 100), time_limit_s=1800
    )
    input_shape = (STEPS, 1)
    output_shape = (STEPS,)
    schema = {"values": Columns(numbered("v", STEPS), "float64")}

    def forward_flops(self):
        return 2 * lstm_flops(STEPS, 1, UNITS) + STEPS * dense_flops(2 * UNITS, 1)

    @property
    def parameters(self):
        return (
            lstm_parameters("forward", 1, UNITS)
            + lstm_parameters("backward", 1, UNITS)
            + dense_parameters("output", 2 * UNITS, 1)
        )

    def generate(self, n, rng):
        return {"values": np.round(rng.uniform(0.0, 1.0, size=(n, STEPS)), 6)}

    def render(self, columns):
        values = columns["values"]
        targets = (np.cumsum(values, axis=1) > LIMIT).astype(np.float32)
        return Split(values[:, :, None].astype(np.float32), targets)

    def reference_forward(self, params, x):
        x = np.asarray(x, dtype=np.float64)
        both = np.concatenate(
            [
                lstm_reference(params, "forward", x, return_sequences=True),
                lstm_reference(params, "backward", x, reverse=True, return_sequences=True),
            ],
            axis=2,
        )
        return dense_reference(params, "output", both)[:, :, 0]
