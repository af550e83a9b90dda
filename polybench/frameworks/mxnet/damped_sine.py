"""Damped sine in Gluon: stacked LSTM(20) -> LSTM(20) -> dense 5."""

from mxnet.gluon import nn, rnn

from polybench.frameworks.mxnet.common import GluonImplementation, last_step, load_dense, load_lstm


class StackedLSTM(nn.HybridBlock):
    def __init__(self):
        super().__init__()
        self.lstm1 = rnn.LSTM(20, layout="NTC", input_size=1)
        self.lstm2 = rnn.LSTM(20, layout="NTC", input_size=20)
        self.output = nn.Dense(5, in_units=20)

    def hybrid_forward(self, F, x):  # x: (N, 50, 1)
        sequence = self.lstm2(self.lstm1(x))
        return self.output(last_step(F, sequence))


class Implementation(GluonImplementation):
    def build(self, params):
        model = StackedLSTM()
        model.initialize(ctx=self.device)
        load_lstm(model.lstm1, params, "lstm1")
        load_lstm(model.lstm2, params, "lstm2")
        load_dense(model.output, params, "output")
        return model
