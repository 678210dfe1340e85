"""``fit``: the epoch loop every way of training in pybigml runs on.

    history = fit(model, train_loader, optimizer, nn.CrossEntropyLoss(), eval_fn, epochs=10)

Each epoch: ``model.train()``, one optimisation step per batch (by default ``zero_grad``,
``loss_fn(model(x), y)``, ``backward``, ``step``) under a tqdm bar showing the running loss
and samples/s, then the schedulers' ``step()``, then ``eval_fn(model)``. It returns one
record per epoch: ``{"epoch", "train_loss", <eval metrics>, "time_s", "samples_per_s"}``.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any

from tqdm import tqdm

from .. import nn, optim

Batch = Any
Record = dict[str, float]


def supervised_step(
    model: nn.Module, optimizer: optim.Optimizer, loss_fn: nn.Module, batch: Batch
) -> Record:
    """One step on ``(inputs, targets)``: ``zero_grad``, loss, ``backward``, ``step``."""
    inputs, targets = batch
    optimizer.zero_grad()
    loss = loss_fn(model(inputs), targets)
    loss.backward()
    optimizer.step()
    return {"loss": loss.item()}


def _batch_size(batch: Batch) -> int:
    """Samples in a batch: the length of its first tensor (a pair's inputs, a dict's first value)."""
    first = next(iter(batch.values())) if isinstance(batch, dict) else batch[0]
    return len(first)


def fit(
    model: nn.Module,
    train_loader: Any,
    optimizer: optim.Optimizer | None,
    loss_fn: nn.Module | None,
    eval_fn: Callable[[nn.Module], Record] | None = None,
    epochs: int = 1,
    *,
    step: Callable[[Batch], Record] | None = None,
    schedulers: Sequence[Any] = (),
    start_epoch: int = 0,
    on_epoch_end: Callable[[int, Record], None] | None = None,
    progress: bool = True,
) -> list[Record]:
    """Train ``model`` for epochs ``start_epoch + 1 .. epochs``; returns their records.

    Args:
        model: the module trained (put in train mode before each epoch).
        train_loader: an iterable of batches, e.g. a ``DataLoader``.
        optimizer, loss_fn: for the default step on ``(inputs, targets)`` batches.
        eval_fn: ``eval_fn(model) -> {"accuracy": ...}`` after each epoch (under no_grad
            is the caller's business); ``None``: no evaluation.
        epochs: the last epoch to run (so ``start_epoch=3, epochs=5`` runs epochs 4 and 5).
        step: ``step(batch) -> {"loss": float, ...}`` replacing the default step; every key
            is averaged over the epoch into ``train_<key>`` (``loss`` -> ``train_loss``).
        schedulers: lr schedulers stepped once at the end of each epoch.
        start_epoch: the epochs already done (when resuming).
        on_epoch_end: ``on_epoch_end(epoch, record)`` after each epoch's evaluation (the
            front door saves checkpoints there).
        progress: show the tqdm bar.
    """
    if step is None:
        if optimizer is None or loss_fn is None:
            raise ValueError("fit: give an optimizer and a loss_fn, or a step function")

        def step(batch: Batch) -> Record:
            return supervised_step(model, optimizer, loss_fn, batch)

    history = []
    for epoch in range(start_epoch + 1, epochs + 1):
        model.train()
        sums: dict[str, float] = {}
        batches, samples = 0, 0
        start = time.perf_counter()
        bar = tqdm(
            train_loader, desc=f"epoch {epoch}/{epochs}", unit="batch", leave=False,
            disable=not progress,
        )  # fmt: skip
        for batch in bar:
            values = step(batch)
            for key, value in values.items():
                sums[key] = sums.get(key, 0.0) + value
            batches += 1
            samples += _batch_size(batch)
            rate = samples / max(time.perf_counter() - start, 1e-9)
            bar.set_postfix(loss=f"{values['loss']:.4f}", samples_s=f"{rate:.0f}", refresh=False)
        train_time = time.perf_counter() - start
        for scheduler in schedulers:
            scheduler.step()
        record: Record = {"epoch": epoch}
        record.update({f"train_{key}": total / max(batches, 1) for key, total in sums.items()})
        if eval_fn is not None:
            record.update(eval_fn(model))
        record["time_s"] = time.perf_counter() - start
        record["samples_per_s"] = samples / max(train_time, 1e-9)
        history.append(record)
        if on_epoch_end is not None:
            on_epoch_end(epoch, record)
    return history
