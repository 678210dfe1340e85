"""Training: ``fit`` (the epoch loop), the recipe runner and its command line, and a
Hugging Face style ``Trainer``.

    from pybigml.train import fit, Trainer, TrainingArguments
    pybigml-train --list            # the recipes of pybigml.models
"""

from .cli import main
from .loop import fit, supervised_step
from .runner import load_checkpoint, plot_curves, run_recipe
from .trainer import EvalPrediction, Trainer, TrainingArguments, TrainOutput

__all__ = [
    "EvalPrediction",
    "TrainOutput",
    "Trainer",
    "TrainingArguments",
    "fit",
    "load_checkpoint",
    "main",
    "plot_curves",
    "run_recipe",
    "supervised_step",
]
