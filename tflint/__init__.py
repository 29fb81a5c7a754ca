"""tflint: find TensorFlow code that misbehaves once traced into a graph."""

__version__ = "0.1.0"
