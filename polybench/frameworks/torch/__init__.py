"""PyTorch implementations: one module per model, shared step in ``common``."""
