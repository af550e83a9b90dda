"""Addition in JAX/Flax NNX: encoder LSTM(75), its last output repeated twice, decoder LSTM(50), dense 12."""

import jax.numpy as jnp
from flax import nnx

from polybench.frameworks.jax.common import LSTM, NNXImplementation, load_linear, load_lstm


class EncoderDecoder(nnx.Module):
    def __init__(self, rngs: nnx.Rngs, scan: bool):
        self.encoder = LSTM(12, 75, rngs=rngs, scan=scan)
        self.decoder = LSTM(75, 50, rngs=rngs, scan=scan)
        self.output = nnx.Linear(50, 12, rngs=rngs)

    def __call__(self, x):  # x: (N, 8, 12) one-hot characters
        _, h = self.encoder(x)
        repeated = jnp.repeat(h[:, None, :], 2, axis=1)  # one copy per answer character
        decoded, _ = self.decoder(repeated)
        return self.output(decoded)  # (N, 2, 12) logits


class Implementation(NNXImplementation):
    def build(self, params):
        model = EncoderDecoder(self.rngs, self.scan)
        load_lstm(model.encoder.cell, params, "encoder")
        load_lstm(model.decoder.cell, params, "decoder")
        load_linear(model.output, params, "output")
        return model
