"""Canonical weight layouts -> the channels-last layouts that Keras and Flax share (NumPy only).

The spec's weights are channels-first: convolution kernels (out, in, kh, kw) and, after a
convolution, a flatten in (channel, row, column) order. Frameworks that compute channels-last
take kernels as HWIO (kh, kw, in, out) and flatten (row, column, channel).
"""

from __future__ import annotations

import numpy as np


def hwio(kernel: np.ndarray) -> np.ndarray:
    """A canonical (out, in, kh, kw) convolution kernel as (kh, kw, in, out)."""
    return kernel.transpose(2, 3, 1, 0)


def channels_last_rows(kernel: np.ndarray, flattened: tuple[int, int, int] | None) -> np.ndarray:
    """Rows of a kernel that reads a flattened (channels, height, width) map, reordered from
    the canonical (channel, row, column) flatten to the channels-last (row, column, channel) one,
    so the layer's outputs do not change; the kernel as it is when ``flattened`` is None (the
    layer reads no feature map)."""
    if flattened is None:
        return kernel
    channels, height, width = flattened
    return kernel.reshape(channels, height, width, -1).transpose(1, 2, 0, 3).reshape(kernel.shape)
