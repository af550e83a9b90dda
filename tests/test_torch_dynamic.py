"""What PyTorch's graph-mode record counts of the dynamic models, in PyTorch's environment: the
shapes met beside the graphs Dynamo itself compiled (``framework_count``), which a dimension
Dynamo marks dynamic after a recompilation keeps below the shapes met."""

from __future__ import annotations

import json
import subprocess
import textwrap

import pytest

SCRIPT = textwrap.dedent("""
    import json
    import numpy as np
    from polybench.frameworks.torch.runtime import RUNTIME
    device = RUNTIME.configure(1, "cpu")
    from polybench.frameworks.torch import tree_eval, var_addition
    from polybench.specs import get_spec

    def build(module, option, split, mode="graph"):
        spec = get_spec(module.Implementation.dynamic_model)
        impl = module.Implementation.with_compiler_option(option)(
            spec, spec.init_parameters(0), spec.profile("quick").optimizer, device, dropout=False, mode=mode)
        impl.load_data({"train": split})
        return impl

    results = {}
    # var_addition, exact strategy: batches of widths 5, 7, 9, then 5 again.
    spec = get_spec("var_addition")
    split = spec.render(spec.generate(256, np.random.default_rng(0)))
    impl = build(var_addition, "exact", split)
    for width in (5, 7, 9, 5):
        rows = np.flatnonzero(split.lengths <= width)[:7]
        impl.train_step(np.append(rows, np.flatnonzero(split.lengths == width)[0]))
        results.setdefault("var_addition steps", []).append(impl.details()["dynamic"])
    # tree_eval, by-height: batches whose node counts per height differ.
    spec = get_spec("tree_eval")
    trees = spec.render(spec.generate(256, np.random.default_rng(0)))
    first = build(tree_eval, None, trees)
    for start in range(0, 48, 8):
        first.train_step(np.arange(start, start + 8))
    results["tree_eval"] = first.details()["dynamic"]
    # A second graph-mode model in the same process (as the parity figures after training).
    second = build(tree_eval, None, trees)
    second.train_step(np.arange(8))
    results["tree_eval after another model"] = first.details()["dynamic"]
    results["another model"] = second.details()["dynamic"]
    eager = build(tree_eval, None, trees, mode="eager")
    eager.train_step(np.arange(8))
    results["eager"] = eager.details()["dynamic"]
    print(json.dumps(results))
""")


@pytest.fixture(scope="module")
def results(torch_env) -> dict:
    done = subprocess.run([str(torch_env), "-c", SCRIPT], capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def graphs(log: dict) -> int:
    assert log["framework_count"]["what"] == "Dynamo graphs"
    return log["framework_count"]["count"]


def test_a_shape_met_again_compiles_no_graph(results):
    steps = results["var_addition steps"]
    assert [step["train_shapes"] for step in steps] == [1, 2, 3, 3]
    counts = [graphs(step) for step in steps]
    assert counts[0] == 1 and counts[1] > counts[0]  # a new width recompiled
    assert counts[3] == counts[2]  # width 5 again: Dynamo's guards reuse its graph
    assert counts[2] <= steps[2]["train_shapes"]


def test_dynamo_generalises_the_node_counts_of_tree_batches(results):
    log = results["tree_eval"]
    assert log["train_shapes"] == 6
    # after the first recompilation the node counts are dynamic: fewer graphs than shapes met
    assert 2 <= graphs(log) < log["train_shapes"]


def test_the_count_is_this_models_own(results):
    assert results["tree_eval after another model"] == results["tree_eval"]
    assert graphs(results["another model"]) == 1


def test_eager_mode_compiles_nothing(results):
    assert "framework_count" not in results["eager"]
    assert results["eager"]["compilations"] == 0
