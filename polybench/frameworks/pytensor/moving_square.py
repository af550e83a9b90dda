"""Moving square in PyTensor: the same convolution on every frame, then LSTM(50) and dense 2."""

from polybench.frameworks.pytensor.common import (
    PyTensorImplementation,
    channels_first,
    channels_last,
    conv2d,
    dense,
    lstm,
    max_pool2d,
    relu,
)


class Implementation(PyTensorImplementation):
    input_ndim = 5  # (N, frames, 1, 50, 50)

    def graph(self, x, train):
        n, frames = x.shape[0], x.shape[1]
        f = x.reshape((n * frames, x.shape[2], x.shape[3], x.shape[4]))  # every frame through the same convolution
        f = max_pool2d(relu(conv2d(channels_last(f), self.params, "conv", "valid")))  # 49x49 -> 24x24 (floor)
        h = lstm(channels_first(f).reshape((n, frames, -1)), self.params, "lstm")  # (channel, row, column) order
        return dense(h, self.params, "output")
