"""One-vs-rest detectors, the image branch of the source document, on Fashion-MNIST.

Each of the 10 classes gets its own small CNN that answers "is this image of class k?" with a
probability. They are 10 separate models, not one model with 10 heads: they share no
weights, and each is trained with the binary cross-entropy of its own labels ``[y == k]``.
One step trains all 10 on the same batch: the loss it differentiates is the sum of the 10
detectors' losses, so detector k's gradient is exactly the gradient of its own loss (the other
terms do not depend on its weights), and one Adam over all the weights is 10 Adams, because
Adam's update of a weight reads only that weight's gradient history.

The metric is ``roc_auc``: the mean over the classes of the ROC-AUC of each detector on the
test split.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import nn, optim
from .._tensor import Tensor
from ..autograd.grad_mode import no_grad
from ..ops.shape import stack
from .images import image_split
from .recipe import Config, Setup, Target

NAME = "detector"
DESCRIPTION = "One-vs-rest CNN detectors conv32-pool-conv64-pool-dense1-sigmoid, Adam, BCE"
DATASETS = ("fashion-mnist",)
TARGETS = {"fashion-mnist": Target("roc_auc", 0.98, "≥ 0.98 mean one-vs-rest test ROC-AUC")}
DEFAULTS = {"epochs": 1, "lr": 1e-3, "batch_size": 128}

NUM_CLASSES = 10


class Detector(nn.Module):
    """``Conv(32, 3x3) -> ReLU -> MaxPool(2) -> Conv(64, 3x3) -> ReLU -> MaxPool(2) ->
    Flatten -> Dense(1) -> sigmoid``: the probability that the image shows the class.
    Unpadded convolutions: 28 -> 26 -> 13 -> 11 -> 5, so the dense layer sees 64 * 5 * 5.

    Example::

        >>> Detector()(pybigml.rand(8, 1, 28, 28)).shape
        pybigml.Size([8])
    """

    def __init__(self) -> None:
        super().__init__()
        self.layers = nn.Sequential(
            nn.Conv2d(1, 32, 3),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Conv2d(32, 64, 3),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Flatten(),
            nn.Linear(64 * 5 * 5, 1),
            nn.Sigmoid(),
        )

    def forward(self, x: Tensor) -> Tensor:
        return self.layers(x).squeeze(1)


class OneVsRest(nn.Module):
    """``num_classes`` independent detectors; ``forward`` gives their probabilities side by
    side, ``(N, num_classes)``; ``detectors[k]`` is the model of class k alone."""

    def __init__(self, num_classes: int = NUM_CLASSES) -> None:
        super().__init__()
        self.detectors = nn.ModuleList(Detector() for _ in range(num_classes))

    def forward(self, x: Tensor) -> Tensor:
        return stack([detector(x) for detector in self.detectors], dim=1)


def roc_auc(scores: np.ndarray, positive: np.ndarray) -> float:
    """The area under the ROC curve: the probability that a random positive scores above a
    random negative, ties counting one half.

    Rank-based (Mann-Whitney): with ``R`` the sum of the positives' ranks among all scores
    (1-based, tied scores sharing the mean of their ranks),
    ``AUC = (R - P (P + 1) / 2) / (P N)`` for ``P`` positives and ``N`` negatives.
    """
    positive = np.asarray(positive, dtype=bool)
    n_pos = int(positive.sum())
    n_neg = positive.size - n_pos
    if n_pos == 0 or n_neg == 0:
        raise ValueError(f"roc_auc: needs both classes, got {n_pos} positives, {n_neg} negatives")
    _, inverse, counts = np.unique(np.asarray(scores), return_inverse=True, return_counts=True)
    last_rank = np.cumsum(counts)  # the 1-based rank of each distinct value's last copy
    mean_rank = last_rank - (counts - 1) / 2.0
    rank_sum = mean_rank[inverse][positive].sum()
    return float((rank_sum - n_pos * (n_pos + 1) / 2.0) / (n_pos * n_neg))


def one_vs_rest_loss(setup: Setup, probabilities: Tensor, labels: Tensor) -> list[Tensor]:
    """Each detector's BCE on its own binary labels: ``loss_k = BCE(p[:, k], [y == k])``."""
    return [
        setup.loss_fn(probabilities[:, k], (labels == k).float())
        for k in range(probabilities.shape[1])
    ]


def train_step(setup: Setup, batch: Any) -> dict[str, float]:
    """One Adam step of every detector on the batch; ``loss`` is the detectors' mean loss."""
    x, y = batch
    optimizer = setup.optimizers["main"]
    optimizer.zero_grad()
    losses = one_vs_rest_loss(setup, setup.model(x), y)
    total = losses[0]
    for loss in losses[1:]:
        total = total + loss
    total.backward()
    optimizer.step()
    return {"loss": float(total.item()) / len(losses)}


def evaluate(setup: Setup, loader: Any) -> dict[str, float]:
    """``roc_auc``: the mean over the classes of detector k's ROC-AUC for ``[y == k]``;
    ``roc_auc_min``: the worst class's; ``val_loss``: the detectors' mean BCE."""
    model = setup.model
    was_training = model.training
    model.eval()
    scores, labels, loss_sum = [], [], 0.0
    with no_grad():
        for x, y in loader:
            probabilities = model(x)
            losses = one_vs_rest_loss(setup, probabilities, y)
            loss_sum += sum(float(loss.item()) for loss in losses) / len(losses) * len(y)
            scores.append(probabilities.numpy())
            labels.append(y.numpy())
    model.train(was_training)
    score, label = np.concatenate(scores), np.concatenate(labels)
    aucs = [roc_auc(score[:, k], label == k) for k in range(score.shape[1])]
    return {
        "roc_auc": float(np.mean(aucs)),
        "roc_auc_min": float(min(aucs)),
        "val_loss": loss_sum / len(label),
    }


def build(config: Config) -> Setup:
    dataset = config.dataset or DATASETS[0]
    model = OneVsRest()
    return Setup(
        model=model,
        optimizers={"main": optim.Adam(model.parameters(), lr=config.lr)},
        train_dataset=image_split(dataset, True, config.data_root, config.limit),
        eval_dataset=image_split(dataset, False, config.data_root, config.limit),
        evaluate=evaluate,
        loss_fn=nn.BCELoss(),
        step=train_step,
    )
