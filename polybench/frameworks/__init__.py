"""One folder per framework, one module per model; this module is their registry.

Importing it imports no framework: a framework is imported only in its own
environment, when its runtime is asked for.
"""

from __future__ import annotations

import importlib
import importlib.util

from polybench.frameworks.base import Framework, Runtime

#: Every framework, by registry name, in the order tables list them: the five with implementations
#: of their own, PyTensor (define-and-run: graph mode and its own loop only), then Keras 3 on its
#: JAX and PyTorch backends, which train the TensorFlow package's Keras models with Keras' own fit
#: (``Framework.models_from``). A name's package is the name with "_" for "-" (``package``).
FRAMEWORKS = ("torch", "tensorflow", "mxnet", "chainer", "jax", "pytensor", "keras-jax", "keras-torch")
#: What ``--framework all`` means: the five frameworks with implementations of their own. PyTensor and
#: the Keras backends run when named, so the default run's time stays what it was.
ALL = ("torch", "tensorflow", "mxnet", "chainer", "jax")
#: Execution modes: "eager" is each framework's imperative (define-by-run) execution,
#: "graph" its compiled or symbolic one (torch.compile, tf.function, Gluon hybridize,
#: Chainer static_graph, jax.jit through nnx.jit), both through the shared loop; "idiomatic" is the framework's own
#: documented training loop (frameworks/<name>/idiomatic.py) on the same model, weights and data.
MODES = ("eager", "graph", "idiomatic")


def package(name: str) -> str:
    """The dotted name of a framework's package: ``polybench.frameworks.keras_jax`` for "keras-jax"."""
    return f"polybench.frameworks.{name.replace('-', '_')}"


#: What each framework package declares about itself (its ``__init__``: no framework import).
DECLARED: dict[str, Framework] = {name: importlib.import_module(package(name)).FRAMEWORK for name in FRAMEWORKS}
#: What `polybench run` trains when --mode is not given ("default"): per framework, the shared-loop
#: mode that trains the full-profile models to their targets inside their time limits, fastest
#: first (the Keras backends: Keras' own fit, the only loop they run); each package says why
#: (``Framework.default_reason``).
DEFAULT_MODES = {name: framework.default_mode for name, framework in DECLARED.items()}
#: How readers call each framework.
DISPLAY_NAMES = {name: framework.display_name for name, framework in DECLARED.items()}
DEFAULT = "default"


def default_mode(framework: str, model: str | None = None) -> str:
    """The mode `polybench run` trains ``framework`` in when --mode is not given: its DEFAULT_MODES
    entry, or the model's own where the framework names one (``Framework.model_default_modes``)."""
    override = DECLARED[framework].model_default_modes.get(model) if model else None
    return override[0] if override else DEFAULT_MODES[framework]


def modes_for(framework: str, modes: list[str], model: str | None = None) -> list[str]:
    """The modes a plan's ``modes`` mean for ``framework`` (and ``model``): "default" becomes its
    default mode; repeats are dropped, order kept. Without a model, "default" stands for every
    model's default mode."""
    defaults = (
        [default_mode(framework, model)]
        if model
        else [DEFAULT_MODES[framework], *(mode for mode, _ in DECLARED[framework].model_default_modes.values())]
    )
    return list(dict.fromkeys(mode for m in modes for mode in (defaults if m == DEFAULT else [m])))


def check_compiler_option(framework: str, mode: str, name: str | None) -> str | None:
    """``name`` if ``framework`` declares it as a compiler option of ``mode`` (None: the mode's
    default, always fine); a ValueError lists the options there are."""
    if name is None:
        return None
    declared = DECLARED[framework].compiler_options.get(mode, {})
    if name not in declared:
        there = ", ".join(declared) or "none"
        raise ValueError(f"{framework} {mode} has no compiler option {name!r} (its options: {there})")
    return name


def check_framework(name: str) -> str:
    """``name`` if it is a known framework; a ValueError lists the valid names."""
    if name not in FRAMEWORKS:
        raise ValueError(f"unknown framework {name!r} (choose from: {', '.join(FRAMEWORKS)}, all)")
    return name


def runtime(name: str) -> Runtime:
    """The framework's Runtime (imports the framework)."""
    module = importlib.import_module(f"{package(check_framework(name))}.runtime")
    return module.RUNTIME


def models_package(framework: str) -> str:
    """The dotted name of the package holding the model modules ``framework`` runs."""
    return package(DECLARED[check_framework(framework)].models_from or framework)


def has_implementation(framework: str, model: str) -> bool:
    """Whether ``framework`` has a module for ``model`` (checked without importing it)."""
    declared = DECLARED[check_framework(framework)]
    if declared.models and model not in declared.models:
        return False
    return importlib.util.find_spec(f"{models_package(framework)}.{model}") is not None


def unsupported_reason(framework: str, model: str, mode: str) -> str | None:
    """Why ``framework`` does not run ``model`` in ``mode`` (None: it does), read without importing it."""
    declared = DECLARED[check_framework(framework)]
    if mode in declared.unsupported_modes:
        return f"{framework} runs no {mode} mode: {declared.unsupported_modes[mode]}"
    if not has_implementation(framework, model):
        if declared.models and model not in declared.models:
            return f"{framework} does not run {model}: {declared.models_reason}"
        return f"polybench has no {framework} implementation of {model} yet"
    return None


def system(framework: str, versions: dict[str, str]) -> str | None:
    """The system a record of ``framework`` ran, with the versions it recorded ("Keras 3.15.1 on
    JAX 0.10.2"); None when the record does not say (a run that never started the framework, or a
    framework this registry does not know)."""
    declared = DECLARED.get(framework)
    return declared.system_of(versions) if declared else None
