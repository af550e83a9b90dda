"""Shape generation in Chainer: LSTM(10) over one corner, dense 2 for the next corner."""

import chainer
import chainer.links as L

from polybench.frameworks.chainer.common import ChainerImplementation, StepLSTM, load_linear, load_step_lstm


class CornerLSTM(chainer.Chain):
    def __init__(self):
        super().__init__()
        with self.init_scope():
            self.lstm = StepLSTM(2, 10)
            self.output = L.Linear(10, 2)

    def forward(self, x):  # x: (N, 1, 2), one corner as a one-step sequence
        return self.output(self.lstm(x)[-1])


class Implementation(ChainerImplementation):
    def build(self, params):
        model = CornerLSTM()
        load_step_lstm(model.lstm, params, "lstm")
        load_linear(model.output, params, "output")
        return model
