"""Where JAX's idiomatic loop spends a training step: the ways of calling one Flax NNX train
step that a Flax user meets, timed back to back on one model's training batches.

Forms (the model, optimizer and step function are polybench's ``adam_step``; only the call
around it changes):

- ``nnx.jit``: ``nnx.jit(adam_step)`` called with the module and optimizer, as the Flax NNX
  tutorials write it (the idiomatic loop's form). Flax traverses the module graph in Python
  on every call.
- ``cached_partial``: ``nnx.cached_partial`` of the same jitted step: Flax's performance guide
  (guides/performance.html) recommends it to cache that traversal.
- ``functional``: ``nnx.split`` once, a ``jax.jit`` step over (graphdef, state) that merges,
  steps and splits inside the trace, ``nnx.update`` at the end (the guide's functional loop).

Each is timed with the batch gathered on the device (``x[rows]`` on the loaded arrays, the
idiomatic loop's fetch) and, as ``FORM+host``, with the batch sliced on the host and put on the
device (what a plain NumPy loop does). A repeat runs one pass over the training split in
each form, one right after the other; the figures are the median ms per step of each form
over the repeats, with their range. Run it with the JAX environment's Python:

    .venvs/jax/bin/python tools/jax_step_forms.py --models addition --repeats 5

The training rows are generated into a temporary folder (or read from --data-dir), at the
quick profile's sizes and the full profile's batch size, with every core as a run has them.
A busy machine widens the range: read the figures with it.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from polybench import contention, frameworks, probes
from polybench.data import tables
from polybench.notebook.machine import cpu_model, git_commit
from polybench.specs import get_spec


def build(model: str, device):
    """A fresh idiomatic-mode Implementation of ``model`` (LSTMs as nnx.RNN scans) with its
    quick-size training split loaded."""
    from flax import nnx

    from polybench.frameworks.jax.common import LSTM

    spec = get_spec(model)
    profile = spec.profile("full")
    quick = spec.profile("quick")
    runtime = frameworks.runtime("jax")
    impl = runtime.implementation(model)(spec, spec.init_parameters(0), profile.optimizer, device, mode="eager")
    splits = tables.load_splits(spec, ARGS.data_dir)
    impl.load_data({"train": splits["train"].head(quick.train_size)})
    for _, module in nnx.iter_modules(impl.model):
        if isinstance(module, LSTM):
            module.scan = True
    impl.set_training(True)
    return impl, profile.batch_size


def epoch_orders(n: int, batch_size: int, seed: int) -> list[np.ndarray]:
    order = np.random.default_rng(seed).permutation(n)
    return [order[begin : begin + batch_size] for begin in range(0, n - batch_size + 1, batch_size)]


def run_form(form: str, model: str, device, seed: int) -> float:
    """Median ms per step of one pass over the training split in ``form``, after a warm-up pass."""
    import jax
    import jax.numpy as jnp
    from flax import nnx

    from polybench.frameworks.jax.common import adam_step

    impl, batch_size = build(model, device)
    split = impl.data["train"].split
    loss_fn = impl.loss_fn
    model_, optimizer = impl.model, impl.optimizer

    def device_batch(rows):
        return impl.batch("train", rows)

    def host_batch(rows):  # split.inputs renders a compact split's rows (moving_square's videos)
        return jnp.asarray(split.inputs(rows)), jnp.asarray(split.y[rows])

    call, _, where = form.partition("+")
    fetch = {"": device_batch, "host": host_batch}[where]
    if call == "nnx.jit":
        jitted = nnx.jit(adam_step, static_argnames="loss_fn")

        def step(total, rows):
            return jitted(model_, optimizer, total, fetch(rows), loss_fn=loss_fn)

        finish = None
    elif call == "cached_partial":
        cached = nnx.cached_partial(nnx.jit(adam_step, static_argnames="loss_fn"), model_, optimizer)

        def step(total, rows):
            return cached(total, fetch(rows), loss_fn=loss_fn)

        finish = None
    elif call == "functional":
        graphdef, state = nnx.split((model_, optimizer))

        @jax.jit
        def pure_step(state, total, batch):
            model_in, optimizer_in = nnx.merge(graphdef, state)
            total = adam_step(model_in, optimizer_in, total, batch, loss_fn)
            return nnx.state((model_in, optimizer_in)), total

        holder = {"state": state}

        def step(total, rows):
            holder["state"], total = pure_step(holder["state"], total, fetch(rows))
            return total

        def finish():
            nnx.update((model_, optimizer), holder["state"])
    else:
        raise ValueError(f"unknown form {form!r}")

    n = len(split)
    times = []
    for pass_ in range(2):  # the first pass compiles and warms up
        total = jnp.zeros((), jnp.float32)
        for rows in epoch_orders(n, batch_size, seed + pass_):
            started = time.perf_counter()
            total = step(total, rows)
            total.block_until_ready()
            if pass_:
                times.append(time.perf_counter() - started)
    if finish is not None:
        finish()
    return 1000 * statistics.median(times)


ARGS: argparse.Namespace


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--models", default="addition", help="models, joined by commas")
    parser.add_argument(
        "--forms", default="nnx.jit,nnx.jit+host,cached_partial,cached_partial+host,functional,functional+host"
    )
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--threads", type=int, default=0, help="threads (default: every core)")
    parser.add_argument("--data-dir", type=Path, help="folder with the models' CSVs (default: generated)")
    parser.add_argument("--out", type=Path, help="a run folder: write the figures into its probes/ as a report input")
    return parser.parse_args(argv)


#: Which loop a form is (graph mode's shared step, the idiomatic mode's functional loop, or None
#: for a variant) and what it does, as a probe file (polybench.probes) states them.
FORM_TEXT = {
    "nnx.jit": ("shared", "graph mode's step: nnx.jit per call, the batch gathered on the device"),
    "nnx.jit+host": (None, "nnx.jit per call, the batch sliced on the host"),
    "cached_partial": (None, "nnx.cached_partial of the jitted step, the batch gathered on the device"),
    "cached_partial+host": (None, "nnx.cached_partial, the batch sliced on the host"),
    "functional": (None, "jax.jit over (graphdef, state), the batch gathered on the device"),
    "functional+host": (
        "idiomatic",
        "the idiomatic mode's functional loop: jax.jit over (graphdef, state), NumPy batches",
    ),
}


def main(argv: list[str] | None = None) -> None:
    global ARGS
    ARGS = parse_args(argv)
    models = ARGS.models.split(",")
    from polybench.threads import default_threads

    runtime = frameworks.runtime("jax")
    device = runtime.configure(threads=ARGS.threads or default_threads(), device="cpu")
    if ARGS.data_dir is None:
        ARGS.data_dir = Path(tempfile.mkdtemp(prefix="jax-step-forms-"))
        for model in models:
            tables.write_generated(get_spec(model), ARGS.data_dir)
    forms = ARGS.forms.split(",")
    print(
        "ms per training step (step call + wait), median over one pass of the quick training split; "
        f"{ARGS.repeats} repeats"
    )
    for model in models:
        figures = {form: [] for form in forms}
        with contention.Sampler() as machine:
            for repeat in range(ARGS.repeats):  # the forms alternate, so a busy spell hits all of them
                for form in forms:
                    figures[form].append(run_form(form, model, device, seed=2 * repeat))
        if ARGS.out is not None:
            probe = probes.Probe(
                "jax", model, "tools/jax_step_forms.py " + " ".join(sys.argv[1:] if argv is None else argv),
                probes.now(), cpu_model(),
                f"{ARGS.repeats} repeats, ms per step, median of one pass over the quick training split",
                machine.summary(), tuple(probes.Form(f, *FORM_TEXT[f], tuple(ms)) for f, ms in figures.items()),
                git_commit(),
            )  # fmt: skip
            print(f"probe written to {probes.write(probe, ARGS.out)}")
        base = statistics.median(figures[forms[0]])
        for form, ms in figures.items():
            runs = " ".join(f"{value:.3f}" for value in ms)
            middle = statistics.median(ms)
            print(
                f"{model:14} {form:15} median {middle:7.3f} ms ({middle / base:.2f}x {forms[0]}; "
                f"range {min(ms):.3f}-{max(ms):.3f}; runs {runs})",
                flush=True,
            )


if __name__ == "__main__":
    sys.exit(main())
