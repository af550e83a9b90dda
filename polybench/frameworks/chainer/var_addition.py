"""Variable-length addition in Chainer: encoder LSTM(100) at each problem's own length, its last
state repeated for every answer character, decoder LSTM(100), dense 12.

Eager mode (and Chainer's own loop) gives the encoder the batch as a list of sequences, each at
its own length, Chainer's variable-length LSTM ``L.NStepLSTM`` (it sorts them by length and runs
each step over the sequences still going): no padded step is computed. Graph mode pads the batch
to its strategy's width (polybench.frameworks.dynamic) and the per-step encoder (StepLSTM) holds
each sample's state once its characters end, under the mask that comes in beside the characters;
the static graph traces one schedule per (batch size, width) met and keeps it (bucket: up to four
widths, pad: one, exact: one per longest length met).
"""

import chainer
import chainer.functions as F
import chainer.links as L
import numpy as np

from polybench.frameworks.chainer.common import (
    StepLSTM,
    freeze_nstep_recurrent_biases,
    load_linear,
    load_nstep_lstm,
    load_step_lstm,
)
from polybench.frameworks.chainer.dynamic import ChainerDynamic
from polybench.frameworks.dynamic import padded_width
from polybench.specs.addition import ALPHABET
from polybench.specs.var_addition import ANSWER_CHARS, DECODER_UNITS, ENCODER_UNITS, PROBLEM_CHARS


class VarAdditionNet(chainer.Chain):
    def __init__(self, packed: bool):
        super().__init__()
        with self.init_scope():
            # packed (eager): the list-of-sequences LSTM; else the per-step loop over a padded batch
            self.encoder = (
                L.NStepLSTM(1, len(ALPHABET), ENCODER_UNITS, 0.0) if packed else StepLSTM(len(ALPHABET), ENCODER_UNITS)
            )
            self.decoder = StepLSTM(ENCODER_UNITS, DECODER_UNITS)
            self.output = L.Linear(DECODER_UNITS, len(ALPHABET))

    def forward(self, batch):
        """``batch``: N sequences (steps_i, 12) of one-hot characters (NStepLSTM), or the padded
        characters (N, W, 12) and their mask (N, W), 1 on real steps (StepLSTM)."""
        if isinstance(self.encoder, L.NStepLSTM):
            encoded = self.encoder(None, None, list(batch))[0][-1]  # h of the last layer, each at its own length
        else:
            x, mask = batch
            encoded = self.encoder(x, mask=mask)[-1]  # held from each sample's last real step
        repeated = F.repeat(F.expand_dims(encoded, 1), ANSWER_CHARS, axis=1)  # one copy per answer character
        decoded = F.stack(self.decoder(repeated), axis=1)  # (N, ANSWER_CHARS, 100)
        return self.output(decoded, n_batch_axes=2)  # (N, ANSWER_CHARS, 12) logits


class Implementation(ChainerDynamic):
    dynamic_model = "var_addition"

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        freeze_nstep_recurrent_biases(self.model)  # after optimizer.setup, which made the update rules

    def build(self, params):
        model = VarAdditionNet(packed=self.strategy == "eager")
        if isinstance(model.encoder, L.NStepLSTM):
            load_nstep_lstm(model.encoder, params, "encoder")
        else:
            load_step_lstm(model.encoder, params, "encoder")
        load_step_lstm(model.decoder, params, "decoder")
        load_linear(model.output, params, "output")
        return model

    def inputs(self, x, lengths):
        real = int(np.sum(lengths))
        if self.strategy == "eager":
            return (
                [self.device.send(np.ascontiguousarray(row[:n])) for row, n in zip(x, lengths, strict=True)],
                real,
                real,
            )
        width = padded_width(self.strategy, lengths, PROBLEM_CHARS)
        mask = (np.arange(width) < np.asarray(lengths)[:, None]).astype(np.float32)
        batch = (self.device.send(np.ascontiguousarray(x[:, :width])), self.device.send(mask))
        return batch, len(lengths) * width, real
