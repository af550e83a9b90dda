"""Every framework's environment builds and imports its framework, with its kernel."""

from __future__ import annotations

import json
import re
import subprocess

import pytest

from polybench import PROJECT_ROOT
from polybench.frameworks import DECLARED, FRAMEWORKS
from polybench.runner import kernels

pytestmark = pytest.mark.envs


def pinned_version(framework: str) -> str:
    """The version of the framework's module (Keras for keras-jax) its requirement file pins."""
    text = (PROJECT_ROOT / "requirements" / f"{framework}.txt").read_text()
    package = {"tensorflow": "tensorflow-cpu"}.get(framework, DECLARED[framework].import_name)
    return re.search(rf"^{package}==([^\s+]+)", text, re.M).group(1)


@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_framework_imports_in_its_own_environment(framework):
    kernels.ensure(framework, say=lambda _: None)
    assert kernels.is_ready(framework)
    version = kernels.import_check(framework)
    assert version.split("+")[0] == pinned_version(framework)
    spec = json.loads((kernels.kernel_dir(framework) / "kernel.json").read_text())
    assert spec["argv"][0] == str(kernels.env_python(framework))


def test_a_changed_lock_makes_an_environment_stale(monkeypatch):
    kernels.ensure("torch", say=lambda _: None)
    assert kernels.is_ready("torch")
    monkeypatch.setattr(kernels, "lock_hash", lambda framework: "something else")
    assert not kernels.is_ready("torch")


def test_setup_adopts_an_interpreter_that_already_has_the_framework(tmp_path, monkeypatch):
    """`polybench setup --python PATH`: a machine image's Python (itself a virtual environment,
    as the locked one is here) becomes the framework's environment; nothing is installed, the
    marker names no lock, and the kernel runs it with polybench importable."""
    locked = kernels.ensure("torch", say=lambda _: None)
    monkeypatch.setenv("POLYBENCH_ENV_DIR", str(tmp_path / "envs"))
    monkeypatch.setattr(kernels.sys, "prefix", str(tmp_path / "orchestrator"))  # the kernel spec goes there
    python = kernels.adopt("torch", locked, say=lambda _: None)
    assert python == tmp_path / "envs" / "torch" / "bin" / "python"
    marker = json.loads((tmp_path / "envs" / "torch" / "polybench-ready.json").read_text())
    assert marker["lock"] is None and marker["lock_hash"] is None and marker["adopted"] == str(locked)
    assert kernels.is_ready("torch")
    spec = json.loads((kernels.kernel_dir("torch") / "kernel.json").read_text())
    assert spec["argv"][0] == str(python) and str(tmp_path / "orchestrator") in str(kernels.kernel_dir("torch"))
    shown = subprocess.run(
        [str(python), "-c", "import sys, torch, polybench; print(torch.__version__, sys.prefix)"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert shown == [kernels.import_check("torch"), str(tmp_path / "envs" / "torch")]
    assert shown[0].split("+")[0] == pinned_version("torch")
    with pytest.raises(kernels.PolybenchError, match="no such interpreter"):
        kernels.adopt("torch", tmp_path / "missing" / "python", say=lambda _: None)
