"""Shared fixtures (the MNIST mirror, a data folder with the MNIST CSVs, environments) and the
marks that make the tiers (pyproject.toml registers them):

- `envs`: needs a framework's virtual environment (set here for every test that uses an
  environment fixture; a test without it that tries to build one fails at once);
- `browser`: drives report.html in headless Chromium (tests/test_report_browser.py);
- `slow`: runs a notebook end to end in a kernel, or uses Ray (minutes).

The fast tier, ``pytest -n 2 -m "not envs and not browser"``, needs neither a framework environment
nor a browser and runs in under a minute on two cores. ``pytest -m "envs and not slow"`` checks
every environment (parity, threads, locks) without the notebook runs; ``pytest -m slow`` runs only
those; ``bash ci/test.sh`` runs everything."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from polybench import PROJECT_ROOT
from polybench.runner import kernels


@pytest.fixture(scope="session")
def mnist_mirror() -> Path | None:
    """The offline MNIST mirror (POLYBENCH_MNIST_MIRROR, else ../shared/data/mnist);
    None means the tests download the files."""
    named = os.environ.get("POLYBENCH_MNIST_MIRROR")
    if named:
        return Path(named)
    beside = PROJECT_ROOT.parent / "shared" / "data" / "mnist"
    return beside if beside.is_dir() else None


@pytest.fixture(scope="session")
def mnist_data_dir(tmp_path_factory, mnist_mirror) -> Path:
    """A data folder holding mnist_train.csv and mnist_test.csv (and their caches)."""
    from polybench.data.prepare import prepare

    data_dir = tmp_path_factory.mktemp("data")
    prepare(["mnist_fcn"], data_dir, mnist_mirror, say=lambda _: None)
    return data_dir


@pytest.fixture(scope="session")
def toy_data_dir(mnist_data_dir) -> Path:
    """The MNIST data folder with every generated task's CSVs added."""
    from polybench.data.prepare import prepare
    from polybench.specs import SPECS

    prepare(list(SPECS), mnist_data_dir, say=lambda _: None)
    return mnist_data_dir


@pytest.fixture(scope="session")
def torch_env() -> Path:
    """The torch environment and kernel, built if missing (the test then takes minutes)."""
    return kernels.ensure("torch", say=lambda _: None)


#: Fixtures that build a framework environment: a test using one is marked `envs`.
ENVIRONMENT_FIXTURES = {"torch_env"}


@pytest.hookimpl(tryfirst=True)  # before pytest-xdist's own hook reads the xdist_group marks
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark `envs` every test that uses an environment fixture (modules that build
    environments themselves mark their tests explicitly). Group each framework's parity tests
    for pytest-xdist (`--dist loadgroup`): their figures come from one process per framework and
    mode, cached in the pytest worker that ran it, so spreading a framework's tests over both
    workers would compute its figures twice."""
    for item in items:
        if ENVIRONMENT_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.envs)
        framework = getattr(getattr(item, "callspec", None), "params", {}).get("framework")
        if item.module.__name__ == "test_parity" and framework is not None:
            item.add_marker(pytest.mark.xdist_group(f"parity-{framework}"))


@pytest.fixture(autouse=True)
def _environments_only_for_envs_tests(request, monkeypatch) -> None:
    """A test without the `envs` mark that tries to build an environment fails at once, with
    how to fix it, instead of slowing the fast tier down by minutes."""
    if request.node.get_closest_marker("envs") is not None:
        return

    def refuse(framework: str, *args, **kwargs):
        raise RuntimeError(
            f"{request.node.nodeid} builds the {framework} environment: mark it "
            "@pytest.mark.envs (or use the torch_env fixture)"
        )

    monkeypatch.setattr(kernels, "ensure", refuse)
