"""MNIST handwritten digits: the two classifiers polydlot compared, defined once.

Data: data/mnist_train.csv and data/mnist_test.csv (label, then 784 pixels 0-255).
The last 5,000 training rows are the validation split; the test CSV is the test split.
"""

from __future__ import annotations

import numpy as np

from polybench.specs import ops
from polybench.specs.base import (
    Adam,
    Columns,
    Metric,
    Parameter,
    Profile,
    Spec,
    Split,
    conv_flops,
    dense_flops,
    numbered,
)

TRAIN_ROWS = 60_000
TEST_ROWS = 10_000
VALIDATION_ROWS = 5_000
IMAGE_SIDE = 28  # pixels per side of a digit image
PIXELS = IMAGE_SIDE * IMAGE_SIDE


class MnistSpec(Spec):
    """What the two MNIST models share: data, splits, loss, metric."""

    dataset = "mnist"
    loss = "softmax_cross_entropy"
    output_shape = (10,)

    schema = {"label": Columns(("label",), "uint8"), "pixels": Columns(numbered("pixel", PIXELS), "uint8")}

    def split_sources(self) -> dict[str, tuple[str, slice]]:
        cut = TRAIN_ROWS - VALIDATION_ROWS
        return {
            "train": ("mnist_train.csv", slice(0, cut)),
            "val": ("mnist_train.csv", slice(cut, None)),
            "test": ("mnist_test.csv", slice(None)),
        }

    def csv_rows(self) -> dict[str, int]:
        return {"mnist_train.csv": TRAIN_ROWS, "mnist_test.csv": TEST_ROWS}

    def render(self, columns: dict[str, np.ndarray]) -> Split:
        """Pixels scaled to [0, 1] as float32 in the model's input shape; labels as int64."""
        x = np.multiply(columns["pixels"], np.float32(1.0 / 255.0), dtype=np.float32)
        return Split(x.reshape(-1, *self.input_shape), columns["label"].astype(np.int64))


def _profiles(full_epochs: int, full_time_limit_s: float, decay: float = 1.0) -> dict[str, Profile]:
    adam = Adam(learning_rate=1e-3, beta_1=0.9, beta_2=0.999, epsilon=1e-7, decay=decay)
    return {
        "quick": Profile(
            "quick",
            epochs=1,
            batch_size=128,
            optimizer=adam,
            train_size=2_000,
            val_size=500,
            test_size=1_000,
            time_limit_s=300,
        ),
        "full": Profile("full", epochs=full_epochs, batch_size=128, optimizer=adam, time_limit_s=full_time_limit_s),
    }


class MnistFCN(MnistSpec):
    """784-512-256-10 multilayer perceptron with ReLU and dropout 0.2."""

    name = "mnist_fcn"
    title = "MNIST, fully connected 784-512-256-10"
    description = (
        "Classify 28×28 handwritten digits (0–9). Each image is flattened to 784 pixel "
        "values scaled to [0, 1] and passed through two ReLU hidden layers of 512 and 256 "
        "units, each followed by dropout 0.2, then a 10-way linear layer; the loss is "
        "softmax cross-entropy. Adam 1e-3, batch 128, 10 epochs."
    )
    metric = Metric("accuracy", higher_is_better=True, target=0.975)
    profiles = _profiles(full_epochs=10, full_time_limit_s=1800)
    input_shape = (PIXELS,)
    dropout = {"hidden1": 0.2, "hidden2": 0.2}

    def forward_flops(self):
        return dense_flops(784, 512) + dense_flops(512, 256) + dense_flops(256, 10)

    @property
    def parameters(self) -> list[Parameter]:
        return [
            Parameter("hidden1.kernel", (784, 512), "glorot_uniform"),
            Parameter("hidden1.bias", (512,), "zeros"),
            Parameter("hidden2.kernel", (512, 256), "glorot_uniform"),
            Parameter("hidden2.bias", (256,), "zeros"),
            Parameter("output.kernel", (256, 10), "glorot_uniform"),
            Parameter("output.bias", (10,), "zeros"),
        ]

    def reference_forward(self, params, x):
        h = np.asarray(x, dtype=np.float64).reshape(len(x), -1)
        h = ops.relu(ops.dense(h, params["hidden1.kernel"], params["hidden1.bias"]))
        h = ops.relu(ops.dense(h, params["hidden2.kernel"], params["hidden2.bias"]))
        return ops.dense(h, params["output.kernel"], params["output.bias"])


class MnistCNN(MnistSpec):
    """Two 5×5 'same' convolutions with max-pooling, dense 1024, dropout 0.25, dense 10.

    The learning rate halves after every epoch (1e-3, 5e-4, 2.5e-4). At a constant 1e-3
    seed 2 missed the target in PyTorch's and JAX's default modes alike (test accuracy 0.9887 and
    0.9871 against 0.988; 2026-12-01): validation accuracy peaked at epoch 3 (0.9926, 0.9932) and
    fell after, the last epochs' steps too large for the end of training; a constant 5e-4 still
    left the validation accuracy swinging 0.988–0.992 between epochs (PyTorch seeds 0–2, test
    0.9902, 0.9923, 0.9895). The first epoch, and so the parity checks' first steps, are unchanged.

    Three epochs, not five: with the halving, every full-profile run of five epochs (2026-12-02:
    the five frameworks' default modes, Keras on three backends, PyTensor, PyTorch graph, and
    seeds 0-2 of PyTorch eager and JAX graph; 16 runs) had a validation accuracy of 0.9910-0.9932
    after its third epoch, and the schedule does not depend on the number of epochs, so a
    three-epoch run is those runs' first three epochs. The last two epochs moved the test accuracy
    by less than the epoch-to-epoch swing and cost 40% of the model's time (Chainer's im2col
    convolutions: 6 of its 17 minutes in the default run).
    """

    name = "mnist_cnn"
    title = "MNIST, convolutional (2× conv5×5 + pool, dense 1024)"
    description = (
        "Classify 28×28 handwritten digits (0–9). Input is one channel-first 1×28×28 image "
        "scaled to [0, 1]: conv 5×5×32 'same' + ReLU, max-pool 2, conv 5×5×64 'same' + "
        "ReLU, max-pool 2, flatten (channel, row, column order), dense 1024 + ReLU, "
        "dropout 0.25, dense 10; softmax cross-entropy. Adam 1e-3 halved after every epoch, batch 128, "
        "3 epochs."
    )
    metric = Metric("accuracy", higher_is_better=True, target=0.988)
    profiles = _profiles(full_epochs=3, full_time_limit_s=3600, decay=0.5)
    input_shape = (1, IMAGE_SIDE, IMAGE_SIDE)
    dropout = {"dense": 0.25}

    def forward_flops(self):
        return (
            conv_flops(1, 32, 5, 28, 28)
            + conv_flops(32, 64, 5, 14, 14)
            + dense_flops(64 * 7 * 7, 1024)
            + dense_flops(1024, 10)
        )

    @property
    def parameters(self) -> list[Parameter]:
        return [
            Parameter("conv1.kernel", (32, 1, 5, 5), "glorot_uniform"),
            Parameter("conv1.bias", (32,), "zeros"),
            Parameter("conv2.kernel", (64, 32, 5, 5), "glorot_uniform"),
            Parameter("conv2.bias", (64,), "zeros"),
            Parameter("dense.kernel", (64 * 7 * 7, 1024), "glorot_uniform"),
            Parameter("dense.bias", (1024,), "zeros"),
            Parameter("output.kernel", (1024, 10), "glorot_uniform"),
            Parameter("output.bias", (10,), "zeros"),
        ]

    def reference_forward(self, params, x):
        h = np.asarray(x, dtype=np.float64)
        h = ops.max_pool2d(ops.relu(ops.conv2d(h, params["conv1.kernel"], params["conv1.bias"])))
        h = ops.max_pool2d(ops.relu(ops.conv2d(h, params["conv2.kernel"], params["conv2.bias"])))
        h = h.reshape(len(h), -1)  # (channel, row, column) order
        h = ops.relu(ops.dense(h, params["dense.kernel"], params["dense.bias"]))
        return ops.dense(h, params["output.kernel"], params["output.bias"])
