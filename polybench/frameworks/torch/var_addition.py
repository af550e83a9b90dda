"""Variable-length addition in PyTorch: encoder LSTM(100) at each problem's own length, its last
state repeated for every answer character, decoder LSTM(100), dense 12.

Eager mode packs the batch (``pack_padded_sequence``): nn.LSTM computes no padded step. Graph
mode pads the batch to its strategy's width (polybench.frameworks.dynamic) and the compiled step
loop (CellLSTM) holds each sample's state once its characters end.
"""

import numpy as np
import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence

from polybench.frameworks.dynamic import padded_width
from polybench.frameworks.torch.common import CellLSTM, load_linear, load_lstm
from polybench.frameworks.torch.dynamic import TorchDynamic
from polybench.specs.addition import ALPHABET
from polybench.specs.var_addition import ANSWER_CHARS, DECODER_UNITS, ENCODER_UNITS, PROBLEM_CHARS


class VarAdditionNet(nn.Module):
    def __init__(self, lstm=nn.LSTM):  # graph mode passes CellLSTM
        super().__init__()
        self.encoder = lstm(len(ALPHABET), ENCODER_UNITS, batch_first=True)
        self.decoder = lstm(ENCODER_UNITS, DECODER_UNITS, batch_first=True)
        self.output = nn.Linear(DECODER_UNITS, len(ALPHABET))

    def forward(self, batch):  # (x (N, steps, 12) one-hot characters then zeros, lengths (N,))
        x, lengths = batch
        if isinstance(self.encoder, CellLSTM):
            _, (h, _) = self.encoder(x, lengths)  # every step computed, the padded ones masked
        else:
            _, (h, _) = self.encoder(pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=False))
        repeated = h[-1].unsqueeze(1).repeat(1, ANSWER_CHARS, 1)  # one copy per answer character
        decoded, _ = self.decoder(repeated)
        return self.output(decoded)  # (N, ANSWER_CHARS, 12) logits


class Implementation(TorchDynamic):
    dynamic_model = "var_addition"

    def build(self, params):
        model = VarAdditionNet(self.lstm_layer)
        load_lstm(model.encoder, params, "encoder")
        load_lstm(model.decoder, params, "decoder")
        load_linear(model.output, params, "output")
        return model

    def inputs(self, x, lengths):
        width = padded_width(self.strategy, lengths, PROBLEM_CHARS)
        x = torch.from_numpy(np.ascontiguousarray(x[:, :width])).to(self.device)
        # pack_padded_sequence reads its lengths on the host; the masked loop on the device.
        lengths_tensor = torch.from_numpy(np.asarray(lengths, dtype=np.int64))
        if self.mode == "graph":
            lengths_tensor = lengths_tensor.to(self.device)
            return (x, lengths_tensor), len(lengths) * width, int(np.sum(lengths))
        return (x, lengths_tensor), int(np.sum(lengths)), int(np.sum(lengths))
