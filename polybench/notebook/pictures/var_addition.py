"""Variable-length addition's pictures: how long the problems are and what padding a batch of
them carries under each strategy; test problems decoded to text with the true and predicted
sums, and exact match per number of terms."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from polybench.frameworks.dynamic import STRATEGIES, bucket_widths, padded_width
from polybench.loop import batch_indices, epoch_orders
from polybench.notebook.pictures.common import TaskPictures, predicted_table
from polybench.specs.addition import decode
from polybench.specs.base import Spec, Split, step_lengths
from polybench.specs.var_addition import MAX_TERMS, MIN_TERMS


def lengths_of(split: Split) -> np.ndarray:
    """Each sample's number of characters: the split's ``lengths``, or read from its padding."""
    return split.lengths if split.lengths is not None else step_lengths(split.x)


def problems(split: Split, n: int) -> list[str]:
    """The first ``n`` problems as text, each at its own length (the padding's zero steps left out)."""
    ids = split.x[:n].argmax(-1)
    return [text[:length] for text, length in zip(decode(ids), lengths_of(split)[:n].tolist(), strict=True)]


def problem_table(split: Split, predicted: np.ndarray | None = None, n: int = 10) -> pd.DataFrame:
    """The first ``n`` problems and answers as text (and the predicted answers), the answers
    right-aligned in the answer's characters as the model writes them."""
    columns = {"problem": problems(split, n), "answer": decode(split.y[:n])}
    return predicted_table(columns, None if predicted is None else decode(predicted[:n]))


def epoch_batches(samples: int, batch_size: int, seed: int = 0) -> list[np.ndarray]:
    """The rows of each batch of the shared loop's first epoch from ``seed``."""
    return batch_indices(epoch_orders(samples, 1, seed)[0], batch_size)


def padded_shares(lengths: np.ndarray, batches: list[np.ndarray], max_width: int) -> dict[str, float]:
    """Per strategy (eager, then graph mode's, polybench.frameworks.dynamic): the share of the
    steps computed over ``batches`` that are padding, each batch padded to the strategy's width."""
    real = sum(int(lengths[rows].sum()) for rows in batches)
    shares = {"eager": 0.0}  # every sample at its exact length
    for strategy in STRATEGIES["var_addition"]:
        computed = sum(padded_width(strategy, lengths[rows], max_width) * len(rows) for rows in batches)
        shares[strategy] = 1 - real / computed
    return shares


#: How each width rule is drawn: eager (exact lengths, nothing padded), then graph mode's
#: strategies from the least padding to the most.
STYLES = {"eager": ("C2", None), "exact": ("C3", "-"), "bucket": ("C1", "--"), "pad": ("black", ":")}


def lengths_and_padding(split: Split, spec: Spec, shown_batches: int = 12) -> plt.Figure:
    """Three panels: the problems' lengths; the first batches of the loop's first epoch (seed 0),
    each sample's length against the width each strategy pads the batch to; and over that whole
    epoch, the share of the computed steps that are padding, per strategy."""
    lengths = lengths_of(split)
    max_width = spec.input_shape[0]
    batch_size = spec.profiles["full"].batch_size
    batches = epoch_batches(len(split), batch_size)
    fig, (counts, strip, shares) = plt.subplots(1, 3, figsize=(14, 3.4), gridspec_kw={"width_ratios": [1, 1.3, 1]})

    counts.bar(*np.unique(lengths, return_counts=True), width=0.8)
    counts.set_xlim(0, max_width + 1)
    counts.set_xlabel("problem length (characters)")
    counts.set_ylabel("samples")
    counts.set_title(f"{len(split):,} training problems", fontsize=9)

    shown = batches[:shown_batches]
    for b, rows in enumerate(shown):
        jitter = np.linspace(-0.3, 0.3, len(rows))
        strip.scatter(b + jitter, lengths[rows], s=5, color="C0", label="a sample's length" if b == 0 else None)
        for strategy, (color, style) in list(STYLES.items())[1:]:
            width = padded_width(strategy, lengths[rows], max_width)
            label = f"{strategy}: batch padded to" if b == 0 else None
            strip.hlines(width, b - 0.4, b + 0.4, colors=color, linestyles=style, linewidth=1.5, label=label)
    strip.set_xticks(range(len(shown)))
    strip.set_xlabel(f"batch ({batch_size} samples) of the first epoch")
    strip.set_ylabel("steps")
    strip.set_ylim(0, max_width + 9)
    strip.legend(fontsize=7, loc="upper center", ncol=2)
    strip.set_title(f"bucket widths {', '.join(map(str, bucket_widths(max_width)))}", fontsize=9)

    share = padded_shares(lengths, batches, max_width)
    bars = shares.bar(list(STYLES), [100 * share[s] for s in STYLES], color=[c for c, _ in STYLES.values()])
    shares.bar_label(bars, labels=[f"{100 * share[s]:.0f}%" for s in STYLES], fontsize=8)
    shares.set_ylabel("padded steps (% of computed)")
    shares.set_ylim(0, 100)
    shares.set_title(f"over the first epoch's {len(batches):,} batches", fontsize=9)
    fig.tight_layout()
    return fig


def terms_of(texts: list[str]) -> np.ndarray:
    """How many terms each problem adds."""
    return np.array([text.count("+") + 1 for text in texts])


def exact_match_per_terms(terms: np.ndarray, predicted: np.ndarray, y: np.ndarray) -> pd.DataFrame:
    """Per number of terms (MIN_TERMS to MAX_TERMS): the samples and the share whose whole
    answer is right (NaN where there are none)."""
    right = (predicted == y).reshape(len(y), -1).all(axis=1)
    rows = []
    for count in range(MIN_TERMS, MAX_TERMS + 1):
        chosen = terms == count
        rows.append((count, int(chosen.sum()), float(right[chosen].mean()) if chosen.any() else np.nan))
    return pd.DataFrame(rows, columns=["terms", "samples", "exact_match"])


def exact_match_chart(table: pd.DataFrame) -> plt.Figure:
    """Exact match per number of terms as bars, each labelled with its number of samples."""
    fig, ax = plt.subplots(figsize=(5, 2.8))
    bars = ax.bar(table.terms, table.exact_match.fillna(0))
    ax.bar_label(bars, labels=[f"n={n}" for n in table.samples], fontsize=8)
    ax.set_xticks(table.terms)
    ax.set_xlabel("terms in the problem")
    ax.set_ylabel("exact match")
    ax.set_ylim(0, 1.1)
    fig.tight_layout()
    return fig


class VarAdditionPictures(TaskPictures):
    heading = "Test problems: predicted against true sums, and exact match per number of terms"

    def data_pictures(self, train, spec):
        return [lengths_and_padding(train, spec), problem_table(train)]

    def result_pictures(self, test, spec, outputs, forward):
        predicted = spec.predictions(outputs)
        per_terms = exact_match_per_terms(terms_of(problems(test, len(test))), predicted, test.y)
        return [problem_table(test, predicted), exact_match_chart(per_terms)]
