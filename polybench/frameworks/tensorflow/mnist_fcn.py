"""MNIST FCN in Keras 3 (every backend): 784-512-256-10, ReLU, dropout after each hidden layer."""

import keras
from keras import layers

from polybench.frameworks.tensorflow.keras_common import backend_implementation, load_dense


class Implementation(backend_implementation()):
    def build(self, params):
        drop = self.dropout_rates
        model = keras.Sequential(
            [
                keras.Input((784,)),
                layers.Dense(512, activation="relu", name="hidden1"),
                layers.Dropout(drop.get("hidden1", 0.0)),
                layers.Dense(256, activation="relu", name="hidden2"),
                layers.Dropout(drop.get("hidden2", 0.0)),
                layers.Dense(10, name="output"),  # logits: the loss applies the softmax
            ]
        )
        for name in ("hidden1", "hidden2", "output"):
            load_dense(model.get_layer(name), params, name)
        return model
