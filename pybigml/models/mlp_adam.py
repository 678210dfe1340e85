"""Recipe ``mlp-adam``: the Keras-style "first network" on MNIST.

``784 -> 64 -> ReLU -> 64 -> ReLU -> 10`` trained with Adam (lr 1e-3, batch 32, Keras's
defaults) and sparse categorical cross-entropy, which is ``nn.CrossEntropyLoss`` on integer
labels (log-softmax of the scores, then the negative log-likelihood of the true class).
"""

from __future__ import annotations

from .. import nn, optim
from .images import classification_metrics, image_split
from .recipe import Config, Setup, Target

NAME = "mlp-adam"
DESCRIPTION = "MLP 784-64-64-10 (ReLU), sparse cross-entropy, Adam (the Keras first network)"
DATASETS = ("mnist",)
TARGETS = {"mnist": Target("accuracy", 0.975, "≥ 97.5 % test accuracy")}
DEFAULTS = {"epochs": 10, "lr": 1e-3, "batch_size": 32}


def build(config: Config) -> Setup:
    model = nn.Sequential(
        nn.Flatten(),
        nn.Linear(784, 64),
        nn.ReLU(),
        nn.Linear(64, 64),
        nn.ReLU(),
        nn.Linear(64, 10),
    )
    dataset = config.dataset or DATASETS[0]
    return Setup(
        model=model,
        optimizers={"main": optim.Adam(model.parameters(), lr=config.lr)},
        train_dataset=image_split(dataset, True, config.data_root, config.limit),
        eval_dataset=image_split(dataset, False, config.data_root, config.limit),
        evaluate=classification_metrics,
        loss_fn=nn.CrossEntropyLoss(),
    )
