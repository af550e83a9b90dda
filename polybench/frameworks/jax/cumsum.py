"""Cumulative sum in JAX/Flax NNX: bidirectional LSTM(50), dense 1 per step (sigmoid in the loss)."""

import jax.numpy as jnp
from flax import nnx

from polybench.frameworks.jax.common import LSTM, NNXImplementation, load_linear, load_lstm


class BiLSTM(nnx.Module):
    def __init__(self, rngs: nnx.Rngs, scan: bool):
        self.forward = LSTM(1, 50, rngs=rngs, scan=scan)
        self.backward = LSTM(1, 50, rngs=rngs, scan=scan, reverse=True)  # outputs back in input order
        self.output = nnx.Linear(100, 1, rngs=rngs)

    def __call__(self, x):  # x: (N, 10, 1)
        both = jnp.concatenate([self.forward(x)[0], self.backward(x)[0]], axis=-1)  # (N, 10, 100)
        return self.output(both)[..., 0]  # (N, 10) logits


class Implementation(NNXImplementation):
    def build(self, params):
        model = BiLSTM(self.rngs, self.scan)
        load_lstm(model.forward.cell, params, "forward")
        load_lstm(model.backward.cell, params, "backward")
        load_linear(model.output, params, "output")
        return model
