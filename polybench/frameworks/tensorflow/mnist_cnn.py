"""MNIST CNN in Keras 3 (every backend): two 5x5 'same' convolutions with max-pooling, dense 1024, dense 10."""

import keras
from keras import layers

from polybench.frameworks.tensorflow.keras_common import backend_implementation, load_conv, load_dense


class Implementation(backend_implementation()):
    def build(self, params):
        model = keras.Sequential(
            [
                keras.Input((28, 28, 1)),  # channels-last images
                layers.Conv2D(32, 5, padding="same", activation="relu", name="conv1"),
                layers.MaxPooling2D(2),
                layers.Conv2D(64, 5, padding="same", activation="relu", name="conv2"),
                layers.MaxPooling2D(2),
                layers.Flatten(),  # (row, column, channel) order: the dense kernel's rows are permuted to it
                layers.Dense(1024, activation="relu", name="dense"),
                layers.Dropout(self.dropout_rates.get("dense", 0.0)),
                layers.Dense(10, name="output"),
            ]
        )
        load_conv(model.get_layer("conv1"), params, "conv1")
        load_conv(model.get_layer("conv2"), params, "conv2")
        load_dense(model.get_layer("dense"), params, "dense", flattened=(64, 7, 7))
        load_dense(model.get_layer("output"), params, "output")
        return model

    def to_model_layout(self, x):
        return keras.ops.transpose(x, [0, 2, 3, 1])  # (N, 1, 28, 28) -> (N, 28, 28, 1), once in load_data
