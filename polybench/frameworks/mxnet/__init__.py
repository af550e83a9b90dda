"""MXNet (Gluon) implementations: one module per model."""
