"""MNIST CNN in Gluon: two 5x5 'same' convolutions with max-pooling, dense 1024, dense 10."""

from mxnet.gluon import nn

from polybench.frameworks.mxnet.common import GluonImplementation, load_conv, load_dense


class CNN(nn.HybridBlock):
    def __init__(self, dropout: dict[str, float]):
        super().__init__()
        self.conv1 = nn.Conv2D(32, kernel_size=5, padding=2, activation="relu", in_channels=1)
        self.conv2 = nn.Conv2D(64, kernel_size=5, padding=2, activation="relu", in_channels=32)
        self.pool = nn.MaxPool2D(pool_size=2)
        self.dense = nn.Dense(1024, activation="relu", in_units=64 * 7 * 7)
        self.drop = nn.Dropout(dropout.get("dense", 0.0))
        self.output = nn.Dense(10, in_units=1024)

    def hybrid_forward(self, F, x):  # x: (N, 1, 28, 28), channels first like the spec
        x = self.pool(self.conv1(x))
        x = self.pool(self.conv2(x))
        x = self.drop(self.dense(x))  # Dense flattens (N, 64, 7, 7) in (channel, row, column) order
        return self.output(x)


class Implementation(GluonImplementation):
    def build(self, params):
        model = CNN(self.dropout_rates)
        model.initialize(ctx=self.device)
        load_conv(model.conv1, params, "conv1")
        load_conv(model.conv2, params, "conv2")
        load_dense(model.dense, params, "dense")
        load_dense(model.output, params, "output")
        return model
