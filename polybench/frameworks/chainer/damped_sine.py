"""Damped sine in Chainer: a two-layer NStepLSTM(20) (LSTM(20) -> LSTM(20)), dense 5."""

import chainer
import chainer.links as L

from polybench.frameworks.chainer.common import ChainerImplementation, load_linear, load_lstm, sequences


class StackedLSTM(chainer.Chain):
    def __init__(self):
        super().__init__()
        with self.init_scope():
            self.lstm = L.NStepLSTM(2, 1, 20, dropout=0.0)  # layer 2 reads layer 1's every step
            self.output = L.Linear(20, 5)

    def forward(self, x):  # x: (N, 50, 1)
        h, _, _ = self.lstm(None, None, sequences(x))
        return self.output(h[-1])  # the last layer's final hidden state


class Implementation(ChainerImplementation):
    def build(self, params):
        model = StackedLSTM()
        load_lstm(model.lstm, params, "lstm1", layer=0)
        load_lstm(model.lstm, params, "lstm2", layer=1)
        load_linear(model.output, params, "output")
        return model
