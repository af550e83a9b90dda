"""Framework-free model specs, one module per task family; ``get_spec`` looks one up."""

from __future__ import annotations

from polybench.specs.base import Spec
from polybench.specs.mnist import MnistCNN, MnistFCN

SPECS: dict[str, type[Spec]] = {cls.name: cls for cls in (MnistFCN, MnistCNN)}


def get_spec(name: str) -> Spec:
    """The spec registered as ``name``; a ValueError lists the valid names."""
    try:
        return SPECS[name]()
    except KeyError:
        raise ValueError(f"unknown model {name!r} (choose from: {', '.join(SPECS)})") from None
