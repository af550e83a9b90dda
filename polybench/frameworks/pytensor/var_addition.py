"""Variable-length addition in PyTensor: encoder LSTM(100) at each problem's own length, its last
state repeated for every answer character, decoder LSTM(100), dense 12.

The graph takes the batch padded to its strategy's width (polybench.frameworks.dynamic) and each
problem's length: the encoder's scan runs over every step of the batch, and each sample's state
is read at its own last character (the padded steps after it are computed, never read: the mask
of Theano's LSTM tutorial, as an index). The width is a symbolic dimension, so one compiled
function takes every width: graph mode's default here is ``exact``, each batch padded to its own
longest problem, the least padding at no compilation; ``pad`` and ``bucket`` compute more
padding for nothing.
"""

import numpy as np
import pytensor.tensor as pt

from polybench.frameworks.dynamic import padded_width
from polybench.frameworks.pytensor.common import FLOAT, dense, lstm
from polybench.frameworks.pytensor.dynamic import PyTensorDynamic
from polybench.specs.addition import ALPHABET
from polybench.specs.var_addition import ANSWER_CHARS, PROBLEM_CHARS


class Implementation(PyTensorDynamic):
    dynamic_model = "var_addition"
    default_strategy = "exact"  # symbolic widths: no compilation per width (module docstring)
    own_loop_strategy = "exact"  # the LSTM tutorial's prepare_data: each minibatch to its longest

    def input_variables(self):
        # (N, steps, 12) one-hot characters then zero steps, and each problem's length (N,)
        return pt.tensor("x", dtype=FLOAT, shape=(None, None, len(ALPHABET))), pt.ivector("lengths")

    def graph(self, x, lengths, train):
        encoded = lstm(x, self.params, "encoder", lengths=lengths)  # (N, 100): after each last character
        repeated = pt.repeat(encoded[:, None, :], ANSWER_CHARS, axis=1)  # one copy per answer character
        decoded = lstm(repeated, self.params, "decoder", return_sequences=True)  # (N, 3, 100)
        return dense(decoded, self.params, "output")  # (N, 3, 12) logits

    def inputs(self, x, lengths):
        lengths = np.asarray(lengths)
        width = padded_width(self.strategy, lengths, PROBLEM_CHARS)
        x = np.ascontiguousarray(x[:, :width], dtype=np.float32)
        return (x, lengths.astype(np.int32)), len(lengths) * width, int(np.sum(lengths))
