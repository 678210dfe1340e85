"""Utilities beside the core: ``utils.data`` (datasets and loaders) and ``utils.hooks``."""

from . import data, hooks
