"""MNIST CNN in PyTorch: two 5x5 'same' convolutions with max-pooling, dense 1024, dense 10."""

import torch.nn.functional as F
from torch import nn

from polybench.frameworks.torch.common import TorchImplementation, load_conv, load_linear


class CNN(nn.Module):
    def __init__(self, dropout: dict[str, float]):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 32, kernel_size=5, padding=2)
        self.conv2 = nn.Conv2d(32, 64, kernel_size=5, padding=2)
        self.dense = nn.Linear(64 * 7 * 7, 1024)
        self.output = nn.Linear(1024, 10)
        self.drop = nn.Dropout(dropout.get("dense", 0.0))

    def forward(self, x):  # x: (N, 1, 28, 28), channels first like the spec
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        x = x.flatten(1)  # (channel, row, column) order, as the spec's dense kernel expects
        x = self.drop(F.relu(self.dense(x)))
        return self.output(x)


class Implementation(TorchImplementation):
    # Inductor's layout optimisation (channels-last convolutions, on by default for a graph with a
    # convolution on the CPU) returns all-zero convolution gradients for this model at batch 128
    # (torch 2.13.0; batches of 8 to 88 come out right). With it off the gradients equal eager's
    # within 5e-7 of their scale; tools/repro_inductor_conv_grad.py shows both settings side by side.
    compile_options = {"fullgraph": True, "options": {"layout_optimization": False}}

    def build(self, params):
        model = CNN(self.dropout_rates)
        load_conv(model.conv1, params, "conv1")
        load_conv(model.conv2, params, "conv2")
        load_linear(model.dense, params, "dense")
        load_linear(model.output, params, "output")
        return model
