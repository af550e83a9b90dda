"""Echo in Gluon: LSTM(25) over five one-hot digits, dense 10 on the last hidden state."""

from mxnet.gluon import nn, rnn

from polybench.frameworks.mxnet.common import GluonImplementation, last_step, load_dense, load_lstm


class Echo(nn.HybridBlock):
    def __init__(self):
        super().__init__()
        self.lstm = rnn.LSTM(25, layout="NTC", input_size=10)
        self.output = nn.Dense(10, in_units=25)

    def hybrid_forward(self, F, x):  # x: (N, 5, 10)
        sequence = self.lstm(x)  # (N, 5, 25): every step's hidden state, from a zero state
        return self.output(last_step(F, sequence))


class Implementation(GluonImplementation):
    def build(self, params):
        model = Echo()
        model.initialize(ctx=self.device)
        load_lstm(model.lstm, params, "lstm")
        load_dense(model.output, params, "output")
        return model
