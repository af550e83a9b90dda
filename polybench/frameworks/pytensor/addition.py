"""Addition in PyTensor: encoder LSTM(75), its last output repeated twice, decoder LSTM(50), dense 12."""

import pytensor.tensor as pt

from polybench.frameworks.pytensor.common import PyTensorImplementation, dense, lstm


class Implementation(PyTensorImplementation):
    input_ndim = 3  # (N, 8, 12) one-hot characters

    def graph(self, x, train):
        encoded = lstm(x, self.params, "encoder")  # (N, 75)
        repeated = pt.stack([encoded, encoded], axis=1)  # (N, 2, 75): one copy per answer character
        decoded = lstm(repeated, self.params, "decoder", return_sequences=True)  # (N, 2, 50)
        return dense(decoded, self.params, "output")  # (N, 2, 12) logits
