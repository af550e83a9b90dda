"""Cumulative sum in Keras 3 (every backend): bidirectional LSTM(50), dense 1 per step (sigmoid in the loss)."""

import keras
from keras import layers

from polybench.frameworks.tensorflow.keras_common import backend_implementation, load_dense, load_lstm


class Implementation(backend_implementation()):
    def build(self, params):
        model = keras.Sequential(
            [
                keras.Input((10, 1)),
                # (N, 10, 100): forward then backward outputs, per step
                layers.Bidirectional(
                    layers.LSTM(50, activation="tanh", recurrent_activation="sigmoid", return_sequences=True),
                    name="lstm",
                ),
                layers.Dense(1, name="output"),
                layers.Reshape((10,)),  # (N, 10) logits
            ]
        )
        both = model.get_layer("lstm")
        load_lstm(both.forward_layer, params, "forward")
        load_lstm(both.backward_layer, params, "backward")
        load_dense(model.get_layer("output"), params, "output")
        return model
