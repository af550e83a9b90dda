"""Damped sine in PyTorch: stacked LSTM(20) -> LSTM(20) -> dense 5."""

from torch import nn

from polybench.frameworks.torch.common import TorchImplementation, load_linear, load_lstm


class StackedLSTM(nn.Module):
    def __init__(self, lstm=nn.LSTM):  # graph mode passes CellLSTM
        super().__init__()
        self.lstm1 = lstm(1, 20, batch_first=True)
        self.lstm2 = lstm(20, 20, batch_first=True)
        self.output = nn.Linear(20, 5)

    def forward(self, x):  # x: (N, 50, 1)
        sequence, _ = self.lstm1(x)
        _, (h, _) = self.lstm2(sequence)
        return self.output(h[-1])


class Implementation(TorchImplementation):
    def build(self, params):
        model = StackedLSTM(self.lstm_layer)
        load_lstm(model.lstm1, params, "lstm1")
        load_lstm(model.lstm2, params, "lstm2")
        load_linear(model.output, params, "output")
        return model
