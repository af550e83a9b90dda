"""NumPy float64 building blocks for the specs' reference forward passes."""

from __future__ import annotations

import numpy as np


def dense(x: np.ndarray, kernel: np.ndarray, bias: np.ndarray) -> np.ndarray:
    """``x @ kernel + bias`` with a canonical (in, out) kernel."""
    return x @ kernel.astype(np.float64) + bias.astype(np.float64)


def relu(x: np.ndarray) -> np.ndarray:
    """Elementwise max(x, 0)."""
    return np.maximum(x, 0.0)


def conv2d_same(x: np.ndarray, kernel: np.ndarray, bias: np.ndarray) -> np.ndarray:
    """Stride-1 'same' convolution (cross-correlation, as every framework computes it).

    x is NCHW, kernel is (out, in, kh, kw) with odd kh and kw; zero padding keeps H and W.
    """
    _, _, kh, kw = kernel.shape
    ph, pw = kh // 2, kw // 2
    padded = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    windows = np.lib.stride_tricks.sliding_window_view(padded, (kh, kw), axis=(2, 3))
    out = np.einsum("nchwij,ocij->nohw", windows, kernel.astype(np.float64), optimize=True)
    return out + bias.astype(np.float64)[None, :, None, None]


def max_pool2d(x: np.ndarray, size: int = 2) -> np.ndarray:
    """Non-overlapping max pooling over NCHW (H and W divisible by ``size``)."""
    n, c, h, w = x.shape
    return x.reshape(n, c, h // size, size, w // size, size).max(axis=(3, 5))
