"""Moving square in PyTorch: the same Conv2d on every frame, then LSTM(50) and dense 2."""

import torch.nn.functional as F
from torch import nn

from polybench.frameworks.torch.common import TorchImplementation, load_conv, load_linear, load_lstm


class CNNLSTM(nn.Module):
    def __init__(self, lstm=nn.LSTM):  # graph mode passes CellLSTM
        super().__init__()
        self.conv = nn.Conv2d(1, 2, kernel_size=2)  # 'valid': 50x50 -> 49x49
        self.lstm = lstm(2 * 24 * 24, 50, batch_first=True)
        self.output = nn.Linear(50, 2)

    def forward(self, x):  # x: (N, frames, 1, 50, 50)
        n, frames = x.shape[:2]
        f = x.reshape(n * frames, *x.shape[2:])  # every frame through the same convolution
        f = F.max_pool2d(F.relu(self.conv(f)), 2)  # 49x49 -> 24x24 (floor)
        _, (h, _) = self.lstm(f.reshape(n, frames, -1))  # flatten in (channel, row, column) order
        return self.output(h[-1])


class Implementation(TorchImplementation):
    def build(self, params):
        model = CNNLSTM(self.lstm_layer)
        load_conv(model.conv, params, "conv")
        load_lstm(model.lstm, params, "lstm")
        load_linear(model.output, params, "output")
        return model
