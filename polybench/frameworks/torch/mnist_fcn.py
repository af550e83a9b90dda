"""MNIST FCN in PyTorch: 784-512-256-10, ReLU, dropout after each hidden layer."""

import torch.nn.functional as F
from torch import nn

from polybench.frameworks.torch.common import TorchImplementation, load_linear


class FCN(nn.Module):
    def __init__(self, dropout: dict[str, float]):
        super().__init__()
        self.hidden1 = nn.Linear(784, 512)
        self.hidden2 = nn.Linear(512, 256)
        self.output = nn.Linear(256, 10)
        self.drop1 = nn.Dropout(dropout.get("hidden1", 0.0))
        self.drop2 = nn.Dropout(dropout.get("hidden2", 0.0))

    def forward(self, x):
        x = self.drop1(F.relu(self.hidden1(x)))
        x = self.drop2(F.relu(self.hidden2(x)))
        return self.output(x)  # logits: F.cross_entropy applies the softmax


class Implementation(TorchImplementation):
    def build(self, params):
        model = FCN(self.dropout_rates)
        for name in ("hidden1", "hidden2", "output"):
            load_linear(getattr(model, name), params, name)
        return model
