"""TensorFlow's dynamic models against the reference in every strategy, in TensorFlow's
environment: the forms test_parity does not reach (graph mode's other strategies, the xla
option, Keras fit's form) and what the record counts of them (the shapes met beside
tf.function's own traces)."""

from __future__ import annotations

import json
import os
import subprocess
import textwrap

import pytest

pytestmark = pytest.mark.envs

SCRIPT = textwrap.dedent("""
    import json
    import numpy as np
    from polybench.frameworks.tensorflow.runtime import RUNTIME
    device = RUNTIME.configure(1, "cpu")
    from polybench.frameworks.tensorflow import tree_eval, var_addition
    from polybench.frameworks.tensorflow.idiomatic import Trainer
    from polybench.specs import get_spec

    results = {}
    for module, options in ((var_addition, (None, "bucket", "exact", "xla")), (tree_eval, (None, "scan", "xla"))):
        spec = get_spec(module.Implementation.dynamic_model)
        params = spec.parity_parameters()
        x = spec.parity_batch(16)
        reference = spec.reference_forward(params, x)
        runs = [("eager", None)] + [("graph", option) for option in options] + [("idiomatic", None)]
        for mode, option in runs:
            cls = module.Implementation.with_compiler_option(option)
            built_as = "eager" if mode == "idiomatic" else mode
            impl = cls(spec, params, spec.profile("full").optimizer, device, mode=built_as)
            if mode == "idiomatic":
                Trainer(impl, 32, 0)
            diff = float(np.abs(impl.forward(x) - reference).max())
            results[f"{spec.name} {mode} {option}"] = {"diff": diff, "strategy": impl.strategy,
                                                       **impl.details()["dynamic"]}

    # Three training batches of three widths at the exact strategy: three shapes, two traces
    # (the second relaxes the width to None, which serves the third).
    spec = get_spec("var_addition")
    split = spec.render(spec.generate(256, np.random.default_rng(0)))
    impl = var_addition.Implementation.with_compiler_option("exact")(
        spec, spec.init_parameters(0), spec.profile("quick").optimizer, device, dropout=False, mode="graph")
    impl.load_data({"train": split})
    for width in (5, 7, 9):
        rows = np.flatnonzero(split.lengths <= width)[:7]
        impl.train_step(np.append(rows, np.flatnonzero(split.lengths == width)[0]))
    results["traces"] = impl.details()["dynamic"]
    print(json.dumps(results))
""")


@pytest.fixture(scope="module")
def results() -> dict:
    from polybench.runner import kernels

    python = kernels.ensure("tensorflow", say=lambda _: None)
    # another Keras backend inherited from the caller (a shell, the keras-jax tests) never reaches
    # the tensorflow framework: its runtime sets Keras' backend itself
    env = {**os.environ, "KERAS_BACKEND": "jax"}
    done = subprocess.run([str(python), "-c", SCRIPT], capture_output=True, text=True, timeout=600, env=env)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_every_strategy_matches_the_reference(results):
    runs = {name: run for name, run in results.items() if name != "traces"}
    assert len(runs) == 6 + 5  # eager, graph per option, idiomatic
    for name, run in runs.items():
        assert run["diff"] <= 1e-4, name


def test_each_mode_runs_its_strategy(results):
    assert results["var_addition eager None"]["strategy"] == "eager"
    assert results["var_addition eager None"]["compilations"] == 0
    assert results["var_addition graph None"]["strategy"] == "pad"
    assert results["tree_eval graph None"]["strategy"] == "by-height"
    assert results["var_addition graph exact"]["strategy"] == "exact"
    # xla is a compiler, not a strategy: the default strategy compiled with XLA
    assert results["var_addition graph xla"]["strategy"] == "pad"
    assert results["tree_eval graph xla"]["strategy"] == "by-height"
    # Keras' fit trains (and the model then evaluates) one padded form
    assert results["var_addition idiomatic None"]["strategy"] == "pad"
    assert results["tree_eval idiomatic None"]["strategy"] == "scan"


def test_the_record_counts_shapes_met_and_tensorflows_own_traces(results):
    traces = results["traces"]
    assert traces["train_shapes"] == 3
    assert traces["tf_function_traces"] == {"train": 2, "eval": 0}  # reduce_retracing relaxed the width
    assert traces["tf_function_trace_seconds"]["train"] > 0
    assert 0 < traces["padded_share"] < 1
