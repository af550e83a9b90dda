"""Cumulative sum in PyTensor: bidirectional LSTM(50), dense 1 per step (sigmoid in the loss)."""

import pytensor.tensor as pt

from polybench.frameworks.pytensor.common import PyTensorImplementation, dense, lstm


class Implementation(PyTensorImplementation):
    input_ndim = 3  # (N, 10, 1)

    def graph(self, x, train):
        forward = lstm(x, self.params, "forward", return_sequences=True)  # (N, 10, 50)
        backward = lstm(x, self.params, "backward", reverse=True, return_sequences=True)
        logits = dense(pt.concatenate([forward, backward], axis=2), self.params, "output")  # (N, 10, 1)
        return logits[:, :, 0]  # (N, 10) logits
