"""TensorFlow (Keras 3 layers) implementations: one module per model."""
