"""Echo in PyTensor: LSTM(25) over five one-hot digits, dense 10 on the last hidden state."""

from polybench.frameworks.pytensor.common import PyTensorImplementation, dense, lstm


class Implementation(PyTensorImplementation):
    input_ndim = 3  # (N, 5, 10)

    def graph(self, x, train):
        return dense(lstm(x, self.params, "lstm"), self.params, "output")
