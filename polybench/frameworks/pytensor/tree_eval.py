"""Tree evaluation in PyTensor: a binary Tree-LSTM(64) over each expression's parse tree, dense 10.

A define-and-run graph cannot follow a tree with Python control flow: the tree is data, and the
graph must hold every computation any tree can ask for. Graph mode's default, ``by-height``,
numbers the batch's nodes by height on the host and computes height ``k``'s nodes (one slice of
rows) in one cell call, its children's states gathered from the rows the lower heights wrote:
the graph unrolls the task's six heights (0 to MAX_DEPTH), and a height the batch lacks is an
empty slice. The node count and each height's size are symbolic, so one compiled function serves
every batch, unpadded. (A ``pytensor.scan`` over the heights cannot be differentiated: scan keeps
each step's intermediates for the gradient as one stacked output, so every step must have the
same shape, and the heights' sizes differ.) ``scan`` is the shift-reduce scan over the postfix
steps padded to the longest expression the task draws, each step's children read by position
from the states before it: also one compilation, most steps padding.

A node's state is one row [h, c] (2H), so each read and write is one gather or one scatter.
"""

import numpy as np
import pytensor
import pytensor.tensor as pt

from polybench.frameworks.dynamic import node_batch, scan_children
from polybench.frameworks.pytensor.common import FLOAT, dense
from polybench.frameworks.pytensor.dynamic import PyTensorDynamic
from polybench.specs.tree_eval import GATES, MAX_DEPTH, MAX_TOKENS, TOKENS, UNITS


def cell(token_z, child_kernel, left, right):
    """Nodes' states [h, c] (M, 2H) from their tokens' input projection (bias included, (M, 5H))
    and their children's states [h, c] (M, 2H each; zeros for a digit's)."""
    z = token_z + pt.dot(pt.concatenate([left[:, :UNITS], right[:, :UNITS]], axis=1), child_kernel)
    i, f_left, f_right, g, o = (z[:, k * UNITS : (k + 1) * UNITS] for k in range(GATES))
    c = pt.sigmoid(i) * pt.tanh(g) + pt.sigmoid(f_left) * left[:, UNITS:] + pt.sigmoid(f_right) * right[:, UNITS:]
    return pt.concatenate([pt.sigmoid(o) * pt.tanh(c), c], axis=1)


def root_states(states, roots):
    """The rows ``roots`` of ``states`` (nodes, 2H), indexed by two arrays. PyTensor 3.0.7's
    gradient of a one-array row gather (AdvancedIncSubtensor1) refuses a gradient of one row
    into a larger matrix ("Runtime broadcasting not allowed", a check that compares the row count
    with the matrix's, not the index's): a batch of one tree would fail to train. Two index arrays
    take the general advanced indexing, whose gradient has no such check."""
    return states[roots[:, None], pt.arange(states.shape[1])[None, :]]


class Implementation(PyTensorDynamic):
    dynamic_model = "tree_eval"
    own_loop_strategy = "by-height"  # the default: one compilation, no padding

    def input_variables(self):
        if self.strategy == "scan":
            # postfix steps (N, W, tokens), each step's children's positions (N, W; W for a zero
            # state), each tree's root position (N,)
            x = pt.tensor("x", dtype=FLOAT, shape=(None, None, len(TOKENS)))
            return x, pt.imatrix("left"), pt.imatrix("right"), pt.ivector("roots")
        # the batch's nodes numbered by height (tokens, each one's children: ``nodes`` for a digit's
        # zero state), each tree's root, where each height's nodes start (MAX_DEPTH + 2 entries)
        return tuple(pt.ivector(name) for name in ("tokens", "left", "right", "roots", "starts"))

    def graph(self, *inputs, train):
        kernel, child_kernel, bias = (self.params[f"tree.{part}"] for part in ("kernel", "child_kernel", "bias"))
        if self.strategy == "scan":
            states = self.scan(*inputs, kernel, child_kernel, bias)
        else:
            states = self.by_height(*inputs, kernel, child_kernel, bias)
        return dense(states[:, :UNITS], self.params, "output")  # the roots' h -> (N, 10) logits

    @staticmethod
    def by_height(tokens, left, right, roots, starts, kernel, child_kernel, bias):
        """The roots' states, every node computed once, one height at a time: the nodes are
        numbered by height, so height ``k``'s nodes are the rows ``starts[k]:starts[k + 1]``,
        computed in one cell call and written as one slice; a height the batch lacks is empty."""
        token_z = kernel[tokens] + bias  # a one-hot token times the kernel: its row
        states = pt.zeros((tokens.shape[0] + 1, 2 * UNITS), dtype=FLOAT)  # the last row: a digit's children
        for k in range(MAX_DEPTH + 1):
            start, stop = starts[k], starts[k + 1]
            # Both children in one gather: 2M rows, never one (see ``root_states``).
            children = states[pt.concatenate([left[start:stop], right[start:stop]])]
            new = cell(token_z[start:stop], child_kernel, children[: stop - start], children[stop - start :])
            states = pt.set_subtensor(states[start:stop], new)
        return root_states(states, roots)

    @staticmethod
    def scan(x, left, right, roots, kernel, child_kernel, bias):
        """The roots' states, one cell per postfix step of every sample, padded steps computed too:
        the states (N, W + 1, 2H) are the scan's carry, the zero state at W; step t writes position t."""
        n, width = x.shape[0], x.shape[1]
        rows = pt.arange(n)
        token_z = pt.dot(x.dimshuffle(1, 0, 2), kernel) + bias  # (W, N, 5H)

        def step(t, z, left_t, right_t, states, rows, child_kernel):
            new = cell(z, child_kernel, states[rows, left_t], states[rows, right_t])
            return pt.set_subtensor(states[:, t], new)

        zeros = pt.zeros((n, width + 1, 2 * UNITS), dtype=FLOAT)
        states = pytensor.scan(
            step,
            sequences=[pt.arange(width), token_z, left.T, right.T],
            outputs_info=[zeros],
            non_sequences=[rows, child_kernel],
            strict=True,
            return_updates=False,
        )
        return states[-1][rows, roots]  # two index arrays: the general advanced indexing (``root_states``)

    def inputs(self, x, lengths):
        lengths = np.asarray(lengths)
        real = int(np.sum(lengths))
        if self.strategy == "scan":
            left, right = scan_children(x, lengths, MAX_TOKENS)
            positions = (a.astype(np.int32) for a in (left, right, lengths - 1))  # a root: its tree's last step
            return (np.asarray(x, dtype=np.float32), *positions), len(lengths) * MAX_TOKENS, real
        nodes = node_batch(x, lengths)
        order = np.argsort(nodes.height, kind="stable")  # the nodes numbered by height, leaves first
        renumber = np.empty(nodes.nodes + 1, dtype=np.int64)
        renumber[order], renumber[-1] = np.arange(nodes.nodes), nodes.nodes  # the zero state stays last
        starts = np.searchsorted(nodes.height[order], np.arange(MAX_DEPTH + 2))  # heights 0 to the task's deepest
        children = (renumber[side[order]] for side in (nodes.left, nodes.right))
        arrays = (nodes.tokens[order], *children, renumber[nodes.roots], starts)
        return tuple(np.asarray(a, dtype=np.int32) for a in arrays), real, real
