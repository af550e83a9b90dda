"""Where an idiomatic loop's step goes: the idiomatic mode's own pieces against a plain loop
on the same model, timed back to back, for Keras (TensorFlow), Chainer, PyTorch and MXNet.

Keras (``--framework tensorflow``, default model addition): ``fit`` for two epochs on the
first ``--rows`` training rows, the second epoch's time per step, in four forms:

- ``polybench``: the idiomatic mode as it runs: the spec's Adam (``SpecAdam``), the training
  arrays as tensors on the device, the epoch clock callback;
- ``keras-adam``: the same with ``keras.optimizers.Adam`` (its epsilon-hat step);
- ``numpy``: the same as ``polybench`` but fed the NumPy arrays;
- ``plain``: what a new Keras user writes: ``keras.optimizers.Adam`` and NumPy arrays;
- ``shared``: graph mode's ``train_step`` through the shared loop, its second epoch's time per step.
A compact split (moving_square's videos) is fed as the idiomatic loop feeds it (rendered per
batch); only ``polybench`` and ``shared`` apply to it.

Chainer (``--framework chainer``, default model mnist_cnn): ms per training step over
``--steps`` steps after a warm-up, in four forms:

- ``lossfun``: ``SerialIterator`` over a ``TupleDataset``, ``concat_examples``, then
  ``optimizer.update(lossfun, x, t)`` (which frees the graph before it updates);
- ``tutorial``: the same batches, then the "Write a training loop" tutorial's step:
  ``model.cleargrads()``, ``loss.backward()``, ``optimizer.update()``;
- ``slices``: NumPy slices of a permutation and ``optimizer.update(lossfun, x, t)``;
- ``shared``: the shared loop's eager ``train_step``.
For Chainer the fetch (iterator and converter, or slicing) is timed apart from the update, and
the minor page faults of each step are counted (memory the allocator gave back and took again).

PyTorch (``--framework torch``, default model echo): ms per training step over ``--steps``
steps after a warm-up, in three forms:

- ``idiomatic``: the idiomatic mode's loop body: rows from ``torch.randperm(...).split``,
  ``zero_grad`` / forward / loss / ``backward`` / ``step``, the loss summed on the device;
- ``shared``: the shared loop's ``train_step`` on NumPy rows (``loop.batch_indices``);
- ``shared+tensor-rows``: the same ``train_step`` given the rows as a tensor, as the
  idiomatic loop has them.

MXNet (``--framework mxnet``, default model damped_sine): ms per training step likewise, in
four forms:

- ``idiomatic``: the idiomatic mode's loop body on the block hybridized with Gluon's defaults
  (``hybridize()``), rows an NDArray slice of ``nd.random.shuffle``;
- ``shared``: graph mode's ``train_step`` (``hybridize(static_alloc=True, static_shape=True)``)
  on NumPy rows;
- ``shared+static-alloc``, ``shared+dynamic``: the same with graph mode's compiler options
  (static_alloc only; Gluon's defaults, as the idiomatic loop).

Forms alternate within each repeat, so a busy spell hits all of them; the figures are the
median over the repeats with their range. Every core, as a run has them. Run it with the
framework environment's Python, the data folder holding the model's CSVs:

    .venvs/tensorflow/bin/python tools/loop_forms.py --framework tensorflow --data-dir data
    .venvs/chainer/bin/python tools/loop_forms.py --framework chainer --data-dir data
    .venvs/torch/bin/python tools/loop_forms.py --framework torch --data-dir data --steps 500
    .venvs/mxnet/bin/python tools/loop_forms.py --framework mxnet --data-dir data --steps 100
"""

from __future__ import annotations

import argparse
import resource
import statistics
import sys
import time
from pathlib import Path

import numpy as np

from polybench import contention, frameworks, loop, probes
from polybench.data import tables
from polybench.notebook.machine import cpu_model, git_commit
from polybench.specs import get_spec
from polybench.threads import default_threads


def implementation(framework: str, model: str, device, rows: int, mode: str = "eager"):
    """A fresh Implementation of ``model`` in ``mode`` from the canonical weights, its first
    ``rows`` training rows loaded."""
    spec = get_spec(model)
    profile = spec.profile("full")
    impl = frameworks.runtime(framework).implementation(model)(
        spec, spec.init_parameters(0), profile.optimizer, device, mode=mode
    )
    impl.load_data({"train": tables.load_splits(spec, ARGS.data_dir)["train"].head(rows)})
    return impl, profile


def keras_form(form: str, model: str, device) -> float:
    """ms per step of the second of two ``fit`` epochs in ``form``."""
    import keras
    import tensorflow as tf

    from polybench.frameworks.tensorflow.idiomatic import _EpochClock, _Rendered

    if form == "shared":  # graph mode's step through the shared loop, timed as fit's second epoch is
        impl, profile = implementation("tensorflow", model, device, ARGS.rows, mode="graph")
        n = len(impl.data["train"].split)
        orders = loop.epoch_orders(n, 2, seed=0)
        seconds = [loop.timed_epoch(impl, loop.batch_indices(order, profile.batch_size))[1] for order in orders]
        return 1000 * seconds[-1] / -(-n // profile.batch_size)
    impl, profile = implementation("tensorflow", model, device, ARGS.rows)
    split, x, y = impl.data["train"]
    adam = profile.optimizer
    optimizer = impl.optimizer
    if form in ("keras-adam", "plain"):
        optimizer = keras.optimizers.Adam(adam.learning_rate, adam.beta_1, adam.beta_2, adam.epsilon)
    if form in ("numpy", "plain"):
        x, y = split.x, split.y
    impl.model.compile(optimizer=optimizer, loss=impl.loss_fn)
    epochs = []
    callbacks = [_EpochClock(impl.sync, lambda epoch, loss, seconds: epochs.append(seconds))]
    with tf.device(impl.device):
        if x is None:  # a compact split (the moving-square videos), rendered per batch as the idiomatic loop does
            impl.model.fit(_Rendered(impl, profile.batch_size, 0), epochs=2, verbose=0, callbacks=callbacks)
        else:
            impl.model.fit(x, y, batch_size=profile.batch_size, epochs=2, verbose=0, callbacks=callbacks)
    steps = -(-ARGS.rows // profile.batch_size)
    return 1000 * epochs[-1] / steps


def chainer_form(form: str, model: str, device) -> tuple[float, float]:
    """ms per step of ``form``: (fetch, update), medians over ``--steps`` steps after a warm-up."""
    import chainer
    from chainer.dataset import concat_examples

    impl, profile = implementation("chainer", model, device, ARGS.rows)
    split, x, y = impl.data["train"]
    batch_size = profile.batch_size

    def lossfun(x, t):
        return impl.loss_fn(impl.model(x), t)

    if form in ("lossfun", "tutorial"):
        iterator = chainer.iterators.SerialIterator(chainer.datasets.TupleDataset(x, y), batch_size, shuffle=True)

        def fetch():
            return concat_examples(iterator.next())
    elif form in ("slices", "shared"):
        state = {"order": np.random.default_rng(0).permutation(len(split)), "at": 0}

        def fetch():
            if state["at"] + batch_size > len(split):
                state["order"], state["at"] = np.random.default_rng(state["at"]).permutation(len(split)), 0
            rows = state["order"][state["at"] : state["at"] + batch_size]
            state["at"] += batch_size
            return rows if form == "shared" else (x[rows], y[rows])
    else:
        raise ValueError(f"unknown form {form!r}")

    def update(batch):
        if form == "shared":
            impl.train_step(batch)
        elif form == "tutorial":
            with chainer.using_config("train", True):
                loss = lossfun(*batch)
            impl.model.cleargrads()
            loss.backward()
            impl.optimizer.update()
        else:
            with chainer.using_config("train", True):
                impl.optimizer.update(lossfun, *batch)

    fetches, updates, faults = [], [], []
    for step in range(ARGS.warmup + ARGS.steps):
        before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
        started = time.perf_counter()
        batch = fetch()
        fetched = time.perf_counter()
        update(batch)
        impl.sync()
        if step >= ARGS.warmup:
            fetches.append(fetched - started)
            updates.append(time.perf_counter() - fetched)
            faults.append(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
    return 1000 * statistics.median(fetches), 1000 * statistics.median(updates), statistics.median(faults)


def torch_form(form: str, model: str, device) -> tuple[float, float]:
    """ms per step of ``form``: (0, step), the median over ``--steps`` steps after a warm-up."""
    import torch

    impl, profile = implementation("torch", model, device, ARGS.rows)
    n = len(impl.data["train"].split)
    model_, optimizer, loss_fn = impl.model, impl.optimizer, impl.loss_fn
    total = torch.zeros((), device=impl.device)
    generator = torch.Generator().manual_seed(0)

    def batches():
        while True:
            yield from torch.randperm(n, generator=generator).split(profile.batch_size)

    def idiomatic(rows):
        nonlocal total
        x, y = impl.batch("train", rows)
        optimizer.zero_grad()
        loss = loss_fn(model_(x), y)
        loss.backward()
        optimizer.step()
        total += loss.detach() * len(rows)

    step = {
        "idiomatic": idiomatic,
        "shared": lambda rows: impl.train_step(rows.numpy()),
        "shared+tensor-rows": impl.train_step,
    }[form]
    model_.train()
    times = []
    for number, rows in zip(range(ARGS.warmup + ARGS.steps), batches(), strict=False):
        started = time.perf_counter()
        step(rows)
        if number >= ARGS.warmup:
            times.append(time.perf_counter() - started)
    impl.sync()
    return 0.0, 1000 * statistics.median(times)


def mxnet_form(form: str, model: str, device) -> tuple[float, float]:
    """ms per step of ``form``: (0, step), the median over ``--steps`` steps after a warm-up."""
    from mxnet import autograd, nd

    shared, _, option = form.partition("+")
    spec = get_spec(model)
    profile = spec.profile("full")
    implementation_class = frameworks.runtime("mxnet").implementation(model)
    if shared == "shared":
        implementation_class = implementation_class.with_compiler_option(option or None)
    impl = implementation_class(
        spec, spec.init_parameters(0), profile.optimizer, device, mode="graph" if shared == "shared" else "eager"
    )
    impl.load_data({"train": tables.load_splits(spec, ARGS.data_dir)["train"].head(ARGS.rows)})
    n = len(impl.data["train"].split)
    model_, trainer, loss_fn = impl.model, impl.trainer, impl.loss_fn
    if shared == "idiomatic":
        model_.hybridize()
    total = nd.zeros((1,), ctx=impl.device)

    def batches():
        while True:
            order = nd.random.shuffle(nd.arange(n, ctx=impl.device))
            for begin in range(0, n - profile.batch_size + 1, profile.batch_size):
                yield order[begin : begin + profile.batch_size]

    def idiomatic(rows):
        nonlocal total
        x, y = impl.batch("train", rows)
        with autograd.record():
            loss = loss_fn(model_(x), y)
        loss.backward()
        trainer.step(x.shape[0])
        total += loss.sum()

    step = idiomatic if shared == "idiomatic" else (lambda rows: impl.train_step(rows.asnumpy().astype("int64")))
    times = []
    for number, rows in zip(range(ARGS.warmup + ARGS.steps), batches(), strict=False):
        started = time.perf_counter()
        step(rows)
        nd.waitall()
        if number >= ARGS.warmup:
            times.append(time.perf_counter() - started)
    return 0.0, 1000 * statistics.median(times)


#: Each framework's forms: which loop a form is (shared, idiomatic, or None for a variant) and
#: what it does, as a probe file (polybench.probes) states them.
FORM_TEXT = {
    "tensorflow": {
        "polybench": ("idiomatic", "the idiomatic mode's fit(): the spec's Adam, tensors on the device, epoch clock"),
        "keras-adam": (None, "the same fit() with keras.optimizers.Adam"),
        "numpy": (None, "the same fit() fed the NumPy arrays"),
        "plain": (None, "a new Keras user's fit(): keras.optimizers.Adam and NumPy arrays"),
        "shared": ("shared", "graph mode's train_step through the shared loop, its second epoch"),
    },
    "chainer": {
        "lossfun": (None, "SerialIterator, concat_examples, optimizer.update(lossfun, x, t)"),
        "tutorial": ("idiomatic", "the idiomatic mode's step: cleargrads, backward, update"),
        "slices": (None, "NumPy slices of a permutation, optimizer.update(lossfun, x, t)"),
        "shared": ("shared", "the shared loop's eager train_step"),
    },
    "torch": {
        "idiomatic": ("idiomatic", "the idiomatic mode's loop body, rows from torch.randperm"),
        "shared": ("shared", "the shared loop's eager train_step on NumPy rows"),
        "shared+tensor-rows": (None, "the shared train_step given the rows as a tensor"),
    },
    "mxnet": {
        "idiomatic": ("idiomatic", "the idiomatic mode's loop body, hybridize() with Gluon's defaults"),
        "shared": ("shared", "graph mode's train_step, hybridize(static_alloc, static_shape)"),
        "shared+static-alloc": (None, "graph mode's train_step, hybridize(static_alloc) only"),
        "shared+dynamic": (None, "graph mode's train_step, hybridize() with Gluon's defaults"),
    },
}
FORMS = {framework: ",".join(forms) for framework, forms in FORM_TEXT.items()}
MODELS = {"tensorflow": "addition", "chainer": "mnist_cnn", "torch": "echo", "mxnet": "damped_sine"}
ARGS: argparse.Namespace


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--framework", choices=sorted(FORMS), required=True)
    parser.add_argument(
        "--model", help="model (default: tensorflow addition, chainer mnist_cnn, torch echo, mxnet damped_sine)"
    )
    parser.add_argument("--forms", help="forms, joined by commas (default: all of the framework's)")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--rows", type=int, default=16_000, help="training rows (default 16000)")
    parser.add_argument("--warmup", type=int, default=3, help="Chainer, PyTorch, MXNet: untimed steps first")
    parser.add_argument("--steps", type=int, default=30, help="Chainer, PyTorch, MXNet: timed steps")
    parser.add_argument("--data-dir", type=Path, default=Path("data"), help="folder with the model's CSVs")
    parser.add_argument("--out", type=Path, help="a run folder: write the figures into its probes/ as a report input")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    global ARGS
    ARGS = parse_args(argv)
    framework = ARGS.framework
    model = ARGS.model or MODELS[framework]
    forms = (ARGS.forms or FORMS[framework]).split(",")
    device = frameworks.runtime(framework).configure(threads=default_threads(), device="cpu")
    measure = {"tensorflow": keras_form, "chainer": chainer_form, "torch": torch_form, "mxnet": mxnet_form}[framework]
    figures = {form: [] for form in forms}
    with contention.Sampler() as machine:
        for _ in range(ARGS.repeats):
            for form in forms:
                figures[form].append(measure(form, model, device))
    if ARGS.out is not None:
        totals = {
            form: [run if framework == "tensorflow" else run[0] + run[1] for run in runs]
            for form, runs in figures.items()
        }
        steps = (
            f"ms per step of fit()'s second epoch on {ARGS.rows} rows"
            if framework == "tensorflow"
            else (f"ms per step, median of {ARGS.steps} steps after {ARGS.warmup} warm-up")
        )
        written = probes.write(
            probes.Probe(
                framework, model, "tools/loop_forms.py " + " ".join(sys.argv[1:] if argv is None else argv),
                probes.now(), cpu_model(), f"{ARGS.repeats} repeats, {steps}", machine.summary(),
                tuple(probes.Form(form, *FORM_TEXT[framework][form], tuple(ms)) for form, ms in totals.items()),
                git_commit(),
            ),
            ARGS.out,
        )  # fmt: skip
        print(f"probe written to {written}")
    print(f"{framework} {model}: ms per step, median over {ARGS.repeats} repeats (range)")
    base = None
    for form, runs in figures.items():
        if framework == "tensorflow":
            middle = statistics.median(runs)
            base = base or middle
            print(
                f"  {form:11} {middle:8.3f} ms ({middle / base:.2f}x {forms[0]}; range {min(runs):.3f}-{max(runs):.3f})"
            )
        else:
            fetch = statistics.median(run[0] for run in runs)
            update = statistics.median(run[1] for run in runs)
            base = base or fetch + update
            low, high = min(run[1] for run in runs), max(run[1] for run in runs)
            faults = ""
            if len(runs[0]) > 2:
                faults = f"; {statistics.median(run[2] for run in runs):.0f} page faults per step"
            print(
                f"  {form:11} fetch {fetch:8.3f} ms  update {update:8.3f} ms  total {fetch + update:8.3f} ms "
                f"({(fetch + update) / base:.2f}x {forms[0]}; updates {low:.3f}-{high:.3f}{faults})"
            )


if __name__ == "__main__":
    sys.exit(main())
