"""Echo in Chainer: LSTM(25) over five one-hot digits, dense 10 on the last hidden state."""

import chainer
import chainer.links as L

from polybench.frameworks.chainer.common import ChainerImplementation, StepLSTM, load_linear, load_step_lstm


class Echo(chainer.Chain):
    def __init__(self):
        super().__init__()
        with self.init_scope():
            self.lstm = StepLSTM(10, 25)
            self.output = L.Linear(25, 10)

    def forward(self, x):  # x: (N, 5, 10)
        hs = self.lstm(x)  # no initial state given: zeros
        return self.output(hs[-1])


class Implementation(ChainerImplementation):
    def build(self, params):
        model = Echo()
        load_step_lstm(model.lstm, params, "lstm")
        load_linear(model.output, params, "output")
        return model
