"""The models pybigml trains out of the box (``python -m pybigml.train <name>``)."""

from .mlp import MLP

__all__ = ["MLP"]
