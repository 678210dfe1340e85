"""The two-convolution CNN of the source document, on Fashion-MNIST as 3x24x24 images."""

from __future__ import annotations

import argparse

from .. import nn, optim
from .._tensor import Tensor
from ..utils.data import TensorDataset
from .images import classification_metrics, image_split
from .recipe import Config, Setup, Target

NAME = "cnn"
DESCRIPTION = "CNN conv32-conv64 (3x3, pad 1, maxpool 2)-fc128-fc10 on 3x24x24 Fashion-MNIST, SGD"
DATASETS = ("fashion-mnist",)
TARGETS = {"fashion-mnist": Target("accuracy", 0.90, "≥ 90 % test accuracy")}
DEFAULTS = {"epochs": 16, "lr": 1e-3, "batch_size": 32, "momentum": 0.9}  # 90 % from epoch 13

SIZE = 24  # the document's input is 3 x 24 x 24


def rgb_crop(split: TensorDataset) -> TensorDataset:
    """An ``(N, 1, 28, 28)`` image split seen as ``(N, 3, 24, 24)``: the centre 24x24 crop
    (2 pixels off each side), its one channel replicated to three, labels unchanged.

    Both are views of the split's images (slice, then ``expand``), so the three channels cost
    no memory; the DataLoader copies only each batch it gathers.
    """
    images, labels = split.tensors
    top, left = (images.shape[-2] - SIZE) // 2, (images.shape[-1] - SIZE) // 2
    crop = images[:, :, top : top + SIZE, left : left + SIZE]
    return TensorDataset(crop.expand(-1, 3, -1, -1), labels)


class CNN(nn.Module):
    """``[Conv(3x3, pad 1) -> ReLU -> MaxPool(2)] x 2 (32, 64 channels) -> FC128 -> ReLU ->
    FC10``: 24x24 -> 12x12 -> 6x6, so the first FC layer sees ``64 * 6 * 6 = 2304`` features.

    Example::

        >>> CNN()(pybigml.rand(8, 3, 24, 24)).shape
        pybigml.Size([8, 10])
    """

    def __init__(self, in_channels: int = 3, num_classes: int = 10) -> None:
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(in_channels, 32, 3, padding=1),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Conv2d(32, 64, 3, padding=1),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Flatten(),
        )
        self.classifier = nn.Sequential(
            nn.Linear(64 * (SIZE // 4) ** 2, 128), nn.ReLU(), nn.Linear(128, num_classes)
        )

    def forward(self, x: Tensor) -> Tensor:
        return self.classifier(self.features(x))


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--momentum", type=float, default=DEFAULTS["momentum"], help="SGD momentum")


def build(config: Config) -> Setup:
    dataset = config.dataset or DATASETS[0]
    model = CNN()
    momentum = config.options.get("momentum", DEFAULTS["momentum"])
    return Setup(
        model=model,
        optimizers={"main": optim.SGD(model.parameters(), lr=config.lr, momentum=momentum)},
        train_dataset=rgb_crop(image_split(dataset, True, config.data_root, config.limit)),
        eval_dataset=rgb_crop(image_split(dataset, False, config.data_root, config.limit)),
        evaluate=classification_metrics,
        loss_fn=nn.CrossEntropyLoss(),
    )
