"""``RemovableHandle``: what every ``register_*_hook`` returns (``torch.utils.hooks``).

The class lives in :mod:`pybigml.autograd.hooks`, where tensor and graph-node hooks use it
too; modules and optimizers import it from here, as in PyTorch.
"""

from __future__ import annotations

from ..autograd.hooks import RemovableHandle

__all__ = ["RemovableHandle"]
