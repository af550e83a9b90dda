"""MNIST FCN in JAX/Flax NNX: 784-512-256-10, ReLU, dropout after each hidden layer."""

from flax import nnx

from polybench.frameworks.jax.common import NNXImplementation, load_linear


class FCN(nnx.Module):
    def __init__(self, dropout: dict[str, float], rngs: nnx.Rngs):
        self.hidden1 = nnx.Linear(784, 512, rngs=rngs)
        self.hidden2 = nnx.Linear(512, 256, rngs=rngs)
        self.output = nnx.Linear(256, 10, rngs=rngs)
        self.drop1 = nnx.Dropout(dropout.get("hidden1", 0.0), rngs=rngs)
        self.drop2 = nnx.Dropout(dropout.get("hidden2", 0.0), rngs=rngs)

    def __call__(self, x):
        x = self.drop1(nnx.relu(self.hidden1(x)))
        x = self.drop2(nnx.relu(self.hidden2(x)))
        return self.output(x)  # logits: the loss applies the softmax


class Implementation(NNXImplementation):
    def build(self, params):
        model = FCN(self.dropout_rates, self.rngs)
        for name in ("hidden1", "hidden2", "output"):
            load_linear(getattr(model, name), params, name)
        return model
