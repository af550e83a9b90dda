"""Damped sine in Keras 3 (every backend): stacked LSTM(20) -> LSTM(20) -> dense 5."""

import keras
from keras import layers

from polybench.frameworks.tensorflow.keras_common import backend_implementation, load_dense, load_lstm


class Implementation(backend_implementation()):
    def build(self, params):
        model = keras.Sequential(
            [
                keras.Input((50, 1)),
                layers.LSTM(20, activation="tanh", recurrent_activation="sigmoid", return_sequences=True, name="lstm1"),
                layers.LSTM(20, activation="tanh", recurrent_activation="sigmoid", name="lstm2"),
                layers.Dense(5, name="output"),
            ]
        )
        load_lstm(model.get_layer("lstm1"), params, "lstm1")
        load_lstm(model.get_layer("lstm2"), params, "lstm2")
        load_dense(model.get_layer("output"), params, "output")
        return model
