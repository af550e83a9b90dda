"""Variable-length addition: read "a+b+...", 2 to 4 terms of 1 or 2 digits, write the sum.

The dynamic family's sequence task (see polybench.specs.dynamic): Brownlee's addition
(polybench.specs.addition) with problems whose length varies from 3 characters ("7+5") to 11
("99+99+99+99"), so that one batch holds lengths some fourfold apart. The encoder
reads each problem at its exact length, in the padded form: its characters one-hot, then zero
steps; the decoder's answer has one length for every sample.

Consumption: the encoder's state after a sample's last real character is what the decoder
reads. An implementation that runs the padded steps must hold the state from there on (mask),
or not run them (exact lengths, packed sequences, buckets); the reference below runs each
length's samples over exactly their steps.
"""

from __future__ import annotations

import numpy as np

from polybench.specs.addition import ALPHABET, answer_logits, encode
from polybench.specs.base import (
    Columns,
    Metric,
    Split,
    dense_flops,
    dense_parameters,
    lstm_flops,
    lstm_parameters,
    lstm_reference,
    step_lengths,
    task_profiles,
)
from polybench.specs.dynamic import DynamicSpec, one_hot_padded

MIN_TERMS, MAX_TERMS = 2, 4
MIN_DIGITS, MAX_DIGITS = 1, 2
PROBLEM_CHARS = MAX_TERMS * MAX_DIGITS + MAX_TERMS - 1  # four 2-digit terms and three "+"
ANSWER_CHARS = len(str(MAX_TERMS * (10**MAX_DIGITS - 1)))  # 396
ENCODER_UNITS, DECODER_UNITS = 100, 100


class VarAddition(DynamicSpec):
    name = "var_addition"
    title = (
        f"Variable-length addition: encoder LSTM({ENCODER_UNITS}) at each problem's own length → "
        f"decoder LSTM({DECODER_UNITS}) writes the sum"
    )
    description = (
        f'Each sample is a problem "a+b+…" of {MIN_TERMS} to {MAX_TERMS} terms, each of {MIN_DIGITS} to '
        f"{MAX_DIGITS} digits (a 1-digit term is 0–9), so problems are 3 to {PROBLEM_CHARS} characters "
        f'long, one-hot over the alphabet "0123456789+ " and not padded: the encoder LSTM({ENCODER_UNITS}) '
        "reads each problem at its own length. Its last state is repeated "
        f"{ANSWER_CHARS} times, a decoder LSTM({DECODER_UNITS}) returns every step and a dense layer gives 12 logits "
        f"per step: the sum, right-aligned in {ANSWER_CHARS} characters with spaces (softmax "
        "cross-entropy per character). Metric: exact match of the whole answer; per-character accuracy "
        "is reported too. Adam 3e-3 with β2 = 0.99, the rate × 0.85 each epoch, batch 32, 15 epochs."
    )
    loss = "softmax_cross_entropy"
    # The task's size and optimizer from short PyTorch trainings (tools/dynamic_learnability.py,
    # seed 0, one thread): with 2-6 terms of 1-3 digits exact match was 0.06 after 920,000 samples
    # at a constant 1e-3; with 2-5 terms of 1-2 digits, 0.49 after 1.25 million. With 2-4 terms of
    # 1-2 digits (3 to 11 characters, lengths 3.7-fold apart) and a decaying rate it rose faster:
    # 0.55 after 405,000 samples at 3e-3 (x 0.85 per epoch). A full-profile PyTorch eager run
    # through the shared loop (seed 0) reached 0.46 validation exact match in epoch 5, 0.80 in
    # epoch 10, 0.90 in epoch 15, and 0.906 on the test split.
    metric = Metric("exact_match", higher_is_better=True, target=0.75)
    extra_metrics = ("step_accuracy",)
    sizes = {"train": 75_000, "val": 1_000, "test": 1_000}
    # β2 = 0.99 as for addition, whose gradient spikes undid trained models with 0.999.
    profiles = task_profiles(
        epochs=15,
        batch_size=32,
        learning_rate=3e-3,
        quick_sizes=(2_000, 200, 200),
        time_limit_s=1800,
        beta_2=0.99,
        decay=0.85,
    )
    input_shape = (PROBLEM_CHARS, len(ALPHABET))
    output_shape = (ANSWER_CHARS, len(ALPHABET))
    schema = {"problem": Columns(("problem",), "str"), "answer": Columns(("answer",), "str")}

    def mean_steps(self):
        terms = (MIN_TERMS + MAX_TERMS) / 2
        return terms * (MIN_DIGITS + MAX_DIGITS) / 2 + terms - 1

    def forward_flops(self):
        return (
            round(lstm_flops(1, len(ALPHABET), ENCODER_UNITS) * self.mean_steps())
            + lstm_flops(ANSWER_CHARS, ENCODER_UNITS, DECODER_UNITS)
            + ANSWER_CHARS * dense_flops(DECODER_UNITS, len(ALPHABET))
        )

    @property
    def parameters(self):
        return (
            lstm_parameters("encoder", len(ALPHABET), ENCODER_UNITS)
            + lstm_parameters("decoder", ENCODER_UNITS, DECODER_UNITS)
            + dense_parameters("output", DECODER_UNITS, len(ALPHABET))
        )

    def generate(self, n, rng):
        terms = rng.integers(MIN_TERMS, MAX_TERMS + 1, size=n)
        digits = rng.integers(MIN_DIGITS, MAX_DIGITS + 1, size=(n, MAX_TERMS))
        values = rng.integers(np.where(digits == 1, 0, 10 ** (digits - 1)), 10**digits)
        rows = [row[:count] for row, count in zip(values.tolist(), terms.tolist(), strict=True)]
        return {
            "problem": np.array(["+".join(map(str, row)) for row in rows]),
            "answer": np.array([str(sum(row)) for row in rows]),
        }

    def render(self, columns):
        x, lengths = one_hot_padded(columns["problem"], ALPHABET, PROBLEM_CHARS)
        return Split(x, encode(columns["answer"], ANSWER_CHARS), lengths=lengths)

    def reference_forward(self, params, x):
        x = np.asarray(x, dtype=np.float64)
        lengths = step_lengths(x)
        encoded = np.empty((len(x), ENCODER_UNITS))
        for length in np.unique(lengths):  # the samples of one length together, over exactly their steps
            rows = lengths == length
            encoded[rows] = lstm_reference(params, "encoder", x[rows, :length])
        return answer_logits(params, encoded, ANSWER_CHARS)
