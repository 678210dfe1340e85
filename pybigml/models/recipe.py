"""What a trainable recipe is: the contract between a model module and the training front door.

Every model the front door trains (``python -m pybigml.train NAME``) is a module
``pybigml.models.<name>`` with these attributes:

* ``NAME``: the ``--list`` name (``"mlp"``, ``"keras-cnn"`` ...);
* ``DESCRIPTION``: one line: the model, its source document;
* ``DATASETS``: the datasets it trains on, first the default (``("mnist", "fashion-mnist")``);
* ``TARGETS``: dataset name -> :class:`Target`, what a full run must reach on the test split;
* ``DEFAULTS``: the recipe's own ``epochs``, ``lr``, ``batch_size`` (and the defaults of its
  options);
* ``add_arguments(parser)`` (optional): model-specific command-line options, which arrive in
  ``Config.options`` under their ``dest`` names;
* ``build(config: Config) -> Setup``: the model, its optimizers, data and evaluation.

``pybigml.train`` does the rest: batching, the epoch loop with its progress bar, evaluation,
metrics, plots, checkpoints and resuming.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..nn.module import Module
from ..optim.optimizer import Optimizer
from ..utils.data import Dataset


@dataclass(frozen=True)
class Target:
    """The metric a full run must reach: ``metrics[metric] >= threshold`` (``<=`` when
    ``lower_is_better``), e.g. ``Target("accuracy", 0.98, "≥ 98.0 % test accuracy")``; ``also``
    holds further conditions the same epoch must meet (the GAN's class entropy)."""

    metric: str
    threshold: float
    text: str
    lower_is_better: bool = False
    also: tuple[Target, ...] = ()

    def reached(self, metrics: dict[str, float]) -> bool:
        value = metrics.get(self.metric)
        if value is None:
            return False
        met = value <= self.threshold if self.lower_is_better else value >= self.threshold
        return met and all(condition.reached(metrics) for condition in self.also)


@dataclass
class Config:
    """What the caller chose: the shared options of every recipe, and the recipe's own."""

    epochs: int
    lr: float
    batch_size: int
    seed: int = 0
    dataset: str | None = None  # one of the recipe's DATASETS; None: its first
    data_root: Path | None = None  # the folder holding mnist/, fashion-mnist/ ...; None: default
    limit: int | None = None  # use only the first ``limit`` samples of each split
    options: dict[str, Any] = field(default_factory=dict)


@dataclass
class Setup:
    """Everything the front door needs to train, evaluate and checkpoint one recipe.

    Attributes:
        model: the module trained; its ``state_dict`` is what checkpoints hold (a GAN puts
            its generator and discriminator in one container module).
        optimizers: name -> optimizer (``{"main": ...}`` for one); all are checkpointed.
        train_dataset, eval_dataset: map-style datasets of ``(inputs, target)`` pairs.
        evaluate: ``evaluate(setup, eval_loader) -> {"accuracy": ..., ...}``, plain metric
            names (``accuracy``, ``roc_auc``, ``mse``, ``val_loss`` ...), computed under no_grad.
        loss_fn: the loss of the default step.
        step: ``step(setup, batch) -> {"loss": float, ...}``, one optimisation step on one
            batch. ``None``: the default supervised step (``zero_grad``, ``loss_fn(model(x),
            y)``, ``backward``, ``optimizers["main"].step()``).
        schedulers: name -> lr scheduler, stepped once per epoch and checkpointed.
        on_epoch_end: ``on_epoch_end(setup, epoch, out_dir)``, e.g. a PNG of samples.
        eval_batch_size: batch size of the evaluation loader.
    """

    model: Module
    optimizers: dict[str, Optimizer]
    train_dataset: Dataset
    eval_dataset: Dataset
    evaluate: Callable[[Setup, Any], dict[str, float]]
    loss_fn: Module | None = None
    step: Callable[[Setup, Any], dict[str, float]] | None = None
    schedulers: dict[str, Any] = field(default_factory=dict)
    on_epoch_end: Callable[[Setup, int, Path], None] | None = None
    eval_batch_size: int = 1000
