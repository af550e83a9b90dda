"""Parity checks: every model of one framework in one mode, run inside that framework's environment.

It sits above the loop (the training check takes the loop's batches) and the implementations,
beside the notebook that records its figures; frameworks/ knows nothing of it.

``python -m polybench.parity --framework F --mode M --forward all --train all --data-dir D``
configures the framework once (one thread, the CPU), then runs each named check on each named
model (``all``, or model names separated by commas) and prints one JSON object keyed by model,
then by check. A model's check that raises puts its error text under ``"error"`` and the other
models and checks go on, so one broken model fails only its own tests. The checks:

- ``forward``: builds the implementation from the spec's parity weights, runs the eval-mode
  forward pass on the spec's fixed batch and reports the largest absolute difference from the
  NumPy float64 reference. In mode idiomatic the eager model is first prepared by the
  framework's own loop (e.g. hybridized, compiled by Keras).
- ``strategies`` (mode graph, the dynamic models): the ``forward`` check of each of the model's
  graph strategies besides the framework's default one (polybench.frameworks.dynamic), by name,
  and the default's name under ``default`` (the ``forward`` check ran that one).
- ``train``: builds the implementation from the canonical weights of seed 0 with dropout off,
  takes the first three batches of the shared loop's seed-0 order over the quick profile's
  training rows and reports the loss of each optimizer step (in mode idiomatic, of the eager
  model's step, as a run's record does). Run in two environments, the two sequences must agree:
  same weights, same batches, same optimizer settings.
- ``rate`` (modes eager and graph): four optimizer steps on one batch, dropout off, the first
  two at learning rate 0 and the next two at the spec's, each set through ``set_learning_rate``
  as the spec's schedule sets it: the weights must not move at rate 0 (equal losses), then
  move (a compiled step must read the rate, not keep the one it was traced with).
- ``idiomatic-epoch`` (mode idiomatic): trains one epoch of the quick profile through the
  framework's own loop and reports the training split's loss before and after it.
- ``idiomatic-rate`` (mode idiomatic): two epochs of the framework's own loop under a schedule
  whose rate is 0 from the second epoch; reports the training split's loss before and after
  each epoch (the second epoch must leave it as the first left it).

A mode the implementation does not support reports ``{"unsupported": reason}``. Tests run this
module once per (framework, mode) with each framework's Python (``run_in_environment``) and
assert on each model's figures.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import subprocess
import sys
import time
import traceback
from collections.abc import Callable
from pathlib import Path

import numpy as np

from polybench import frameworks, loop
from polybench.data import tables
from polybench.errors import UnsupportedError
from polybench.frameworks.base import Implementation, Runtime
from polybench.specs import SPECS, get_spec
from polybench.specs.base import Spec, Split

#: Which checks each mode runs: training goes through the shared loop's step in eager and graph
#: modes, through the framework's own loop in mode idiomatic.
CHECKS = {
    "forward": frameworks.MODES,
    "strategies": ("graph",),
    "train": frameworks.MODES,
    "rate": ("eager", "graph"),
    "idiomatic-epoch": ("idiomatic",),
    "idiomatic-rate": ("idiomatic",),
}
#: The most characters of a check's traceback a result keeps.
ERROR_CHARS = 3000


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
    impl, batches = _fresh_training(implementation_class, spec, splits, device, mode)
    losses = []
    for index in batches[:steps]:
        impl.train_step(index)
        losses.append(impl.take_train_loss())
    return losses


def _fresh_training(
    implementation_class: type, spec: Spec, splits: dict[str, Split], device: str, mode: str
) -> tuple[Implementation, list[np.ndarray]]:
    """An implementation built from the canonical weights of seed 0, dropout off, the quick
    profile's training rows loaded, and the loop's seed-0 batches over them."""
    profile = spec.profile("quick")
    splits = {name: split.head(profile.train_size if name == "train" else 1) for name, split in splits.items()}
    impl = implementation_class(spec, spec.init_parameters(0), profile.optimizer, device, dropout=False, mode=mode)
    impl.load_data(splits)
    order = loop.epoch_orders(len(splits["train"]), 1, seed=0)[0]
    return impl, loop.batch_indices(order, profile.batch_size)


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


def forward_check(runtime: Runtime, device: str, spec: Spec, mode: str, data_dir: Path | None) -> dict:
    """The ``forward`` check of one model (``data_dir`` unused: the batch is the spec's)."""
    trainer_class = runtime.idiomatic_trainer() if mode == "idiomatic" else None
    return forward_difference(runtime.implementation(spec.name), spec, device, mode=mode, trainer_class=trainer_class)


def strategies_check(runtime: Runtime, device: str, spec: Spec, mode: str, data_dir: Path | None) -> dict:
    """The ``strategies`` check of a dynamic model in graph mode: the ``forward`` check of each of
    its strategies besides the default (each a compiler option), by name."""
    from polybench.frameworks.dynamic import STRATEGIES

    implementation = runtime.implementation(spec.name)
    default = getattr(implementation, "default_strategy", None) or next(iter(STRATEGIES.get(spec.name, {None: ""})))
    others = {
        name: forward_difference(implementation.with_compiler_option(name), spec, device, mode=mode)
        for name in STRATEGIES.get(spec.name, {})
        if name != default
    }
    return {"default": default, **others}


def train_check(runtime: Runtime, device: str, spec: Spec, mode: str, data_dir: Path) -> dict:
    """The ``train`` check of one model: the loss of each of the first three steps, dropout off; in
    mode idiomatic those of the eager model's step, as a run's record measures them (for Keras on
    JAX and PyTorch, Keras' own step: train_on_batch)."""
    splits = tables.load_splits(spec, data_dir)
    step_mode = "eager" if mode == "idiomatic" else mode
    return {"losses": first_losses(runtime.implementation(spec.name), spec, splits, device, mode=step_mode)}


def rate_check(runtime: Runtime, device: str, spec: Spec, mode: str, data_dir: Path) -> dict:
    """The ``rate`` check of one model: the losses of four steps on the first batch of the
    loop's seed-0 order, dropout off, at learning rates 0, 0, then the spec's twice."""
    splits = tables.load_splits(spec, data_dir)
    impl, batches = _fresh_training(runtime.implementation(spec.name), spec, splits, device, mode)
    index, spec_rate = batches[0], spec.profile("quick").optimizer.learning_rate
    losses = []
    for rate in (0.0, 0.0, spec_rate, spec_rate):
        impl.set_learning_rate(rate)
        impl.train_step(index)
        losses.append(impl.take_train_loss())
    return {"losses": losses}


def _own_loop(runtime: Runtime, device: str, spec: Spec, data_dir: Path, **adam: float):
    """The framework's own loop on the quick profile's slice (canonical weights of seed 0, dropout
    as in a run, the profile's Adam with ``adam`` changed), and the training split's loss now."""
    runtime.seed(0)
    profile = spec.profile("quick")
    splits = {
        name: split.head(profile.train_size if name == "train" else profile.val_size)
        for name, split in tables.load_splits(spec, data_dir).items()
    }
    optimizer = dataclasses.replace(profile.optimizer, **adam)
    impl = runtime.implementation(spec.name)(spec, spec.init_parameters(0), optimizer, device)
    impl.load_data(splits)
    trainer = runtime.idiomatic_trainer()(impl, profile.batch_size, 0)

    def train_loss() -> float:
        return float(spec.compute_loss(impl.predict("train"), splits["train"].y))

    return trainer, train_loss


def idiomatic_epoch_check(runtime: Runtime, device: str, spec: Spec, mode: str, data_dir: Path) -> dict:
    """The ``idiomatic-epoch`` check of one model: the training split's loss before and after one
    epoch of the framework's own loop, the epochs the loop reported and the compiler it ran with."""
    trainer, train_loss = _own_loop(runtime, device, spec, data_dir)
    before = train_loss()
    reported = []
    trainer.fit(1, lambda epoch, loss, seconds: reported.append([epoch, loss, seconds]))
    return {"before": before, "after": train_loss(), "reported": reported, "compiler": trainer.compiler()}


def idiomatic_rate_check(runtime: Runtime, device: str, spec: Spec, mode: str, data_dir: Path) -> dict:
    """The ``idiomatic-rate`` check of one model: two epochs of the framework's own loop with a
    schedule that stops learning after the first (decay 0: rate 0 from epoch 2), the training
    split's loss before and after each epoch. Equal after both epochs if the loop set the rate."""
    trainer, train_loss = _own_loop(runtime, device, spec, data_dir, decay=0.0)
    losses = [train_loss()]
    trainer.fit(2, lambda epoch, loss, seconds: losses.append(train_loss()))
    return {"losses": losses}


CHECK_FUNCTIONS: dict[str, Callable[[Runtime, str, Spec, str, Path | None], dict]] = {
    "forward": forward_check,
    "strategies": strategies_check,
    "train": train_check,
    "rate": rate_check,
    "idiomatic-epoch": idiomatic_epoch_check,
    "idiomatic-rate": idiomatic_rate_check,
}


def check_models(framework: str, mode: str, checks: dict[str, list[str]], data_dir: Path | None = None) -> dict:
    """Run each check of ``checks`` (check name -> model names) in this process, on the CPU with
    one thread: ``{model: {check: figures}}``. A check that raises reports ``{"error": text}``
    for its own model and check only; an unsupported mode reports ``{"unsupported": reason}``."""
    runtime = frameworks.runtime(framework)
    device = runtime.configure(threads=1, device="cpu")
    results: dict[str, dict[str, dict]] = {}
    for check, models in checks.items():
        for model in models:
            reason = frameworks.unsupported_reason(framework, model, mode)
            try:
                if reason is not None:  # what the runner would record instead of running it
                    raise UnsupportedError(reason)
                figures = CHECK_FUNCTIONS[check](runtime, device, get_spec(model), mode, data_dir)
            except UnsupportedError as exc:
                figures = {"unsupported": str(exc)}
            except Exception:  # reported as this model's result; the others go on
                figures = {"error": traceback.format_exc()[-ERROR_CHARS:]}
            results.setdefault(model, {})[check] = figures
    return results


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """The command line; usage errors (unknown model, a check the mode does not run, a missing
    data folder) exit with status 2 and one line saying what was wrong."""
    parser = argparse.ArgumentParser(
        prog="python -m polybench.parity", description="Parity checks of every model of one framework in one mode."
    )
    parser.add_argument("--framework", required=True, choices=frameworks.FRAMEWORKS)
    parser.add_argument("--mode", default="eager", choices=frameworks.MODES)
    parser.add_argument("--data-dir", type=Path, help="data folder with the models' CSVs (train, idiomatic-epoch)")
    for check in CHECKS:
        parser.add_argument(
            f"--{check}", metavar="MODELS", help=f"models to run the {check} check on: all, or names joined by commas"
        )
    args = parser.parse_args(argv)
    args.checks = {}
    for check, modes in CHECKS.items():
        named = getattr(args, check.replace("-", "_"))
        if named is None:
            continue
        if args.mode not in modes:
            parser.error(f"--{check} runs in mode {' or '.join(modes)}, not {args.mode}")
        models = list(SPECS) if named == "all" else named.split(",")
        unknown = [model for model in models if model not in SPECS]
        if unknown:
            parser.error(f"--{check}: unknown model {', '.join(unknown)} (choose from: all, {', '.join(SPECS)})")
        if check != "forward" and args.data_dir is None:
            parser.error(f"--{check} needs --data-dir (a folder prepared by `polybench data`)")
        args.checks[check] = models
    if not args.checks:
        parser.error(f"name at least one check: {', '.join('--' + check for check in CHECKS)}")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    print(json.dumps(check_models(args.framework, args.mode, args.checks, args.data_dir)))
    return 0


def run_in_environment(python: Path, *args: str, timeout: float = 3600) -> dict:
    """Run this module with another environment's Python; return its JSON result."""
    done = subprocess.run(
        [str(python), "-m", "polybench.parity", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
    )
    if done.returncode != 0:
        raise RuntimeError(f"parity checks {' '.join(args)} failed:\n{done.stderr[-ERROR_CHARS:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


if __name__ == "__main__":
    sys.exit(main())
