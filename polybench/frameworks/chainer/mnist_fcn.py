"""MNIST FCN in Chainer: 784-512-256-10, ReLU, dropout after each hidden layer."""

import chainer
import chainer.functions as F
import chainer.links as L

from polybench.frameworks.chainer.common import ChainerImplementation, dropout, load_linear


class FCN(chainer.Chain):
    def __init__(self, rates: dict[str, float]):
        super().__init__()
        self.rates = rates
        with self.init_scope():
            self.hidden1 = L.Linear(784, 512)
            self.hidden2 = L.Linear(512, 256)
            self.output = L.Linear(256, 10)

    def forward(self, x):
        h = dropout(F.relu(self.hidden1(x)), self.rates, "hidden1")
        h = dropout(F.relu(self.hidden2(h)), self.rates, "hidden2")
        return self.output(h)  # logits: F.softmax_cross_entropy applies the softmax


class Implementation(ChainerImplementation):
    def build(self, params):
        model = FCN(self.dropout_rates)
        for name in ("hidden1", "hidden2", "output"):
            load_linear(getattr(model, name), params, name)
        return model
