"""Every framework's environment builds and imports its framework, with its kernel."""

from __future__ import annotations

import json
import re

import pytest

from polybench import PROJECT_ROOT
from polybench.frameworks import FRAMEWORKS
from polybench.runner import kernels

pytestmark = pytest.mark.envs


def pinned_version(framework: str) -> str:
    text = (PROJECT_ROOT / "requirements" / f"{framework}.txt").read_text()
    package = {"tensorflow": "tensorflow-cpu"}.get(framework, framework)
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
