"""The command line: one-line errors with exit status 2, listing, help."""

from __future__ import annotations

import subprocess
import sys

import pytest

from polybench import PROJECT_ROOT, cli


def polybench(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "polybench.cli", *args],
        capture_output=True,
        text=True,
        cwd=PROJECT_ROOT,
        timeout=120,
        stdin=subprocess.DEVNULL,
    )


RUN = ["run", "--framework", "torch"]


# One bad value (or more) for every option of every command; none of them starts any work.
@pytest.mark.parametrize(
    "args, expected",
    [
        (
            ["run", "--framework", "theano"],
            "unknown framework 'theano' (choose from: torch, tensorflow, mxnet, chainer, jax, pytensor, keras-jax, "
            "keras-torch, all)",
        ),
        (
            ["run", "--framework", ","],
            "no framework given (choose from: torch, tensorflow, mxnet, chainer, jax, pytensor, keras-jax, "
            "keras-torch, all)",
        ),
        (["run"], "the following arguments are required: --framework"),
        (RUN + ["--model", "resnet"], "unknown model 'resnet' (choose from: mnist_fcn, mnist_cnn"),
        (RUN + ["--model", "mnist_fcn,,resnet"], "unknown model 'resnet'"),
        (RUN + ["--mode", "lazy"], "unknown mode 'lazy' (choose from: eager"),
        (RUN + ["--profile", "fast"], "unknown profile 'fast' (choose from: quick, full)"),
        (RUN + ["--device", "tpu"], "unknown device 'tpu' (choose from: auto, cpu, gpu)"),
        (RUN + ["--seeds", "x"], "--seeds 'x': give a count (3) or a list of distinct seeds >= 0 (0,1,2)"),
        (RUN + ["--seeds", "0"], "--seeds must be at least 1"),
        (RUN + ["--seeds", "1,,2"], "--seeds '1,,2': give a count (3) or a list"),
        (RUN + ["--seeds=-1,2"], "--seeds '-1,2': give a count (3) or a list of distinct seeds >= 0"),
        (RUN + ["--seeds", "3,3"], "--seeds '3,3': give a count (3) or a list of distinct seeds >= 0"),
        (RUN + ["--threads", "two"], "argument --threads: invalid int value: 'two'"),
        (RUN + ["--threads", "0"], "--threads must be a positive number, got 0"),
        (RUN + ["--epochs", "0"], "--epochs must be a positive number, got 0"),
        (RUN + ["--epochs", "1.5"], "argument --epochs: invalid int value: '1.5'"),
        (RUN + ["--batch-size", "-8"], "--batch-size must be a positive number, got -8"),
        (RUN + ["--batch-size", "big"], "argument --batch-size: invalid int value: 'big'"),
        (RUN + ["--time-limit", "soon"], "argument --time-limit: invalid float value: 'soon'"),
        (RUN + ["--time-limit", "nan"], "--time-limit must be a positive number, got nan"),
        (RUN + ["--time-limit", "inf"], "--time-limit must be a positive number, got inf"),
        (RUN + ["--time-limit", "-5"], "--time-limit must be a positive number, got -5.0"),
        (RUN + ["--out", "/dev/null/run"], "--out /dev/null/run: cannot write there (Not a directory)"),
        (RUN + ["--model", "echo", "--mnist-from", "/no/mirror"], "MNIST mirror folder /no/mirror does not exist"),
        (RUN + ["--frobnicate"], "unrecognized arguments: --frobnicate"),
        (RUN + ["--threads"], "argument --threads: expected one argument"),
        (
            RUN + ["--mode", "graph", "--compiler-option", "xla"],
            "--compiler-option: torch graph has no compiler option 'xla' "
            "(its options: max-autotune, pad, bucket, exact, by-height, scan)",
        ),
        (RUN + ["--compiler-option", "max-autotune"], "torch eager has no compiler option 'max-autotune'"),
        (RUN + ["--compiler-option", ","], "no compiler option given"),
        (["setup", "--framework", "theano"], "unknown framework 'theano'"),
        (["setup"], "the following arguments are required: --framework"),
        (["data", "--mnist-from", "/no/such/mirror"], "MNIST mirror folder /no/such/mirror does not exist"),
        (["data", "--model", "resnet"], "unknown model 'resnet'"),
        (["data", "--force=yes"], "argument --force: ignored explicit argument 'yes'"),
        (["report", "/no/such/run"], "run folder /no/such/run does not exist"),
        (["report"], "the following arguments are required: RUN_DIR"),
        (["report", ".", "--out", "/dev/null/report"], "--out /dev/null/report: cannot write there (Not a directory)"),
        (["report", ".", "ci"], "several run folders: say where the combined report goes with --out DIR"),
        (["list", "--all"], "unrecognized arguments: --all"),
        (["frobnicate"], "invalid choice: 'frobnicate'"),
    ],
)
def test_usage_errors_are_one_line_with_status_2(args, expected, capsys, monkeypatch):
    monkeypatch.chdir(PROJECT_ROOT)  # where `polybench report .` finds run folders
    assert cli.main(args) == 2
    out, err = capsys.readouterr()
    assert out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("polybench: error: ") and expected in lines[0]


def test_a_usage_error_from_the_command_line_is_one_line_with_status_2():
    """The same, through the installed entry point in a fresh process (the cases above call it in
    this one): exit status 2, one line, no traceback."""
    done = polybench("run", "--framework", "torch", "--mode", "lazy")
    assert done.returncode == 2 and done.stdout == ""
    [line] = done.stderr.strip().splitlines()
    assert line.startswith("polybench: error: unknown mode 'lazy' (choose from: eager")


def test_list_shows_models_frameworks_and_environments():
    done = polybench("list")
    assert done.returncode == 0
    assert "mnist_fcn" in done.stdout and "mnist_cnn" in done.stdout and "[torch" in done.stdout
    for framework in ("torch", "tensorflow", "mxnet", "chainer", "jax", "pytensor", "keras-jax", "keras-torch"):
        assert f"  {framework}" in done.stdout
    assert "; Keras 3 on JAX, mode idiomatic only" in done.stdout
    assert "; PyTensor, mode graph and idiomatic only" in done.stdout
    assert "[torch, tensorflow, mxnet, chainer, jax, pytensor, keras-jax, keras-torch]" in done.stdout  # mnist_fcn's
    assert "[torch, tensorflow, mxnet, chainer, jax, pytensor]" in done.stdout  # var_addition's: no Keras backend
    assert "all:        torch, tensorflow, mxnet, chainer, jax (name the others to run them)" in done.stdout
    assert "profiles:   quick, full" in done.stdout


def test_all_means_the_five_native_frameworks_and_the_keras_backends_run_when_named(tmp_path, monkeypatch):
    """`polybench run --framework all` plans the five native frameworks only, so the default run's
    time does not grow; the Keras backends are planned when named, in Keras' own loop."""
    from polybench import cli
    from polybench.data import prepare

    planned = []
    monkeypatch.setattr(cli, "_run_in", lambda plan, run_dir, keys, executor: planned.append(keys) or 0)
    monkeypatch.setattr(cli, "look_at_the_machine", lambda args, fresh: None)
    monkeypatch.setattr(prepare, "prepare", lambda *args, **kwargs: None)
    for n, named in enumerate(("all", "keras-jax,keras-torch")):
        assert cli.main(["run", "--framework", named, "--model", "echo", "--out", str(tmp_path / str(n))]) == 0
    every, keras = [[(key.framework, key.mode) for key in keys] for keys in planned]
    assert [fw for fw, _ in every] == ["torch", "tensorflow", "mxnet", "chainer", "jax"]
    assert keras == [("keras-jax", "idiomatic"), ("keras-torch", "idiomatic")]


def test_help_names_every_command():
    done = polybench("--help")
    assert done.returncode == 0
    for command in ("setup", "data", "run", "report", "compare", "list"):
        assert command in done.stdout


def test_default_mode_is_each_frameworks_own_and_all_means_every_mode():
    """No --mode: every framework trains in its DEFAULT_MODES mode; "all" never includes "default"."""
    from polybench import frameworks, runner
    from polybench.cli import choose

    plan = runner.Plan(frameworks=list(frameworks.FRAMEWORKS), models=["echo"], modes=["default"], seeds=[0])
    assert {(key.framework, key.mode) for key in plan.keys()} == {
        ("torch", "eager"),
        ("tensorflow", "graph"),
        ("mxnet", "graph"),
        ("chainer", "graph"),
        ("jax", "graph"),
        ("pytensor", "graph"),  # define-and-run: no eager mode
        ("keras-jax", "idiomatic"),  # Keras' own loop: the only one the Keras backends run
        ("keras-torch", "idiomatic"),
    }
    assert choose("all", frameworks.MODES + ("default",), "mode", every=frameworks.MODES) == list(frameworks.MODES)
    # "default" beside the mode it stands for trains that mode once
    assert [key.mode for key in runner.Plan(["torch"], ["echo"], ["default", "eager"], [0]).keys()] == ["eager"]
    assert "chainer graph" in " ".join(polybench("run", "--help").stdout.split())


def test_a_framework_may_name_another_default_mode_for_a_model():
    from polybench import frameworks, runner

    plan = runner.Plan(["chainer"], ["echo", "tree_eval"], ["default"], [0])
    assert [(key.model, key.mode) for key in plan.keys()] == [("echo", "graph"), ("tree_eval", "eager")]
    assert frameworks.modes_for("chainer", ["default"]) == ["graph", "eager"]  # every model's default
    assert frameworks.default_mode("chainer", "tree_eval") == "eager" and frameworks.default_mode("chainer") == "graph"
    listed = polybench("list").stdout
    assert "chainer tree_eval: eager (its static graph traces a new schedule" in listed
