"""Shape generation in Keras 3 (every backend): LSTM(10) over one corner, dense 2 for the next corner."""

import keras
from keras import layers

from polybench.frameworks.tensorflow.keras_common import backend_implementation, load_dense, load_lstm


class Implementation(backend_implementation()):
    def build(self, params):
        model = keras.Sequential(
            [
                keras.Input((1, 2)),  # one corner as a one-step sequence
                layers.LSTM(10, activation="tanh", recurrent_activation="sigmoid", name="lstm"),
                layers.Dense(2, name="output"),
            ]
        )
        load_lstm(model.get_layer("lstm"), params, "lstm")
        load_dense(model.get_layer("output"), params, "output")
        return model
