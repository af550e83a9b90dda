"""JAX eager per-step cost on the full profile's batches (README "Dynamic networks", J): training
steps in the loop's seed-0 order for ``budget`` seconds, then the rate over the last half of them
and the XLA compilations per step, and what an epoch would take at that rate.

    .venvs/jax/bin/python tools/jax_eager_rate.py var_addition 100
"""

import sys
import time
from pathlib import Path

from polybench import loop
from polybench.data import tables
from polybench.frameworks.jax.runtime import RUNTIME
from polybench.specs import get_spec


def main(name: str, budget: float) -> None:
    spec = get_spec(name)
    full = spec.profile("full")
    splits = tables.load_splits(spec, Path("data"))
    impl = RUNTIME.implementation(name)(
        spec, spec.init_parameters(0), full.optimizer, "cpu:0", dropout=False, mode="eager"
    )
    impl.load_data(splits)
    order = loop.epoch_orders(len(splits["train"]), 1, seed=0)[0]
    batches = loop.batch_indices(order, full.batch_size)
    marks = []  # (seconds since the start, XLA compilations so far) after each step
    start = time.perf_counter()
    for index in batches:
        impl.train_step(index)
        impl.sync()
        marks.append((time.perf_counter() - start, impl.xla_compilations))
        if marks[-1][0] > budget:
            break
    half = len(marks) // 2
    steps = len(marks) - half
    per_step = (marks[-1][0] - marks[half][0]) / steps
    compilations = (marks[-1][1] - marks[half][1]) / steps
    print(
        f"{name}: {len(marks)} steps in {marks[-1][0]:.0f} s, {marks[-1][1]} XLA compilations; "
        f"last {steps} steps: {per_step:.3f} s/step, {compilations:.1f} compilations/step; "
        f"{len(batches)} steps per epoch -> {per_step * len(batches) / 60:.0f} min per epoch, "
        f"{full.epochs} epochs"
    )


if __name__ == "__main__":
    main(sys.argv[1], float(sys.argv[2]))
