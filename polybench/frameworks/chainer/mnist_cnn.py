"""MNIST CNN in Chainer: two 5x5 'same' convolutions with max-pooling, dense 1024, dense 10."""

import chainer
import chainer.functions as F
import chainer.links as L

from polybench.frameworks.chainer.common import ChainerImplementation, dropout, load_conv, load_linear


class CNN(chainer.Chain):
    def __init__(self, rates: dict[str, float]):
        super().__init__()
        self.rates = rates
        with self.init_scope():
            self.conv1 = L.Convolution2D(1, 32, ksize=5, pad=2)
            self.conv2 = L.Convolution2D(32, 64, ksize=5, pad=2)
            self.dense = L.Linear(64 * 7 * 7, 1024)
            self.output = L.Linear(1024, 10)

    def forward(self, x):  # x: (N, 1, 28, 28), channels first like the spec
        h = F.max_pooling_2d(F.relu(self.conv1(x)), 2, cover_all=False)
        h = F.max_pooling_2d(F.relu(self.conv2(h)), 2, cover_all=False)
        # L.Linear flattens (N, 64, 7, 7) in (channel, row, column) order, as the spec's kernel expects
        h = dropout(F.relu(self.dense(h)), self.rates, "dense")
        return self.output(h)


class Implementation(ChainerImplementation):
    def build(self, params):
        model = CNN(self.dropout_rates)
        load_conv(model.conv1, params, "conv1")
        load_conv(model.conv2, params, "conv2")
        load_linear(model.dense, params, "dense")
        load_linear(model.output, params, "output")
        return model
