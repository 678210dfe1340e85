"""``pybigml.optim``: optimizers that update parameters from their gradients."""

from .optimizer import Optimizer
from .sgd import SGD

__all__ = ["SGD", "Optimizer"]
