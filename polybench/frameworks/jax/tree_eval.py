"""Tree evaluation in JAX/Flax NNX: a binary Tree-LSTM(64) over each expression's parse tree, dense 10.

Eager mode computes the batch's nodes one height at a time (the node numbers of each height are
data, read on the host from the postfix tokens): a Python loop whose length and shapes follow
the batch's trees. Graph mode's default here is ``scan``, a ``jax.lax.scan`` over the postfix
steps at one padded width, each step's children read by position from the states before it: one
shape, one compilation, as a JAX user writes a recursion for jit. ``by-height`` jits the eager
form with nnx.jit: its inputs are the level node arrays, so each new set of level sizes is a
retrace and an XLA compilation (jit has no dynamic shapes). At exact sizes nearly every batch is
a new set, 1,257 of the quick profile's 1,260 batches over 20 epochs, a compilation per step that
never ends; so it pads the node count and each level's to a power of two (51 sets in those 20
epochs, some 7-10 s each on a loaded 2-core machine against steps of about 12 ms), the padded
nodes computed and counted as padding.
"""

import jax
import jax.numpy as jnp
import numpy as np
from flax import nnx

from polybench.frameworks.dynamic import node_batch, scan_children
from polybench.frameworks.jax.common import assign, load_linear
from polybench.frameworks.jax.dynamic import JaxDynamic
from polybench.specs.tree_eval import DIGITS, GATES, MAX_TOKENS, TOKENS, UNITS


def cell(
    token_z: jax.Array,
    child_kernel: jax.Array,
    h_left: jax.Array,
    h_right: jax.Array,
    c_left: jax.Array,
    c_right: jax.Array,
) -> tuple[jax.Array, jax.Array]:
    """Nodes' (h, c) from their tokens' input projection (bias included) and their children's states."""
    z = token_z + jnp.concatenate([h_left, h_right], axis=-1) @ child_kernel
    i, f_left, f_right, g, o = jnp.split(z, GATES, axis=-1)
    c = nnx.sigmoid(i) * jnp.tanh(g) + nnx.sigmoid(f_left) * c_left + nnx.sigmoid(f_right) * c_right
    return nnx.sigmoid(o) * jnp.tanh(c), c


def next_power_of_two(n: int) -> int:
    return 1 << max(0, int(n) - 1).bit_length()


def height_inputs(x: np.ndarray, lengths: np.ndarray, pad: bool) -> tuple[tuple[np.ndarray, ...], int]:
    """The by-height form of a batch: (tokens, left, right, roots, levels) over ``slots`` node
    slots (the batch's nodes tree after tree, then padding, then a zero slot that every digit
    reads as its children and a scratch slot that padded level entries write to), and the
    number of cell positions computed. ``pad``: the slots and each level's nodes padded to a
    power of two (the padding reads the zero slot and writes the scratch slot)."""
    nodes = node_batch(x, lengths)
    levels = list(nodes.levels())
    slots = next_power_of_two(nodes.nodes + 2) if pad else nodes.nodes + 2
    zero, scratch = slots - 2, slots - 1

    def slotted(array: np.ndarray, fill: int) -> np.ndarray:
        return np.concatenate([array, np.full(slots - nodes.nodes, fill, np.int64)]).astype(np.int32)

    left = slotted(np.where(nodes.left == nodes.nodes, zero, nodes.left), zero)
    right = slotted(np.where(nodes.right == nodes.nodes, zero, nodes.right), zero)
    if pad:
        levels = [np.concatenate([lv, np.full(next_power_of_two(len(lv)) - len(lv), scratch)]) for lv in levels]
    levels = [level.astype(np.int32) for level in levels]
    batch = (slotted(nodes.tokens, 0), left, right, nodes.roots.astype(np.int32), tuple(levels))
    return batch, sum(map(len, levels))


class TreeLSTM(nnx.Module):
    def __init__(self, rngs: nnx.Rngs, form: str):
        # Canonical layouts (x @ kernel): (tokens, 5H), (2H, 5H) the left child's rows first, (5H,).
        self.kernel = nnx.Param(jnp.zeros((len(TOKENS), GATES * UNITS)))
        self.child_kernel = nnx.Param(jnp.zeros((2 * UNITS, GATES * UNITS)))
        self.bias = nnx.Param(jnp.zeros((GATES * UNITS,)))
        self.output = nnx.Linear(UNITS, DIGITS, rngs=rngs)
        self.form = form  # "scan" or "by-height": which input form __call__ takes (static)

    def __call__(self, batch):
        return self.scan(*batch) if self.form == "scan" else self.by_height(*batch)

    def by_height(self, tokens, left, right, roots, levels):
        """Every node slot's state, the nodes of one height at a time (children before parents)."""
        token_z = self.kernel[...][tokens] + self.bias[...]  # a one-hot token times the kernel: its row
        child_kernel = self.child_kernel[...]
        h = c = jnp.zeros((tokens.shape[0], UNITS), token_z.dtype)
        for nodes in levels:
            lt, rt = left[nodes], right[nodes]
            h_new, c_new = cell(token_z[nodes], child_kernel, h[lt], h[rt], c[lt], c[rt])
            h, c = h.at[nodes].set(h_new), c.at[nodes].set(c_new)
        return self.output(h[roots])

    def scan(self, x, left, right, roots):
        """Postfix steps (N, W, tokens), each step's children's positions (N, W; ``W`` for a zero
        state), each tree's root position (N,): one cell per step, padded steps computed too."""
        n, width = left.shape
        token_z = x @ self.kernel[...] + self.bias[...]
        child_kernel = self.child_kernel[...]
        rows = jnp.arange(n)

        def step(carry, step_inputs):
            h, c = carry  # (N, W + 1, H): every step's state so far, the zero state at W
            t, z, lt, rt = step_inputs
            h_new, c_new = cell(z, child_kernel, h[rows, lt], h[rows, rt], c[rows, lt], c[rows, rt])
            h = jax.lax.dynamic_update_index_in_dim(h, h_new, t, axis=1)
            c = jax.lax.dynamic_update_index_in_dim(c, c_new, t, axis=1)
            return (h, c), None

        zeros = jnp.zeros((n, width + 1, UNITS), token_z.dtype)
        steps = (jnp.arange(width), jnp.swapaxes(token_z, 0, 1), left.T, right.T)
        (h, _), _ = jax.lax.scan(step, (zeros, zeros), steps)
        return self.output(h[rows, roots])


class Implementation(JaxDynamic):
    dynamic_model = "tree_eval"
    default_strategy = "scan"  # one shape: by-height compiles per set of level sizes (module docstring)
    own_loop_strategy = "scan"

    def build(self, params):
        model = TreeLSTM(self.rngs, "scan" if self.strategy == "scan" else "by-height")
        assign(model.kernel, params["tree.kernel"])
        assign(model.child_kernel, params["tree.child_kernel"])
        assign(model.bias, params["tree.bias"])
        load_linear(model.output, params, "output")
        return model

    def use_form(self, strategy):
        self.model.form = "scan" if strategy == "scan" else "by-height"

    def inputs(self, x, lengths):
        lengths = np.asarray(lengths)
        real = int(np.sum(lengths))
        if self.strategy == "scan":
            left, right = scan_children(x, lengths, MAX_TOKENS)
            roots = lengths - 1  # each tree's root: its last postfix step
            arrays = (x.astype(np.float32), *(a.astype(np.int32) for a in (left, right, roots)))
            return tuple(map(self.on_device, arrays)), len(lengths) * MAX_TOKENS, real
        (tokens, left, right, roots, levels), computed = height_inputs(x, lengths, pad=self.strategy == "by-height")
        arrays = tuple(self.on_device(a) for a in (tokens, left, right, roots))
        return (*arrays, tuple(self.on_device(level) for level in levels)), computed, real
