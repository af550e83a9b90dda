"""Cumulative sum in PyTorch: bidirectional LSTM(50), dense 1 per step (sigmoid in the loss)."""

from torch import nn

from polybench.frameworks.torch.common import TorchImplementation, load_linear, load_lstm


class BiLSTM(nn.Module):
    def __init__(self, lstm=nn.LSTM):  # graph mode passes CellLSTM
        super().__init__()
        self.lstm = lstm(1, 50, batch_first=True, bidirectional=True)
        self.output = nn.Linear(100, 1)

    def forward(self, x):  # x: (N, 10, 1)
        both, _ = self.lstm(x)  # (N, 10, 100): forward then backward outputs, per step
        return self.output(both).squeeze(-1)  # (N, 10) logits


class Implementation(TorchImplementation):
    def build(self, params):
        model = BiLSTM(self.lstm_layer)
        load_lstm(model.lstm, params, "forward", direction="forward")
        load_lstm(model.lstm, params, "backward", direction="backward")
        load_linear(model.output, params, "output")
        return model
