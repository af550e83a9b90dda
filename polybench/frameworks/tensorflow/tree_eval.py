"""Tree evaluation in TensorFlow/Keras: a binary Tree-LSTM(64) over each expression's parse tree,
dense 10.

The cell is a Keras layer holding the canonical kernel, child kernel and bias. Eager mode
computes the batch's nodes one height at a time (the node numbers of each height are data, read
on the host from the postfix tokens): a Python loop whose length and shapes follow the batch's
trees. Graph mode's default (and Keras' fit) is a shift-reduce scan over the postfix steps at
one padded width, each step's children read by position from the states before it: a
``keras.ops.fori_loop``, which is a ``tf.while_loop`` in the traced graph, so that one trace
serves every batch; ``by-height`` traces the eager form instead (the levels unrolled, one trace
per number of levels once reduce_retracing has relaxed the node counts).
"""

import keras
import numpy as np
import tensorflow as tf
from keras import layers, ops

from polybench.frameworks.dynamic import node_batch, scan_children
from polybench.frameworks.tensorflow.common import load_dense
from polybench.frameworks.tensorflow.dynamic import KerasDynamic
from polybench.specs.tree_eval import DIGITS, GATES, MAX_TOKENS, TOKENS, UNITS


class TreeLSTMCell(layers.Layer):
    """Binary Tree-LSTM cell (polybench.specs.tree_eval), weights in the canonical layouts
    (x @ kernel): kernel (tokens, 5H), child_kernel (2H, 5H) the left child's rows first, bias
    (5H), gates input, left forget, right forget, cell candidate, output."""

    def __init__(self, units: int, **kwargs):
        super().__init__(**kwargs)
        self.units = units

    def build(self, input_shape):
        gates = GATES * self.units
        self.kernel = self.add_weight(shape=(input_shape[-1], gates), name="kernel")
        self.child_kernel = self.add_weight(shape=(2 * self.units, gates), name="child_kernel")
        self.bias = self.add_weight(shape=(gates,), name="bias")

    def call(self, x, h_left, c_left, h_right, c_right):
        """Nodes' (h, c) from their one-hot tokens and their children's states."""
        z = ops.matmul(x, self.kernel) + ops.matmul(ops.concatenate([h_left, h_right], axis=-1), self.child_kernel)
        i, f_left, f_right, g, o = ops.split(z + self.bias, GATES, axis=-1)
        c = ops.sigmoid(i) * ops.tanh(g) + ops.sigmoid(f_left) * c_left + ops.sigmoid(f_right) * c_right
        return ops.sigmoid(o) * ops.tanh(c), c


class TreeEvalNet(keras.Model):
    """Takes (x, left, right, roots), the scan's form, or (tokens, left, right, roots, *levels),
    the by-height form (at least two levels: every tree has an operator)."""

    def __init__(self):
        super().__init__()
        self.cell = TreeLSTMCell(UNITS, name="tree")
        self.logits = layers.Dense(DIGITS, name="output")

    def call(self, inputs):
        if len(inputs) == 4:
            return self.scan(*inputs)
        return self.by_height(*inputs)

    def by_height(self, tokens, left, right, roots, *levels):
        """Every node of the batch (left/right index ``nodes``, a zero state, for a digit), one height at a time."""
        x = ops.one_hot(tokens, len(TOKENS))
        h = c = ops.zeros((ops.shape(tokens)[0] + 1, UNITS))
        for nodes in levels:
            lt, rt = ops.take(left, nodes), ops.take(right, nodes)
            h_new, c_new = self.cell(
                ops.take(x, nodes, axis=0), ops.take(h, lt, axis=0), ops.take(c, lt, axis=0),
                ops.take(h, rt, axis=0), ops.take(c, rt, axis=0),
            )  # fmt: skip
            h, c = ops.scatter_update(h, nodes[:, None], h_new), ops.scatter_update(c, nodes[:, None], c_new)
        return self.logits(ops.take(h, roots, axis=0))

    def scan(self, x, left, right, roots):
        """Postfix steps (N, W, tokens), each step's children's positions (N, W; ``W`` for a zero
        state), each tree's root position (N,): one cell per step, padded steps computed too.
        The states (N, W + 1, H) are the loop's carry; step t writes position t."""
        width = x.shape[1]
        positions = ops.arange(width + 1)[None, :, None]

        def at(states, index):  # each sample's state at its own position
            return ops.take_along_axis(states, index[:, None, None], axis=1)[:, 0]

        def step(t, carry):
            h, c = carry
            lt, rt = left[:, t], right[:, t]
            h_new, c_new = self.cell(x[:, t], at(h, lt), at(c, lt), at(h, rt), at(c, rt))
            here = ops.equal(positions, t)
            return ops.where(here, h_new[:, None], h), ops.where(here, c_new[:, None], c)

        zeros = ops.zeros((ops.shape(x)[0], width + 1, UNITS))
        h, _ = ops.fori_loop(0, width, step, (zeros, zeros))
        return self.logits(at(h, roots))


class Implementation(KerasDynamic):
    dynamic_model = "tree_eval"
    fit_strategy = "scan"

    def build(self, params):
        model = TreeEvalNet()
        model.cell.build((None, len(TOKENS)))
        model.logits.build((None, UNITS))
        model.built = True
        model.cell.set_weights([params["tree.kernel"], params["tree.child_kernel"], params["tree.bias"]])
        load_dense(model.logits, params, "output")
        return model

    def inputs(self, x, lengths):
        real = int(np.sum(lengths))
        if self.strategy == "scan":
            left, right = scan_children(x, lengths, MAX_TOKENS)
            arrays = (np.asarray(x, dtype=np.float32), left, right, np.asarray(lengths) - 1)
            return tuple(map(tf.convert_to_tensor, arrays)), len(lengths) * MAX_TOKENS, real
        nodes = node_batch(x, lengths)
        arrays = (nodes.tokens, nodes.left, nodes.right, nodes.roots, *nodes.levels())
        return tuple(map(tf.convert_to_tensor, arrays)), real, real
