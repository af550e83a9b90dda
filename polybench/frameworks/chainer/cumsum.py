"""Cumulative sum in Chainer: bidirectional LSTM(50), dense 1 per step (sigmoid in the loss)."""

import chainer
import chainer.functions as F
import chainer.links as L

from polybench.frameworks.chainer.common import ChainerImplementation, load_linear, load_lstm, sequences


class BiLSTM(chainer.Chain):
    def __init__(self):
        super().__init__()
        with self.init_scope():
            self.lstm = L.NStepBiLSTM(1, 1, 50, dropout=0.0)
            self.output = L.Linear(100, 1)

    def forward(self, x):  # x: (N, 10, 1)
        _, _, both = self.lstm(None, None, sequences(x))  # N sequences of (10, 100): forward then backward
        logits = self.output(F.stack(both), n_batch_axes=2)  # (N, 10, 1)
        return logits.reshape(logits.shape[:2])  # (N, 10) logits


class Implementation(ChainerImplementation):
    def build(self, params):
        model = BiLSTM()
        load_lstm(model.lstm, params, "forward", direction="forward")
        load_lstm(model.lstm, params, "backward", direction="backward")
        load_linear(model.output, params, "output")
        return model
