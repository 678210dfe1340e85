"""The Keras-style CNN of the source document: one convolution, one pooling, two dense layers."""

from __future__ import annotations

from .. import nn, optim
from .._tensor import Tensor
from .images import classification_metrics, image_split
from .recipe import Config, Setup, Target

NAME = "keras-cnn"
DESCRIPTION = "Keras-style CNN: conv32(3x3)-ReLU-maxpool2-dense128-ReLU-dense10, Adam, CE"
DATASETS = ("mnist", "fashion-mnist")
TARGETS = {
    "mnist": Target("accuracy", 0.988, "≥ 98.8 % test accuracy"),
    "fashion-mnist": Target("accuracy", 0.91, "≥ 91 % test accuracy"),
}
DEFAULTS = {"epochs": 4, "lr": 1e-3, "batch_size": 32}  # Keras fit()'s batch_size


class KerasCNN(nn.Module):
    """``Conv2D(32, 3x3) -> ReLU -> MaxPool(2) -> Flatten -> Dense(128) -> ReLU -> Dense(10)``.

    The convolution has no padding ("valid", Keras' default): 28x28 -> 26x26, pooled to
    13x13, so the first dense layer sees ``32 * 13 * 13 = 5408`` features.

    Example::

        >>> KerasCNN()(pybigml.rand(8, 1, 28, 28)).shape
        pybigml.Size([8, 10])
    """

    def __init__(self, num_classes: int = 10) -> None:
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 32, kernel_size=3), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten()
        )
        self.classifier = nn.Sequential(
            nn.Linear(32 * 13 * 13, 128), nn.ReLU(), nn.Linear(128, num_classes)
        )

    def forward(self, x: Tensor) -> Tensor:
        return self.classifier(self.features(x))


def build(config: Config) -> Setup:
    dataset = config.dataset or DATASETS[0]
    model = KerasCNN()
    return Setup(
        model=model,
        optimizers={"main": optim.Adam(model.parameters(), lr=config.lr)},
        train_dataset=image_split(dataset, True, config.data_root, config.limit),
        eval_dataset=image_split(dataset, False, config.data_root, config.limit),
        evaluate=classification_metrics,
        loss_fn=nn.CrossEntropyLoss(),
    )
