"""Variable-length addition in TensorFlow/Keras: encoder LSTM(100) at each problem's own length,
its last state repeated for every answer character, decoder LSTM(100), dense 12.

Eager mode reads the batch as PyTorch's packed sequence does, op by op: the rows sorted by
length, step ``t`` runs the encoder's cell on the rows whose problem is still going (a prefix of
the sorted rows), the others keep their state, so no padded step is computed and a batch costs
one cell call per character of its longest problem. (Running the LSTM layer once per length met
computes no padding either, but costs a cell call per character of every length: 5.4 times the
calls over an epoch, and a full-profile first epoch of 732 s against this loop's 337 s.) Graph
mode (and Keras' fit) takes the batch padded to its strategy's width
(polybench.frameworks.dynamic; ``pad``, the default, is the longest problem the task draws) and
masks it as the Keras guide to masking and padding does: a ``Masking`` layer's mask (a step is
padding where all its features are 0, which no real character is) passed to the LSTM, which
holds a sample's state from its last real step on, so its final output is the state after its
last character.
"""

import keras
import numpy as np
import tensorflow as tf
from keras import layers, ops

from polybench.frameworks.dynamic import padded_width
from polybench.frameworks.tensorflow.dynamic import KerasDynamic
from polybench.frameworks.tensorflow.keras_common import load_dense, load_lstm
from polybench.specs.addition import ALPHABET
from polybench.specs.var_addition import ANSWER_CHARS, DECODER_UNITS, ENCODER_UNITS, PROBLEM_CHARS


class VarAdditionNet(keras.Model):
    """Takes a padded batch (N, steps, 12), masked; or (x, lengths) read at exact lengths."""

    def __init__(self):
        super().__init__()
        self.masking = layers.Masking(mask_value=0.0)
        self.encoder = layers.LSTM(ENCODER_UNITS, activation="tanh", recurrent_activation="sigmoid", name="encoder")
        self.repeat = layers.RepeatVector(ANSWER_CHARS)  # one copy per answer character
        self.decoder = layers.LSTM(
            DECODER_UNITS, activation="tanh", recurrent_activation="sigmoid", return_sequences=True, name="decoder"
        )
        self.logits = layers.Dense(len(ALPHABET), name="output")

    def call(self, inputs):
        if isinstance(inputs, (tuple, list)):  # eager: (x, lengths), the packed loop
            encoded = self.encode_exact(*inputs)
        else:  # every step computed, the padded ones masked
            encoded = self.encoder(inputs, mask=self.masking.compute_mask(inputs))
        return self.logits(self.decoder(self.repeat(encoded)))  # (N, ANSWER_CHARS, 12) logits

    def encode_exact(self, x, lengths):
        """The encoder's last state per sample (N, 100), computing real steps only: ``lengths``
        read on the host, the rows sorted longest first, step ``t`` runs the cell on the first
        rows, those longer than ``t``."""
        lengths = ops.convert_to_numpy(lengths)
        order = np.argsort(-lengths, kind="stable")
        x = ops.take(x, order, axis=0)
        h = c = ops.zeros((len(lengths), ENCODER_UNITS), dtype=x.dtype)
        for t in range(int(lengths.max())):
            going = int(np.sum(lengths > t))
            _, (h_going, c_going) = self.encoder.cell(x[:going, t], [h[:going], c[:going]])
            h = ops.concatenate([h_going, h[going:]], axis=0)
            c = ops.concatenate([c_going, c[going:]], axis=0)
        return ops.take(h, np.argsort(order), axis=0)  # back in batch order


class Implementation(KerasDynamic):
    dynamic_model = "var_addition"
    fit_strategy = "pad"

    def build(self, params):
        model = VarAdditionNet()
        model.encoder.build((None, None, len(ALPHABET)))
        model.decoder.build((None, ANSWER_CHARS, ENCODER_UNITS))
        model.logits.build((None, ANSWER_CHARS, DECODER_UNITS))
        model.built = True
        load_lstm(model.encoder, params, "encoder")
        load_lstm(model.decoder, params, "decoder")
        load_dense(model.logits, params, "output")
        return model

    def inputs(self, x, lengths):
        width = padded_width(self.strategy, lengths, PROBLEM_CHARS)
        x = tf.convert_to_tensor(np.ascontiguousarray(x[:, :width], dtype=np.float32))
        real = int(np.sum(lengths))
        if self.strategy == "eager":
            return (x, tf.convert_to_tensor(np.asarray(lengths, dtype=np.int32))), real, real
        return x, len(lengths) * width, real
