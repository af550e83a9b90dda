"""Cumulative sum in Chainer: bidirectional LSTM(50), dense 1 per step (sigmoid in the loss)."""

import chainer
import chainer.functions as F
import chainer.links as L

from polybench.frameworks.chainer.common import ChainerImplementation, StepLSTM, load_linear, load_step_lstm


class BiLSTM(chainer.Chain):
    def __init__(self):
        super().__init__()
        with self.init_scope():
            self.forward_lstm = StepLSTM(1, 50)
            self.backward_lstm = StepLSTM(1, 50)
            self.output = L.Linear(100, 1)

    def forward(self, x):  # x: (N, 10, 1)
        forward = F.stack(self.forward_lstm(x), axis=1)  # (N, 10, 50)
        backward = F.stack(self.backward_lstm(x, reverse=True), axis=1)  # read from the last step back
        logits = self.output(F.concat((forward, backward), axis=2), n_batch_axes=2)  # (N, 10, 1)
        return logits.reshape(logits.shape[:2])  # (N, 10) logits


class Implementation(ChainerImplementation):
    def build(self, params):
        model = BiLSTM()
        load_step_lstm(model.forward_lstm, params, "forward")
        load_step_lstm(model.backward_lstm, params, "backward")
        load_linear(model.output, params, "output")
        return model
