"""Echo: read five random digits, answer the third (Brownlee ch. 6, vanilla LSTM)."""

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

LENGTH, DIGITS, ECHO_INDEX = 5, 10, 2


class Echo(GeneratedSpec):
    name = "echo"
    title = "Echo sequence: LSTM(25) recalls the third of five digits"
    description = (
        "Each sample is five random digits 0–9, one-hot encoded; the label is the digit at index 2. "
        "An LSTM(25) reads the sequence from a zero state and a dense layer maps its last hidden state "
        "to 10 logits (softmax cross-entropy). Adam 1e-2, batch 32, 20 epochs."
    )
    loss = "softmax_cross_entropy"
    metric = Metric("accuracy", higher_is_better=True, target=0.99)
    sizes = {"train": 3150, "val": 350, "test": 1500}
    profiles = task_profiles(
        epochs=20, batch_size=32, learning_rate=1e-2, quick_sizes=(640, 100, 200), time_limit_s=900
    )
    input_shape = (LENGTH, DIGITS)
    output_shape = (DIGITS,)
    schema = {"sequence": Columns(numbered("s", LENGTH), "int64"), "label": Columns(("label",), "int64")}

    def forward_flops(self):
        return lstm_flops(LENGTH, DIGITS, 25) + dense_flops(25, DIGITS)

    @property
    def parameters(self):
        return lstm_parameters("lstm", DIGITS, 25) + dense_parameters("output", 25, DIGITS)

    def generate(self, n, rng):
        sequence = rng.integers(0, DIGITS, size=(n, LENGTH))
        return {"sequence": sequence, "label": sequence[:, ECHO_INDEX]}

    def render(self, columns):
        x = np.eye(DIGITS, dtype=np.float32)[columns["sequence"]]
        return Split(x, columns["label"].astype(np.int64))

    def reference_forward(self, params, x):
        h = lstm_reference(params, "lstm", np.asarray(x, dtype=np.float64))
        return dense_reference(params, "output", h)
