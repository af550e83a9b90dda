"""Shape generation in Gluon: LSTM(10) over one corner, dense 2 for the next corner."""

from mxnet.gluon import nn, rnn

from polybench.frameworks.mxnet.common import GluonImplementation, last_step, load_dense, load_lstm


class CornerLSTM(nn.HybridBlock):
    def __init__(self):
        super().__init__()
        self.lstm = rnn.LSTM(10, layout="NTC", input_size=2)
        self.output = nn.Dense(2, in_units=10)

    def hybrid_forward(self, F, x):  # x: (N, 1, 2), one corner as a one-step sequence
        return self.output(last_step(F, self.lstm(x)))


class Implementation(GluonImplementation):
    def build(self, params):
        model = CornerLSTM()
        model.initialize(ctx=self.device)
        load_lstm(model.lstm, params, "lstm")
        load_dense(model.output, params, "output")
        return model
