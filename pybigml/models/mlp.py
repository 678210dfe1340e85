"""The seed model: a multilayer perceptron for 28x28 digit images, and its recipe.

Recipe ``mlp``: ``784 -> 128 -> ReLU -> 10`` with cross-entropy and SGD (lr 0.01, momentum
0.9, batch 64) on normalised MNIST; 10 epochs reach >= 98 % test accuracy.
"""

from __future__ import annotations

import argparse

from .. import nn, optim
from .._tensor import Tensor
from .images import classification_metrics, image_split
from .recipe import Config, Setup, Target

NAME = "mlp"
DESCRIPTION = "MLP 784-128-10 (ReLU), cross-entropy, SGD with momentum: the seed model"
DATASETS = ("mnist",)
TARGETS = {"mnist": Target("accuracy", 0.98, "≥ 98.0 % test accuracy")}
DEFAULTS = {"epochs": 10, "lr": 0.01, "batch_size": 64, "momentum": 0.9}


class MLP(nn.Module):
    """``784 -> 128 -> ReLU -> 10``: flatten the image, one hidden layer, class scores.

    Args:
        in_features: input size after flattening (28 * 28 for MNIST).
        hidden_features: width of the hidden layer.
        num_classes: number of output scores.

    Example::

        >>> model = MLP()
        >>> model(pybigml.rand(64, 1, 28, 28)).shape
        pybigml.Size([64, 10])
    """

    def __init__(
        self, in_features: int = 784, hidden_features: int = 128, num_classes: int = 10
    ) -> None:
        super().__init__()
        self.flatten = nn.Flatten()
        self.fc1 = nn.Linear(in_features, hidden_features)
        self.relu = nn.ReLU()
        self.fc2 = nn.Linear(hidden_features, num_classes)

    def forward(self, x: Tensor) -> Tensor:
        return self.fc2(self.relu(self.fc1(self.flatten(x))))


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--momentum", type=float, default=DEFAULTS["momentum"], help="SGD momentum (0.9)"
    )


def build(config: Config) -> Setup:
    model = MLP()
    momentum = config.options.get("momentum", DEFAULTS["momentum"])
    dataset = config.dataset or DATASETS[0]
    return Setup(
        model=model,
        optimizers={"main": optim.SGD(model.parameters(), lr=config.lr, momentum=momentum)},
        train_dataset=image_split(dataset, True, config.data_root, config.limit),
        eval_dataset=image_split(dataset, False, config.data_root, config.limit),
        evaluate=classification_metrics,
        loss_fn=nn.CrossEntropyLoss(),
    )
