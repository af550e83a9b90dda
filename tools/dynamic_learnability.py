"""Does a dynamic spec's model learn its task? A short PyTorch training from the canonical weights.

A check of a dynamic spec's task, size and optimizer before the frameworks implement it
(polybench.specs.dynamic): it trains the spec's model in eager PyTorch for a fixed wall-clock
budget on the spec's own data (generated in memory; the full profile's optimizer and batch
size), and prints the validation metric as it goes. Before training it compares the PyTorch
model's forward pass with the spec's NumPy reference on the parity batch, so that the figures
are those of the model the spec defines.

It is no benchmark run (no shared loop, no record, one thread): its figures say whether and how
fast the metric rises per sample seen, not how fast a framework is.

    python tools/dynamic_learnability.py --model tree_eval --seconds 50

It needs torch: run it with the torch environment's interpreter and the checkout on PYTHONPATH.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence

from polybench.specs import DYNAMIC_SPECS
from polybench.specs.base import Spec, Split, step_lengths
from polybench.specs.tree_eval import parse
from polybench.specs.var_addition import ANSWER_CHARS


def _tensor(array: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(np.ascontiguousarray(array))


def _lstm(params: dict[str, np.ndarray], name: str) -> nn.LSTM:
    """A batch-first nn.LSTM holding the canonical layer (gates i, f, g, o in both; one bias)."""
    units = params[f"{name}.recurrent_kernel"].shape[0]
    lstm = nn.LSTM(params[f"{name}.kernel"].shape[0], units, batch_first=True)
    with torch.no_grad():
        lstm.weight_ih_l0.copy_(_tensor(params[f"{name}.kernel"].T))
        lstm.weight_hh_l0.copy_(_tensor(params[f"{name}.recurrent_kernel"].T))
        lstm.bias_ih_l0.copy_(_tensor(params[f"{name}.bias"]))
        lstm.bias_hh_l0.zero_()
    return lstm


def _dense(params: dict[str, np.ndarray], name: str) -> nn.Linear:
    kernel = params[f"{name}.kernel"]
    dense = nn.Linear(*kernel.shape)
    with torch.no_grad():
        dense.weight.copy_(_tensor(kernel.T))
        dense.bias.copy_(_tensor(params[f"{name}.bias"]))
    return dense


class VarAdditionNet(nn.Module):
    """The var_addition model at exact lengths: the encoder reads a packed batch."""

    def __init__(self, params: dict[str, np.ndarray]) -> None:
        super().__init__()
        self.encoder, self.decoder = _lstm(params, "encoder"), _lstm(params, "decoder")
        self.output = _dense(params, "output")

    def forward(self, x: torch.Tensor, lengths: np.ndarray) -> torch.Tensor:
        packed = pack_padded_sequence(x, torch.from_numpy(lengths), batch_first=True, enforce_sorted=False)
        _, (h, _) = self.encoder(packed)
        decoded, _ = self.decoder(h[-1][:, None].expand(-1, ANSWER_CHARS, -1))
        return self.output(decoded)


class TreeNet(nn.Module):
    """The tree_eval model, the batch's nodes computed one height at a time."""

    def __init__(self, params: dict[str, np.ndarray]) -> None:
        super().__init__()
        self.kernel = nn.Parameter(_tensor(params["tree.kernel"]))
        self.child_kernel = nn.Parameter(_tensor(params["tree.child_kernel"]))
        self.bias = nn.Parameter(_tensor(params["tree.bias"]))
        self.output = _dense(params, "output")

    def forward(self, x: torch.Tensor, lengths: np.ndarray) -> torch.Tensor:
        trees = [parse(row[:n].argmax(axis=1)) for row, n in zip(x.numpy(), lengths, strict=True)]
        offsets = np.concatenate([[0], np.cumsum(lengths)[:-1]])  # each tree's first node in the batch's nodes
        tokens, height = (np.concatenate([getattr(t, field) for t in trees]) for field in ("tokens", "height"))
        # children as batch node numbers (a digit's -1 moves too, but digits read no children)
        left, right = (
            np.concatenate([getattr(t, side) + o for t, o in zip(trees, offsets, strict=True)])
            for side in ("left", "right")
        )
        total, units = len(tokens), self.child_kernel.shape[0] // 2
        h_all, c_all = torch.zeros(total, units), torch.zeros(total, units)
        for level in range(height.max() + 1):
            nodes = np.flatnonzero(height == level)
            z = self.kernel[tokens[nodes]] + self.bias
            if level > 0:
                children = torch.cat([h_all[left[nodes]], h_all[right[nodes]]], dim=1)
                z = z + children @ self.child_kernel
            i, f_left, f_right, g, o = z.chunk(5, dim=1)
            c = torch.sigmoid(i) * torch.tanh(g)
            if level > 0:
                c = c + torch.sigmoid(f_left) * c_all[left[nodes]] + torch.sigmoid(f_right) * c_all[right[nodes]]
            index = torch.from_numpy(nodes)
            h_all = h_all.index_copy(0, index, torch.sigmoid(o) * torch.tanh(c))
            c_all = c_all.index_copy(0, index, c)
        roots = torch.from_numpy(offsets + lengths - 1)
        return self.output(h_all[roots])


MODELS = {"var_addition": VarAdditionNet, "tree_eval": TreeNet}


def metric(spec: Spec, model: nn.Module, split: Split) -> float:
    """The spec's metric of the model on a whole split."""
    with torch.no_grad():
        outputs = model(_tensor(split.x), split.lengths).double().numpy()
    return spec.compute_metric(outputs, split.y)


def train(name: str, seconds: float, train_size: int, seed: int) -> None:
    """Train one spec's model for ``seconds`` of wall time and print the validation metric."""
    spec = DYNAMIC_SPECS[name]()
    profile = spec.profile("full")
    params = spec.init_parameters(seed)
    model = MODELS[name](params)
    probe = spec.parity_batch(8)
    with torch.no_grad():
        ours = model(_tensor(probe), step_lengths(probe)).double().numpy()
    difference = np.abs(ours - spec.reference_forward(params, probe)).max()
    print(f"{name}: forward against the NumPy reference on the parity batch, max |diff| {difference:.2e}")
    rng = np.random.default_rng(spec.data_seed)
    train_split, val = (spec.render(spec.generate(n, rng)) for n in (train_size, spec.sizes["val"]))
    adam = profile.optimizer
    optimizer = torch.optim.Adam(
        model.parameters(), lr=adam.learning_rate, betas=(adam.beta_1, adam.beta_2), eps=adam.epsilon
    )
    loss_fn = nn.CrossEntropyLoss()
    order_rng, seen, start, next_report = np.random.default_rng(seed), 0, time.monotonic(), 0.0
    while (elapsed := time.monotonic() - start) < seconds:
        order = order_rng.permutation(len(train_split))
        for begin in range(0, len(order), profile.batch_size):
            rows = np.sort(order[begin : begin + profile.batch_size])
            logits = model(_tensor(train_split.x[rows]), train_split.lengths[rows])
            loss = loss_fn(logits.reshape(-1, logits.shape[-1]), _tensor(train_split.y[rows]).reshape(-1))
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            seen += len(rows)
            elapsed = time.monotonic() - start
            if elapsed >= next_report or elapsed >= seconds:
                score = metric(spec, model, val)
                print(
                    f"  {elapsed:5.1f} s  {seen:7d} samples  loss {loss.item():.3f}  val {spec.metric.name} {score:.3f}"
                )
                next_report = elapsed + seconds / 8
            if elapsed >= seconds:
                break


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", choices=list(DYNAMIC_SPECS), nargs="+", default=list(DYNAMIC_SPECS))
    parser.add_argument("--seconds", type=float, default=50.0, help="training wall time per model")
    parser.add_argument("--train-size", type=int, default=20_000, help="training samples generated")
    parser.add_argument("--seed", type=int, default=0, help="seed of the weights and the shuffle")
    args = parser.parse_args()
    torch.set_num_threads(1)
    torch.manual_seed(args.seed)
    for name in args.model:
        train(name, args.seconds, args.train_size, args.seed)


if __name__ == "__main__":
    main()
