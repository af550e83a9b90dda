"""Tree evaluation in Gluon: a binary Tree-LSTM(64) over each expression's parse tree, dense 10.

The cell is a HybridBlock holding the canonical weights; the model gathers each node's children's
states with ``take`` (by height) or ``pick`` (the scan) and calls the cell on them.

Eager mode computes the batch's nodes one height at a time (the nodes of each height and their
children's places are data, read on the host from the postfix tokens): a Python loop over the
heights the batch has, each with its own node count. Graph mode (hybridized, static_alloc and
static_shape) runs one of two strategies:

- ``scan`` (the default): the shift-reduce scan over the postfix steps at the width
  ``MAX_TOKENS``, each step's children read by position from the states before it. The scan is
  unrolled: a Python loop of ``MAX_TOKENS`` steps that hybridize traces into one graph, which
  static_alloc and static_shape plan once. Not ``F.contrib.foreach``: with graph mode's
  static_shape, the same scan body under foreach returned wrong outputs in mxnet 1.9.1 (0.34 from
  the reference on a batch of 32, where the unrolled graph is within 1e-7; correct with
  static_alloc alone or Gluon's defaults), and where it was right it was no faster (its operator
  runs the body through a nested CachedOp once per step). Step ``t`` writes its states with
  ``contrib.index_copy`` into time-major buffers: adding a one-hot slot instead made a
  training step some five times slower (the backward pass's broadcast reductions).
- ``by-height``: the eager form, hybridized. A hybridized block takes a fixed number of inputs
  (Gluon refuses a call whose inputs differ in number from its first call's), so every batch
  brings ``MAX_DEPTH + 1`` heights: a batch whose deepest tree is shallower brings one
  placeholder node (zero token, zero children, read by no one) for each height it lacks, and
  the computed positions count it. The node counts per height are the input shapes: a new set
  of counts is a new shape (a new memory plan under static_shape).

Gluon's own loop (idiomatic mode) hybridizes the eager block with Gluon's defaults and feeds it
by-height batches in that same form.
"""

import numpy as np
from mxnet import nd
from mxnet.gluon import nn

from polybench.frameworks.dynamic import node_batch, scan_children
from polybench.frameworks.mxnet.common import assign, load_dense
from polybench.frameworks.mxnet.dynamic import GluonDynamic
from polybench.specs.tree_eval import DIGITS, GATES, MAX_DEPTH, MAX_TOKENS, TOKENS, UNITS

#: The heights a batch of trees can have: 0 (digits) to MAX_DEPTH.
HEIGHTS = MAX_DEPTH + 1


class TreeLSTMCell(nn.HybridBlock):
    """Nodes' (h, c) from their one-hot tokens and their children's states (Tai et al. 2015, N = 2)."""

    def __init__(self):
        super().__init__()
        # The canonical layouts as they are, applied as x @ kernel (F.dot): kernel (tokens, 5H),
        # child_kernel (2H, 5H) the left child's rows first, bias (5H,); gates i, f_left, f_right, g, o.
        self.kernel = self.params.get("kernel", shape=(len(TOKENS), GATES * UNITS))
        self.child_kernel = self.params.get("child_kernel", shape=(2 * UNITS, GATES * UNITS))
        self.bias = self.params.get("bias", shape=(GATES * UNITS,))

    def hybrid_forward(self, F, x, h_left, h_right, c_left, c_right, kernel, child_kernel, bias):
        z = F.dot(x, kernel) + F.dot(F.concat(h_left, h_right, dim=1), child_kernel)
        i, f_left, f_right, g, o = F.split(F.broadcast_add(z, F.expand_dims(bias, axis=0)), num_outputs=GATES, axis=1)
        c = F.sigmoid(i) * F.tanh(g) + F.sigmoid(f_left) * c_left + F.sigmoid(f_right) * c_right
        return F.sigmoid(o) * F.tanh(c), c


class TreeLSTM(nn.HybridBlock):
    def __init__(self, scan: bool):
        super().__init__()
        self.scan = scan  # which inputs the block takes: the scan's, or the heights'
        self.cell = TreeLSTMCell()
        self.output = nn.Dense(DIGITS, in_units=UNITS)

    def hybrid_forward(self, F, *inputs):
        return self.scan_steps(F, *inputs) if self.scan else self.by_height(F, *inputs)

    def by_height(self, F, roots, *levels):
        """``levels``: per height from the leaves up, its nodes' one-hot tokens (n, tokens) and their
        left and right children's rows (n,) in the table of states, which holds a zero state, then
        every node of each height before, in order; ``roots`` (N,) the trees' roots' rows."""
        h = c = F.zeros(shape=(1, UNITS))  # row 0: a digit's children
        for k in range(0, len(levels), 3):
            x, left, right = levels[k : k + 3]
            h_new, c_new = self.cell(x, F.take(h, left), F.take(h, right), F.take(c, left), F.take(c, right))
            h, c = F.concat(h, h_new, dim=0), F.concat(c, c_new, dim=0)
        return self.output(F.take(h, roots))

    def scan_steps(self, F, x, left, right, roots):
        """Postfix steps (N, W, tokens) with W = MAX_TOKENS, each step's children's positions (N, W;
        ``W`` for a zero state), each tree's root position (N,): one cell per step, padded steps
        computed too. The states are time-major, (W + 1, N, H): step ``t`` writes position ``t``
        (``index_copy``, whose backward is a copy), children are picked per sample along axis 0."""
        width = MAX_TOKENS

        def per_unit(index, axis):  # positions (N,) or (N, W) -> (N, H) or (N, W, H): the index form pick takes
            return F.broadcast_axis(F.expand_dims(index, axis=axis), axis=axis, size=UNITS)

        h = c = F.broadcast_like(F.zeros(shape=(width + 1, 1, UNITS)), x, lhs_axes=(1,), rhs_axes=(0,))
        left, right = per_unit(left, 2), per_unit(right, 2)
        for t in range(width):
            lt, rt = (F.squeeze(F.slice_axis(side, axis=1, begin=t, end=t + 1), axis=1) for side in (left, right))
            x_t = F.squeeze(F.slice_axis(x, axis=1, begin=t, end=t + 1), axis=1)
            children = [F.pick(state, index, axis=0) for state in (h, c) for index in (lt, rt)]
            h_new, c_new = self.cell(x_t, *children)
            position = F.ones(shape=(1,), dtype="int64") * t
            h = F.contrib.index_copy(h, position, F.expand_dims(h_new, axis=0))
            c = F.contrib.index_copy(c, position, F.expand_dims(c_new, axis=0))
        return self.output(F.pick(h, per_unit(roots, 1), axis=0))


def height_levels(x: np.ndarray, lengths: np.ndarray, heights: int | None) -> tuple[list[np.ndarray], int]:
    """A batch's trees as ``TreeLSTM.by_height``'s inputs (roots, then tokens, left, right per
    height) and the nodes it computes. With ``heights``, a height the batch lacks brings one
    placeholder node, so that every batch brings as many heights."""
    nodes = node_batch(x, lengths)
    one_hot = np.eye(len(TOKENS), dtype=np.float32)
    row = np.zeros(nodes.nodes + 1, dtype=np.int64)  # each node's row in the table; a digit's children: 0
    levels, used = list(nodes.levels()), 1
    arrays: list[np.ndarray] = []
    for level in range(heights or len(levels)):
        if level >= len(levels):  # a placeholder: its row follows, nothing reads it
            arrays += [np.zeros((1, len(TOKENS)), np.float32), np.zeros(1, np.int64), np.zeros(1, np.int64)]
            used += 1
            continue
        members = levels[level]
        row[members] = np.arange(used, used + len(members))
        used += len(members)
        arrays += [one_hot[nodes.tokens[members]], row[nodes.left[members]], row[nodes.right[members]]]
    return [row[nodes.roots], *arrays], used - 1


class Implementation(GluonDynamic):
    dynamic_model = "tree_eval"
    idiomatic_strategy = "by-height"

    def build(self, params):
        model = TreeLSTM(scan=self.strategy == "scan")
        model.initialize(ctx=self.device)
        assign(model.cell.kernel, params["tree.kernel"])
        assign(model.cell.child_kernel, params["tree.child_kernel"])
        assign(model.cell.bias, params["tree.bias"])
        load_dense(model.output, params, "output")
        return model

    def inputs(self, x, lengths, strategy):
        real = int(np.sum(lengths))
        if strategy == "scan":
            left, right = scan_children(x, lengths, MAX_TOKENS)
            arrays = [x, left, right, np.asarray(lengths) - 1]
            computed = len(lengths) * MAX_TOKENS
        else:  # eager: the batch's own heights; compiled: always HEIGHTS of them
            arrays, computed = height_levels(x, lengths, None if strategy == "eager" else HEIGHTS)
        return tuple(self.device_array(a) for a in arrays), computed, real

    def device_array(self, array: np.ndarray) -> nd.NDArray:
        dtype = "float32" if array.dtype.kind == "f" else "int32"
        return nd.array(array, ctx=self.device, dtype=dtype)
