"""Shape generation in JAX/Flax NNX: LSTM(10) over one corner, dense 2 for the next corner."""

from flax import nnx

from polybench.frameworks.jax.common import LSTM, NNXImplementation, load_linear, load_lstm


class CornerLSTM(nnx.Module):
    def __init__(self, rngs: nnx.Rngs, scan: bool):
        self.lstm = LSTM(2, 10, rngs=rngs, scan=scan)
        self.output = nnx.Linear(10, 2, rngs=rngs)

    def __call__(self, x):  # x: (N, 1, 2), one corner as a one-step sequence
        _, h = self.lstm(x)
        return self.output(h)


class Implementation(NNXImplementation):
    def build(self, params):
        model = CornerLSTM(self.rngs, self.scan)
        load_lstm(model.lstm.cell, params, "lstm")
        load_linear(model.output, params, "output")
        return model
