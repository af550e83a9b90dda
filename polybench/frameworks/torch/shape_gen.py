"""Shape generation in PyTorch: LSTM(10) over one corner, dense 2 for the next corner."""

from torch import nn

from polybench.frameworks.torch.common import TorchImplementation, load_linear, load_lstm


class CornerLSTM(nn.Module):
    def __init__(self, lstm=nn.LSTM):  # graph mode passes CellLSTM
        super().__init__()
        self.lstm = lstm(2, 10, batch_first=True)
        self.output = nn.Linear(10, 2)

    def forward(self, x):  # x: (N, 1, 2), one corner as a one-step sequence
        _, (h, _) = self.lstm(x)
        return self.output(h[-1])


class Implementation(TorchImplementation):
    def build(self, params):
        model = CornerLSTM(self.lstm_layer)
        load_lstm(model.lstm, params, "lstm")
        load_linear(model.output, params, "output")
        return model
