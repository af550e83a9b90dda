"""Chainer implementations: one module per model."""
