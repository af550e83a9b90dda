"""Framework-free model specs, one module per task family; ``get_spec`` looks one up."""

from __future__ import annotations

from polybench.specs.addition import Addition
from polybench.specs.base import Spec
from polybench.specs.cumsum import Cumsum
from polybench.specs.damped_sine import DampedSine
from polybench.specs.dynamic import DynamicSpec
from polybench.specs.echo import Echo
from polybench.specs.mnist import MnistCNN, MnistFCN
from polybench.specs.moving_square import MovingSquare
from polybench.specs.shape_gen import ShapeGen
from polybench.specs.tree_eval import TreeEval
from polybench.specs.var_addition import VarAddition

SPECS: dict[str, type[Spec]] = {
    cls.name: cls
    for cls in (MnistFCN, MnistCNN, Echo, DampedSine, MovingSquare, Addition, Cumsum, ShapeGen, VarAddition, TreeEval)
}

#: The dynamic family (shapes that change from sample to sample, polybench.specs.dynamic).
DYNAMIC_SPECS: dict[str, type[DynamicSpec]] = {name: cls for name, cls in SPECS.items() if issubclass(cls, DynamicSpec)}


def get_spec(name: str) -> Spec:
    """The spec registered as ``name``; a ValueError lists the valid names."""
    try:
        return SPECS[name]()
    except KeyError:
        raise ValueError(f"unknown model {name!r} (choose from: {', '.join(SPECS)})") from None


def lstm_models() -> tuple[str, ...]:
    """The models with an LSTM layer (the six toy tasks), in registry order."""
    return tuple(name for name in SPECS if get_spec(name).has_lstm)
