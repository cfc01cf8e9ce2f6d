"""tfm1: TensorFlow on Apple silicon, installed from locks and diagnosed without importing it."""

__version__ = "0.1.0"
