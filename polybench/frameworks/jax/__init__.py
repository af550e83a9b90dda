"""JAX implementations (Flax NNX layers, Optax Adam): one module per model, shared step in ``common``."""
