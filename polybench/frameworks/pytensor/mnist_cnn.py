"""MNIST CNN in PyTensor: two 5x5 'same' convolutions with max-pooling, dense 1024, dense 10."""

from polybench.frameworks.pytensor.common import (
    PyTensorImplementation,
    channels_first,
    channels_last,
    conv2d,
    dense,
    max_pool2d,
    relu,
)


class Implementation(PyTensorImplementation):
    input_ndim = 4  # (N, 1, 28, 28), channels first like the spec

    def graph(self, x, train):
        h = max_pool2d(relu(conv2d(channels_last(x), self.params, "conv1", "same")))
        h = max_pool2d(relu(conv2d(h, self.params, "conv2", "same")))
        h = channels_first(h).flatten(2)  # (N, 64*7*7) in (channel, row, column) order, as the spec's kernel expects
        h = self.dropout(relu(dense(h, self.params, "dense")), "dense", train)
        return dense(h, self.params, "output")
