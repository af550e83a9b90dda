"""The command line: one-line errors with exit status 2, listing, help."""

from __future__ import annotations

import subprocess
import sys

import pytest

from polybench import PROJECT_ROOT


def polybench(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "polybench.cli", *args], capture_output=True, text=True,
                          cwd=PROJECT_ROOT, timeout=120, stdin=subprocess.DEVNULL)


@pytest.mark.parametrize("args, expected", [
    (["run", "--framework", "jax"], "unknown framework 'jax' (choose from: torch, tensorflow, mxnet, chainer, all)"),
    (["run", "--framework", "torch", "--model", "resnet"], "unknown model 'resnet' (choose from: mnist_fcn, mnist_cnn"),
    (["run", "--framework", "torch", "--profile", "fast"], "unknown profile 'fast' (choose from: quick, full)"),
    (["run", "--framework", "torch", "--device", "tpu"], "unknown device 'tpu' (choose from: auto, cpu, gpu)"),
    (["run", "--framework", "torch", "--mode", "lazy"], "unknown mode 'lazy' (choose from: eager"),
    (["run", "--framework", "torch", "--seeds", "x"], "--seeds 'x': give a count (3) or a list (0,1,2)"),
    (["run", "--framework", "torch", "--epochs", "0"], "--epochs must be positive"),
    (["run"], "the following arguments are required: --framework"),
    (["setup", "--framework", "theano"], "unknown framework 'theano'"),
    (["report", "/no/such/run"], "run folder /no/such/run does not exist"),
    (["data", "--mnist-from", "/no/such/mirror"], "MNIST mirror folder /no/such/mirror does not exist"),
    (["frobnicate"], "invalid choice: 'frobnicate'"),
])
def test_usage_errors_are_one_line_with_status_2(args, expected):
    done = polybench(*args)
    assert done.returncode == 2
    assert done.stdout == ""
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("polybench: error: ") and expected in lines[0]


def test_list_shows_models_frameworks_and_environments():
    done = polybench("list")
    assert done.returncode == 0
    assert "mnist_fcn" in done.stdout and "mnist_cnn" in done.stdout and "[torch" in done.stdout
    for framework in ("torch", "tensorflow", "mxnet", "chainer"):
        assert f"  {framework}" in done.stdout
    assert "profiles:   quick, full" in done.stdout


def test_help_names_every_command():
    done = polybench("--help")
    assert done.returncode == 0
    for command in ("setup", "data", "run", "report", "compare", "list"):
        assert command in done.stdout
