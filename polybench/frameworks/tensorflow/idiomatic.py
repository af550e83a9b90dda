"""Keras' own training loop (mode "idiomatic"): ``model.compile()`` then ``model.fit()``, the same
on every Keras backend (TensorFlow here; JAX and PyTorch in frameworks keras-jax and keras-torch).

The eager Implementation's Keras model (canonical weights), its Adam (``SpecAdam``) and its
loss are compiled with Keras' defaults, so ``jit_compile="auto"``: on TensorFlow Keras compiles
the train step with XLA where it judges the model supports it, else as a tf.function graph; on
JAX it jit-compiles it (XLA); on PyTorch it runs the modules eagerly. Which one it chose
(``model.jit_compile`` after fit, through the implementation's ``fit_compiler``) goes into the
record. ``fit`` shuffles the in-memory tensors itself (``shuffle=True``, its default). Its one
departure from the defaults is ``verbose=0``: the progress bar would print every batch into the
notebook (the run prints one line per epoch instead). Epoch times come from a callback's
``on_epoch_begin`` / ``on_epoch_end``, each after a device sync.

The dynamic models (var_addition, tree_eval) train as the Keras guide to masking and padding
says: the whole split padded to one width in memory, fit's own batches and shuffle over it, and
the padding masked (var_addition: a ``Masking`` layer's mask passed to the encoder LSTM;
tree_eval: the shift-reduce scan, whose padded steps no tree reads, with each step's children
as extra inputs). The eager Implementation is switched to that form before fit
(``KerasDynamic.use_fit_strategy``), so validation and the parity forward see the model fit
trained; every epoch's padded positions are counted in its ShapeLog.
"""

from __future__ import annotations

import math
import time

import keras
import numpy as np

from polybench.frameworks.base import AfterEpoch, IdiomaticTrainer
from polybench.frameworks.dynamic import DynamicModel
from polybench.frameworks.tensorflow.keras_common import KerasModel


class _EpochClock(keras.callbacks.Callback):
    """Times each epoch between Keras' own epoch hooks and hands the figures on."""

    def __init__(self, sync, after_epoch: AfterEpoch) -> None:
        super().__init__()
        self.sync, self.after_epoch, self.start = sync, after_epoch, 0.0

    def on_epoch_begin(self, epoch, logs=None):
        self.sync()
        self.start = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        self.sync()
        seconds = time.perf_counter() - self.start
        self.after_epoch(epoch + 1, float(logs["loss"]), seconds)  # validation runs here, off the clock


class _Rendered(keras.utils.PyDataset):
    """A compact split (the moving-square videos) rendered batch by batch: Keras' documented
    way to feed data that do not fit in memory; reshuffled at the end of every epoch."""

    def __init__(self, impl: KerasModel, batch_size: int, seed: int) -> None:
        super().__init__()
        self.impl, self.batch_size, self.n = impl, batch_size, len(impl.data["train"].split)
        self.rng = np.random.default_rng(seed)
        self.order = self.rng.permutation(self.n)

    def __len__(self) -> int:
        return math.ceil(self.n / self.batch_size)

    def __getitem__(self, i: int):
        return self.impl.batch("train", self.order[i * self.batch_size : (i + 1) * self.batch_size])

    def on_epoch_end(self) -> None:
        self.order = self.rng.permutation(self.n)


class Trainer(IdiomaticTrainer):
    """Keras compile() + fit() with its defaults (jit_compile="auto"), timed by a callback."""

    shuffle = "keras fit(shuffle=True): its own permutation each epoch, from the seed keras.utils.set_random_seed set"

    def __init__(self, impl: KerasModel, batch_size: int, seed: int) -> None:
        super().__init__(impl, batch_size, seed)
        if isinstance(impl, DynamicModel):  # TensorFlow's (Keras on JAX and PyTorch runs none)
            impl.use_fit_strategy()  # padded to one width and masked, the form fit trains
        impl.model.compile(optimizer=impl.optimizer, loss=impl.loss_fn)  # Keras' defaults otherwise

    def fit(self, epochs: int, after_epoch: AfterEpoch) -> None:
        _, x, y = self.impl.data["train"]
        # The spec's learning-rate schedule as Keras writes it, set in on_epoch_begin before the clock starts.
        schedule = keras.callbacks.LearningRateScheduler(lambda epoch, rate: self.impl.adam.rate(epoch + 1))
        clock = [schedule, _EpochClock(self.impl.sync, after_epoch)]
        with self.impl.device_scope():
            if isinstance(self.impl, DynamicModel):  # the whole split padded, made here off the clock
                x, computed, real = self.impl.split_inputs("train")
                self.impl.shape_log.count(real * epochs, computed * epochs)
            if x is None:
                self.impl.model.fit(
                    _Rendered(self.impl, self.batch_size, self.seed), epochs=epochs, verbose=0, callbacks=clock
                )
            else:
                self.impl.model.fit(x, y, batch_size=self.batch_size, epochs=epochs, verbose=0, callbacks=clock)

    def compiler(self) -> dict:
        """What Keras resolved ``jit_compile="auto"`` to on this backend (``fit_compiler``)."""
        return self.impl.fit_compiler()
