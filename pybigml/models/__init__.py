"""The models pybigml trains out of the box (``pybigml-train NAME``), one recipe module each.

``RECIPES`` maps each ``--list`` name to its module; ``models/recipe.py`` says what a recipe
module holds. A new recipe is imported below and listed in ``_RECIPE_MODULES`` (whose order
``--list`` keeps).
"""

from . import (
    cnn,
    detector,
    gan,
    keras_cnn,
    mlp,
    mlp_adam,
    regression,
)
from .mlp import MLP

_RECIPE_MODULES = (
    mlp,
    mlp_adam,
    keras_cnn,
    cnn,
    detector,
    gan,
    regression,
)

#: ``--list`` name -> recipe module (``NAME``, ``DATASETS``, ``TARGETS``, ``DEFAULTS``, ``build``)
RECIPES = {module.NAME: module for module in _RECIPE_MODULES}

__all__ = ["MLP", "RECIPES"]
