"""Addition in PyTorch: encoder LSTM(75), its last output repeated twice, decoder LSTM(50), dense 12."""

from torch import nn

from polybench.frameworks.torch.common import TorchImplementation, load_linear, load_lstm


class EncoderDecoder(nn.Module):
    def __init__(self, lstm=nn.LSTM):  # graph mode passes CellLSTM
        super().__init__()
        self.encoder = lstm(12, 75, batch_first=True)
        self.decoder = lstm(75, 50, batch_first=True)
        self.output = nn.Linear(50, 12)

    def forward(self, x):  # x: (N, 8, 12) one-hot characters
        _, (h, _) = self.encoder(x)
        repeated = h[-1].unsqueeze(1).repeat(1, 2, 1)  # one copy per answer character
        decoded, _ = self.decoder(repeated)
        return self.output(decoded)  # (N, 2, 12) logits


class Implementation(TorchImplementation):
    def build(self, params):
        model = EncoderDecoder(self.lstm_layer)
        load_lstm(model.encoder, params, "encoder")
        load_lstm(model.decoder, params, "decoder")
        load_linear(model.output, params, "output")
        return model
