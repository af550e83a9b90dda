"""One folder per framework, one module per model; this module is their registry.

Importing it imports no framework: a framework is imported only in its own
environment, when its runtime is asked for.
"""

from __future__ import annotations

import importlib
import importlib.util

from polybench.frameworks.base import Framework, Runtime

FRAMEWORKS = ("torch", "tensorflow", "mxnet", "chainer", "jax")
#: Execution modes: "eager" is each framework's imperative (define-by-run) execution,
#: "graph" its compiled or symbolic one (torch.compile, tf.function, Gluon hybridize,
#: Chainer static_graph, jax.jit through nnx.jit), both through the shared loop; "idiomatic" is the framework's own
#: documented training loop (frameworks/<name>/idiomatic.py) on the same model, weights and data.
MODES = ("eager", "graph", "idiomatic")
#: What each framework package declares about itself (its ``__init__``: no framework import).
DECLARED: dict[str, Framework] = {
    name: importlib.import_module(f"polybench.frameworks.{name}").FRAMEWORK for name in FRAMEWORKS
}
#: What `polybench run` trains when --mode is not given ("default"): per framework, the shared-loop
#: mode that trains all eight full-profile models to their targets inside their time limits, fastest
#: first; each package says why (``Framework.default_reason``).
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
    module = importlib.import_module(f"polybench.frameworks.{check_framework(name)}.runtime")
    return module.RUNTIME


def has_implementation(framework: str, model: str) -> bool:
    """Whether ``framework`` has a module for ``model`` (checked without importing it)."""
    return importlib.util.find_spec(f"polybench.frameworks.{check_framework(framework)}.{model}") is not None
