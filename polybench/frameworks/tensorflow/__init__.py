"""TensorFlow (Keras 3 layers) implementations: one module per model, shared step in ``common``.

This module imports no framework: the registry reads ``FRAMEWORK`` without TensorFlow installed.
"""

from polybench.frameworks.base import Framework
from polybench.frameworks.dynamic import graph_options

#: The models written in keras.layers and keras.ops alone (no TensorFlow call), so that Keras runs
#: them on its JAX and PyTorch backends as well (frameworks keras-jax, keras-torch).
BACKEND_NEUTRAL_MODELS = (
    "mnist_fcn",
    "mnist_cnn",
    "echo",
    "damped_sine",
    "moving_square",
    "addition",
    "cumsum",
    "shape_gen",
)


def keras_backend(backend: str, native: str, backend_name: str, compilers: tuple[str, ...]) -> Framework:
    """The registry entry of Keras 3 on another backend (``backend``: "jax", "torch"; ``native``:
    that backend's own framework in the registry): the TensorFlow package's backend-neutral Keras
    models, trained by Keras' own compile() + fit() only (mode idiomatic, whose ``compilers`` are
    what Keras' jit_compile="auto" may resolve to there)."""
    shared_loop = (
        "Keras on another backend is measured through Keras' own compile() + fit() (mode idiomatic), as "
        f"Keras' backend benchmarks measure it; the shared loop on {backend_name} is the {native} framework's "
        "{mode} mode"
    )
    return Framework(
        name=f"keras-{backend}",
        display_name=f"Keras 3 on {backend_name}",
        default_mode="idiomatic",
        default_reason="Keras' own compile() + fit() is the one loop the Keras backends run",
        compilers={"idiomatic": compilers},
        unsupported_modes={mode: shared_loop.format(mode=mode) for mode in ("eager", "graph")},
        models_from="tensorflow",
        native=native,
        models=BACKEND_NEUTRAL_MODELS,
        models_reason="only the TensorFlow package's models written in keras.layers and keras.ops alone run on "
        "every Keras backend",
        environment={"KERAS_BACKEND": backend},
        module="keras",
        system=f"Keras {{keras}} on {backend_name} {{{native}}}",
    )


FRAMEWORK = Framework(
    name="tensorflow",
    display_name="TensorFlow",
    default_mode="graph",
    default_reason="eager Keras LSTMs run op by op through Python (damped_sine passes its 30-minute limit)",
    # Graph mode and Keras' fit both take XLA where Keras' jit_compile="auto" turns it on: with an
    # accelerator, when every layer supports it; a tf.function graph elsewhere (every CPU-only machine).
    compilers={"eager": ("none",), "graph": ("tf.function", "xla"), "idiomatic": ("tf.function", "xla")},
    compiler_options={
        "graph": {
            "xla": 'jit_compile=True where every layer supports it, also where Keras\' "auto" would not',
            **graph_options(),
        }
    },
    # Keras picks its backend from KERAS_BACKEND (else ~/.keras/keras.json), once, on import: set here,
    # a shell's or another Keras framework's setting never makes this one run Keras on JAX or PyTorch.
    environment={"KERAS_BACKEND": "tensorflow"},
    system="TensorFlow {tensorflow} (Keras {keras})",
)
