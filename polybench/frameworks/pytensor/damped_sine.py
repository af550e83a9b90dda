"""Damped sine in PyTensor: two stacked LSTM(20) layers (LSTM(20) -> LSTM(20)), dense 5."""

from polybench.frameworks.pytensor.common import PyTensorImplementation, dense, lstm


class Implementation(PyTensorImplementation):
    input_ndim = 3  # (N, 50, 1)

    def graph(self, x, train):
        first = lstm(x, self.params, "lstm1", return_sequences=True)  # layer 2 reads layer 1's every step
        return dense(lstm(first, self.params, "lstm2"), self.params, "output")
