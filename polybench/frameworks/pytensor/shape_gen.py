"""Shape generation in PyTensor: LSTM(10) over one corner, dense 2 for the next corner."""

from polybench.frameworks.pytensor.common import PyTensorImplementation, dense, lstm


class Implementation(PyTensorImplementation):
    input_ndim = 3  # (N, 1, 2): one corner as a one-step sequence

    def graph(self, x, train):
        return dense(lstm(x, self.params, "lstm"), self.params, "output")
