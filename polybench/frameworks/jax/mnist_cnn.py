"""MNIST CNN in JAX/Flax NNX: two 5x5 'same' convolutions with max-pooling, dense 1024, dense 10."""

from flax import nnx

from polybench.frameworks.jax.common import NNXImplementation, load_conv, load_linear


class CNN(nnx.Module):
    def __init__(self, dropout: dict[str, float], rngs: nnx.Rngs):
        self.conv1 = nnx.Conv(1, 32, kernel_size=(5, 5), padding="SAME", rngs=rngs)
        self.conv2 = nnx.Conv(32, 64, kernel_size=(5, 5), padding="SAME", rngs=rngs)
        self.dense = nnx.Linear(7 * 7 * 64, 1024, rngs=rngs)
        self.output = nnx.Linear(1024, 10, rngs=rngs)
        self.drop = nnx.Dropout(dropout.get("dense", 0.0), rngs=rngs)

    def __call__(self, x):  # x: (N, 1, 28, 28) as loaded; one channel, so NHWC is a reshape
        x = x.reshape(x.shape[0], 28, 28, 1)
        x = nnx.max_pool(nnx.relu(self.conv1(x)), window_shape=(2, 2), strides=(2, 2))
        x = nnx.max_pool(nnx.relu(self.conv2(x)), window_shape=(2, 2), strides=(2, 2))
        x = x.reshape(x.shape[0], -1)  # (row, column, channel) order: the dense kernel's rows are permuted to it
        x = self.drop(nnx.relu(self.dense(x)))
        return self.output(x)


class Implementation(NNXImplementation):
    def build(self, params):
        model = CNN(self.dropout_rates, self.rngs)
        load_conv(model.conv1, params, "conv1")
        load_conv(model.conv2, params, "conv2")
        load_linear(model.dense, params, "dense", flattened=(64, 7, 7))
        load_linear(model.output, params, "output")
        return model
