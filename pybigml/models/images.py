"""What the image recipes share: MNIST-format splits as ready tensors, and their evaluation."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..autograd.grad_mode import no_grad
from ..datasets import MNIST, FashionMNIST, default_root
from ..utils.data import TensorDataset
from .recipe import Setup

# dataset name -> (reader, folder under the data root, per-pixel mean and std of the train split)
IMAGE_DATASETS = {
    "mnist": (MNIST, "mnist", 0.1307, 0.3081),
    "fashion-mnist": (FashionMNIST, "fashion-mnist", 0.2860, 0.3530),
}


def image_split(
    dataset: str, train: bool, data_root: Path | None = None, limit: int | None = None
) -> TensorDataset:
    """An MNIST-format split as ``(images, labels)``: float32 ``(N, 1, 28, 28)`` images,
    ``(pixel / 255 - mean) / std`` with the dataset's train-split statistics, int64 labels.

    Args:
        dataset: a key of ``IMAGE_DATASETS`` ("mnist", "fashion-mnist").
        train: the training split (else the test split).
        data_root: the folder holding ``<dataset>/``; ``None``: ``datasets.default_root()``.
        limit: keep only the first ``limit`` samples.
    """
    reader, folder, mean, std = IMAGE_DATASETS[dataset]
    root = (default_root() if data_root is None else Path(data_root)) / folder
    split = reader(root, train=train)
    pixels, labels = split.data[:limit], split.targets[:limit]
    images = (pixels.float() / 255.0 - mean) / std
    return TensorDataset(images.unsqueeze(1), labels)


def classification_metrics(setup: Setup, loader: Any) -> dict[str, float]:
    """``accuracy``: the share of samples whose highest class score is the label, and
    ``val_loss``: the mean of ``setup.loss_fn`` over the samples."""
    model = setup.model
    was_training = model.training
    model.eval()
    correct, loss_sum, count = 0, 0.0, 0
    with no_grad():
        for x, y in loader:
            scores = model(x)
            correct += int((scores.argmax(1) == y).sum().item())
            loss_sum += float(setup.loss_fn(scores, y).item()) * len(y)
            count += len(y)
    model.train(was_training)
    return {"accuracy": correct / count, "val_loss": loss_sum / count}
