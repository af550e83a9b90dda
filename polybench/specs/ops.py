"""NumPy float64 building blocks for the specs' reference forward passes."""

from __future__ import annotations

import numpy as np


def dense(x: np.ndarray, kernel: np.ndarray, bias: np.ndarray) -> np.ndarray:
    """``x @ kernel + bias`` with a canonical (in, out) kernel."""
    return x @ kernel.astype(np.float64) + bias.astype(np.float64)


def relu(x: np.ndarray) -> np.ndarray:
    """Elementwise max(x, 0)."""
    return np.maximum(x, 0.0)


def conv2d(x: np.ndarray, kernel: np.ndarray, bias: np.ndarray, padding: str = "same") -> np.ndarray:
    """Stride-1 convolution (cross-correlation, as every framework computes it).

    x is NCHW, kernel is (out, in, kh, kw). "same" zero-pads (odd kernels) to keep H and W;
    "valid" does not pad, giving H - kh + 1 by W - kw + 1.
    """
    _, _, kh, kw = kernel.shape
    if padding == "same":
        ph, pw = kh // 2, kw // 2
        padded = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    elif padding == "valid":
        padded = x
    else:
        raise ValueError(f"padding {padding!r}")
    windows = np.lib.stride_tricks.sliding_window_view(padded, (kh, kw), axis=(2, 3))
    out = np.einsum("nchwij,ocij->nohw", windows, kernel.astype(np.float64), optimize=True)
    return out + bias.astype(np.float64)[None, :, None, None]


def max_pool2d(x: np.ndarray, size: int = 2) -> np.ndarray:
    """Non-overlapping max pooling over NCHW; a remainder row or column is dropped (floor)."""
    n, c, h, w = x.shape
    h, w = h // size * size, w // size * size
    return x[:, :, :h, :w].reshape(n, c, h // size, size, w // size, size).max(axis=(3, 5))


def sigmoid(x: np.ndarray) -> np.ndarray:
    """The logistic function, computed without overflow."""
    return np.exp(-np.logaddexp(0.0, -x))


def lstm(
    x: np.ndarray,
    kernel: np.ndarray,
    recurrent: np.ndarray,
    bias: np.ndarray,
    reverse: bool = False,
    return_sequences: bool = False,
) -> np.ndarray:
    """One LSTM layer from a zero initial state over x of shape (N, T, F).

    Canonical layout: kernel (F, 4H), recurrent kernel (H, 4H), one bias (4H), gates in the
    order input, forget, cell candidate, output:
    ``z = x_t @ kernel + h @ recurrent + bias; c = f*c + i*g; h = o*tanh(c)``.
    ``reverse`` runs from the last step to the first (outputs stay aligned with the input
    steps). Returns the last hidden state (N, H), or every step's (N, T, H).
    """
    kernel, recurrent, bias = (a.astype(np.float64) for a in (kernel, recurrent, bias))
    n, steps, _ = x.shape
    units = recurrent.shape[0]
    h = np.zeros((n, units))
    c = np.zeros((n, units))
    outputs = [None] * steps
    for t in reversed(range(steps)) if reverse else range(steps):
        z = x[:, t] @ kernel + h @ recurrent + bias
        i, f, g, o = np.split(z, 4, axis=1)
        c = sigmoid(f) * c + sigmoid(i) * np.tanh(g)
        h = sigmoid(o) * np.tanh(c)
        outputs[t] = h
    return np.stack(outputs, axis=1) if return_sequences else h


def binary_tree_lstm(
    x: np.ndarray,
    left: tuple[np.ndarray, np.ndarray],
    right: tuple[np.ndarray, np.ndarray],
    kernel: np.ndarray,
    child_kernel: np.ndarray,
    bias: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """One binary Tree-LSTM node (Tai et al. 2015, N-ary with N = 2) for each row of x (N, F).

    ``left`` and ``right`` are the children's (h, c), each (N, H); zeros for a leaf. Canonical
    layout: kernel (F, 5H), child kernel (2H, 5H) with the left child's rows first, one bias
    (5H), gates in the order input, left forget, right forget, cell candidate, output:
    ``z = x @ kernel + [h_l, h_r] @ child_kernel + bias; c = i*g + f_l*c_l + f_r*c_r;
    h = o*tanh(c)``. Returns the node's (h, c).
    """
    kernel, child_kernel, bias = (a.astype(np.float64) for a in (kernel, child_kernel, bias))
    (h_left, c_left), (h_right, c_right) = left, right
    z = x @ kernel + np.concatenate([h_left, h_right], axis=1) @ child_kernel + bias
    i, f_left, f_right, g, o = np.split(z, 5, axis=1)
    c = sigmoid(i) * np.tanh(g) + sigmoid(f_left) * c_left + sigmoid(f_right) * c_right
    return sigmoid(o) * np.tanh(c), c
