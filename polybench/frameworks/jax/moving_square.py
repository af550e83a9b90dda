"""Moving square in JAX/Flax NNX: the same Conv on every frame, then LSTM(50) and dense 2."""

from flax import nnx

from polybench.frameworks.jax.common import LSTM, NNXImplementation, load_conv, load_linear, load_lstm


class CNNLSTM(nnx.Module):
    def __init__(self, rngs: nnx.Rngs, scan: bool):
        self.conv = nnx.Conv(1, 2, kernel_size=(2, 2), padding="VALID", rngs=rngs)  # 50x50 -> 49x49
        self.lstm = LSTM(24 * 24 * 2, 50, rngs=rngs, scan=scan)
        self.output = nnx.Linear(50, 2, rngs=rngs)

    def __call__(self, x):  # x: (N, frames, 1, 50, 50); one channel, so NHWC frames are a reshape
        n, frames = x.shape[:2]
        f = x.reshape(n * frames, 50, 50, 1)  # every frame through the same convolution
        f = nnx.max_pool(nnx.relu(self.conv(f)), window_shape=(2, 2), strides=(2, 2))  # 49x49 -> 24x24 (floor)
        _, h = self.lstm(f.reshape(n, frames, -1))  # (row, column, channel) order: the LSTM kernel's rows match
        return self.output(h)


class Implementation(NNXImplementation):
    def build(self, params):
        model = CNNLSTM(self.rngs, self.scan)
        load_conv(model.conv, params, "conv")
        load_lstm(model.lstm.cell, params, "lstm", flattened=(2, 24, 24))
        load_linear(model.output, params, "output")
        return model
