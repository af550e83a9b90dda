"""Parity of every framework's implementations, each run in its own environment.

Forward: the eval-mode outputs on the spec's fixed batch against the spec's NumPy float64
reference (max abs difference <= 1e-4), in every mode the framework runs. Training: the
losses of the first three optimizer steps (dropout off, same weights, batches and Adam)
against PyTorch's, and graph mode's against eager's (Keras on JAX and PyTorch, which run Keras' own
loop only: the losses of its step, train_on_batch). Idiomatic: one epoch of the framework's own
loop lowers the loss.

One process per (framework, mode) checks every model (`python -m polybench.parity`); each
model's figures are then their own test. Test ids carry the framework's name, so
`pytest -k "parity and mxnet"` selects one framework.
"""

from __future__ import annotations

import functools
import math
import subprocess
import textwrap

import pytest

from polybench.frameworks import DECLARED, FRAMEWORKS
from polybench.frameworks.dynamic import STRATEGIES
from polybench.parity import run_in_environment
from polybench.runner import kernels
from polybench.specs import SPECS

pytestmark = pytest.mark.envs


def models_of(framework: str) -> tuple[str, ...]:
    """The models a framework runs (Keras on JAX and PyTorch: the backend-neutral ones; PyTensor: the
    fixed-shape ones)."""
    return DECLARED[framework].models or tuple(SPECS)


#: Frameworks that run the shared loop (graph mode, and eager mode but PyTensor, a define-and-run
#: system): all but Keras on JAX and on PyTorch, which run Keras' own loop only.
SHARED_LOOP = [fw for fw in FRAMEWORKS if "graph" in DECLARED[fw].compilers]
EAGER = [fw for fw in SHARED_LOOP if "eager" in DECLARED[fw].compilers]
#: Frameworks that run only their own loop (mode idiomatic): their training parity is the loss of
#: each of the first steps of that loop's own step (Keras' train_on_batch, the step fit runs).
OWN_LOOP_ONLY = [fw for fw in FRAMEWORKS if fw not in SHARED_LOOP]
#: Every model has a graph mode in every framework that runs one (torch's LSTMs as CellLSTM step loops).
GRAPH_CELLS = [(fw, model) for fw in SHARED_LOOP for model in SPECS if model in models_of(fw)]
#: Frameworks whose own loop prepares the model it trains differently from the eager mode, so that
#: mode idiomatic has a forward pass of its own to check: Keras compile() (on every backend: on JAX
#: and PyTorch validation runs Keras' predict step), Gluon hybridize(). The other loops leave it as
#: eager mode built it (PyTorch's, Chainer's), or, JAX's, switch its LSTMs to nnx.RNN's scan, the
#: layers graph mode builds and checks.
IDIOMATIC_FORWARD = ("tensorflow", "mxnet", *OWN_LOOP_ONLY)
#: Models the learning-rate setter is checked on: one is enough, the setter and the optimizer step
#: it must reach are the framework's, the same for every model.
RATE_MODELS = ("mnist_fcn",)
#: Models one idiomatic epoch is checked on: a CNN, an encoder-decoder LSTM, videos rendered per batch, and
#: problems of different lengths (tree_eval's loss stays at chance for its first epochs: no check there);
#: for Keras on JAX and PyTorch, whose loop is TensorFlow's (checked on all four), the first two.
IDIOMATIC_MODELS = ("mnist_cnn", "addition", "moving_square", "var_addition")
IDIOMATIC_CELLS = [
    (fw, model)
    for fw in FRAMEWORKS
    for model in IDIOMATIC_MODELS[: 2 if fw in OWN_LOOP_ONLY else 4]
    if model in models_of(fw)
]


def checks_of(framework: str, mode: str) -> dict[str, tuple[str, ...]]:
    """The checks the tests read from one (framework, mode), each with its models."""
    if mode != "idiomatic":
        runs = models_of(framework)
        dynamic = tuple(model for model in STRATEGIES if model in runs)
        strategies = {"strategies": dynamic} if mode == "graph" and dynamic else {}
        return {"forward": runs, **strategies, "train": runs, "rate": RATE_MODELS}
    forward = {"forward": models_of(framework)} if framework in IDIOMATIC_FORWARD else {}
    train = {"train": models_of(framework)} if framework in OWN_LOOP_ONLY else {}
    epoch = tuple(model for fw, model in IDIOMATIC_CELLS if fw == framework)
    return {**forward, **train, "idiomatic-epoch": epoch, "idiomatic-rate": ("echo",)}


@functools.cache
def python_of(framework: str):
    """The framework's environment (built if missing: that takes minutes)."""
    return kernels.ensure(framework, say=lambda _: None)


@functools.cache
def checked(framework: str, mode: str, data_dir: str) -> dict:
    """Every check of ``checks_of(framework, mode)``, run once in one process: {model: {check:
    figures}}, or {"failed": why} when the process itself failed (kept, so that the other tests
    of this framework and mode report it at once instead of running it again)."""
    args = ["--framework", framework, "--mode", mode, "--data-dir", data_dir]
    for check, models in checks_of(framework, mode).items():
        args += [f"--{check}", ",".join(models)]
    try:
        return run_in_environment(python_of(framework), *args)
    except (RuntimeError, subprocess.TimeoutExpired) as exc:
        return {"failed": str(exc)}


def figures(framework: str, mode: str, model: str, check: str, data_dir) -> dict:
    """One model's figures of one check; the test fails with the error text when the check
    raised, or when the process running it failed."""
    results = checked(framework, mode, str(data_dir))
    if "failed" in results:
        pytest.fail(results["failed"], pytrace=False)
    result = results[model][check]
    if "error" in result:
        pytest.fail(f"{check} check of {framework} {model} in mode {mode} raised:\n{result['error']}", pytrace=False)
    return result


def training_losses(framework: str, model: str, data_dir, mode: str | None = None) -> tuple[float, ...]:
    """The first training losses of ``framework``'s step in ``mode`` (default: eager, graph for a
    define-and-run framework, or the own loop's step for a framework that runs only that)."""
    mode = mode or ("idiomatic" if framework in OWN_LOOP_ONLY else "eager" if framework in EAGER else "graph")
    return tuple(figures(framework, mode, model, "train", data_dir)["losses"])


@pytest.mark.parametrize(
    "framework, mode, model",
    [(fw, "eager", model) for fw in EAGER for model in SPECS]
    + [(fw, "graph", model) for fw, model in GRAPH_CELLS]
    + [(fw, "idiomatic", model) for fw in IDIOMATIC_FORWARD for model in models_of(fw)],
)
def test_forward_parity(framework, mode, model, toy_data_dir):
    result = figures(framework, mode, model, "forward", toy_data_dir)
    assert result["shape"] == result["reference_shape"]
    assert result["reference_scale"] > 0.01  # the batch exercises the network, not just zeros
    assert result["max_abs_diff"] <= 1e-4


@pytest.mark.parametrize(
    "framework, model, strategy",
    [
        (fw, model, name)
        for fw in SHARED_LOOP
        for model, names in STRATEGIES.items()
        for name in names
        if model in models_of(fw)
    ],
)
def test_each_graph_strategy_of_a_dynamic_model_computes_the_reference(framework, model, strategy, toy_data_dir):
    strategies = figures(framework, "graph", model, "strategies", toy_data_dir)
    # the framework's default strategy is graph mode's own forward check
    check = "forward" if strategy == strategies["default"] else "strategies"
    result = figures(framework, "graph", model, check, toy_data_dir)
    result = result if check == "forward" else result[strategy]
    assert result["shape"] == result["reference_shape"]
    assert result["max_abs_diff"] <= 1e-4


@pytest.mark.parametrize("framework, model", [(fw, model) for fw in FRAMEWORKS for model in models_of(fw)])
def test_training_parity(framework, model, toy_data_dir):
    ours = training_losses(framework, model, toy_data_dir)
    assert len(ours) == 3 and all(math.isfinite(v) for v in ours)
    assert ours[0] != ours[1] != ours[2]  # the weights change between steps
    if framework == "torch":
        return  # the reference itself
    torch = training_losses("torch", model, toy_data_dir)
    for step, (mine, reference) in enumerate(zip(ours, torch, strict=True), start=1):
        # 1e-4, tighter than the 1e-3 asked for: a doubled LSTM bias step stayed under 1e-3 on shape_gen
        assert abs(mine - reference) <= 1e-4 * abs(reference), f"step {step}: {framework} {mine} vs torch {reference}"


@pytest.mark.parametrize("framework, model", [(fw, model) for fw, model in GRAPH_CELLS if fw in EAGER])
def test_graph_mode_training_parity(framework, model, toy_data_dir):
    graph = training_losses(framework, model, toy_data_dir, "graph")
    eager = training_losses(framework, model, toy_data_dir, "eager")
    for step, (compiled, imperative) in enumerate(zip(graph, eager, strict=True), start=1):
        assert abs(compiled - imperative) <= 1e-4 * abs(imperative), f"step {step}: {compiled} vs {imperative}"


@pytest.mark.parametrize("model", RATE_MODELS)
@pytest.mark.parametrize(
    "framework, mode",
    [(fw, mode) for fw in SHARED_LOOP for mode in ("eager", "graph") if mode in DECLARED[fw].compilers],
)
def test_the_learning_rate_set_between_steps_is_the_one_they_use(framework, mode, model, toy_data_dir):
    still, still_again, moved, moved_again = figures(framework, mode, model, "rate", toy_data_dir)["losses"]
    assert math.isclose(still_again, still, rel_tol=1e-6)  # rate 0: the weights did not move
    assert math.isclose(moved, still, rel_tol=1e-6)  # the same weights still
    assert moved_again < moved * (1 - 1e-4)  # the spec's rate: the step lowered the batch's loss


@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_the_frameworks_own_loop_follows_the_learning_rate_schedule(framework, toy_data_dir):
    before, first, second = figures(framework, "idiomatic", "echo", "idiomatic-rate", toy_data_dir)["losses"]
    assert first < before * (1 - 1e-3)  # epoch 1 at the spec's rate trained
    assert math.isclose(second, first, rel_tol=1e-6)  # epoch 2 at rate 0: the weights stayed


@pytest.mark.parametrize("framework, model", IDIOMATIC_CELLS)
def test_one_idiomatic_epoch_trains(framework, model, toy_data_dir):
    """The framework's own loop, on the quick slice from the canonical weights, lowers the
    training split's loss in one epoch and reports that epoch once, with a time."""
    result = figures(framework, "idiomatic", model, "idiomatic-epoch", toy_data_dir)
    assert result["after"] < 0.97 * result["before"]
    [(epoch, loss, seconds)] = result["reported"]
    assert epoch == 1 and math.isfinite(loss) and seconds > 0
    if framework == "tensorflow":  # what Keras' "auto" resolved to, for the record
        assert result["compiler"]["name"] in ("xla", "tf.function")
        assert result["compiler"]["options"]["jit_compile"] == (result["compiler"]["name"] == "xla")
    if framework == "mxnet":
        assert result["compiler"]["name"] == "hybridize"
    if framework in OWN_LOOP_ONLY:  # Keras' jit_compile="auto": jax.jit on JAX, eager modules on PyTorch
        assert (
            result["compiler"]
            == {
                "keras-jax": {"name": "xla", "options": {"via": "keras.Model.fit", "jit_compile": True}},
                "keras-torch": {"name": "none", "options": {"via": "keras.Model.fit", "jit_compile": False}},
            }[framework]
        )


def test_torch_graph_mode_refuses_a_model_that_compiles_to_nothing():
    """torch.compile would fall back to eager for code Dynamo skips; graph mode compiles with
    fullgraph and says so instead of timing eager execution as compiled."""
    script = textwrap.dedent("""
        import torch
        from polybench.errors import UnsupportedError
        from polybench.frameworks.torch.common import TorchImplementation
        from polybench.specs import get_spec

        class Skipped(torch.nn.Module):
            def __init__(self):
                super().__init__()
                self.dense = torch.nn.Linear(784, 10)

            @torch._dynamo.disable
            def forward(self, x):
                return self.dense(x)

        class Implementation(TorchImplementation):
            def build(self, params):
                return Skipped()

        spec = get_spec("mnist_fcn")
        impl = Implementation(spec, spec.init_parameters(0), spec.profile("quick").optimizer, "cpu", mode="graph")
        try:
            impl.forward(torch.zeros(2, 784).numpy())
        except UnsupportedError as e:
            print("unsupported:", e)
        """)
    out = subprocess.run([str(python_of("torch")), "-c", script], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    assert "unsupported: torch.compile could not capture this model as one graph" in out.stdout
    assert "graph mode would run part of it eagerly" in out.stdout
