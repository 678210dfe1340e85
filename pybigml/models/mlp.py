"""The seed model: a multilayer perceptron for 28x28 digit images."""

from __future__ import annotations

from .. import nn
from .._tensor import Tensor


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
