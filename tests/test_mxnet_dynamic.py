"""MXNet's dynamic models against the reference in every strategy, in MXNet's environment: the
forms test_parity does not reach (graph mode's other strategies, a batch of trees that lacks a
height, a hybridize setting asked of a dynamic model) and what the ShapeLog records of them."""

from __future__ import annotations

import json
import subprocess
import textwrap

import pytest

pytestmark = pytest.mark.envs

SCRIPT = textwrap.dedent("""
    import json
    import numpy as np
    from polybench.frameworks.mxnet.runtime import RUNTIME
    RUNTIME.configure(1, "cpu")
    from polybench.frameworks.mxnet import tree_eval, var_addition
    from polybench.frameworks.mxnet.idiomatic import Trainer
    from polybench.specs import get_spec
    from polybench.specs.base import step_lengths

    results = {}
    for module, options in ((var_addition, (None, "bucket", "exact", "static-alloc")),
                            (tree_eval, (None, "scan", "dynamic"))):
        spec = get_spec(module.Implementation.dynamic_model)
        params = spec.parity_parameters()
        x = spec.parity_batch(16)
        if spec.name == "tree_eval":  # shallow trees only: by-height brings placeholders for heights 3 to 5
            depth = np.array([tree_eval.node_batch(row[None], step_lengths(row[None])).height.max() for row in x])
            x = x[depth <= 2]
        reference = spec.reference_forward(params, x)
        runs = [("eager", None)] + [("graph", option) for option in options] + [("idiomatic", None)]
        for mode, option in runs:
            cls = module.Implementation.with_compiler_option(option)
            built_as = "eager" if mode == "idiomatic" else mode
            impl = cls(spec, params, spec.profile("full").optimizer, "cpu", mode=built_as)
            if mode == "idiomatic":
                Trainer(impl, 32, 0)
            diff = float(np.abs(impl.forward(x) - reference).max())
            results[f"{spec.name} {mode} {option}"] = {"diff": diff, "strategy": impl.batch_strategy,
                                                       **impl.details()["dynamic"]}
    arrays, computed = tree_eval.height_levels(x, step_lengths(x), tree_eval.HEIGHTS)
    results["levels"] = {"inputs": len(arrays), "computed": computed, "real": int(step_lengths(x).sum())}
    print(json.dumps(results))
""")


@pytest.fixture(scope="module")
def results() -> dict:
    from polybench.runner import kernels

    python = kernels.ensure("mxnet", say=lambda _: None)
    done = subprocess.run([str(python), "-c", SCRIPT], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_every_strategy_matches_the_reference(results):
    runs = {name: run for name, run in results.items() if name != "levels"}
    assert len(runs) == 6 + 5  # eager, graph per option, idiomatic
    for name, run in runs.items():
        assert run["diff"] <= 1e-4, name


def test_each_mode_runs_its_strategy_and_logs_its_compilations(results):
    assert results["var_addition eager None"]["strategy"] == "eager"
    assert results["var_addition eager None"]["compilations"] == 0
    assert results["var_addition graph None"]["strategy"] == "pad"
    assert results["tree_eval graph None"]["strategy"] == "by-height"
    assert results["var_addition graph bucket"]["strategy"] == "bucket"
    assert results["tree_eval graph scan"]["strategy"] == "scan"
    # a hybridize setting asked of a dynamic model runs its default strategy with that setting
    assert results["var_addition graph static-alloc"]["strategy"] == "pad"
    assert results["tree_eval graph dynamic"]["strategy"] == "by-height"
    assert results["var_addition idiomatic None"]["strategy"] == "exact"
    assert results["tree_eval idiomatic None"]["strategy"] == "by-height"
    graph = results["tree_eval graph None"]
    assert graph["compilations"] == graph["eval_shapes"] == graph["memory_plans"] == 1


def test_by_height_brings_every_height_to_the_compiled_block(results):
    levels = results["levels"]
    assert levels["inputs"] == 1 + 3 * 6  # the roots, then tokens, left and right of heights 0 to 5
    assert levels["computed"] == levels["real"] + 3  # one placeholder for each of heights 3, 4, 5
