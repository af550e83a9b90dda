"""One vocabulary for what compiled a run: every framework declares, per mode, the compiler names
a run can record (its package's ``FRAMEWORK``), and every Implementation and idiomatic loop
reports the one it ran with, from the same vocabulary (base.COMPILERS)."""

from __future__ import annotations

import json
import subprocess
import textwrap

import pytest

from polybench import frameworks
from polybench.frameworks.base import COMPILERS, compiler
from polybench.frameworks.dynamic import graph_options
from polybench.runner import kernels


def test_every_framework_and_mode_declares_compilers_from_the_vocabulary():
    for name in frameworks.FRAMEWORKS:
        declared = frameworks.DECLARED[name]
        assert declared.name == name
        # Every mode is either run (with the compilers it can record) or unsupported (with why).
        assert set(declared.compilers) | set(declared.unsupported_modes) == set(frameworks.MODES), name
        assert not set(declared.compilers) & set(declared.unsupported_modes), name
        assert all(declared.unsupported_modes.values()), name
        for mode, names in declared.compilers.items():
            assert names and set(names) <= set(COMPILERS), (name, mode, names)
        # The default is a shared-loop mode, unless the framework runs only its own loop.
        shared = {"eager", "graph"} & set(declared.compilers)
        assert declared.default_mode in (shared or {"idiomatic"}) and declared.default_reason


def test_the_registry_collects_what_each_package_declares():
    assert frameworks.DEFAULT_MODES == {name: frameworks.DECLARED[name].default_mode for name in frameworks.FRAMEWORKS}
    assert frameworks.DEFAULT_MODES["torch"] == "eager" and frameworks.DEFAULT_MODES["jax"] == "graph"
    assert frameworks.DISPLAY_NAMES["torch"] == "PyTorch"


def test_a_compiler_outside_the_vocabulary_is_refused():
    assert compiler("hybridize", static_alloc=True) == {"name": "hybridize", "options": {"static_alloc": True}}
    with pytest.raises(ValueError, match="unknown compiler 'jit'"):
        compiler("jit")


#: Runs in a framework's environment: trains two steps of each model in each shared-loop mode
#: (and graph mode with each declared compiler option) and one epoch of the framework's own loop
#: on a slice of random data, then prints what each reports as its compiler.
PROBE = textwrap.dedent("""
    import json, sys
    import numpy as np
    from polybench import frameworks
    from polybench.errors import UnsupportedError
    from polybench.specs import get_spec
    from polybench.specs.base import Split

    framework, models = sys.argv[1], sys.argv[2:]
    runtime = frameworks.runtime(framework)
    device = runtime.configure(threads=1, device="cpu")
    rng = np.random.default_rng(0)
    results = []
    for model in models:
        spec = get_spec(model)
        profile = spec.profile("quick")
        x = spec.parity_batch(64)
        y = np.argmax(spec.reference_forward(spec.parity_parameters(), x), axis=-1)
        splits = {"train": Split(x, y), "val": Split(x[:8], y[:8])}
        options = [(mode, None) for mode in frameworks.DECLARED[framework].compilers] + [
            ("graph", name) for name in frameworks.DECLARED[framework].compiler_options.get("graph", {})
        ]
        for mode, option in options:
            try:
                impl = runtime.implementation(model).with_compiler_option(option)(
                    spec, spec.init_parameters(0), profile.optimizer, device,
                    mode="eager" if mode == "idiomatic" else mode,
                )
            except UnsupportedError:
                continue
            impl.load_data(splits)
            if mode == "idiomatic":
                ran = runtime.idiomatic_trainer()(impl, 32, 0)
                ran.fit(1, lambda *_: None)
            else:
                ran = impl
                for rows in (np.arange(32), np.arange(32, 64)):
                    impl.train_step(rows)
                impl.take_train_loss()
            results.append({"model": model, "mode": mode, "option": option, "compiler": ran.compiler()})
    print(json.dumps(results))
""")

#: A dense model and an LSTM, whose compilers can differ: Keras declines XLA on a CPU-only machine
#: and, on a GPU, for an LSTM that could use cuDNN.
PROBE_MODELS = ("mnist_fcn", "echo")


@pytest.mark.envs
@pytest.mark.parametrize("framework", frameworks.FRAMEWORKS)
def test_each_mode_reports_the_compiler_it_ran_with(framework):
    python = kernels.ensure(framework, say=lambda _: None)
    done = subprocess.run(
        [str(python), "-c", PROBE, framework, *PROBE_MODELS],
        capture_output=True,
        text=True,
        timeout=900,
        stdin=subprocess.DEVNULL,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    results = json.loads(done.stdout.strip().splitlines()[-1])
    declared = frameworks.DECLARED[framework].compilers
    assert {r["mode"] for r in results} == set(declared)  # every mode it runs ran at least one model
    for r in results:
        name, options = r["compiler"]["name"], r["compiler"]["options"]
        assert set(r["compiler"]) == {"name", "options"}
        assert name in declared[r["mode"]], r
        assert all(isinstance(v, str | int | float | bool | type(None)) for v in options.values()), r
        if r["mode"] == "eager" or declared[r["mode"]] == ("none",):
            assert name == "none", r
        elif r["mode"] == "graph" or frameworks.DECLARED[framework].models_from is None:
            assert name != "none", r  # a compiled mode compiled (Keras' fit on PyTorch may not: below)
    by_cell = {(r["model"], r["mode"]): r for r in results if r["option"] is None}
    # Each declared compiler option ran, and compiled otherwise than the default: its record says how.
    # The dynamic models' strategies are options too, of those models only: the probe's fixed-shape
    # models refuse them (unsupported), and their record's details name the strategy, not the compiler.
    strategies = graph_options()
    assert not [r for r in results if r["option"] in strategies]
    for option in set(frameworks.DECLARED[framework].compiler_options.get("graph", {})) - set(strategies):
        ran = [r for r in results if r["option"] == option]
        assert ran, option
        for r in ran:
            assert r["compiler"] != by_cell[r["model"], "graph"]["compiler"], r
    if framework == "tensorflow":
        for model in PROBE_MODELS:
            # Graph mode resolves XLA by Keras' own jit_compile="auto" rule, so as fit does.
            assert by_cell[model, "graph"]["compiler"]["name"] == by_cell[model, "idiomatic"]["compiler"]["name"]
            fit = by_cell[model, "idiomatic"]["compiler"]
            assert fit["options"]["jit_compile"] == (fit["name"] == "xla")
            assert fit["options"]["via"] == "keras.Model.fit"
    if framework == "mxnet":
        assert by_cell["mnist_fcn", "graph"]["compiler"]["options"] == {"static_alloc": True, "static_shape": True}
        assert by_cell["mnist_fcn", "idiomatic"]["compiler"]["options"] == {
            "static_alloc": False,
            "static_shape": False,
        }
        tried = {r["option"]: r["compiler"]["options"] for r in results if r["model"] == "mnist_fcn" and r["option"]}
        assert tried == {
            "static-alloc": {"static_alloc": True, "static_shape": False},
            "dynamic": {"static_alloc": False, "static_shape": False},
        }
    if framework == "tensorflow":
        [xla] = [r for r in results if r["model"] == "mnist_fcn" and r["option"] == "xla"]
        assert xla["compiler"]["name"] == "xla"  # every layer supports XLA
    if framework == "torch":
        default = {"name": "inductor", "options": {"mode": "default", "fullgraph": True}}
        assert by_cell["mnist_fcn", "graph"]["compiler"] == by_cell["echo", "graph"]["compiler"] == default
        [tuned] = [r for r in results if r["model"] == "mnist_fcn" and r["option"] == "max-autotune"]
        assert tuned["compiler"]["name"] == "inductor" and tuned["compiler"]["options"]["max_autotune"] is True
    if framework == "jax":
        assert by_cell["echo", "graph"]["compiler"]["options"]["via"] == "nnx.jit"
    if framework == "pytensor":  # Theano's C mode by default, PyTensor 3's own default (Numba) as an option
        assert by_cell["echo", "graph"]["compiler"] == {
            "name": "pytensor.function",
            "options": {"mode": "CVM", "linker": "cvm"},
        }
        assert by_cell["echo", "idiomatic"]["compiler"] == by_cell["echo", "graph"]["compiler"]
        [numba] = [r for r in results if r["model"] == "echo" and r["option"] == "numba"]
        assert numba["compiler"]["options"] == {"mode": "NUMBA", "linker": "numba"}
    if framework in ("keras-jax", "keras-torch"):
        # Keras' jit_compile="auto": its train step under jax.jit on JAX, eager modules on PyTorch.
        expected = {"keras-jax": ("xla", True), "keras-torch": ("none", False)}[framework]
        for model in PROBE_MODELS:
            fit = by_cell[model, "idiomatic"]["compiler"]
            assert (fit["name"], fit["options"]["jit_compile"]) == expected
            assert fit["options"]["via"] == "keras.Model.fit"
