"""``Trainer`` and ``TrainingArguments``: Hugging Face's training API, on ``fit``.

    args = TrainingArguments("out", num_train_epochs=3, learning_rate=1e-3)
    trainer = Trainer(model, args, train_dataset=train, eval_dataset=test,
                      compute_metrics=lambda p: {"accuracy": (p.predictions.argmax(-1)
                                                               == p.label_ids).mean()})
    trainer.train()
    trainer.evaluate()   # {"eval_loss": ..., "eval_accuracy": ..., "epoch": 3}

As in ``transformers``: AdamW (betas 0.9/0.999, eps 1e-8) with ``weight_decay`` on the
weight matrices only (biases and norm scales, the 1-d parameters, are not decayed), the lr
rising linearly from 0 over ``warmup_steps`` and falling linearly to 0 at the last step,
gradients clipped to norm ``max_grad_norm``. Kept simple: a dataset yields either
``(inputs, labels)`` pairs, fed as ``model(inputs)``, or dicts with a ``"labels"`` key, fed
as ``model(**the other keys)``; the model returns class scores and the loss is
cross-entropy, unless it returns a dict with a ``"loss"`` (then ``"logits"`` are the scores).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

from .. import nn, optim
from .._tensor import Tensor
from ..autograd.grad_mode import no_grad
from ..nn.utils.clip_grad import clip_grad_norm_
from ..optim.lr_scheduler import LambdaLR
from ..random import Generator, manual_seed
from ..utils.data import DataLoader, Dataset
from .loop import fit


@dataclass
class TrainingArguments:
    """The subset of ``transformers.TrainingArguments`` pybigml honours, same defaults."""

    output_dir: str
    num_train_epochs: float = 3.0
    per_device_train_batch_size: int = 8
    per_device_eval_batch_size: int = 8
    learning_rate: float = 5e-5
    warmup_steps: int = 0
    weight_decay: float = 0.0
    adam_beta1: float = 0.9
    adam_beta2: float = 0.999
    adam_epsilon: float = 1e-8
    max_grad_norm: float = 1.0
    logging_steps: int = 500
    seed: int = 42
    disable_tqdm: bool = False


class EvalPrediction(NamedTuple):
    """What ``compute_metrics`` receives: the model's outputs and the labels, as numpy."""

    predictions: np.ndarray
    label_ids: np.ndarray


class TrainOutput(NamedTuple):
    global_step: int
    training_loss: float
    metrics: dict[str, float]


def _split(batch: Any) -> tuple[tuple, dict, Tensor]:
    """A batch as ``(args, kwargs, labels)`` for ``model(*args, **kwargs)``."""
    if isinstance(batch, dict):
        inputs = {k: v for k, v in batch.items() if k != "labels"}
        return (), inputs, batch["labels"]
    inputs, labels = batch
    return (inputs,), {}, labels


class Trainer:
    """Train and evaluate ``model`` as ``transformers.Trainer`` does (see the module doc).

    Attributes:
        log_history: ``{"loss", "learning_rate", "step", "epoch"}`` every ``logging_steps``
            steps, and each ``evaluate()``'s metrics.
    """

    def __init__(
        self,
        model: nn.Module,
        args: TrainingArguments,
        train_dataset: Dataset | None = None,
        eval_dataset: Dataset | None = None,
        compute_metrics: Any = None,
    ) -> None:
        self.model, self.args = model, args
        self.train_dataset, self.eval_dataset = train_dataset, eval_dataset
        self.compute_metrics = compute_metrics
        self.loss_fn = nn.CrossEntropyLoss()
        self.log_history: list[dict[str, float]] = []
        self.global_step, self.epoch = 0, 0.0

    def _loss_and_logits(self, batch: Any) -> tuple[Tensor, Tensor, Tensor]:
        args, kwargs, labels = _split(batch)
        output = self.model(*args, **kwargs)
        if isinstance(output, dict) and "loss" in output:
            return output["loss"], output["logits"], labels
        return self.loss_fn(output, labels), output, labels

    def train(self) -> TrainOutput:
        args = self.args
        manual_seed(args.seed)
        loader = DataLoader(
            self.train_dataset,
            batch_size=args.per_device_train_batch_size,
            shuffle=True,
            generator=Generator().manual_seed(args.seed),
        )
        epochs = int(np.ceil(args.num_train_epochs))
        total_steps = int(len(loader) * args.num_train_epochs)
        params = [p for p in self.model.parameters() if p.requires_grad]
        optimizer = optim.AdamW(
            [
                {"params": [p for p in params if p.dim() >= 2], "weight_decay": args.weight_decay},
                {"params": [p for p in params if p.dim() < 2], "weight_decay": 0.0},
            ],
            lr=args.learning_rate,
            betas=(args.adam_beta1, args.adam_beta2),
            eps=args.adam_epsilon,
        )
        warmup = args.warmup_steps

        def linear(step: int) -> float:  # transformers.get_linear_schedule_with_warmup
            if step < warmup:
                return step / max(1, warmup)
            return max(0.0, (total_steps - step) / max(1, total_steps - warmup))

        scheduler = LambdaLR(optimizer, linear)
        losses: list[float] = []

        def step(batch: Any) -> dict[str, float]:
            optimizer.zero_grad()
            loss, _, _ = self._loss_and_logits(batch)
            loss.backward()
            if args.max_grad_norm:
                clip_grad_norm_(params, args.max_grad_norm)
            optimizer.step()
            scheduler.step()
            self.global_step += 1
            losses.append(loss.item())
            if self.global_step % args.logging_steps == 0:
                recent = losses[-args.logging_steps :]
                self.log_history.append(
                    {
                        "loss": float(np.mean(recent)),
                        "learning_rate": optimizer.param_groups[0]["lr"],
                        "step": self.global_step,
                        "epoch": self.global_step / len(loader),
                    }
                )
            if self.global_step >= total_steps:
                raise StopIteration
            return {"loss": losses[-1]}

        Path(args.output_dir).mkdir(parents=True, exist_ok=True)
        for epoch in range(1, epochs + 1):
            try:
                fit(self.model, loader, None, None, epochs=epoch, start_epoch=epoch - 1,
                    step=step, progress=not args.disable_tqdm)  # fmt: skip
            except StopIteration:
                break
        self.epoch = self.global_step / len(loader)
        return TrainOutput(self.global_step, float(np.mean(losses)), {"epoch": self.epoch})

    def predict_batches(self, dataset: Dataset) -> tuple[float, EvalPrediction]:
        """The mean loss over ``dataset`` and the concatenated scores and labels."""
        loader = DataLoader(dataset, batch_size=self.args.per_device_eval_batch_size)
        self.model.eval()
        total, count, scores, labels = 0.0, 0, [], []
        with no_grad():
            for batch in loader:
                loss, logits, batch_labels = self._loss_and_logits(batch)
                total += loss.item() * len(batch_labels)
                count += len(batch_labels)
                scores.append(logits.numpy())
                labels.append(batch_labels.numpy())
        return total / max(count, 1), EvalPrediction(np.concatenate(scores), np.concatenate(labels))

    def evaluate(self, eval_dataset: Dataset | None = None) -> dict[str, float]:
        """``{"eval_loss", "eval_<metric>" for each of compute_metrics', "epoch"}``."""
        dataset = self.eval_dataset if eval_dataset is None else eval_dataset
        loss, prediction = self.predict_batches(dataset)
        metrics = {"eval_loss": loss}
        if self.compute_metrics is not None:
            for key, value in self.compute_metrics(prediction).items():
                metrics[f"eval_{key}"] = float(value)
        metrics["epoch"] = self.epoch
        self.log_history.append(metrics)
        return metrics
