"""Addition in Keras 3 (every backend): encoder LSTM(75), its last output repeated twice, decoder LSTM(50),
dense 12."""

import keras
from keras import layers

from polybench.frameworks.tensorflow.keras_common import backend_implementation, load_dense, load_lstm


class Implementation(backend_implementation()):
    def build(self, params):
        model = keras.Sequential(
            [
                keras.Input((8, 12)),  # one-hot characters
                layers.LSTM(75, activation="tanh", recurrent_activation="sigmoid", name="encoder"),
                layers.RepeatVector(2),  # one copy per answer character
                layers.LSTM(
                    50, activation="tanh", recurrent_activation="sigmoid", return_sequences=True, name="decoder"
                ),
                layers.Dense(12, name="output"),  # per step: (N, 2, 12) logits
            ]
        )
        load_lstm(model.get_layer("encoder"), params, "encoder")
        load_lstm(model.get_layer("decoder"), params, "decoder")
        load_dense(model.get_layer("output"), params, "output")
        return model
