"""Variable-length addition in TensorFlow/Keras: encoder LSTM(100) at each problem's own length,
its last state repeated for every answer character, decoder LSTM(100), dense 12.

Eager mode reads each problem over exactly its characters: the batch's rows of one length go
through the encoder together, one call per length met. Graph mode (and Keras' fit) takes the
batch padded to its strategy's width (polybench.frameworks.dynamic; ``pad``, the default, is
the longest problem the task draws) and masks it as the Keras guide to masking and padding
does: a ``Masking`` layer's mask (a step is padding where all its features are 0, which no real
character is) passed to the LSTM, which holds a sample's state from its last real step on, so
its final output is the state after its last character.
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
        if isinstance(inputs, (tuple, list)):
            encoded = self.encode_exact(*inputs)
        else:  # every step computed, the padded ones masked
            encoded = self.encoder(inputs, mask=self.masking.compute_mask(inputs))
        return self.logits(self.decoder(self.repeat(encoded)))  # (N, ANSWER_CHARS, 12) logits

    def encode_exact(self, x, lengths):
        """The encoder's last state per sample, the rows of one length together over exactly
        their steps (eager: the lengths are read on the host)."""
        lengths = ops.convert_to_numpy(lengths)
        groups = [(int(n), np.flatnonzero(lengths == n)) for n in np.unique(lengths)]
        encoded = [self.encoder(ops.take(x, rows, axis=0)[:, :n]) for n, rows in groups]
        order = np.concatenate([rows for _, rows in groups])
        return ops.take(ops.concatenate(encoded, axis=0), np.argsort(order), axis=0)  # back in batch order


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
