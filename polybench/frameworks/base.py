"""What every framework supplies: a runtime (threads, device, versions) and one
Implementation per model. The loop and the notebooks talk to these classes only.

Each framework package also declares its facts (``Framework``) in its ``__init__``, which
imports no framework, so the orchestrator reads them without the framework installed.
"""

from __future__ import annotations

import abc
import dataclasses
import importlib
import importlib.util
import os
import string
import sys
import time
from collections.abc import Callable
from typing import Any, ClassVar, NamedTuple

import numpy as np

from polybench.errors import PolybenchError, UnsupportedError
from polybench.specs.base import Adam, Spec, Split

#: What compiled a run: the ``name`` of a record's ``compiler``, one vocabulary for every framework.
#: The entry's ``options`` are the arguments of the call that compiled it, as resolved at run time
#: (``via`` names that call where several lead to the same compiler).
COMPILERS = {
    "none": "eager execution: every operation runs as the Python code calls it",
    "inductor": "torch.compile with its default backend, TorchInductor (options: mode)",
    "xla": "XLA: TensorFlow's tf.function(jit_compile=True), Keras' fit with jit_compile resolved to True, "
    "or JAX's jit (options: via, e.g. tf.function, keras.Model.fit, nnx.jit, and that call's settings)",
    "tf.function": "a TensorFlow graph optimised by grappler, without XLA (options: via, jit_compile False, ...)",
    "hybridize": "Gluon's HybridBlock.hybridize: a cached symbolic graph (options: static_alloc, static_shape)",
    "chainer.static_graph": "Chainer's static subgraph (@chainer.static_graph): traced once, then replayed",
    "pytensor.function": "PyTensor's compiled function: a symbolic graph, rewritten, then compiled by a linker "
    "(options: mode and linker: CVM, Theano's C virtual machine, or NUMBA)",
}

#: A compiler option's value: what a JSON record holds.
OptionValue = str | int | float | bool | None


def compiler(name: str, **options: OptionValue) -> dict:
    """A record's ``compiler`` entry: ``name`` from COMPILERS and the ``options`` it ran with."""
    if name not in COMPILERS:
        raise ValueError(f"unknown compiler {name!r} (choose from: {', '.join(COMPILERS)})")
    return {"name": name, "options": options}


@dataclasses.dataclass(frozen=True)
class Framework:
    """What a framework package declares about itself in its ``__init__`` (no framework import)."""

    #: Registry name: "torch", "keras-jax"; its package's name is the same with "_" for "-".
    name: str
    #: How readers call it: "PyTorch".
    display_name: str
    #: The mode ``polybench run`` trains when --mode is not given (a shared-loop mode, except for a
    #: framework that runs only its own loop) ...
    default_mode: str
    #: ... and why that one.
    default_reason: str
    #: Per mode ("eager", "graph", "idiomatic"), the COMPILERS names a run in that mode can record,
    #: the usual one first (which one a run takes is resolved at run time, e.g. XLA or not).
    compilers: dict[str, tuple[str, ...]]
    #: Per mode, the named compiler options a user of the framework would try instead of the
    #: mode's default compilation ("xla": "..."), each with what it changes; `polybench run
    #: --compiler-option NAME` runs them, and the report compares them with the default.
    compiler_options: dict[str, dict[str, str]] = dataclasses.field(default_factory=dict)
    #: Environment variables that name the framework's on-disk compile cache; the runner points
    #: each at an empty folder per run, so a first graph epoch shows the cold compile a new user
    #: pays, not what an earlier run left behind.
    compile_cache_env: tuple[str, ...] = ()
    #: Modes it does not run, each with why: such a run is recorded ``unsupported`` with that
    #: reason, before any kernel starts. Every mode is either here or in ``compilers``.
    unsupported_modes: dict[str, str] = dataclasses.field(default_factory=dict)
    #: The framework whose model modules it runs (None: its own package's): Keras on JAX runs the
    #: TensorFlow package's Keras models.
    models_from: str | None = None
    #: The models it runs where its package (or ``models_from``'s) has more, or where it has not
    #: written them all (empty: every model there), and why not the others.
    models: tuple[str, ...] = ()
    models_reason: str = ""
    #: The framework native to the library it runs the models on (Keras on JAX: "jax"), whose rows
    #: the report sets beside its own.
    native: str | None = None
    #: Environment variables its process needs before the framework is imported (Keras' backend):
    #: in its kernel's spec, and set by its runtime module.
    environment: dict[str, str] = dataclasses.field(default_factory=dict)
    #: The module whose import proves the environment works, and whose ``__version__`` the
    #: environment's marker keeps (None: the registry name).
    module: str | None = None
    #: The system a reader compares, with its versions: a format string over a record's
    #: ``environment.versions`` ("PyTorch {torch}", "Keras {keras} on JAX {jax}"); the report's
    #: legends and README's framework table name frameworks this way.
    system: str = ""
    #: Models whose default mode differs from ``default_mode``: model -> (mode, why). A dynamic model
    #: can invert a framework's trade-off (its graph mode tracing a new shape nearly every batch).
    model_default_modes: dict[str, tuple[str, str]] = dataclasses.field(default_factory=dict)

    def __post_init__(self) -> None:
        unknown = {name for names in self.compilers.values() for name in names} - set(COMPILERS)
        if unknown:
            raise ValueError(f"{self.name}: unknown compiler(s) {', '.join(sorted(unknown))}")
        if set(self.compiler_options) - set(self.compilers):
            raise ValueError(f"{self.name}: compiler options for a mode it does not declare")
        if set(self.unsupported_modes) & set(self.compilers):
            raise ValueError(f"{self.name}: a mode both declared and unsupported")
        if self.default_mode not in self.compilers:
            raise ValueError(f"{self.name}: its default mode {self.default_mode!r} is one it does not run")

    @property
    def import_name(self) -> str:
        """The module that stands for the framework in its environment (``module``, else the name)."""
        return self.module or self.name

    def apply_environment(self) -> None:
        """Set ``environment`` in this process, before the framework is imported (its runtime module
        does it first); a PolybenchError when the framework's module was imported already under
        other settings (Keras picks its backend once, on import)."""
        for name, value in self.environment.items():
            if os.environ.get(name) != value and self.import_name in sys.modules:
                raise PolybenchError(
                    f"{self.name} needs {name}={value}, but {self.import_name} was imported already with "
                    f"{name}={os.environ.get(name)}; run it in a fresh process"
                )
            os.environ[name] = value

    def system_of(self, versions: dict[str, str]) -> str | None:
        """``system`` filled in from a record's versions; None when they lack one it names (a record
        the runner wrote for a run that never started the framework)."""
        template = self.system or self.display_name
        names = {field for _, field, _, _ in string.Formatter().parse(template) if field}
        return template.format(**versions) if names <= set(versions) else None


#: Rows of a split per prediction batch (eval outputs of a whole split, off the clock).
PREDICT_BATCH = 256


class Loaded(NamedTuple):
    """A split as ``load_data`` left it: the host split, its inputs on the device (None when the
    split is compact and rendered per batch) and its targets on the device."""

    split: Split
    x: Any
    y: Any


class Implementation(abc.ABC):
    """One framework's version of one spec, built from the spec's canonical weights.

    Data goes to the device once (``load_data``); training steps receive row indices
    into the loaded train split. The running training loss stays on the device until
    ``take_train_loss`` reads it, so no step forces a host sync.

    The same things carry the same names in every framework: ``model`` (the framework's
    module, block or chain), ``device`` (the framework's own device object, from
    ``Runtime.device_of``), ``data`` (the loaded splits), ``batch`` (a batch's inputs and
    targets on the device, which the framework's own loop uses too).
    """

    #: The framework's runtime (each framework's base class sets it).
    runtime: ClassVar[Runtime]
    #: The named compiler option this class compiles with (None: the mode's default); see
    #: ``with_compiler_option``.
    compiler_option: ClassVar[str | None] = None

    @classmethod
    def compiler_option_settings(cls, name: str) -> dict[str, Any]:
        """The class attributes that make this implementation compile with the named option (one
        the framework declares in ``Framework.compiler_options``). A declared option that does
        not apply to this model (a dynamic model's strategy asked of a fixed-shape one) makes the
        run unsupported, saying so."""
        model = cls.__module__.rsplit(".", 1)[-1]
        raise UnsupportedError(f"compiler option {name!r} does not apply to {model}")

    @classmethod
    def with_compiler_option(cls, name: str | None) -> type[Implementation]:
        """This implementation compiled with the named option (a subclass whose class attributes
        say how), or itself for None."""
        if name is None:
            return cls
        settings = {**cls.compiler_option_settings(name), "compiler_option": name, "__module__": cls.__module__}
        return type(cls.__name__, (cls,), settings)

    def __init__(
        self,
        spec: Spec,
        params: dict[str, np.ndarray],
        optimizer: Adam,
        device: str,
        dropout: bool = True,
        mode: str = "eager",
    ) -> None:
        """Build the model from ``params`` (canonical names and layouts) on ``device``.

        ``dropout=False`` builds it without dropout (training-parity tests). ``mode`` is
        "eager" or "graph"; an implementation that cannot run the model in graph mode
        raises polybench.errors.UnsupportedError saying why.
        """
        self.spec = spec
        self.adam = optimizer  # the spec's optimizer: set_learning_rate follows its schedule
        self.device = self.runtime.device_of(device)
        self.mode = mode
        self.dropout_rates = dict(spec.dropout) if dropout else {}
        self.data: dict[str, Loaded] = {}
        self.loss_samples = 0  # samples stepped since the last take_train_loss (train_step counts them)

    @abc.abstractmethod
    def build(self, params: dict[str, np.ndarray]) -> Any:
        """The model (the framework's module, block or chain) holding the canonical weights."""

    @abc.abstractmethod
    def load_data(self, splits: dict[str, Split]) -> None:
        """Convert every split to framework tensors on the device, once, outside the clock
        (``self.data``)."""

    @abc.abstractmethod
    def device_inputs(self, x: np.ndarray) -> Any:
        """A host batch of model inputs (canonical layout) on the device, in the model's layout."""

    @abc.abstractmethod
    def batch(self, split: str, rows: Any) -> tuple[Any, Any]:
        """Inputs and targets of ``rows`` of a loaded split on the device: gathered there, or
        rendered on the host when the split is compact. ``rows`` are host row numbers, or the
        framework's own index tensor where its own loop draws them."""

    def set_learning_rate(self, rate: float) -> None:
        """Train the next steps at ``rate`` (the spec's schedule, set before each epoch)."""
        raise NotImplementedError(f"{type(self).__name__} cannot change its learning rate")

    @abc.abstractmethod
    def train_step(self, index: np.ndarray) -> None:
        """One optimizer step on the loaded train rows ``index``; adds the batch loss to the
        device-side running sum and counts the samples in ``loss_samples``."""

    @abc.abstractmethod
    def take_loss_sum(self) -> float:
        """The device-side running loss sum, read back to the host; sets it to zero."""

    def take_train_loss(self) -> float:
        """Mean training loss over the samples stepped since the last call; resets the sum."""
        mean = self.take_loss_sum() / max(self.loss_samples, 1)
        self.loss_samples = 0
        return mean

    @abc.abstractmethod
    def evaluate(self, inputs: Any) -> Any:
        """Eval-mode model outputs (no dropout, no gradients) of a device batch, on the device."""

    @abc.abstractmethod
    def to_host(self, outputs: list) -> np.ndarray:
        """Device batches of outputs, concatenated along the batch axis, as one host array."""

    def predict(self, split: str) -> np.ndarray:
        """Eval-mode model outputs for a whole loaded split, as a host array."""
        n = len(self.data[split].split)
        batches = (np.arange(i, min(i + PREDICT_BATCH, n)) for i in range(0, n, PREDICT_BATCH))
        return self.to_host([self.evaluate(self.batch(split, rows)[0]) for rows in batches])

    def forward(self, x: np.ndarray) -> np.ndarray:
        """Eval-mode model outputs for a host batch (parity tests), as a float32 array."""
        return self.to_host([self.evaluate(self.device_inputs(np.asarray(x, dtype=np.float32)))])

    @abc.abstractmethod
    def sync(self) -> None:
        """Block until all work queued on the device is done."""

    @abc.abstractmethod
    def compiler(self) -> dict:
        """What compiled this implementation's step, resolved as it runs: ``compiler(name, **options)``
        with a name from COMPILERS ("none" in eager mode)."""

    def details(self) -> dict:
        """What the implementation resolved at run time that the record should keep (e.g.
        whether graph mode compiled with XLA); empty when nothing."""
        return {}

    def reset_peak_memory(self) -> None:  # noqa: B027 (an optional hook: nothing to reset without a counter)
        """Start the framework's own device-memory peak counter afresh (if it has one)."""

    def peak_memory_bytes(self) -> int | None:
        """The framework's own device-memory peak since the last reset; None if it has none
        (or runs on the CPU)."""
        return None


#: What an idiomatic loop reports after each epoch: (epoch, mean training loss, seconds on the clock).
AfterEpoch = Callable[[int, float, float], None]


class IdiomaticTrainer(abc.ABC):
    """A framework's own documented training loop (mode "idiomatic"), run on the model of an
    eager Implementation: same canonical weights, optimizer, loss and loaded data as the
    shared loop, but batches, shuffling, mode switches and the epoch's clock are the
    framework's (Keras fit and its callbacks, a plain PyTorch loop, a Gluon Trainer, ...).

    The clock of an epoch starts after a device sync and stops after one; ``after_epoch``
    is called with the clock stopped, so what it does (validation) is not timed.
    """

    #: How this loop orders the training samples, for the record (its own shuffling).
    shuffle: ClassVar[str]

    def __init__(self, impl: Implementation, batch_size: int, seed: int) -> None:
        """Prepare ``impl``'s model (its data already loaded) for the framework's own loop."""
        self.impl = impl
        self.batch_size = batch_size
        self.seed = seed

    @abc.abstractmethod
    def fit(self, epochs: int, after_epoch: AfterEpoch) -> None:
        """Train for ``epochs`` epochs, calling ``after_epoch`` once per epoch."""

    @abc.abstractmethod
    def compiler(self) -> dict:
        """What compiled this loop's train step, resolved as it runs (see Implementation.compiler)."""

    def details(self) -> dict:
        """What this loop resolved at run time that the record should keep (e.g. XLA or not)."""
        return {}


class Runtime(abc.ABC):
    """A framework's process-wide settings and facts."""

    #: Registry name, e.g. "torch".
    name: ClassVar[str]

    @abc.abstractmethod
    def configure(self, threads: int, device: str) -> str:
        """Set the framework's threads (polybench.threads: ``threads`` intra-op, one inter-op, BLAS
        and OpenMP pools limited to ``threads``); resolve "auto"/"cpu"/"gpu" to the device name it
        will use. Raises PolybenchError when a GPU is asked for and none is visible."""

    @abc.abstractmethod
    def threads_used(self) -> dict:
        """The intra-op and inter-op thread counts the framework reports it runs with, and the
        BLAS/OpenMP pools read back (polybench.threads.used)."""

    @abc.abstractmethod
    def seed(self, seed: int) -> None:
        """Seed the framework's own random generators (dropout masks), so that a run is
        repeatable. The loop's shuffle and the initial weights come from the spec and the
        loop, not from here."""

    @abc.abstractmethod
    def versions(self) -> dict[str, str]:
        """Versions of the framework and the libraries it brings that matter to results."""

    def device_of(self, name: str) -> Any:
        """The framework's own device object for a device name ``configure`` returned (the name
        itself where the framework names devices by strings)."""
        return name

    @abc.abstractmethod
    def matmul(self, device: str, size: int) -> Callable[[], object]:
        """A function that multiplies two ``size`` x ``size`` float32 matrices on ``device`` (made
        here, once) and returns when the product is done."""

    def matmul_flops_per_second(self, device: str, size: int = 2048, repeats: int = 5) -> float | None:
        """The machine's practical peak as this framework reaches it: float32 FLOP/s of a
        ``size`` x ``size`` matrix product on ``device`` (best of ``repeats``, each waited for)."""
        product = self.matmul(device, size)
        best = float("inf")
        for _ in range(repeats + 1):  # the first product warms up (and compiles, where it compiles)
            start = time.perf_counter()
            product()
            best = min(best, time.perf_counter() - start)
        return 2 * size**3 / best

    def gpu_name(self, device: str) -> str | None:
        """The GPU's model name when ``device`` is a GPU."""
        return None

    def implementation(self, model: str) -> type[Implementation]:
        """The Implementation class of ``model`` in this framework."""
        module = importlib.import_module(self.model_module(model))
        return module.Implementation

    def idiomatic_trainer(self) -> type[IdiomaticTrainer]:
        """This framework's IdiomaticTrainer (its ``idiomatic`` module); UnsupportedError when it
        has none yet."""
        name = f"{type(self).__module__.rsplit('.', 1)[0]}.idiomatic"
        if importlib.util.find_spec(name) is None:
            raise UnsupportedError(f"polybench has no idiomatic training loop for {self.name} yet")
        return importlib.import_module(name).Trainer

    def step_module(self) -> str:
        """Dotted name of the module holding this framework's shared training step."""
        return f"{type(self).__module__.rsplit('.', 1)[0]}.common"

    def shared_modules(self) -> tuple[str, ...]:
        """Dotted names of the modules every model of this framework shares: the shared step's and
        those it builds on. Records keep their sources, and their lines count as the shared step's."""
        return (self.step_module(),)

    def model_module(self, model: str) -> str:
        """Dotted name of the module holding this framework's ``model``."""
        return f"{type(self).__module__.rsplit('.', 1)[0]}.{model}"
