"""Parity checks, run inside a framework's own environment.

``python -m polybench.frameworks.parity forward --framework F --model M`` builds the implementation
from the spec's parity weights, runs the eval-mode forward pass on the spec's fixed
batch and prints, as JSON, the largest absolute difference from the NumPy float64
reference.

``python -m polybench.frameworks.parity train --framework F --model M --data-dir D`` builds the
implementation from the canonical weights of seed 0 with dropout off, takes the first
``steps`` batches of the shared loop's seed-0 order over the quick profile's training
rows, and prints the loss of each optimizer step. Run in two environments, the two
sequences must agree: same weights, same batches, same optimizer settings.

Both take ``--mode eager|graph|idiomatic``; a mode the implementation does not support prints
``{"unsupported": reason}``. In mode idiomatic the forward check runs the eager model as the
framework's own loop has prepared it (e.g. hybridized, compiled by Keras).

``python -m polybench.frameworks.parity idiomatic-epoch --framework F --model M --data-dir D``
trains one epoch of the quick profile through the framework's own loop (mode idiomatic) and
prints the training split's loss before and after it. Tests run these with each framework's
Python and assert on the figures.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from polybench import frameworks, loop
from polybench.data import tables
from polybench.errors import UnsupportedError
from polybench.specs import get_spec
from polybench.specs.base import Spec, Split


def forward_difference(
    implementation_class: type,
    spec: Spec,
    device: str,
    mode: str = "eager",
    batch: int = 8,
    trainer_class: type | None = None,
) -> dict:
    """Build ``implementation_class`` from the spec's parity weights, run its eval-mode forward
    pass on the spec's fixed batch and compare with the NumPy float64 reference. With
    ``trainer_class`` (mode idiomatic) the eager model is first prepared by the framework's
    own loop, as a run in that mode prepares it."""
    params = spec.parity_parameters()
    x = spec.parity_batch(batch)
    profile = spec.profile("full")
    impl = implementation_class(spec, params, profile.optimizer, device, mode="eager" if trainer_class else mode)
    if trainer_class is not None:  # the framework's own loop prepares the same model object
        trainer_class(impl, profile.batch_size, 0)
    outputs = np.asarray(impl.forward(x), dtype=np.float64)
    reference = spec.reference_forward(params, x)
    if outputs.shape != reference.shape:
        return {"shape": list(outputs.shape), "reference_shape": list(reference.shape), "max_abs_diff": None}
    return {
        "shape": list(outputs.shape),
        "reference_shape": list(reference.shape),
        "max_abs_diff": float(np.abs(outputs - reference).max()),
        "reference_scale": float(np.abs(reference).max()),
    }


def first_losses(
    implementation_class: type, spec: Spec, splits: dict[str, Split], device: str, mode: str = "eager", steps: int = 3
) -> list[float]:
    """The loss of each of the first ``steps`` optimizer steps from the canonical weights of
    seed 0, dropout off, on the first batches of the loop's seed-0 order over the quick
    profile's training rows (``splits`` may be longer: they are cut here)."""
    profile = spec.profile("quick")
    splits = {name: split.head(profile.train_size if name == "train" else 1) for name, split in splits.items()}
    impl = implementation_class(spec, spec.init_parameters(0), profile.optimizer, device, dropout=False, mode=mode)
    impl.load_data(splits)
    order = loop.epoch_orders(len(splits["train"]), 1, seed=0)[0]
    losses = []
    for index in loop.batch_indices(order, profile.batch_size)[:steps]:
        impl.train_step(index)
        losses.append(impl.take_train_loss())
    return losses


def forward_parity(framework: str, model: str, batch: int = 8, mode: str = "eager") -> dict:
    """Max abs difference between the implementation's and the reference's outputs."""
    runtime = frameworks.runtime(framework)
    device = runtime.configure(threads=1, device="cpu")
    try:
        trainer_class = runtime.idiomatic_trainer() if mode == "idiomatic" else None
        return forward_difference(
            runtime.implementation(model), get_spec(model), device, mode=mode, batch=batch, trainer_class=trainer_class
        )
    except UnsupportedError as exc:
        return {"unsupported": str(exc)}


def train_parity(framework: str, model: str, data_dir: Path, steps: int = 3, mode: str = "eager") -> dict:
    """The loss of each of the first ``steps`` optimizer steps, dropout off."""
    spec = get_spec(model)
    runtime = frameworks.runtime(framework)
    device = runtime.configure(threads=1, device="cpu")
    splits = tables.load_splits(spec, data_dir)
    try:
        return {"losses": first_losses(runtime.implementation(model), spec, splits, device, mode=mode, steps=steps)}
    except UnsupportedError as exc:
        return {"unsupported": str(exc)}


def run_record_figures(
    implementation_class: type,
    spec: Spec,
    splits: dict[str, Split],
    device: str,
    mode: str,
    trainer_class: type | None = None,
) -> dict:
    """The record's ``parity`` field, measured in a run's own kernel after training (off its
    clock): the forward pass's max abs difference from the reference and the first
    training losses, both as the parity tests measure them, and the seconds they took.
    In mode idiomatic (``trainer_class``) the forward pass is of the model as the framework's
    own loop prepared it, and the first losses are those of its eager model's shared step."""
    started = time.perf_counter()
    forward = forward_difference(implementation_class, spec, device, mode=mode, trainer_class=trainer_class)
    losses = first_losses(implementation_class, spec, splits, device, mode="eager" if trainer_class else mode)
    return {
        "forward_max_abs_diff": forward["max_abs_diff"],
        "forward_reference_scale": forward.get("reference_scale"),
        "first_losses": losses,
        "seconds": time.perf_counter() - started,
    }


def idiomatic_epoch(framework: str, model: str, data_dir: Path) -> dict:
    """The training split's loss before and after one epoch of the framework's own loop on
    the quick profile's slice (canonical weights of seed 0, dropout as in a run)."""
    spec = get_spec(model)
    runtime = frameworks.runtime(framework)
    device = runtime.configure(threads=1, device="cpu")
    runtime.seed(0)
    profile = spec.profile("quick")
    splits = {
        name: split.head(profile.train_size if name == "train" else profile.val_size)
        for name, split in tables.load_splits(spec, data_dir).items()
    }
    impl = runtime.implementation(model)(spec, spec.init_parameters(0), profile.optimizer, device)
    impl.load_data(splits)
    trainer = runtime.idiomatic_trainer()(impl, profile.batch_size, 0)

    def train_loss() -> float:
        return float(spec.compute_loss(impl.predict("train"), splits["train"].y))

    before = train_loss()
    reported = []
    trainer.fit(1, lambda epoch, loss, seconds: reported.append([epoch, loss, seconds]))
    return {"before": before, "after": train_loss(), "reported": reported, **trainer.details()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m polybench.frameworks.parity")
    parser.add_argument("check", choices=["forward", "train", "idiomatic-epoch"])
    parser.add_argument("--framework", required=True, choices=frameworks.FRAMEWORKS)
    parser.add_argument("--model", required=True)
    parser.add_argument("--data-dir", type=Path, help="data folder (train check)")
    parser.add_argument("--mode", default="eager", choices=frameworks.MODES)
    args = parser.parse_args(argv)
    if args.check == "forward":
        result = forward_parity(args.framework, args.model, mode=args.mode)
    elif args.check == "idiomatic-epoch":
        result = idiomatic_epoch(args.framework, args.model, args.data_dir)
    else:
        result = train_parity(args.framework, args.model, args.data_dir, mode=args.mode)
    print(json.dumps(result))
    return 0


def run_in_environment(python: Path, *args: str) -> dict:
    """Run this module with another environment's Python; return its JSON result."""
    done = subprocess.run(
        [str(python), "-m", "polybench.frameworks.parity", *args],
        capture_output=True,
        text=True,
        timeout=900,
        stdin=subprocess.DEVNULL,
    )
    if done.returncode != 0:
        raise RuntimeError(f"parity check {' '.join(args)} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


if __name__ == "__main__":
    sys.exit(main())
