"""What the dynamic specs share: samples whose shapes change from one to the next.

The dynamic family (var_addition: sums of different lengths; tree_eval: expressions whose
parse trees differ) exists to measure what define-by-run buys when every batch has other
shapes. Its data keep the fixed-shape ``Split`` of the other specs with one addition:

**The padded form.** A sample is a sequence of one-hot steps (the characters of a sum, the
postfix tokens of an expression). A split holds ``x`` of shape (N, steps, features), where
``steps`` is the longest sample the spec can generate (its ``input_shape[0]``): sample ``i``'s
real steps are ``x[i, :n_i]`` and every later step is all zeros. No real step is all zeros,
so the padding marks itself: ``base.step_lengths`` reads the lengths back from any batch, and
a parity batch goes through ``Implementation.forward(x)`` like any other. ``Split.lengths``
holds the same lengths, so that batching by length needs no pass over ``x``. Targets keep one
shape for every sample (``output_shape``), so the loop, the losses and the metrics are those of
the other specs.

**The contract.** A padded step must never change a sample's result: the reference forward
computes every sample at its exact length (``VarAddition``) or by recursion over its tree
(``TreeEval``), and an implementation's outputs must match it whatever padding it computed.

**How a framework consumes it.** The loop owns the batch boundaries (the same rows in every
framework), so every strategy works inside the loop's batch, and the loss is the mean over
the batch's samples whatever the strategy.

- Eager mode runs the natural code: each sample at its exact length (``x[i, :n_i]``; the
  samples of one length together; or the framework's packed form, such as PyTorch's
  ``pack_padded_sequence``, which computes no padded step), and each tree by recursion over its
  nodes, or its nodes one height at a time.
- Graph mode measures the strategies a user of the framework would reach for, each named
  (polybench.frameworks.dynamic.STRATEGIES, the default first, the others compiler options):

  - *pad* (the default): pad every batch to ``input_shape[0]``, run every step and hold each
    sample's state once its steps end (``h = where(t < n_i, h_new, h)``): one compiled
    shape, the padded steps computed and wasted;
  - *bucket*: pad each batch to the next of a few widths: a few compiled shapes. Bucketing
    saves most where batches are made of samples of like length; here the loop's batches are
    the same random rows in every framework, so most batches reach the widest bucket and the
    saving is small (the record's padded share says how small);
  - *exact*: pad each batch to its own longest sample: a compiled shape per width met.

  Trees, whose structure is data (``tree_eval.parse`` gives each node's children and
  height):

  - *by height* (the default): the nodes of one height across the batch in one cell call,
    their children gathered from the heights below (at most ``MAX_DEPTH + 1`` calls per
    batch, node counts varying from batch to batch: new shapes for the compiler);
  - *scan* (shift-reduce): one scan over the postfix steps, padded to one width, each step's
    children read by position from the states before it (a shift-reduce parser's stack, as
    indices; SPINN, Bowman et al. 2016): fixed shapes, one compilation, most steps padding.
"""

from __future__ import annotations

import abc
from collections.abc import Sequence

import numpy as np

from polybench.specs.base import GeneratedSpec


def one_hot_padded(texts: Sequence[str], alphabet: str, steps: int) -> tuple[np.ndarray, np.ndarray]:
    """Strings -> the padded form: (N, steps, len(alphabet)) float32, character ``j`` of string
    ``i`` one-hot at ``[i, j]`` and zeros after the string, and the lengths (N,) int64.

    A character outside ``alphabet``, an empty string or one longer than ``steps`` is a
    ValueError naming it.
    """
    lookup = {c: i for i, c in enumerate(alphabet)}
    padding = len(alphabet)  # the id of the all-zero row below
    ids = np.full((len(texts), steps), padding, dtype=np.int64)
    for row, text in enumerate(texts):
        if not 0 < len(text) <= steps:
            raise ValueError(f"{text!r} has {len(text)} characters; a sample has 1 to {steps}")
        try:
            ids[row, : len(text)] = [lookup[c] for c in text]
        except KeyError as missing:
            raise ValueError(f"{text!r}: character {missing} is not in the alphabet {alphabet!r}") from None
    table = np.vstack([np.eye(len(alphabet)), np.zeros((1, len(alphabet)))]).astype(np.float32)
    lengths = np.fromiter((len(text) for text in texts), dtype=np.int64, count=len(texts))
    return table[ids], lengths


class DynamicSpec(GeneratedSpec):
    """A generated task whose samples are sequences of different lengths, in the padded form.

    ``input_shape`` is (the longest sample the generator can draw, features); ``render``
    returns a ``Split`` with ``lengths``. The reference forward takes a padded batch and reads
    each sample's length from it (``base.step_lengths``).
    """

    def parity_batch(self, n: int = 8, seed: int = 0) -> np.ndarray:
        """``n`` samples drawn by the task's own generator from ``seed`` and rendered: inputs in
        the padded form, of mixed lengths (uniform noise would not be one)."""
        return self.render(self.generate(n, np.random.default_rng(seed))).x

    @abc.abstractmethod
    def mean_steps(self) -> float:
        """The expected number of steps of one sample under the generator: the length at which
        ``forward_flops`` counts a sample (the FLOPs of an exact-length computation, without
        padding)."""
