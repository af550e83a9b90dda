"""Addition in Gluon: encoder LSTM(75), its last output repeated twice, decoder LSTM(50), dense 12."""

from mxnet.gluon import nn, rnn

from polybench.frameworks.mxnet.common import GluonImplementation, last_step, load_dense, load_lstm


class EncoderDecoder(nn.HybridBlock):
    def __init__(self):
        super().__init__()
        self.encoder = rnn.LSTM(75, layout="NTC", input_size=12)
        self.decoder = rnn.LSTM(50, layout="NTC", input_size=75)
        self.output = nn.Dense(12, flatten=False, in_units=50)  # applied to every step

    def hybrid_forward(self, F, x):  # x: (N, 8, 12) one-hot characters
        encoded = last_step(F, self.encoder(x))  # (N, 75)
        repeated = F.repeat(F.expand_dims(encoded, axis=1), repeats=2, axis=1)  # one copy per answer character
        return self.output(self.decoder(repeated))  # (N, 2, 12) logits


class Implementation(GluonImplementation):
    def build(self, params):
        model = EncoderDecoder()
        model.initialize(ctx=self.device)
        load_lstm(model.encoder, params, "encoder")
        load_lstm(model.decoder, params, "decoder")
        load_dense(model.output, params, "output")
        return model
