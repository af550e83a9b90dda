"""The LSTM written per step, as Chainer's own examples write it: one matrix product projects
every time step's input at once, then a Python loop adds ``h @ W_h`` and calls ``F.lstm``.

Canonical -> Chainer mapping (``load_step_lstm``): the canonical kernels (in, 4H) and
(H, 4H) and the bias (4H,) hold four column blocks in the gate order (input, forget, cell
candidate, output). ``F.lstm`` reads its (N, 4H) pre-activations as (N, H, 4), that is unit j's
gates side by side at columns 4j..4j+3, in the order (a, i, f, o) with a the cell candidate
(``chainer/functions/rnn/lstm.py::_extract_gates``). So the blocks are reordered to
(cell, input, forget, output), interleaved per unit, and transposed into ``L.Linear``'s
(out, in) W. The input projection carries the one bias; the recurrent one has none.
"""

from __future__ import annotations

import chainer
import chainer.functions as F
import chainer.links as L
import numpy as np

from polybench.frameworks.chainer.common import assign, scheduled_zeros

#: Where each of F.lstm's (a, i, f, o) gates sits among the canonical (i, f, c, o) blocks.
CANONICAL_BLOCK_OF_GATE = (2, 0, 1, 3)


def interleave_gates(canonical: np.ndarray) -> np.ndarray:
    """(..., 4H) canonical (i, f, c, o) blocks -> (..., 4H) in F.lstm's per-unit (a, i, f, o) order."""
    blocks = np.split(canonical, 4, axis=-1)
    return np.stack([blocks[k] for k in CANONICAL_BLOCK_OF_GATE], axis=-1).reshape(canonical.shape)


class StepLSTM(chainer.Chain):
    """One LSTM layer and direction: ``input`` (in -> 4H, with the bias) and ``recurrent``
    (H -> 4H, no bias) in F.lstm's gate layout. Zero initial state."""

    def __init__(self, in_size: int, out_size: int) -> None:
        super().__init__()
        self.out_size = out_size
        with self.init_scope():
            self.input = L.Linear(in_size, 4 * out_size)
            self.recurrent = L.Linear(out_size, 4 * out_size, nobias=True)

    def forward(self, x, reverse: bool = False) -> list[chainer.Variable]:
        """x: (N, T, in) -> the T hidden states (N, H) in time order; ``reverse`` reads the
        sequence from its last step to its first (the backward direction)."""
        n, steps = x.shape[:2]
        gates = F.separate(self.input(x, n_batch_axes=2), axis=1)  # every step's input projection at once
        order = range(steps - 1, -1, -1) if reverse else range(steps)
        c = scheduled_zeros(self.xp, (n, self.out_size), x.dtype)
        h = None
        hs = [None] * steps
        for t in order:
            c, h = F.lstm(c, gates[t] if h is None else gates[t] + self.recurrent(h))
            hs[t] = h
        return hs


def load_step_lstm(link: StepLSTM, params: dict[str, np.ndarray], name: str) -> None:
    """Canonical LSTM ``name`` -> a StepLSTM (the mapping in the module docstring)."""
    assign(link.input.W, interleave_gates(params[f"{name}.kernel"]).T)
    assign(link.input.b, interleave_gates(params[f"{name}.bias"]))
    assign(link.recurrent.W, interleave_gates(params[f"{name}.recurrent_kernel"]).T)
