"""The dynamic models' shared, framework-free pieces: widths, tree index arrays, the shape log."""

import numpy as np
import pytest

from polybench.frameworks.base import Implementation
from polybench.frameworks.dynamic import (
    STRATEGIES,
    ShapeLog,
    bucket_widths,
    graph_options,
    node_batch,
    padded_width,
    scan_children,
)
from polybench.specs import DYNAMIC_SPECS
from polybench.specs.base import step_lengths
from polybench.specs.tree_eval import MAX_TOKENS, TreeEval


def test_every_dynamic_model_has_strategies_and_each_is_a_graph_option():
    assert set(STRATEGIES) == set(DYNAMIC_SPECS)
    assert set(graph_options()) == {name for s in STRATEGIES.values() for name in s}
    assert graph_options()["scan"].startswith("tree_eval only: ")


def test_widths_per_strategy():
    assert bucket_widths(23) == (6, 12, 17, 23)
    lengths = np.array([3, 7, 11])
    assert padded_width("pad", lengths, 23) == 23
    assert padded_width("exact", lengths, 23) == 11
    assert padded_width("bucket", lengths, 23) == min(w for w in bucket_widths(23) if w >= 11)
    assert padded_width("bucket", np.array([23]), 23) == 23
    with pytest.raises(ValueError, match="unknown sequence strategy 'nope'"):
        padded_width("nope", lengths, 23)


def test_node_batch_and_scan_children_describe_the_same_trees():
    spec = TreeEval()
    x = spec.parity_batch(8)
    lengths = step_lengths(x)
    nodes = node_batch(x, lengths)
    assert nodes.nodes == lengths.sum()
    assert (nodes.height[nodes.roots] >= 1).all()  # every root is an operator (depth >= 1)
    # children come before their parents, and a digit's children are the zero slot
    operators = nodes.left < nodes.nodes
    assert (nodes.left[operators] < np.flatnonzero(operators)).all()
    assert ((nodes.left == nodes.nodes) == (nodes.height == 0)).all()
    assert sum(len(level) for level in nodes.levels()) == nodes.nodes
    left, right = scan_children(x, lengths, MAX_TOKENS)
    offsets = np.concatenate([[0], np.cumsum(lengths)[:-1]])
    for i, (start, n) in enumerate(zip(offsets, lengths, strict=True)):
        flat_left = np.where(left[i, :n] == MAX_TOKENS, nodes.nodes, left[i, :n] + start)
        assert (flat_left == nodes.left[start : start + n]).all()
        assert (left[i, n:] == MAX_TOKENS).all() and (right[i, n:] == MAX_TOKENS).all()


def test_shape_log_counts_new_shapes_as_compilations_and_the_padding():
    log = ShapeLog("bucket", compiles=True)
    synced = []
    for shape in [(32, 12), (32, 12), (32, 18)]:
        with log.call("train", shape, lambda: synced.append(1)):
            pass
    with log.call("eval", (256, 23), lambda: synced.append(1)):
        pass
    log.count(real=300, computed=400)
    details = log.details()
    assert details["compilations"] == 3 and details["train_shapes"] == 2 and details["eval_shapes"] == 1
    assert len(synced) == 6  # before and after each call that met a new shape, no other
    assert details["padded_share"] == 0.25
    eager = ShapeLog("eager", compiles=False)
    with eager.call("train", (32, 12), lambda: synced.append(1)):
        pass
    assert eager.details()["compilations"] == 0 and eager.details()["compile_seconds"] == 0.0


def test_a_strategy_asked_of_a_fixed_shape_model_is_unsupported():
    from polybench.errors import UnsupportedError

    class Fixed(Implementation):  # a fixed-shape model's implementation, as every framework's
        __module__ = "polybench.frameworks.torch.mnist_fcn"

    with pytest.raises(UnsupportedError, match="compiler option 'pad' does not apply to mnist_fcn"):
        Fixed.compiler_option_settings("pad")


def test_the_strategy_follows_the_mode_and_a_strategy_option_only():
    from polybench.frameworks.dynamic import DynamicModel

    class Run(DynamicModel):
        dynamic_model = "var_addition"

        def __init__(self, mode, compiler_option=None):
            self.mode, self.compiler_option = mode, compiler_option

    assert Run("eager").strategy == "eager"
    assert Run("graph").strategy == "pad"
    assert Run("graph", "bucket").strategy == "bucket"
    assert Run("graph", "max-autotune").strategy == "pad"  # a compiler setting, not a strategy

    class Scanned(Run):
        dynamic_model = "tree_eval"
        default_strategy = "scan"  # a framework's own default

    assert Scanned("graph").strategy == "scan" and Scanned("graph", "by-height").strategy == "by-height"
    assert Scanned("graph", "xla").strategy == "scan"
