"""Moving square in Gluon: the same Conv2D on every frame, then LSTM(50) and dense 2."""

from mxnet.gluon import nn, rnn

from polybench.frameworks.mxnet.common import GluonImplementation, last_step, load_conv, load_dense, load_lstm

FRAMES, FEATURES = 50, 2 * 24 * 24


class CNNLSTM(nn.HybridBlock):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2D(2, kernel_size=2, activation="relu", in_channels=1)  # 'valid': 50x50 -> 49x49
        self.pool = nn.MaxPool2D(pool_size=2)  # 49x49 -> 24x24 (floor)
        self.lstm = rnn.LSTM(50, layout="NTC", input_size=FEATURES)
        self.output = nn.Dense(2, in_units=50)

    def hybrid_forward(self, F, x):  # x: (N, frames, 1, 50, 50)
        frames = F.reshape(x, (-3, -2))  # (N * frames, 1, 50, 50): every frame through the same convolution
        f = self.pool(self.conv(frames))
        sequence = F.reshape(f, (-1, FRAMES, FEATURES))  # flattened in (channel, row, column) order
        return self.output(last_step(F, self.lstm(sequence)))


class Implementation(GluonImplementation):
    def build(self, params):
        model = CNNLSTM()
        model.initialize(ctx=self.device)
        load_conv(model.conv, params, "conv")
        load_lstm(model.lstm, params, "lstm")
        load_dense(model.output, params, "output")
        return model
