"""Utilities beside the core: ``utils.data`` (datasets and loaders), ``utils.checkpoint``
(recompute instead of store) and ``utils.hooks``."""

from . import checkpoint, data, hooks
