"""Addition: read "a+b+c" as characters, write the sum (Brownlee ch. 9, encoder-decoder LSTM)."""

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

ALPHABET = "0123456789+ "
TERMS, LARGEST = 3, 10
PROBLEM_CHARS, ANSWER_CHARS = 8, 2  # "10+10+10" and "30"


def encode(texts: np.ndarray, width: int) -> np.ndarray:
    """Right-aligned strings -> (N, width) character ids in ALPHABET."""
    lookup = {c: i for i, c in enumerate(ALPHABET)}
    return np.array([[lookup[c] for c in text.rjust(width)] for text in texts], dtype=np.int64)


def decode(ids: np.ndarray) -> list[str]:
    """(N, width) character ids -> strings."""
    return ["".join(ALPHABET[i] for i in row) for row in ids]


def answer_logits(params: dict[str, np.ndarray], encoded: np.ndarray, answer_chars: int) -> np.ndarray:
    """The decoder half of the addition models: the encoder's last state (N, H) repeated once per
    answer character, the "decoder" LSTM over every step and the "output" dense layer on each,
    (N, answer_chars, len(ALPHABET)) logits."""
    repeated = np.repeat(encoded[:, None, :], answer_chars, axis=1)
    decoded = lstm_reference(params, "decoder", repeated, return_sequences=True)
    return dense_reference(params, "output", decoded)


class Addition(GeneratedSpec):
    name = "addition"
    title = "Addition: encoder LSTM(75) → repeat ×2 → decoder LSTM(50) writes the sum"
    description = (
        'Each sample is a problem "a+b+c" with terms 0–10, left-padded with spaces to 8 characters and '
        'one-hot encoded over the alphabet "0123456789+ "; the answer is the sum as 2 characters. An '
        "encoder LSTM(75) reads the problem, its last output is repeated twice, a decoder LSTM(50) "
        "returns both steps and a dense layer gives 12 logits per step (softmax cross-entropy per "
        "character). Metric: exact match of both characters. Adam 1e-3 with β2 = 0.99, batch 32, 5 epochs."
    )
    loss = "softmax_cross_entropy"
    metric = Metric("exact_match", higher_is_better=True, target=0.97)
    sizes = {"train": 75_000, "val": 1_000, "test": 1_000}
    # β2 = 0.99, not Adam's usual 0.999: the gradient norm here has rare spikes of 100-300x its
    # median, and with 0.999 the slowly adapting second moment let them throw trained models
    # off late in training: over seeds 0-7 PyTorch ended below the target once (0.879, from
    # 0.999 an epoch before) and MXNet twice in seeds 0-2. With 0.99 PyTorch ends at 0.999 for
    # all eight seeds (dips recover within an epoch). Clipping the gradient norm at 1.0
    # instead did not help (one of three seeds still fell to 0.884 in its last epoch).
    profiles = task_profiles(
        epochs=5, batch_size=32, learning_rate=1e-3, quick_sizes=(2_000, 200, 200), time_limit_s=1800, beta_2=0.99
    )
    input_shape = (PROBLEM_CHARS, len(ALPHABET))
    output_shape = (ANSWER_CHARS, len(ALPHABET))
    schema = {"problem": Columns(("problem",), "str"), "answer": Columns(("answer",), "str")}

    def forward_flops(self):
        return (
            lstm_flops(PROBLEM_CHARS, len(ALPHABET), 75)
            + lstm_flops(ANSWER_CHARS, 75, 50)
            + ANSWER_CHARS * dense_flops(50, len(ALPHABET))
        )

    @property
    def parameters(self):
        return (
            lstm_parameters("encoder", len(ALPHABET), 75)
            + lstm_parameters("decoder", 75, 50)
            + dense_parameters("output", 50, len(ALPHABET))
        )

    def generate(self, n, rng):
        terms = rng.integers(0, LARGEST + 1, size=(n, TERMS))
        problems = np.array(["+".join(map(str, row)).rjust(PROBLEM_CHARS) for row in terms.tolist()])
        answers = np.array([str(total).rjust(ANSWER_CHARS) for total in terms.sum(axis=1).tolist()])
        return {"problem": problems, "answer": answers}

    def render(self, columns):
        x = np.eye(len(ALPHABET), dtype=np.float32)[encode(columns["problem"], PROBLEM_CHARS)]
        return Split(x, encode(columns["answer"], ANSWER_CHARS))

    def reference_forward(self, params, x):
        encoded = lstm_reference(params, "encoder", np.asarray(x, dtype=np.float64))
        return answer_logits(params, encoded, ANSWER_CHARS)
