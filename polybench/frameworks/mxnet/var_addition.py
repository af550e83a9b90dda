"""Variable-length addition in Gluon: encoder LSTM(100) at each problem's own length, its last
state repeated for every answer character, decoder LSTM(100), dense 12.

Eager mode runs the encoder on the rows of one length together, each group over exactly its
steps, and puts the groups' last states back in the batch's order: no padded step is computed.

Graph mode (hybridized) pads the batch to its strategy's width and runs the fused ``rnn.LSTM``
over every step; ``SequenceLast`` with the samples' lengths then reads each sample's output at
its last real step. An LSTM's output at step ``t`` is its ``h`` after step ``t``, and the steps
after it cannot change it, so this is the state that ``h = where(t < n, h_new, h)`` would hold
through the padded steps (the decoder reads ``h`` only): the padded steps are computed and
discarded. Not ``rnn.LSTM(use_sequence_length=True)``: MXNet 1.9.1 accepts the lengths on the
CPU and ignores them there (its CPU kernel returns the state after the last padded step; the
lengths reach cuDNN only, apache/mxnet#19323), so its final state would be wrong. Not a
step loop either: the fused RNN operator is the one Gluon's other LSTM models here run, in graph
mode too, and reading its outputs at the lengths costs one gather.

Gluon's own loop (idiomatic mode) hybridizes the graph-mode block with Gluon's defaults and
feeds it each batch padded to its own longest problem with the lengths beside it, as GluonNLP's
``Pad(ret_length=True)`` batchify and its encoders' ``SequenceLast`` do.
"""

import numpy as np
from mxnet import nd
from mxnet.gluon import nn, rnn

from polybench.frameworks.dynamic import padded_width
from polybench.frameworks.mxnet.common import last_step, load_dense, load_lstm
from polybench.frameworks.mxnet.dynamic import GluonDynamic
from polybench.specs.addition import ALPHABET
from polybench.specs.var_addition import ANSWER_CHARS, DECODER_UNITS, ENCODER_UNITS, PROBLEM_CHARS


class VarAdditionNet(nn.HybridBlock):
    def __init__(self):
        super().__init__()
        self.encoder = rnn.LSTM(ENCODER_UNITS, layout="NTC", input_size=len(ALPHABET))
        self.decoder = rnn.LSTM(DECODER_UNITS, layout="NTC", input_size=ENCODER_UNITS)
        self.output = nn.Dense(len(ALPHABET), flatten=False, in_units=DECODER_UNITS)  # applied to every step

    def hybrid_forward(self, F, x, lengths):  # x (N, width, 12) one-hot characters then zeros; lengths (N,)
        steps = self.encoder(x)  # (N, width, 100): every step computed, the padded ones too
        encoded = F.SequenceLast(steps, lengths, use_sequence_length=True, axis=1)  # h at each last real step
        return self.decode(F, encoded)

    def decode(self, F, encoded):
        repeated = F.repeat(F.expand_dims(encoded, axis=1), repeats=ANSWER_CHARS, axis=1)  # one copy per character
        return self.output(self.decoder(repeated))  # (N, ANSWER_CHARS, 12) logits

    def exact(self, order, *groups):
        """Eagerly: ``groups`` the batch's rows of one length each, (n_g, length_g, 12), over exactly
        their steps; ``order`` (N,) each sample's row among the groups' rows put one after another."""
        encoded = nd.concat(*(last_step(nd, self.encoder(group)) for group in groups), dim=0)
        return self.decode(nd, encoded.take(order))


class Implementation(GluonDynamic):
    dynamic_model = "var_addition"
    idiomatic_strategy = "exact"  # each batch padded to its own longest problem

    def build(self, params):
        model = VarAdditionNet()
        model.initialize(ctx=self.device)
        load_lstm(model.encoder, params, "encoder")
        load_lstm(model.decoder, params, "decoder")
        load_dense(model.output, params, "output")
        return model

    def inputs(self, x, lengths, strategy):
        lengths = np.asarray(lengths)
        real = int(lengths.sum())
        if strategy == "eager":
            by_length = [np.flatnonzero(lengths == n) for n in np.unique(lengths)]
            groups = tuple(nd.array(x[rows, : lengths[rows[0]]], ctx=self.device) for rows in by_length)
            order = np.argsort(np.concatenate(by_length))  # sample i's row among the groups' rows
            return (nd.array(order, ctx=self.device, dtype="int32"), *groups), real, real
        width = padded_width(strategy, lengths, PROBLEM_CHARS)
        inputs = (nd.array(x[:, :width], ctx=self.device), nd.array(lengths, ctx=self.device))
        return inputs, len(lengths) * width, real

    def block_call(self, inputs):
        if self.batch_strategy == "eager":
            return self.model.exact(*inputs)
        return self.model(*inputs)
