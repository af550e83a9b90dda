"""Echo in JAX/Flax NNX: LSTM(25) over five one-hot digits, dense 10 on the last hidden state."""

from flax import nnx

from polybench.frameworks.jax.common import LSTM, NNXImplementation, load_linear, load_lstm


class Echo(nnx.Module):
    def __init__(self, rngs: nnx.Rngs, scan: bool):
        self.lstm = LSTM(10, 25, rngs=rngs, scan=scan)
        self.output = nnx.Linear(25, 10, rngs=rngs)

    def __call__(self, x):  # x: (N, 5, 10)
        _, h = self.lstm(x)  # from a zero state
        return self.output(h)


class Implementation(NNXImplementation):
    def build(self, params):
        model = Echo(self.rngs, self.scan)
        load_lstm(model.lstm.cell, params, "lstm")
        load_linear(model.output, params, "output")
        return model
