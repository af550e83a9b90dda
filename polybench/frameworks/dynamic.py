"""What every framework's dynamic models share, framework-free: the strategies, the width each
gives a batch, a batch's parse trees as index arrays, and the log of compiled shapes and padding
that the record keeps (polybench.specs.dynamic says what the dynamic specs are).

The loop owns the batches (the same rows in every framework); a strategy decides how one
batch's samples of different lengths (var_addition) or trees (tree_eval) are computed:

- eager mode runs the natural code at exact lengths (``EAGER``), which compiles nothing;
- graph mode runs one of the named strategies below, the framework's compiler options
  (``polybench run --mode graph --compiler-option bucket``), the first of each the default.

An implementation tells its ``ShapeLog`` which shape each call ran at and how many of the
positions it computed were real; the log's ``details()`` go into the record
(``env.implementation.dynamic``), so that a compilation storm and padding waste show beside the
epoch times.
"""

from __future__ import annotations

import time
from collections.abc import Hashable, Iterator
from contextlib import contextmanager
from typing import NamedTuple

import numpy as np

from polybench.specs.tree_eval import parse

#: Eager mode: no strategy to choose, every sample at its exact length or tree.
EAGER = {
    "var_addition": "exact: every sample read over exactly its own steps (packed sequences, or the rows "
    "of one length together)",
    "tree_eval": "by-height: the batch's nodes of one height in one cell call, children gathered from "
    "the heights below (at most depth + 1 calls per batch)",
}

#: Graph mode's strategies per dynamic model, the default first.
STRATEGIES: dict[str, dict[str, str]] = {
    "var_addition": {
        "pad": "every batch padded to the longest problem the task can draw and masked: one compiled shape, "
        "the most padding computed",
        "bucket": "each batch padded to the next of a few widths (bucket_widths) and masked: a compiled shape "
        "per bucket met; the loop's batches mix lengths, so most reach the widest bucket",
        "exact": "each batch padded to its own longest problem and masked: a compiled shape per width met",
    },
    "tree_eval": {
        "by-height": "the batch's nodes one height at a time, as in eager mode, compiled: the node counts "
        "change from batch to batch, so the compiler meets new shapes (a compiled shape per set of counts met, "
        "unless the framework generalises them)",
        "scan": "a shift-reduce scan over the postfix nodes, padded to the longest expression the task can "
        "draw: each step computes its node's cell from its children's states, read by position from the "
        "states before it (the parser's stack, as indices): one compiled shape, most steps padding",
    },
}

#: How many widths the bucket strategy pads to (evenly spaced up to the spec's longest).
BUCKETS = 4


def bucket_widths(max_width: int, buckets: int = BUCKETS) -> tuple[int, ...]:
    """The widths the bucket strategy pads to: ``buckets`` evenly spaced, the last the spec's
    longest (11 steps, 4 buckets: 3, 6, 8, 11)."""
    return tuple(sorted({max(1, round(max_width * (k + 1) / buckets)) for k in range(buckets)}))


def padded_width(strategy: str, lengths: np.ndarray, max_width: int) -> int:
    """The number of steps a sequence strategy computes for a batch of ``lengths``."""
    longest = int(np.max(lengths))
    if strategy == "pad":
        return max_width
    if strategy == "bucket":
        return next(width for width in bucket_widths(max_width) if width >= longest)
    if strategy in ("exact", "eager"):
        return longest
    raise ValueError(f"unknown sequence strategy {strategy!r} (choose from: {', '.join(STRATEGIES['var_addition'])})")


class NodeBatch(NamedTuple):
    """A batch's parse trees as flat node arrays, tree after tree (each in postfix order, so
    every node comes after its children). A digit's children are ``nodes`` (one past the last
    node): a zero state appended there serves every leaf."""

    #: (nodes,) token ids.
    tokens: np.ndarray
    #: (nodes,) each node's left and right child, as node numbers in this batch; ``nodes`` for a digit.
    left: np.ndarray
    right: np.ndarray
    #: (nodes,) 0 for a digit, one more than its higher child's for an operator.
    height: np.ndarray
    #: (samples,) each tree's root node.
    roots: np.ndarray

    @property
    def nodes(self) -> int:
        return len(self.tokens)

    def levels(self) -> Iterator[np.ndarray]:
        """The node numbers of each height, from the leaves up: the by-height order."""
        for level in range(int(self.height.max()) + 1):
            yield np.flatnonzero(self.height == level)


def node_batch(x: np.ndarray, lengths: np.ndarray) -> NodeBatch:
    """Padded postfix tokens (N, steps, tokens) and their lengths -> the batch's trees as one
    NodeBatch (host work, done per batch as a framework's data pipeline would)."""
    trees = [parse(row[:n].argmax(axis=1)) for row, n in zip(np.asarray(x), lengths, strict=True)]
    offsets = np.concatenate([[0], np.cumsum(lengths)[:-1]]).astype(np.int64)
    total = int(np.sum(lengths))
    children = []
    for side in ("left", "right"):
        numbered = np.concatenate([getattr(t, side) + o for t, o in zip(trees, offsets, strict=True)])
        leaf = np.concatenate([getattr(t, side) < 0 for t in trees])
        children.append(np.where(leaf, total, numbered))
    tokens, height = (np.concatenate([getattr(t, field) for t in trees]) for field in ("tokens", "height"))
    return NodeBatch(tokens, children[0], children[1], height, offsets + np.asarray(lengths) - 1)


def scan_children(x: np.ndarray, lengths: np.ndarray, width: int) -> tuple[np.ndarray, np.ndarray]:
    """The scan strategy's indices: for each sample and step (N, width), the positions of the
    step's left and right children among the sample's steps, ``width`` (a zero state kept
    there) for a digit and for every padded step. The scan's states are (N, width + 1, H)."""
    left = np.full((len(lengths), width), width, dtype=np.int64)
    right = np.full((len(lengths), width), width, dtype=np.int64)
    for row, (steps, n) in enumerate(zip(np.asarray(x), lengths, strict=True)):
        tree = parse(steps[:n].argmax(axis=1))
        left[row, :n] = np.where(tree.left < 0, width, tree.left)
        right[row, :n] = np.where(tree.right < 0, width, tree.right)
    return left, right


class ShapeLog:
    """What a dynamic model's calls computed: the shapes they ran at (each new one a compilation
    in graph mode), the seconds of the calls that met a new shape, and how many of the positions
    computed were real.

    ``compile_seconds`` is the wall time of each call that met a new shape, synced before and
    after: the compilation and that call's own work (steps otherwise take milliseconds).
    Frameworks that count their own traces or compilations add them to ``details`` as well.
    """

    def __init__(self, strategy: str, compiles: bool) -> None:
        self.strategy = strategy
        self.compiles = compiles  # False in eager mode: a new shape costs nothing there
        self.shapes: dict[str, set[Hashable]] = {"train": set(), "eval": set()}
        self.compile_seconds = 0.0
        self.real = 0
        self.computed = 0

    def count(self, real: int, computed: int) -> None:
        """A training step computed ``computed`` positions (steps × samples, or nodes), ``real``
        of them the samples' own."""
        self.real += int(real)
        self.computed += int(computed)

    @contextmanager
    def call(self, phase: str, shape: Hashable, sync) -> Iterator[None]:
        """Around one call of the compiled step at ``shape`` (phase "train" or "eval"); ``sync``
        waits for the device. A new shape's call is timed as a compilation."""
        new = shape not in self.shapes[phase]
        self.shapes[phase].add(shape)
        if not (new and self.compiles):
            yield
            return
        sync()
        start = time.perf_counter()
        yield
        sync()
        self.compile_seconds += time.perf_counter() - start

    def details(self) -> dict:
        """The record's ``dynamic`` entry. A framework that counts what it compiled adds
        ``framework_count``: ``{"count": N, "what": "tf.function traces"}`` (the report shows it)."""
        return {
            "strategy": self.strategy,
            "compilations": sum(map(len, self.shapes.values())) if self.compiles else 0,
            "train_shapes": len(self.shapes["train"]),
            "eval_shapes": len(self.shapes["eval"]),
            "compile_seconds": round(self.compile_seconds, 3),
            "padded_share": round(1 - self.real / self.computed, 4) if self.computed else 0.0,
        }


def graph_options() -> dict[str, str]:
    """Every dynamic model's strategies as graph-mode compiler options (what a framework's
    ``Framework.compiler_options["graph"]`` declares): a framework's default strategy for a model
    (``DynamicModel.default_strategy``) can be named too, and runs as the default does."""
    return {
        name: f"{model} only: {text}" for model, strategies in STRATEGIES.items() for name, text in strategies.items()
    }


class DynamicModel:
    """Mixed into a framework's Implementation of a dynamic spec (before the framework's base
    class): the strategy the run's mode and compiler option name, and its ShapeLog."""

    #: The spec's name ("var_addition" or "tree_eval"): which strategies apply.
    dynamic_model: str
    #: Graph mode's strategy when no option names one: the first of STRATEGIES unless the
    #: framework's implementation says otherwise (and why, in its docstring).
    default_strategy: str | None = None

    @classmethod
    def compiler_option_settings(cls, name: str) -> dict:
        if name in STRATEGIES[cls.dynamic_model]:
            return {}  # the strategy is read from compiler_option itself
        return super().compiler_option_settings(name)  # type: ignore[misc]

    @property
    def strategy(self) -> str:
        """ "eager" in eager mode; in graph mode the compiler option, or the model's default strategy."""
        if self.mode != "graph":  # type: ignore[attr-defined]
            return "eager"
        option = self.compiler_option  # type: ignore[attr-defined]
        if option in STRATEGIES[self.dynamic_model]:
            return option
        return self.default_strategy or next(iter(STRATEGIES[self.dynamic_model]))  # other options keep it

    @property
    def shape_log(self) -> ShapeLog:
        if "_shape_log" not in vars(self):
            self._shape_log = ShapeLog(self.strategy, compiles=self.mode == "graph")  # type: ignore[attr-defined]
        return self._shape_log

    def details(self) -> dict:
        return {**super().details(), "dynamic": self.shape_log.details()}  # type: ignore[misc]
