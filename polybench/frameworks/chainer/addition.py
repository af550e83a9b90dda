"""Addition in Chainer: encoder LSTM(75), its last output repeated twice, decoder LSTM(50), dense 12."""

import chainer
import chainer.functions as F
import chainer.links as L

from polybench.frameworks.chainer.common import ChainerImplementation, StepLSTM, load_linear, load_step_lstm


class EncoderDecoder(chainer.Chain):
    def __init__(self):
        super().__init__()
        with self.init_scope():
            self.encoder = StepLSTM(12, 75)
            self.decoder = StepLSTM(75, 50)
            self.output = L.Linear(50, 12)

    def forward(self, x):  # x: (N, 8, 12) one-hot characters
        encoded = self.encoder(x)[-1]
        repeated = F.repeat(F.expand_dims(encoded, 1), 2, axis=1)  # (N, 2, 75): one copy per answer character
        decoded = F.stack(self.decoder(repeated), axis=1)  # (N, 2, 50)
        return self.output(decoded, n_batch_axes=2)  # (N, 2, 12) logits


class Implementation(ChainerImplementation):
    def build(self, params):
        model = EncoderDecoder()
        load_step_lstm(model.encoder, params, "encoder")
        load_step_lstm(model.decoder, params, "decoder")
        load_linear(model.output, params, "output")
        return model
