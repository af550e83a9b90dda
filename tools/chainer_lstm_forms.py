"""Chainer's LSTM models in two forms, timed back to back: the per-step form of this checkout
(StepLSTM in polybench/frameworks/chainer/common.py) against the same modules as a git revision holds them
and its common.py (by default main's NStepLSTM / NStepBiLSTM form), per model and mode (eager,
graph).

Each repeat builds both forms from the same canonical weights, trains each for --warmup steps
and then times --steps training steps (train_step, then sync) on the full profile's batch size,
one form right after the other; it prints the median ms per step of each repeat and, per form,
the median over the repeats with their range. Run it with the Chainer environment's Python:

    .venvs/chainer/bin/python tools/chainer_lstm_forms.py --ref main --repeats 3
    .venvs/chainer/bin/python tools/chainer_lstm_forms.py --models damped_sine --modes eager

The training rows are generated into a temporary folder (or read from --data-dir). One
thread, on the CPU. A busy machine widens the range: read the figures with it.
"""

from __future__ import annotations

import argparse
import importlib.util
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from polybench import frameworks, loop
from polybench.data import tables
from polybench.specs import get_spec, lstm_models

ROOT = Path(__file__).resolve().parent.parent


def source_at(ref: str, path: str) -> str:
    """The text of ``path`` at git revision ``ref``."""
    return subprocess.run(["git", "show", f"{ref}:{path}"], cwd=ROOT, capture_output=True, text=True, check=True).stdout


def import_source(name: str, source: str):
    """A module named ``name`` executed from ``source``."""
    with tempfile.NamedTemporaryFile("w", suffix=".py", delete=False) as handle:
        handle.write(source)
    spec = importlib.util.spec_from_file_location(name, handle.name)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def module_at(ref: str, model: str):
    """The Chainer module of ``model`` as git revision ``ref`` holds it, with that revision's
    common.py in place of this checkout's while it imports."""
    common_name = "polybench.frameworks.chainer.common"
    own_common = sys.modules[common_name]
    sys.modules[common_name] = import_source(
        f"{common_name}_at_ref", source_at(ref, "polybench/frameworks/chainer/common.py")
    )
    try:
        return import_source(f"chainer_{model}_at_ref", source_at(ref, f"polybench/frameworks/chainer/{model}.py"))
    finally:
        sys.modules[common_name] = own_common


def ms_per_step(implementation_class, model: str, mode: str, data_dir: Path, args) -> float:
    """Median ms of one training step (train_step then sync) after ``args.warmup`` steps, on ``args.device``."""
    spec = get_spec(model)
    profile = spec.profile("full")
    splits = {name: split.head(profile.batch_size * 4) for name, split in tables.load_splits(spec, data_dir).items()}
    impl = implementation_class(spec, spec.init_parameters(0), profile.optimizer, args.device, mode=mode)
    impl.load_data(splits)
    index = loop.batch_indices(np.arange(len(splits["train"])), profile.batch_size)[0]
    for _ in range(args.warmup):
        impl.train_step(index)
    impl.sync()
    times = []
    for _ in range(args.steps):
        started = time.perf_counter()
        impl.train_step(index)
        impl.sync()
        times.append(time.perf_counter() - started)
    return 1000 * statistics.median(times)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--ref", default="main", help="git revision holding the other form (default: main)")
    parser.add_argument("--models", default=",".join(lstm_models()), help="models, joined by commas")
    parser.add_argument("--modes", default="eager,graph", help="modes, joined by commas")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--data-dir", type=Path, help="folder with the models' CSVs (default: generated)")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    """Time both forms of every model and mode, and print one line per (model, mode, form)."""
    args = parse_args(argv)
    models = args.models.split(",")
    runtime = frameworks.runtime("chainer")
    args.device = runtime.configure(threads=1, device="cpu")
    data_dir = args.data_dir or Path(tempfile.mkdtemp(prefix="chainer-lstm-forms-"))
    if args.data_dir is None:
        for model in models:
            tables.write_generated(get_spec(model), data_dir)
    print(f"per-step form (this checkout) against {args.ref}; ms per training step, median of {args.steps} steps")
    for model in models:
        forms = {"per-step": runtime.implementation(model), args.ref: module_at(args.ref, model).Implementation}
        for mode in args.modes.split(","):
            figures = {form: [] for form in forms}
            for _ in range(args.repeats):  # the forms alternate, so a busy spell hits both
                for form, implementation_class in forms.items():
                    figures[form].append(ms_per_step(implementation_class, model, mode, data_dir, args))
            for form, ms in figures.items():
                runs = " ".join(f"{value:.2f}" for value in ms)
                print(
                    f"{model:14} {mode:5} {form:9} median {statistics.median(ms):7.2f} ms "
                    f"(range {min(ms):.2f}-{max(ms):.2f}; runs {runs})",
                    flush=True,
                )


if __name__ == "__main__":
    sys.exit(main())
