"""Moving square in Chainer: the same Convolution2D on every frame, then LSTM(50) and dense 2."""

import chainer
import chainer.functions as F
import chainer.links as L

from polybench.frameworks.chainer.common import ChainerImplementation, StepLSTM, load_conv, load_linear, load_step_lstm


class CNNLSTM(chainer.Chain):
    def __init__(self):
        super().__init__()
        with self.init_scope():
            self.conv = L.Convolution2D(1, 2, ksize=2)  # 'valid': 50x50 -> 49x49
            self.lstm = StepLSTM(2 * 24 * 24, 50)
            self.output = L.Linear(50, 2)

    def forward(self, x):  # x: (N, frames, 1, 50, 50)
        n, frames = x.shape[:2]
        f = x.reshape(n * frames, *x.shape[2:])  # every frame through the same convolution
        f = F.max_pooling_2d(F.relu(self.conv(f)), 2, cover_all=False)  # 49x49 -> 24x24 (floor)
        hs = self.lstm(f.reshape(n, frames, -1))  # (channel, row, column) order
        return self.output(hs[-1])


class Implementation(ChainerImplementation):
    def build(self, params):
        model = CNNLSTM()
        load_conv(model.conv, params, "conv")
        load_step_lstm(model.lstm, params, "lstm")
        load_linear(model.output, params, "output")
        return model
