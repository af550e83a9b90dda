"""Losses and metrics on host arrays, by name: one NumPy definition for every framework.

Model outputs are logits for the classification losses ("softmax_cross_entropy" over the
last axis, "sigmoid_binary_cross_entropy" per element) and values for "l1".
"""

from __future__ import annotations

import numpy as np


def softmax_cross_entropy(outputs: np.ndarray, y: np.ndarray) -> float:
    """Mean over every (sample, step) of -log softmax(outputs)[y]."""
    z = outputs.astype(np.float64).reshape(-1, outputs.shape[-1])
    z = z - z.max(axis=1, keepdims=True)
    log_probs = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    return float(-log_probs[np.arange(len(z)), y.reshape(-1)].mean())


def sigmoid_binary_cross_entropy(outputs: np.ndarray, y: np.ndarray) -> float:
    """Mean binary cross-entropy of sigmoid(outputs) against 0/1 targets, computed stably."""
    z = outputs.astype(np.float64)
    return float((np.maximum(z, 0) - z * y + np.log1p(np.exp(-np.abs(z)))).mean())


def l1(outputs: np.ndarray, y: np.ndarray) -> float:
    """Mean absolute error over every element."""
    return float(np.abs(outputs.astype(np.float64) - y).mean())


LOSSES = {
    "softmax_cross_entropy": softmax_cross_entropy,
    "sigmoid_binary_cross_entropy": sigmoid_binary_cross_entropy,
    "l1": l1,
}


def accuracy(predictions: np.ndarray, y: np.ndarray) -> float:
    """Share of samples whose prediction equals the target in every position."""
    equal = (predictions == y).reshape(len(y), -1)
    return float(equal.all(axis=1).mean())


def step_accuracy(predictions: np.ndarray, y: np.ndarray) -> float:
    """Share of individual positions (sequence steps) predicted right."""
    return float((predictions == y).mean())


def mae(predictions: np.ndarray, y: np.ndarray) -> float:
    """Mean absolute error of the predicted values."""
    return l1(predictions, y)


METRICS = {
    "accuracy": accuracy,
    "exact_match": accuracy,
    "step_accuracy": step_accuracy,
    "sequence_accuracy": accuracy,
    "mae": mae,
}
