"""DyNet on polybench's two MNIST models: forward parity with the specs' NumPy reference, then
training on the spec's data, to show that the DyNet built by tools/dynet_build.sh runs them.

Not a polybench framework yet (no runner, kernel or record): a check of DyNet 2.1.2 built from its
source. It runs in the environment tools/dynet_build.sh made, with the repository on PYTHONPATH:

    PYTHONPATH=. .venvs/dynet/bin/python tools/dynet_mnist.py --model mnist_fcn --epochs 10

It reads data/mnist_train.csv and data/mnist_test.csv (`polybench data` or any run writes them),
starts from the spec's canonical weights, trains with Adam as the spec says (batch 128, the
spec's learning rate per epoch, dropout) and prints the forward parity, each epoch's seconds and
the test accuracy against the spec's target. Exit status: 0 when the parity holds and the target
is met, 1 otherwise, 2 on bad arguments.
"""

from __future__ import annotations

import argparse
import sys
import time
from importlib import metadata
from pathlib import Path

import numpy as np

from polybench.data.tables import load_splits
from polybench.specs import SPECS

PARITY_TOLERANCE = 1e-4  # float32 DyNet against the float64 reference, on logits of order 1-10


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", choices=("mnist_fcn", "mnist_cnn"), default="mnist_fcn")
    parser.add_argument("--epochs", type=int, default=None, help="default: the spec's full profile")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--data-dir", type=Path, default=Path("data"))
    args = parser.parse_args(argv)
    if args.epochs is not None and args.epochs < 0:
        parser.error(f"--epochs must be 0 or more, not {args.epochs}")
    csvs = [args.data_dir / name for name in ("mnist_train.csv", "mnist_test.csv")]
    if not all(path.exists() for path in csvs):
        parser.error(f"no MNIST CSVs in {args.data_dir}: write them with `polybench data --model {args.model}`")
    return args


class Model:
    """The spec's model as DyNet parameters, with its batched forward pass.

    From canonical weights to DyNet's (one place): DyNet stores a dense weight as (out, in) and
    computes W * x, the spec as (in, out) with x @ K, so W = K.T. DyNet tensors are column-major
    and its conv2d reads (width, height, channels) per sample with filters (fw, fh, in, out): the
    images go in as (column, row, channel) and the spec's (out, in, fh, fw) kernels reversed to
    (fw, fh, in, out), so that reshaping the last feature map column-major flattens it in the
    spec's (channel, row, column) order."""

    def __init__(self, dy, spec, params: dict[str, np.ndarray]):
        self.dy, self.spec = dy, spec
        self.collection = dy.ParameterCollection()
        add = self.collection.add_parameters

        def weight(name: str) -> object:
            array = params[name]
            array = array.T if array.ndim == 2 else np.transpose(array, (3, 2, 1, 0))
            return add(array.shape, init=dy.NumpyInitializer(np.ascontiguousarray(array, dtype=np.float32)))

        def bias(name: str) -> object:
            return add(params[name].shape, init=dy.NumpyInitializer(params[name].astype(np.float32)))

        layers = [name.removesuffix(".kernel") for name in params if name.endswith(".kernel")]
        self.weights = {layer: (weight(f"{layer}.kernel"), bias(f"{layer}.bias")) for layer in layers}

    def inputs(self, x: np.ndarray):
        if self.spec.name == "mnist_cnn":  # (batch, channel, row, column) -> (column, row, channel, batch)
            return self.dy.inputTensor(np.transpose(x, (3, 2, 1, 0)), batched=True)
        return self.dy.inputTensor(x.T, batched=True)  # (784, batch)

    def dense(self, name: str, h):
        kernel, bias = self.weights[name]
        return self.dy.affine_transform([bias, kernel, h])

    def forward(self, x: np.ndarray, train: bool):
        dy, rates = self.dy, self.spec.dropout
        h = self.inputs(x)
        if self.spec.name == "mnist_cnn":
            for conv in ("conv1", "conv2"):
                kernel, bias = self.weights[conv]
                h = dy.rectify(dy.conv2d_bias(h, kernel, bias, stride=[1, 1], is_valid=False))
                h = dy.maxpooling2d(h, ksize=[2, 2], stride=[2, 2], is_valid=True)
            h = dy.reshape(h, (int(np.prod(h.dim()[0])),))
            hidden = ("dense",)
        else:
            hidden = ("hidden1", "hidden2")
        for name in hidden:
            h = dy.rectify(self.dense(name, h))
            if train:
                h = dy.dropout(h, rates[name])
        return self.dense("output", h)

    def logits(self, x: np.ndarray, batch: int = 1000) -> np.ndarray:
        out = []
        for start in range(0, len(x), batch):
            self.dy.renew_cg()
            out.append(self.forward(x[start : start + batch], train=False).npvalue().reshape(10, -1).T)
        return np.concatenate(out)


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    import dynet_config

    dynet_config.set(mem=2048, random_seed=args.seed + 1)  # DyNet reads 0 as "seed from the clock"
    import dynet as dy

    spec = SPECS[args.model]()
    profile = spec.profile("full")
    epochs = profile.epochs if args.epochs is None else args.epochs

    reference_params = spec.parity_parameters(args.seed)
    batch = spec.parity_batch(8, args.seed)
    gap = float(
        np.max(
            np.abs(Model(dy, spec, reference_params).logits(batch) - spec.reference_forward(reference_params, batch))
        )
    )
    parity = gap <= PARITY_TOLERANCE
    print(
        f"DyNet {metadata.version('dyNET')}: {args.model} forward parity: largest "
        f"difference from the float64 reference {gap:.2e} (tolerance {PARITY_TOLERANCE:.0e}): "
        f"{'ok' if parity else 'FAILED'}",
        flush=True,
    )

    splits = load_splits(spec, args.data_dir)
    train, test = splits["train"], splits["test"]
    model = Model(dy, spec, spec.init_parameters(args.seed))
    adam = profile.optimizer
    trainer = dy.AdamTrainer(
        model.collection, alpha=adam.learning_rate, beta_1=adam.beta_1, beta_2=adam.beta_2, eps=adam.epsilon
    )
    rng = np.random.default_rng(args.seed)
    for epoch in range(epochs):
        trainer.learning_rate = adam.rate(epoch + 1)  # the spec counts epochs from 1
        start, total, steps = time.perf_counter(), 0.0, 0
        order = rng.permutation(len(train.y))
        for first in range(0, len(order), profile.batch_size):
            rows = order[first : first + profile.batch_size]
            dy.renew_cg()
            loss = dy.mean_batches(
                dy.pickneglogsoftmax_batch(model.forward(train.x[rows], train=True), list(train.y[rows]))
            )
            total += loss.value()
            loss.backward()
            trainer.update()
            steps += 1
        seconds = time.perf_counter() - start
        accuracy = spec.compute_metric(model.logits(test.x), test.y)
        print(
            f"epoch {epoch + 1}/{epochs}: {seconds:.1f} s, train loss {total / steps:.4f}, "
            f"test accuracy {accuracy:.4f}",
            flush=True,
        )
    if epochs == 0:
        return 0 if parity else 1
    met = spec.metric.met(accuracy)
    print(f"test accuracy {accuracy:.4f} against the target {spec.metric.target}: {'met' if met else 'NOT met'}")
    return 0 if parity and met else 1


if __name__ == "__main__":
    sys.exit(main())
