"""Shape generation in Chainer: LSTM(10) over one corner, dense 2 for the next corner."""

import chainer
import chainer.links as L

from polybench.frameworks.chainer.common import ChainerImplementation, load_linear, load_lstm, sequences


class CornerLSTM(chainer.Chain):
    def __init__(self):
        super().__init__()
        with self.init_scope():
            self.lstm = L.NStepLSTM(1, 2, 10, dropout=0.0)
            self.output = L.Linear(10, 2)

    def forward(self, x):  # x: (N, 1, 2), one corner as a one-step sequence
        h, _, _ = self.lstm(None, None, sequences(x))
        return self.output(h[-1])


class Implementation(ChainerImplementation):
    def build(self, params):
        model = CornerLSTM()
        load_lstm(model.lstm, params, "lstm")
        load_linear(model.output, params, "output")
        return model
