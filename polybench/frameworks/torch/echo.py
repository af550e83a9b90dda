"""Echo in PyTorch: LSTM(25) over five one-hot digits, dense 10 on the last hidden state."""

from torch import nn

from polybench.frameworks.torch.common import TorchImplementation, load_linear, load_lstm


class Echo(nn.Module):
    def __init__(self, lstm=nn.LSTM):  # graph mode passes CellLSTM
        super().__init__()
        self.lstm = lstm(10, 25, batch_first=True)
        self.output = nn.Linear(25, 10)

    def forward(self, x):  # x: (N, 5, 10)
        _, (h, _) = self.lstm(x)  # no initial state given: zeros
        return self.output(h[-1])


class Implementation(TorchImplementation):
    def build(self, params):
        model = Echo(self.lstm_layer)
        load_lstm(model.lstm, params, "lstm")
        load_linear(model.output, params, "output")
        return model
