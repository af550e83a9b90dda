"""Tree evaluation in Chainer: a binary Tree-LSTM(64) over each expression's parse tree, dense 10.

Eager mode (and Chainer's own loop) computes the batch's nodes one height at a time: the host
numbers the nodes level by level (a zero state first, then the leaves, then each height), so that
every level's children are rows of the states computed so far, gathered by ``F.embed_id`` with the
children's numbers as an input; each level's states are appended to them. A Python loop whose
length and shapes follow the batch's trees, define-by-run.

Graph mode's default, ``scan``, runs one cell per postfix step at the task's longest width
(MAX_TOKENS), each step's children read by position from the states before it (a buffer of
MAX_TOKENS + 1 states per sample, the last one zeros, written at the step's own position): the
static graph traces one schedule per batch size. ``by-height`` runs the eager form under the
static graph: its inputs' shapes are the batch's node counts per height, so nearly every batch
is a new shape and a new trace (forward and backward). A plain static graph keeps every shape's
schedules for the rest of the run (some 2.7 MB each here: 31,000 batches of the full profile
would not fit in memory), so this strategy's graph drops them at each switch between training and
evaluation (``minimize_cache_size=True``, StaticGraphPerPhase): at most an epoch's.

Chainer's own binary tree cell, ``F.slstm``, has a forget gate per child but adds the two
children's pre-activations of the other gates, taken in F.lstm's interleaved layout; the cell is
written out on the canonical (i, f_left, f_right, g, o) blocks instead.
"""

import chainer
import chainer.functions as F
import chainer.links as L
import numpy as np

from polybench.frameworks.chainer.common import (
    StaticGraph,
    StaticGraphPerPhase,
    assign,
    load_linear,
    scheduled_zeros,
)
from polybench.frameworks.chainer.dynamic import ChainerDynamic
from polybench.frameworks.dynamic import node_batch, scan_children
from polybench.specs.tree_eval import DIGITS, GATES, MAX_TOKENS, TOKENS, UNITS


class TreeLSTM(chainer.Chain):
    def __init__(self, scan: bool):
        super().__init__()
        self.scan = scan  # the scan strategy's inputs, else the nodes by height
        with self.init_scope():
            # Canonical layouts (x @ kernel): (tokens, 5H), (2H, 5H) the left child's rows first, (5H,).
            # ``kernel`` is also F.embed_id's (ids, features) table: a token's row is its projection.
            self.kernel = chainer.Parameter(shape=(len(TOKENS), GATES * UNITS))
            self.child_kernel = chainer.Parameter(shape=(2 * UNITS, GATES * UNITS))
            self.bias = chainer.Parameter(shape=(GATES * UNITS,))
            self.output = L.Linear(UNITS, DIGITS)

    def cell(self, token_z, left, right):
        """Nodes' states (M, 2H), h then c, from their tokens' input projection (M, 5H) and their
        children's states (M, 2H) each."""
        z = token_z + F.matmul(F.concat([left[:, :UNITS], right[:, :UNITS]], axis=1), self.child_kernel)
        i, f_left, f_right, g, o = F.split_axis(z, GATES, axis=1)
        c = F.sigmoid(i) * F.tanh(g) + F.sigmoid(f_left) * left[:, UNITS:] + F.sigmoid(f_right) * right[:, UNITS:]
        return F.concat([F.sigmoid(o) * F.tanh(c), c], axis=1)

    def forward(self, batch):
        return self.scan_steps(*batch) if self.scan else self.by_height(*batch)

    def by_height(self, roots, *levels):
        """``levels``: per height from the leaves up, its nodes' token ids (M,) and their children's
        numbers (2M,: the left children, then the right), node 0 the zero state and the others
        numbered level after level; ``roots`` (N,): each tree's root number."""
        states = scheduled_zeros(self.xp, (1, 2 * UNITS), self.kernel.dtype)  # node 0: a digit's children
        for tokens, children in zip(levels[::2], levels[1::2], strict=True):
            m = tokens.shape[0]
            token_z = F.embed_id(tokens, self.kernel) + self.bias  # a one-hot token times the kernel: its row
            gathered = F.embed_id(children, states)  # (2M, 2H), the children numbers an input
            states = F.concat([states, self.cell(token_z, gathered[:m], gathered[m:])], axis=0)
        return self.output(F.embed_id(roots, states)[:, :UNITS])

    def scan_steps(self, x, children, roots):
        """Postfix steps (N, W, tokens), one-hot then zeros; per step its nodes' children (W, 2N) as
        rows of the flattened state buffer (N * (W + 1), 2H): sample n's positions n * (W + 1) + p,
        ``p = W`` the zero state of a digit or a padded step; each tree's root row (N,). Every step,
        padded ones too, computes a cell and writes it at its own position."""
        n, width = x.shape[:2]
        token_z = F.separate(F.matmul(x, self.kernel) + self.bias, axis=1)  # (N, 5H) per step
        states = scheduled_zeros(self.xp, (n, width + 1, 2 * UNITS), x.dtype)
        for t in range(width):
            gathered = F.embed_id(children[t], F.reshape(states, (n * (width + 1), 2 * UNITS)))
            # the step's states written at position t, which is zero until then
            states = F.scatter_add(states, (slice(None), t), self.cell(token_z[t], gathered[:n], gathered[n:]))
        return self.output(F.embed_id(roots, F.reshape(states, (n * (width + 1), 2 * UNITS)))[:, :UNITS])


class Implementation(ChainerDynamic):
    dynamic_model = "tree_eval"

    @property
    def static_graph(self) -> type[StaticGraph]:
        # by-height meets a new shape nearly every batch, and each kept schedule holds some 2.7 MB
        # (quick-profile batches): the cache is dropped at each phase change (once per epoch).
        return StaticGraphPerPhase if self.strategy == "by-height" else StaticGraph

    def build(self, params):
        model = TreeLSTM(scan=self.strategy == "scan")
        assign(model.kernel, params["tree.kernel"])
        assign(model.child_kernel, params["tree.child_kernel"])
        assign(model.bias, params["tree.bias"])
        load_linear(model.output, params, "output")
        return model

    def inputs(self, x, lengths):
        lengths = np.asarray(lengths)
        real = int(np.sum(lengths))
        if self.strategy == "scan":
            n, width = len(lengths), MAX_TOKENS
            left, right = scan_children(x, lengths, width)
            rows = (np.arange(n) * (width + 1))[:, None]  # each sample's first row in the flattened buffer
            children = np.concatenate([left + rows, right + rows], axis=0).T  # (W, 2N)
            batch = (x[:, :width], children, rows[:, 0] + lengths - 1)
            return tuple(self.device.send(np.ascontiguousarray(a, dtype=a.dtype)) for a in batch), n * width, real
        nodes = node_batch(x, lengths)
        # Number the nodes level by level after the zero state (0), so that a level's children
        # are among the states before it; a digit's children (nodes.nodes) are the zero state.
        levels = list(nodes.levels())
        number = np.zeros(nodes.nodes + 1, dtype=np.int32)
        number[np.concatenate(levels)] = np.arange(1, nodes.nodes + 1)
        batch = [number[nodes.roots]]
        for level in levels:
            batch += [
                nodes.tokens[level].astype(np.int32),
                np.concatenate([number[nodes.left[level]], number[nodes.right[level]]]),
            ]
        return tuple(self.device.send(np.ascontiguousarray(a)) for a in batch), real, real
