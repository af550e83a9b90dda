"""Lock files: each matches its requirement files, pins every package with hashes, and
`polybench setup` refuses a package whose hash differs from the lock's."""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import subprocess

import pytest

from polybench import cli, locks
from polybench.runner import kernels


def canonical(name: str) -> str:
    """A distribution name in its normalized form (PEP 503): jupyter_client -> jupyter-client."""
    return re.sub(r"[-_.]+", "-", name).lower()


REQUIREMENT = re.compile(r"^([A-Za-z0-9_.-]+)==(\S+) \\$", re.M)


@pytest.mark.parametrize("name", locks.lock_names())
def test_every_lock_matches_its_requirement_files(name):
    assert locks.lock_path(name).is_file(), f"no lock for {name}: run `python -m polybench.runner.locks`"
    assert not locks.stale(name), f"{locks.lock_path(name)} is stale: run `python -m polybench.runner.locks`"


@pytest.mark.parametrize("name", locks.lock_names())
def test_every_locked_package_is_pinned_with_a_hash(name):
    text = locks.lock_path(name).read_text()
    entries = re.split(r"\n(?=[A-Za-z0-9])", text.split("\n", 3)[3])  # one entry per package, header skipped
    assert entries and all(REQUIREMENT.match(e) and "--hash=sha256:" in e for e in entries), name
    sources = "".join(p.read_text() for p in locks.sources(name))
    locked = {canonical(p): v for p, v in REQUIREMENT.findall(text)}
    for package, version in re.findall(r"^([A-Za-z0-9_.-]+)==(\S+)$", sources, re.M):
        assert locked.get(canonical(package)) == version, f"{name}: the lock does not hold {package}=={version}"


@pytest.fixture
def copied_requirements(tmp_path, monkeypatch):
    """The requirement files and locks copied to a temporary folder the lock functions read."""
    shutil.copytree(locks.REQUIREMENTS, tmp_path / "requirements")
    monkeypatch.setattr(locks, "REQUIREMENTS", tmp_path / "requirements")
    monkeypatch.setattr(locks, "LOCKS", tmp_path / "requirements" / "locks")
    return tmp_path / "requirements"


def test_an_edited_requirement_file_makes_its_lock_stale(copied_requirements):
    assert not any(locks.stale(name) for name in locks.lock_names())
    torch = copied_requirements / "torch.txt"
    torch.write_text(torch.read_text().replace("numpy==2.4.6", "numpy==2.4.5"))
    assert [name for name in locks.lock_names() if locks.stale(name)] == ["torch"]
    kernel = copied_requirements / "kernel.txt"  # included by every framework's file
    kernel.write_text(kernel.read_text() + "rich==14.0.0\n")
    assert [name for name in locks.lock_names() if locks.stale(name)] == [
        n for n in locks.lock_names() if n not in ("base", "chainer-build", "dynet-build", "dynet")
    ]
    assert locks.main(["--check"]) == 1


def test_a_changed_lock_makes_an_environment_unready(copied_requirements, tmp_path, monkeypatch):
    monkeypatch.setenv("POLYBENCH_ENV_DIR", str(tmp_path / "envs"))
    before = kernels.lock_hash("torch")
    lock = copied_requirements / "locks" / "torch.txt"
    lock.write_text(lock.read_text() + "\n")
    assert kernels.lock_hash("torch") != before


@pytest.mark.envs
def test_a_package_with_another_hash_is_refused(copied_requirements, tmp_path, monkeypatch, capsys):
    """A lock line whose hash is not the real file's: setup stops with one line naming its log,
    and the environment is not marked ready."""
    lock = copied_requirements / "locks" / "torch.txt"
    text = lock.read_text()
    entry = re.search(r"^pure-eval==\S+ \\\n(    --hash=sha256:\w+ ?\\?\n)+", text, re.M).group(0)
    forged = hashlib.sha256(b"not the real wheel").hexdigest()
    lock.write_text(text.replace(entry, entry.split(" ")[0] + f" \\\n    --hash=sha256:{forged}\n"))
    monkeypatch.setenv("POLYBENCH_ENV_DIR", str(tmp_path / "envs"))
    code = cli.main(["setup", "--framework", "torch"])
    err = capsys.readouterr().err.strip().splitlines()
    log = tmp_path / "envs" / "torch" / "setup.log"
    assert code == 1
    assert len(err) == 1 and err[0].startswith("polybench: error: ") and str(log) in err[0]
    assert "pure-eval" in err[0] and "hash" in err[0].lower()
    assert not (tmp_path / "envs" / "torch" / kernels.MARKER).exists()
    assert not kernels.is_ready("torch")


def test_an_environment_holds_exactly_its_locked_packages(torch_env):
    """What the kernel reports as installed (what records carry) is the lock, package for package."""
    done = subprocess.run(
        [
            str(torch_env),
            "-c",
            "import json; from polybench.notebook import machine; print(json.dumps(machine.environment_lock()))",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    seen = json.loads(done.stdout)
    locked = {canonical(p): v for p, v in REQUIREMENT.findall(locks.lock_path("torch").read_text())}
    assert seen["lock"] == "torch" and seen["lock_hash"] == kernels.lock_hash("torch")
    assert {p: v for p, v in seen["packages"].items() if p != "polybench"} == locked
