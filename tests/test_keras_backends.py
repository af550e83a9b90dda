"""Keras 3 on its JAX and PyTorch backends (frameworks keras-jax and keras-torch): the registry's
view of them, their kernels and locks, the runs they do not do, and the report's rows for them.
None of these tests needs a framework environment (parity in those is tests/test_parity.py's)."""

from __future__ import annotations

import json
import sys

import pytest
from test_report import fake_record

from polybench import frameworks, parity, records, report, runner
from polybench.errors import PolybenchError
from polybench.runner import kernels

KERAS = ("keras-jax", "keras-torch")
FIXED_SHAPE = ("mnist_fcn", "mnist_cnn", "echo", "damped_sine", "moving_square", "addition", "cumsum", "shape_gen")


def test_each_backend_is_a_framework_with_its_own_package_environment_kernel_and_lock():
    for name, backend in zip(KERAS, ("jax", "torch"), strict=True):
        declared = frameworks.DECLARED[name]
        assert frameworks.package(name) == f"polybench.frameworks.{name.replace('-', '_')}"
        assert declared.environment == {"KERAS_BACKEND": backend} and declared.import_name == "keras"
        assert kernels.env_dir(name).name == name and kernels.kernel_name(name) == f"polybench-{name}"
        assert [path.name for path in kernels.env_locks(name)] == [f"{name}.txt"]
        assert declared.default_mode == "idiomatic" and set(declared.compilers) == {"idiomatic"}
        assert declared.native == backend and declared.models_from == "tensorflow"


def test_the_locks_pin_keras_as_tensorflow_does_and_the_backend_as_its_native_framework_does():
    from polybench import locks

    def pins(name: str) -> dict[str, str]:
        text = locks.lock_path(name).read_text()
        return dict(line.split(" ")[0].split("==") for line in text.splitlines() if "==" in line and line[0] != " ")

    tensorflow, jax, torch = pins("tensorflow"), pins("jax"), pins("torch")
    for name, native, backend in (("keras-jax", jax, ("jax", "jaxlib")), ("keras-torch", torch, ("torch",))):
        mine = pins(name)
        assert mine["keras"] == tensorflow["keras"] == "3.15.1"
        assert all(mine[package] == native[package] for package in (*backend, "numpy")), name
        assert "tensorflow" not in mine and "tensorflow-cpu" not in mine and "flax" not in mine


def test_they_run_the_tensorflow_packages_fixed_shape_models_and_say_why_not_the_rest():
    for name in KERAS:
        assert [m for m in FIXED_SHAPE if frameworks.has_implementation(name, m)] == list(FIXED_SHAPE)
        assert frameworks.models_package(name) == "polybench.frameworks.tensorflow"
        assert frameworks.unsupported_reason(name, "addition", "idiomatic") is None
        # A model the TensorFlow package may gain (the dynamic ones) is not theirs until declared.
        assert not frameworks.has_implementation(name, "var_addition")
        assert frameworks.unsupported_reason(name, "var_addition", "idiomatic") == (
            f"{name} does not run var_addition: only the TensorFlow package's models written in keras.layers "
            "and keras.ops alone run on every Keras backend"
        )
        for mode in ("eager", "graph"):
            reason = frameworks.unsupported_reason(name, "addition", mode)
            assert reason.startswith(f"{name} runs no {mode} mode: ") and "compile() + fit()" in reason
    assert frameworks.unsupported_reason("tensorflow", "addition", "eager") is None


def test_their_shared_loop_runs_are_recorded_unsupported_without_a_kernel(tmp_path):
    """The runner records them with the reason and starts nothing (this test may build no
    environment: conftest refuses it)."""
    plan = runner.Plan(frameworks=list(KERAS), models=["echo"], modes=["eager", "graph"], seeds=[0], profile="quick")
    done = runner.Runner(plan, tmp_path, say=lambda _: None).run_all()
    assert [(r.framework, r.mode, r.status) for r in done] == [
        (fw, mode, "unsupported") for fw in KERAS for mode in ("eager", "graph")
    ]
    assert all(r.error.startswith(f"{r.framework} runs no {r.mode} mode") for r in done)
    assert len(list((tmp_path / "records").glob("*.json"))) == 4


def test_parity_reports_an_unsupported_mode_without_building_the_model(monkeypatch):
    class NoRuntime:
        def configure(self, threads, device):
            return "cpu"

        def implementation(self, model):
            raise AssertionError("an unsupported mode builds nothing")

    monkeypatch.setattr(frameworks, "runtime", lambda name: NoRuntime())
    results = parity.check_models("keras-torch", "eager", {"forward": ["echo"]})
    assert results["echo"]["forward"]["unsupported"].startswith("keras-torch runs no eager mode")


def test_the_kernel_spec_carries_the_backend_and_a_changed_one_is_not_ready(tmp_path, monkeypatch):
    calls = []
    monkeypatch.setattr(kernels, "_step", lambda command, log, what: calls.append([str(c) for c in command]))
    kernels._register_kernel("keras-jax", tmp_path / "python", tmp_path / "log")
    [command] = calls
    assert command[-3:] == ["--env", "KERAS_BACKEND", "jax"]
    kernels._register_kernel("torch", tmp_path / "python", tmp_path / "log")
    assert "--env" not in calls[-1]
    # An environment whose kernel spec lacks the backend (or names another) is rebuilt on next use.
    monkeypatch.setenv("POLYBENCH_ENV_DIR", str(tmp_path / "envs"))
    monkeypatch.setattr(kernels.sys, "prefix", str(tmp_path / "orchestrator"))
    python = kernels.env_python("keras-jax")
    python.parent.mkdir(parents=True)
    python.touch()
    marker = kernels.env_dir("keras-jax") / kernels.MARKER
    marker.write_text(json.dumps({"lock_hash": kernels.lock_hash("keras-jax")}))
    spec = kernels.kernel_dir("keras-jax") / "kernel.json"
    spec.parent.mkdir(parents=True)
    for env, ready in (({"KERAS_BACKEND": "jax"}, True), ({"KERAS_BACKEND": "torch"}, False), (None, False)):
        spec.write_text(json.dumps({"argv": [str(python)], **({"env": env} if env else {})}))
        assert kernels.is_ready("keras-jax") is ready, env


@pytest.mark.parametrize("name, backend", [("keras-jax", "jax"), ("tensorflow", "tensorflow")])
def test_the_backend_is_set_before_keras_loads_and_never_switched_after(monkeypatch, name, backend):
    declared = frameworks.DECLARED[name]
    # an inherited setting of another backend (a user's shell) is overridden, not kept; setenv
    # also has monkeypatch restore this process' own value afterwards
    monkeypatch.setenv("KERAS_BACKEND", "torch")
    monkeypatch.delitem(sys.modules, declared.import_name, raising=False)
    declared.apply_environment()
    assert __import__("os").environ["KERAS_BACKEND"] == backend
    monkeypatch.setenv("KERAS_BACKEND", "torch")
    monkeypatch.setitem(sys.modules, declared.import_name, object())  # loaded on another backend already
    with pytest.raises(PolybenchError, match=f"{name} needs KERAS_BACKEND={backend}, but .* was imported already"):
        declared.apply_environment()


def test_each_system_is_named_with_the_versions_its_records_hold():
    assert frameworks.system("keras-jax", {"keras": "3.15.1", "jax": "0.10.2"}) == "Keras 3.15.1 on JAX 0.10.2"
    assert frameworks.system("keras-torch", {"keras": "3.15.1", "torch": "2.13.0+cpu"}) == (
        "Keras 3.15.1 on PyTorch 2.13.0+cpu"
    )
    assert frameworks.system("tensorflow", {"tensorflow": "2.21.0", "keras": "3.15.1"}) == (
        "TensorFlow 2.21.0 (Keras 3.15.1)"
    )
    assert frameworks.system("jax", {"jax": "0.10.2", "flax": "0.12.8"}) == "JAX 0.10.2 (Flax NNX 0.12.8)"
    # A record the runner wrote (the framework never started) holds the orchestrator's versions only.
    assert frameworks.system("keras-jax", {"numpy": "2.4.6"}) is None
    assert frameworks.system("theano", {"theano": "1.0"}) is None


def _keras_records(folder) -> None:
    """Addition in Keras' own loop on three backends, and the native JAX and PyTorch rows."""
    versions = {
        "tensorflow": {"tensorflow": "2.21.0", "keras": "3.15.1"},
        "keras-jax": {"keras": "3.15.1", "jax": "0.10.2"},
        "keras-torch": {"keras": "3.15.1", "torch": "2.13.0+cpu"},
        "jax": {"jax": "0.10.2", "flax": "0.12.8"},
        "torch": {"torch": "2.13.0+cpu"},
    }
    for framework, mode, steady in (
        ("tensorflow", "idiomatic", 4.0),
        ("keras-jax", "idiomatic", 2.0),
        ("keras-torch", "idiomatic", 8.0),
        ("jax", "graph", 1.0),
        ("torch", "eager", 3.0),
        ("torch", "idiomatic", 2.5),
    ):
        key, record = fake_record("addition", framework, seconds=(9.0, steady, steady))
        key = records.RunKey("addition", framework, mode, 0)
        record.update(mode=mode, environment={**record["environment"], "versions": versions[framework]})
        records.write_record(key.record_path(folder), record)


def test_the_report_sets_the_keras_backends_beside_tensorflow_and_the_native_rows(tmp_path):
    _keras_records(tmp_path)
    report.build([tmp_path], tmp_path)
    text = (tmp_path / "report.md").read_text()
    assert (
        "Frameworks and the systems they ran, with versions: torch: PyTorch 2.13.0+cpu; tensorflow: TensorFlow "
        "2.21.0 (Keras 3.15.1); jax: JAX 0.10.2 (Flax NNX 0.12.8); keras-jax: Keras 3.15.1 on JAX 0.10.2; "
        "keras-torch: Keras 3.15.1 on PyTorch 2.13.0+cpu." in text
    )
    section = text.split("## Same model code on several backends")[1].split("\n## ")[0]
    assert "keras-jax, keras-torch train tensorflow's models with tensorflow's own loop (mode idiomatic)" in section
    cells = [line.strip("| ").split(" | ") for line in section.splitlines() if line.startswith("|")]
    rows = [row[1:5] + row[6:8] for row in cells]
    assert rows[2:] == [
        ["tensorflow", "TensorFlow 2.21.0 (Keras 3.15.1)", "idiomatic", "the models' own framework, its own loop"]
        + ["4.000 steady epoch", "1.00"],
        ["keras-jax", "Keras 3.15.1 on JAX 0.10.2", "idiomatic", "the same code and loop on jax"]
        + ["2.000 steady epoch", "0.50"],
        ["keras-torch", "Keras 3.15.1 on PyTorch 2.13.0+cpu", "idiomatic", "the same code and loop on torch"]
        + ["8.000 steady epoch", "2.00"],
        ["jax", "JAX 0.10.2 (Flax NNX 0.12.8)", "graph", "native to keras-jax's library", "1.000 steady epoch", "0.25"],
        ["torch", "PyTorch 2.13.0+cpu", "eager", "native to keras-torch's library", "3.000 steady epoch", "0.75"],
        ["torch", "PyTorch 2.13.0+cpu", "idiomatic", "native to keras-torch's library"]
        + ["2.500 steady epoch", "0.62"],
    ]
    assert "- keras-jax (Keras 3.15.1 on JAX 0.10.2) on Python" in text  # the environments list


def test_a_report_without_the_keras_backends_has_no_such_section(tmp_path):
    key, record = fake_record("addition", "torch")
    records.write_record(key.record_path(tmp_path), record)
    report.build([tmp_path], tmp_path)
    assert "Same model code on several backends" not in (tmp_path / "report.md").read_text()
