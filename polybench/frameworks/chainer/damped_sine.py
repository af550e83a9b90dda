"""Damped sine in Chainer: two stacked LSTM(20) layers (LSTM(20) -> LSTM(20)), dense 5."""

import chainer
import chainer.functions as F
import chainer.links as L

from polybench.frameworks.chainer.common import ChainerImplementation, StepLSTM, load_linear, load_step_lstm


class StackedLSTM(chainer.Chain):
    def __init__(self):
        super().__init__()
        with self.init_scope():
            self.lstm1 = StepLSTM(1, 20)
            self.lstm2 = StepLSTM(20, 20)
            self.output = L.Linear(20, 5)

    def forward(self, x):  # x: (N, 50, 1)
        first = F.stack(self.lstm1(x), axis=1)  # (N, 50, 20): layer 2 reads layer 1's every step
        return self.output(self.lstm2(first)[-1])  # the last layer's final hidden state


class Implementation(ChainerImplementation):
    def build(self, params):
        model = StackedLSTM()
        load_step_lstm(model.lstm1, params, "lstm1")
        load_step_lstm(model.lstm2, params, "lstm2")
        load_linear(model.output, params, "output")
        return model
