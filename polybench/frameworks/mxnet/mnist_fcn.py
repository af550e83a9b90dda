"""MNIST FCN in Gluon: 784-512-256-10, ReLU, dropout after each hidden layer."""

from mxnet.gluon import nn

from polybench.frameworks.mxnet.common import GluonImplementation, load_dense


class FCN(nn.HybridBlock):
    def __init__(self, dropout: dict[str, float]):
        super().__init__()
        self.hidden1 = nn.Dense(512, activation="relu", in_units=784)
        self.hidden2 = nn.Dense(256, activation="relu", in_units=512)
        self.output = nn.Dense(10, in_units=256)
        self.drop1 = nn.Dropout(dropout.get("hidden1", 0.0))
        self.drop2 = nn.Dropout(dropout.get("hidden2", 0.0))

    def hybrid_forward(self, F, x):
        x = self.drop1(self.hidden1(x))
        x = self.drop2(self.hidden2(x))
        return self.output(x)  # logits: the loss applies the softmax


class Implementation(GluonImplementation):
    def build(self, params):
        model = FCN(self.dropout_rates)
        model.initialize(ctx=self.device)
        for name in ("hidden1", "hidden2", "output"):
            load_dense(getattr(model, name), params, name)
        return model
