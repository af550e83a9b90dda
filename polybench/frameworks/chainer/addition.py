"""Addition in Chainer: encoder LSTM(75), its last output repeated twice, decoder LSTM(50), dense 12."""

import chainer
import chainer.functions as F
import chainer.links as L

from polybench.frameworks.chainer.common import ChainerImplementation, load_linear, load_lstm, sequences


class EncoderDecoder(chainer.Chain):
    def __init__(self):
        super().__init__()
        with self.init_scope():
            self.encoder = L.NStepLSTM(1, 12, 75, dropout=0.0)
            self.decoder = L.NStepLSTM(1, 75, 50, dropout=0.0)
            self.output = L.Linear(50, 12)

    def forward(self, x):  # x: (N, 8, 12) one-hot characters
        h, _, _ = self.encoder(None, None, sequences(x))
        repeated = F.repeat(F.expand_dims(h[-1], 1), 2, axis=1)  # (N, 2, 75): one copy per answer character
        _, _, decoded = self.decoder(None, None, sequences(repeated))  # N sequences of (2, 50)
        return self.output(F.stack(decoded), n_batch_axes=2)  # (N, 2, 12) logits


class Implementation(ChainerImplementation):
    def build(self, params):
        model = EncoderDecoder()
        load_lstm(model.encoder, params, "encoder")
        load_lstm(model.decoder, params, "decoder")
        load_linear(model.output, params, "output")
        return model
