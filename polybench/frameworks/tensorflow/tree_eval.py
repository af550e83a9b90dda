"""Tree evaluation in TensorFlow/Keras: a binary Tree-LSTM(64) over each expression's parse tree,
dense 10.

The cell is a Keras layer holding the canonical kernel, child kernel and bias. Eager mode
computes the batch's nodes one height at a time (the node numbers of each height are data, read
on the host from the postfix tokens): a Python loop whose length and shapes follow the batch's
trees. Graph mode's default, ``by-height``, traces that same code: the levels unrolled, the node
counts relaxed to None by reduce_retracing, so that one trace per number of levels serves every
batch. ``scan`` (and Keras' fit, whose in-memory inputs need one structure for every batch) is
a shift-reduce scan over the postfix steps at one padded width, each step's children read by
position from the states before it: a ``keras.ops.while_loop``, a ``tf.while_loop`` in the
traced graph, one trace for every batch. Under XLA (the ``xla`` option, or Keras' "auto" rule
on a machine with an accelerator) by-height compiles every new set of node counts, nearly every
batch (some 7 s a step on a CPU); the scan compiles once.
"""

import keras
import numpy as np
import tensorflow as tf
from keras import layers, ops

from polybench.frameworks.dynamic import node_batch, scan_children
from polybench.frameworks.tensorflow.dynamic import KerasDynamic
from polybench.frameworks.tensorflow.keras_common import load_dense
from polybench.specs.tree_eval import DIGITS, GATES, MAX_TOKENS, TOKENS, UNITS


class TreeLSTMCell(layers.Layer):
    """Binary Tree-LSTM cell (polybench.specs.tree_eval), weights in the canonical layouts
    (x @ kernel): kernel (tokens, 5H), child_kernel (2H, 5H) the left child's rows first, bias
    (5H), gates input, left forget, right forget, cell candidate, output. A node's state is one
    row [h, c] (2H), so that the models read and write both with one gather or scatter."""

    def __init__(self, units: int, **kwargs):
        super().__init__(**kwargs)
        self.units = units

    def build(self, input_shape):
        gates = GATES * self.units
        self.kernel = self.add_weight(shape=(input_shape[-1], gates), name="kernel")
        self.child_kernel = self.add_weight(shape=(2 * self.units, gates), name="child_kernel")
        self.bias = self.add_weight(shape=(gates,), name="bias")

    def call(self, x, left, right):
        """Nodes' states [h, c] from their one-hot tokens and their children's states."""
        (h_left, c_left), (h_right, c_right) = ops.split(left, 2, axis=-1), ops.split(right, 2, axis=-1)
        z = ops.matmul(x, self.kernel) + ops.matmul(ops.concatenate([h_left, h_right], axis=-1), self.child_kernel)
        i, f_left, f_right, g, o = ops.split(z + self.bias, GATES, axis=-1)
        c = ops.sigmoid(i) * ops.tanh(g) + ops.sigmoid(f_left) * c_left + ops.sigmoid(f_right) * c_right
        return ops.concatenate([ops.sigmoid(o) * ops.tanh(c), c], axis=-1)


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
        states = ops.zeros((ops.shape(tokens)[0] + 1, 2 * UNITS))
        for nodes in levels:
            children = (ops.take(states, ops.take(side, nodes), axis=0) for side in (left, right))
            states = ops.scatter_update(states, nodes[:, None], self.cell(ops.take(x, nodes, axis=0), *children))
        return self.logits(ops.take(states, roots, axis=0)[:, :UNITS])

    def scan(self, x, left, right, roots):
        """Postfix steps (N, W, tokens), each step's children's positions (N, W; ``W`` for a zero
        state), each tree's root position (N,): one cell per step, padded steps computed too.
        The states (N, W + 1, 2H) are the loop's carry; step t writes position t."""
        width = x.shape[1]
        rows = ops.arange(ops.shape(x)[0])

        def at(states, positions):  # each sample's state at its own position
            # tf.gather with batch_dims: keras.ops.take_along_axis would transpose the whole carry
            return tf.gather(states, positions, batch_dims=1)

        def step(t, states):
            new = self.cell(x[:, t], at(states, left[:, t]), at(states, right[:, t]))
            return t + 1, ops.scatter_update(states, ops.stack([rows, ops.full_like(rows, t)], axis=1), new)

        # A while loop with its trip count bounded: XLA differentiates no other (fori_loop sets none).
        _, states = ops.while_loop(
            lambda t, _: t < width,
            step,
            (0, ops.zeros((ops.shape(x)[0], width + 1, 2 * UNITS))),
            maximum_iterations=width,
        )
        return self.logits(at(states, roots)[:, :UNITS])


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
