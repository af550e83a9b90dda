"""Cumulative sum in Gluon: bidirectional LSTM(50), dense 1 per step (sigmoid in the loss)."""

from mxnet.gluon import nn, rnn

from polybench.frameworks.mxnet.common import GluonImplementation, load_dense, load_lstm


class BiLSTM(nn.HybridBlock):
    def __init__(self):
        super().__init__()
        self.lstm = rnn.LSTM(50, layout="NTC", input_size=1, bidirectional=True)
        self.output = nn.Dense(1, flatten=False, in_units=100)  # applied to every step

    def hybrid_forward(self, F, x):  # x: (N, 10, 1)
        both = self.lstm(x)  # (N, 10, 100): forward then backward outputs, per step
        return F.squeeze(self.output(both), axis=2)  # (N, 10) logits


class Implementation(GluonImplementation):
    def build(self, params):
        model = BiLSTM()
        model.initialize(ctx=self.device)
        load_lstm(model.lstm, params, "forward", direction="forward")
        load_lstm(model.lstm, params, "backward", direction="backward")
        load_dense(model.output, params, "output")
        return model
