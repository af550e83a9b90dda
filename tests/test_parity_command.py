"""`python -m polybench.parity`: one process checks every model, and one broken model fails only
its own result. A stand-in runtime whose implementations compute the spec's own NumPy reference
keeps these tests free of any framework (tests/test_parity.py runs the real ones)."""

from __future__ import annotations

import json

import pytest

from polybench import frameworks, parity
from polybench.errors import UnsupportedError


class ReferenceImplementation:
    """An implementation whose forward pass is the spec's NumPy reference."""

    def __init__(self, spec, params, optimizer, device, dropout=True, mode="eager"):
        self.spec, self.params = spec, params

    def forward(self, x):
        return self.spec.reference_forward(self.params, x)


class MisMapped(ReferenceImplementation):
    def __init__(self, *args, **kwargs):
        raise ValueError("gate order mis-mapped")


class Uncompiled(ReferenceImplementation):
    def __init__(self, *args, **kwargs):
        raise UnsupportedError("the compiler skips this model")


class StandInRuntime:
    """Configured once per process; echo's implementation is broken, addition's unsupported."""

    def __init__(self):
        self.configured = 0

    def configure(self, threads, device):
        self.configured += 1
        return "cpu"

    def implementation(self, model):
        return {"echo": MisMapped, "addition": Uncompiled}.get(model, ReferenceImplementation)


@pytest.fixture
def runtime(monkeypatch) -> StandInRuntime:
    stand_in = StandInRuntime()
    monkeypatch.setattr(frameworks, "runtime", lambda name: stand_in)
    return stand_in


def test_one_process_reports_each_model_apart(runtime):
    results = parity.check_models("torch", "eager", {"forward": ["mnist_fcn", "echo", "addition", "cumsum"]})
    assert runtime.configured == 1
    assert list(results) == ["mnist_fcn", "echo", "addition", "cumsum"]
    for model in ("mnist_fcn", "cumsum"):  # the models after the broken one are checked too
        assert results[model]["forward"]["max_abs_diff"] == 0.0
        assert results[model]["forward"]["reference_scale"] > 0.01
    assert "ValueError: gate order mis-mapped" in results["echo"]["forward"]["error"]
    assert results["addition"]["forward"] == {"unsupported": "the compiler skips this model"}


def test_the_command_prints_one_json_object_keyed_by_model(runtime, capsys):
    assert parity.main(["--framework", "jax", "--mode", "graph", "--forward", "mnist_fcn,echo"]) == 0
    printed = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert printed["mnist_fcn"]["forward"]["max_abs_diff"] == 0.0 and "error" in printed["echo"]["forward"]


def test_all_means_every_model():
    args = parity.parse_args(["--framework", "torch", "--mode", "idiomatic", "--forward", "all"])
    assert args.checks == {"forward": list(parity.SPECS)}


@pytest.mark.parametrize(
    "args, says",
    [
        (["--mode", "eager"], "name at least one check"),
        (["--forward", "mnist_fcn,nope"], "unknown model nope"),
        (["--train", "all"], "--train needs --data-dir"),
        (["--mode", "idiomatic", "--rate", "all", "--data-dir", "data"], "--rate runs in mode eager or graph"),
        (["--mode", "eager", "--idiomatic-epoch", "addition", "--data-dir", "data"], "runs in mode idiomatic"),
    ],
)
def test_usage_errors_say_what_was_wrong(args, says, capsys):
    with pytest.raises(SystemExit) as exited:
        parity.main(["--framework", "torch", *args])
    assert exited.value.code == 2
    assert says in capsys.readouterr().err.strip().splitlines()[-1]
