"""PyTensor's dynamic models in PyTensor's environment: what test_parity does not reach. Every
strategy trains the same function (the same losses from the same weights and batches, awkward
batches included: one sample, a height with one node), one compiled train function serves every
width and tree, and the record counts PyTensor's compilations beside the shapes met."""

from __future__ import annotations

import json
import subprocess
import textwrap

import pytest

pytestmark = pytest.mark.envs

SCRIPT = textwrap.dedent("""
    import json
    import numpy as np
    from polybench.frameworks.pytensor.runtime import RUNTIME
    device = RUNTIME.configure(1, "cpu")
    from polybench.frameworks.pytensor import tree_eval, var_addition
    from polybench.frameworks.pytensor.idiomatic import Trainer
    from polybench.specs import get_spec

    results = {}
    for module, options in ((var_addition, (None, "pad", "bucket")), (tree_eval, (None, "scan"))):
        spec = get_spec(module.Implementation.dynamic_model)
        split = spec.render(spec.generate(200, np.random.default_rng(0)))
        longest = np.flatnonzero(split.lengths == split.lengths.max())[:1]
        shortest = np.flatnonzero(split.lengths == split.lengths.min())[:3]
        # a full batch, the longest sample alone (a tree's every height has one node), three short ones
        batches = [np.arange(32), longest, shortest, np.arange(32, 64)]
        for mode, option in [("graph", option) for option in options] + [("idiomatic", None)]:
            cls = module.Implementation.with_compiler_option(option)
            built_as = "eager" if mode == "idiomatic" else mode
            impl = cls(spec, spec.init_parameters(0), spec.profile("quick").optimizer, device, dropout=False,
                       mode=built_as)
            if mode == "idiomatic":
                Trainer(impl, 32, 0)
            impl.load_data({"train": split})
            losses = []
            for rows in batches:
                impl.train_step(rows)
                losses.append(impl.take_train_loss())
            impl.predict("train")
            results[f"{spec.name} {mode} {option}"] = {"losses": losses, "strategy": impl.strategy,
                                                       **impl.details()["dynamic"]}
    print(json.dumps(results))
""")


@pytest.fixture(scope="module")
def results() -> dict:
    from polybench.runner import kernels

    python = kernels.ensure("pytensor", say=lambda _: None)
    done = subprocess.run([str(python), "-c", SCRIPT], capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_each_mode_runs_its_strategy(results):
    assert results["var_addition graph None"]["strategy"] == "exact"  # symbolic widths: the least padding
    assert results["var_addition graph pad"]["strategy"] == "pad"
    assert results["var_addition idiomatic None"]["strategy"] == "exact"  # the LSTM tutorial's prepare_data
    assert results["tree_eval graph None"]["strategy"] == "by-height"
    assert results["tree_eval graph scan"]["strategy"] == "scan"
    assert results["tree_eval idiomatic None"]["strategy"] == "by-height"


def test_every_strategy_trains_the_same_function_on_awkward_batches(results):
    for model in ("var_addition", "tree_eval"):
        runs = {name: run for name, run in results.items() if name.startswith(model)}
        first = next(iter(runs.values()))["losses"]
        assert len(first) == 4 and first[0] != first[1] != first[2]
        for name, run in runs.items():
            assert run["losses"] == pytest.approx(first, rel=1e-4), name


def test_one_compiled_function_serves_every_shape_and_the_record_says_so(results):
    for name, run in results.items():
        # training batches of three or four shapes, and the whole split predicted: one train
        # function and one predict function compiled
        assert run["train_shapes"] >= 3 and run["eval_shapes"] >= 1, name
        assert run["compilations"] == 2, name
        assert run["framework_count"] == {"count": 2, "what": "pytensor.function compilations"}, name
        assert run["compile_seconds"] > 0, name
    assert results["var_addition graph None"]["padded_share"] < results["var_addition graph pad"]["padded_share"]
    assert results["tree_eval graph None"]["padded_share"] == 0.0  # by height: every node once, no padding
    assert results["tree_eval graph scan"]["padded_share"] > 0.5  # most of the 63 postfix steps pad
