"""Moving square in Keras 3 (every backend): the same Conv2D on every frame, then LSTM(50) and dense 2."""

import keras
from keras import layers

from polybench.frameworks.tensorflow.keras_common import backend_implementation, load_conv, load_dense, load_lstm


class Implementation(backend_implementation()):
    def build(self, params):
        model = keras.Sequential(
            [
                keras.Input((50, 50, 50, 1)),  # (frames, rows, columns, channels): channels-last frames
                layers.TimeDistributed(layers.Conv2D(2, 2, activation="relu"), name="conv"),  # 'valid': 49x49
                layers.TimeDistributed(layers.MaxPooling2D(2)),  # 49x49 -> 24x24 (floor)
                layers.TimeDistributed(layers.Flatten()),  # (row, column, channel) order
                layers.LSTM(50, activation="tanh", recurrent_activation="sigmoid", name="lstm"),
                layers.Dense(2, name="output"),
            ]
        )
        load_conv(model.get_layer("conv").layer, params, "conv")
        load_lstm(model.get_layer("lstm"), params, "lstm", flattened=(2, 24, 24))
        load_dense(model.get_layer("output"), params, "output")
        return model

    def to_model_layout(self, x):
        # Videos are rendered per batch as (N, frames, 1, 50, 50); going channels-last here is
        # the backend's own cost and is timed with the step.
        return keras.ops.transpose(x, [0, 1, 3, 4, 2])
