"""Echo in Keras 3 (every backend): LSTM(25) over five one-hot digits, dense 10 on the last hidden state."""

import keras
from keras import layers

from polybench.frameworks.tensorflow.keras_common import backend_implementation, load_dense, load_lstm


class Implementation(backend_implementation()):
    def build(self, params):
        model = keras.Sequential(
            [
                keras.Input((5, 10)),
                # No initial state given: it starts from zeros; Dense reads the last hidden state.
                layers.LSTM(25, activation="tanh", recurrent_activation="sigmoid", name="lstm"),
                layers.Dense(10, name="output"),
            ]
        )
        load_lstm(model.get_layer("lstm"), params, "lstm")
        load_dense(model.get_layer("output"), params, "output")
        return model
