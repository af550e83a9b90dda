"""Damped sine in JAX/Flax NNX: stacked LSTM(20) -> LSTM(20) -> dense 5."""

from flax import nnx

from polybench.frameworks.jax.common import LSTM, NNXImplementation, load_linear, load_lstm


class StackedLSTM(nnx.Module):
    def __init__(self, rngs: nnx.Rngs, scan: bool):
        self.lstm1 = LSTM(1, 20, rngs=rngs, scan=scan)
        self.lstm2 = LSTM(20, 20, rngs=rngs, scan=scan)
        self.output = nnx.Linear(20, 5, rngs=rngs)

    def __call__(self, x):  # x: (N, 50, 1)
        sequence, _ = self.lstm1(x)
        _, h = self.lstm2(sequence)
        return self.output(h)


class Implementation(NNXImplementation):
    def build(self, params):
        model = StackedLSTM(self.rngs, self.scan)
        load_lstm(model.lstm1.cell, params, "lstm1")
        load_lstm(model.lstm2.cell, params, "lstm2")
        load_linear(model.output, params, "output")
        return model
