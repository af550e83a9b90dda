"""Variable-length addition in JAX/Flax NNX: encoder LSTM(100) at each problem's own length, its
last state repeated for every answer character, decoder LSTM(100), dense 12.

Eager mode reads the batch as PyTorch's packed sequence does, op by op: the rows sorted by
length, step ``t`` runs the cell on the rows whose problem is still going (a prefix of the
sorted rows), the others keep their state, so no padded step is computed. Graph mode pads the
batch to its strategy's width (polybench.frameworks.dynamic) and nnx.RNN's scan takes the
lengths (``seq_lengths``): each sample's state after its last real character is the one the
decoder reads, one compiled step per width met.
"""

import jax
import jax.numpy as jnp
import numpy as np
from flax import nnx

from polybench.frameworks.dynamic import padded_width
from polybench.frameworks.jax.common import LSTM, load_linear, load_lstm
from polybench.frameworks.jax.dynamic import JaxDynamic
from polybench.specs.addition import ALPHABET
from polybench.specs.var_addition import ANSWER_CHARS, DECODER_UNITS, ENCODER_UNITS, PROBLEM_CHARS


def packed_last_state(cell: nnx.OptimizedLSTMCell, x: jax.Array, lengths: np.ndarray) -> jax.Array:
    """Each row's hidden state after its last real step (N, H), computing real steps only:
    ``lengths`` on the host, the rows sorted longest first, step ``t`` runs on the first rows,
    those longer than ``t``."""
    order = np.argsort(-lengths, kind="stable")
    x = x[order]
    zeros = jnp.zeros((len(lengths), cell.hidden_features), x.dtype)
    c, h = zeros, zeros  # the fused cell's carry is (c, h)
    for t in range(int(lengths.max())):
        going = int(np.sum(lengths > t))
        (c_going, h_going), _ = cell((c[:going], h[:going]), x[:going, t])
        c, h = jnp.concatenate([c_going, c[going:]]), jnp.concatenate([h_going, h[going:]])
    return h[np.argsort(order)]


class VarAdditionNet(nnx.Module):
    def __init__(self, rngs: nnx.Rngs, scan: bool):
        self.encoder = LSTM(len(ALPHABET), ENCODER_UNITS, rngs=rngs, scan=scan)
        self.decoder = LSTM(ENCODER_UNITS, DECODER_UNITS, rngs=rngs, scan=scan)
        self.output = nnx.Linear(DECODER_UNITS, len(ALPHABET), rngs=rngs)

    def __call__(self, batch):  # (x (N, steps, 12) one-hot characters then zeros, lengths (N,))
        x, lengths = batch
        if self.encoder.scan:
            _, h = self.encoder(x, lengths)  # every step computed, the state after each sample's last kept
        else:
            h = packed_last_state(self.encoder.cell, x, lengths)  # host lengths: real steps only
        repeated = jnp.repeat(h[:, None, :], ANSWER_CHARS, axis=1)  # one copy per answer character
        decoded, _ = self.decoder(repeated)
        return self.output(decoded)  # (N, ANSWER_CHARS, 12) logits


class Implementation(JaxDynamic):
    dynamic_model = "var_addition"
    own_loop_strategy = "pad"  # one shape: every batch at the longest problem, the lengths to nnx.RNN

    def build(self, params):
        model = VarAdditionNet(self.rngs, self.scan)
        load_lstm(model.encoder.cell, params, "encoder")
        load_lstm(model.decoder.cell, params, "decoder")
        load_linear(model.output, params, "output")
        return model

    def use_form(self, strategy):
        for lstm in (self.model.encoder, self.model.decoder):
            lstm.scan = strategy != "eager"

    def inputs(self, x, lengths):
        lengths = np.asarray(lengths)
        real = int(np.sum(lengths))
        if self.strategy == "eager":  # the packed loop reads the lengths on the host
            x = self.on_device(x[:, : int(lengths.max())].astype(np.float32))
            return (x, lengths), real, real
        width = padded_width(self.strategy, lengths, PROBLEM_CHARS)
        x = self.on_device(x[:, :width].astype(np.float32))
        return (x, self.on_device(lengths.astype(np.int32))), len(lengths) * width, real
