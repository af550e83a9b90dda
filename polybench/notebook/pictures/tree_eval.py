"""Tree evaluation's pictures: how deep and how long the expressions are, a few drawn as their
parse trees; accuracy per depth and test expressions with their true and predicted values."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from polybench.notebook.pictures.common import TaskPictures, predicted_table
from polybench.specs.base import Split, step_lengths
from polybench.specs.tree_eval import DIGITS, MAX_DEPTH, MAX_TOKENS, MIN_DEPTH, TOKENS, Tree, parse, token_ids

#: The depths of the expressions drawn as trees (the first training sample of each): small
#: enough to read, deep enough to show nesting.
DRAWN_DEPTHS = (2, 3)


def postfix_of(split: Split, n: int | None = None) -> list[str]:
    """The first ``n`` samples (all when None) as postfix strings, each at its own length."""
    x = split.x[:n]
    lengths = (split.lengths if split.lengths is not None else step_lengths(split.x))[: len(x)]
    return [
        "".join(TOKENS[t] for t in row[:length]) for row, length in zip(x.argmax(-1), lengths.tolist(), strict=True)
    ]


def tree_of(postfix: str) -> Tree:
    """A postfix string's parse tree."""
    return parse(token_ids(postfix))


def infix(postfix: str) -> str:
    """A postfix expression in infix, every nested operation in parentheses: "34+5-" is "(3 + 4) - 5"."""
    tree = tree_of(postfix)
    texts: list[str] = []
    for node, token in enumerate(postfix):
        if tree.left[node] < 0:
            texts.append(token)
            continue
        left, right = (
            texts[child] if tree.left[child] < 0 else f"({texts[child]})"
            for child in (tree.left[node], tree.right[node])
        )
        texts.append(f"{left} {token} {right}")
    return texts[-1]


def depth_of(postfix: str) -> int:
    """How deep an expression's operators nest (1 for "34+")."""
    return tree_of(postfix).depth


def node_positions(tree: Tree) -> np.ndarray:
    """(nodes, 2) drawing positions: the digits one unit apart from left to right in reading
    order, each operator centred over its two children, and each node one level below its
    parent (the root at y = 0, the levels below at -1, -2, ...)."""
    nodes = len(tree.tokens)
    x, level = np.zeros(nodes), np.zeros(nodes)
    leaves = 0
    for node in range(nodes):  # postfix order: children first, digits left to right
        if tree.left[node] < 0:
            x[node], leaves = leaves, leaves + 1
        else:
            x[node] = (x[tree.left[node]] + x[tree.right[node]]) / 2
    for node in reversed(range(nodes)):  # parents first: each child one level below its parent
        if tree.left[node] >= 0:
            level[tree.left[node]] = level[tree.right[node]] = level[node] + 1
    return np.column_stack([x, -level])


def draw_tree(ax: plt.Axes, postfix: str, value: int) -> None:
    """One expression as its parse tree: nodes labelled with their tokens, titled with the
    infix form and the value mod 10."""
    tree = tree_of(postfix)
    xy = node_positions(tree)
    for node in np.flatnonzero(tree.left >= 0):
        for child in (tree.left[node], tree.right[node]):
            ax.plot(*xy[[node, child]].T, color="grey", linewidth=1, zorder=1)
    operator = tree.left >= 0
    ax.scatter(*xy[operator].T, s=260, color="C1", zorder=2)
    ax.scatter(*xy[~operator].T, s=260, color="C0", zorder=2)
    for (px, py), token in zip(xy, postfix, strict=True):
        ax.text(px, py, token, ha="center", va="center", color="white", fontsize=10, fontweight="bold", zorder=3)
    ax.set_title(f"{postfix}\n{infix(postfix)} = {value} (mod {DIGITS})", fontsize=9)
    ax.margins(0.12)
    ax.axis("off")


def drawn_rows(depths: np.ndarray, wanted: tuple[int, ...] = DRAWN_DEPTHS) -> list[int]:
    """The first sample of each wanted depth that the split has (the first sample if none)."""
    rows = [int(np.flatnonzero(depths == depth)[0]) for depth in wanted if (depths == depth).any()]
    return rows or [0]


def depths_and_tokens(depths: np.ndarray, tokens: np.ndarray) -> plt.Figure:
    """Two panels: samples per depth, and the token counts stacked by depth."""
    fig, (per_depth, lengths) = plt.subplots(1, 2, figsize=(10, 3))
    levels = np.arange(MIN_DEPTH, MAX_DEPTH + 1)
    per_depth.bar(levels, [(depths == d).sum() for d in levels], color=[f"C{d}" for d in levels])
    per_depth.set_xticks(levels)
    per_depth.set_xlabel("depth (operators nested)")
    per_depth.set_ylabel("samples")
    per_depth.set_title(f"{len(depths):,} training expressions", fontsize=9)
    bins = np.arange(0.5, MAX_TOKENS + 1.5)
    stacked = [tokens[depths == d] for d in levels]
    lengths.hist(
        stacked, bins=bins, stacked=True, color=[f"C{d}" for d in levels], label=[f"depth {d}" for d in levels]
    )
    lengths.set_xlabel("postfix tokens")
    lengths.set_ylabel("samples")
    lengths.set_title(f"tokens per expression (1 node each; padded to {MAX_TOKENS})", fontsize=9)
    lengths.legend(fontsize=7)
    fig.tight_layout()
    return fig


def expression_trees(postfix: list[str], values: np.ndarray, rows: list[int]) -> plt.Figure:
    """The given samples drawn as trees, side by side, each as wide as its digits."""
    widths = [int((tree_of(postfix[row]).left < 0).sum()) for row in rows]
    fig, axes = plt.subplots(
        1,
        len(rows),
        figsize=(max(4, 0.55 * sum(widths) + 1.5 * len(rows)), 3.2),
        squeeze=False,
        gridspec_kw={"width_ratios": widths},
    )
    for ax, row in zip(axes[0], rows, strict=True):
        draw_tree(ax, postfix[row], int(values[row]))
    fig.tight_layout()
    return fig


def accuracy_per_depth(depths: np.ndarray, predicted: np.ndarray, y: np.ndarray) -> pd.DataFrame:
    """Per depth (MIN_DEPTH to MAX_DEPTH): the samples and the share predicted right (NaN where
    there are none)."""
    right = predicted == y
    rows = []
    for depth in range(MIN_DEPTH, MAX_DEPTH + 1):
        chosen = depths == depth
        rows.append((depth, int(chosen.sum()), float(right[chosen].mean()) if chosen.any() else np.nan))
    return pd.DataFrame(rows, columns=["depth", "samples", "accuracy"])


def accuracy_chart(table: pd.DataFrame) -> plt.Figure:
    """Accuracy per depth as bars labelled with their numbers of samples, chance (1 in 10) dashed."""
    fig, ax = plt.subplots(figsize=(5, 2.8))
    bars = ax.bar(table.depth, table.accuracy.fillna(0), color=[f"C{d}" for d in table.depth])
    ax.bar_label(bars, labels=[f"n={n}" for n in table.samples], fontsize=8)
    ax.axhline(1 / DIGITS, color="grey", linestyle="--", label="chance")
    ax.set_xticks(table.depth)
    ax.set_xlabel("depth (operators nested)")
    ax.set_ylabel("accuracy")
    ax.set_ylim(0, 1.1)
    ax.legend(fontsize=7, loc="upper right")
    fig.tight_layout()
    return fig


def expression_table(postfix: list[str], values: np.ndarray, predicted: np.ndarray | None = None, n: int = 10):
    """The first ``n`` expressions in infix with their values (and the predicted values), then
    their depth and postfix form."""
    columns = {
        "expression": [infix(p) for p in postfix[:n]],
        "value": values[:n].tolist(),
        "depth": [depth_of(p) for p in postfix[:n]],
        "postfix": postfix[:n],
    }
    return predicted_table(columns, None if predicted is None else predicted[:n].tolist())


class TreeEvalPictures(TaskPictures):
    heading = "Test expressions: predicted against true values mod 10, and accuracy per depth"

    def data_pictures(self, train, spec):
        postfix = postfix_of(train)
        depths = np.array([depth_of(p) for p in postfix])
        tokens = np.array([len(p) for p in postfix])
        return [
            depths_and_tokens(depths, tokens),
            expression_trees(postfix, train.y, drawn_rows(depths)),
            expression_table(postfix, train.y),
        ]

    def result_pictures(self, test, spec, outputs, forward):
        postfix = postfix_of(test)
        predicted = spec.predictions(outputs)
        depths = np.array([depth_of(p) for p in postfix])
        return [
            expression_table(postfix, test.y, predicted),
            accuracy_chart(accuracy_per_depth(depths, predicted, test.y)),
        ]
