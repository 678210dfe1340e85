"""A fully connected GAN on MNIST digits (the source document's Keras snippet).

``G: z(100) -> 128 -> 256 -> 784, tanh`` with LeakyReLU(0.2) hidden layers, and
``D: 784 -> 256 -> 128 -> 1, sigmoid``, both trained by Adam (lr 2e-4, betas (0.5, 0.999))
on binary cross-entropy, with images scaled to ``[-1, 1]`` to match tanh's range.

One step (``gan_step``) first moves D on a real batch (label 1) and a fake batch (label 0),
then G with the non-saturating loss ``-log D(G(z))`` (BCE against label 1), whose gradient
stays large exactly where D rejects the fakes, unlike ``log(1 - D(G(z)))``.

Quality is judged by a digit classifier (the ``keras-cnn`` recipe's network, ``--scorer``):
confident predictions on the samples (``mean_max_prob``, the mean max softmax probability)
and all ten classes present (``class_entropy``, entropy in nats of the predicted-class
histogram; ``ln 10 ≈ 2.30`` is the uniform maximum).
"""

from __future__ import annotations

import argparse
import math
from pathlib import Path
from typing import Any

import numpy as np

from .. import nn, optim
from .._tensor import Tensor
from ..autograd.grad_mode import no_grad
from ..datasets import MNIST, default_root
from ..ops.creation import ones, randn, zeros
from ..random import Generator
from ..serialization import load
from ..utils.data import TensorDataset
from .keras_cnn import KerasCNN
from .recipe import Config, Setup, Target

NAME = "gan"
DESCRIPTION = "MLP GAN on MNIST: G 100-128-256-784 tanh, D 784-256-128-1 (Keras snippet)"
DATASETS = ("mnist",)
TARGETS = {
    "mnist": Target(
        "mean_max_prob",
        0.9,
        "scorer's mean max-probability ≥ 0.9 and class entropy ≥ 2.1 nats on 1000 samples",
        also=(Target("class_entropy", 2.1, "class entropy ≥ 2.1 nats"),),
    )
}
DEFAULTS = {"epochs": 50, "lr": 2e-4, "batch_size": 64, "scorer": None}
LATENT = 100
SAMPLES_SCORED = 1000
# the scorer (keras-cnn) sees images normalised by MNIST's train statistics
MNIST_MEAN, MNIST_STD = 0.1307, 0.3081


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--scorer",
        type=Path,
        default=None,
        help="a keras-cnn state_dict (pybigml.save) that scores the generated digits",
    )


class GANGenerator(nn.Module):
    """``z (N, 100) -> (N, 784)`` images in ``[-1, 1]``."""

    def __init__(self, latent: int = LATENT) -> None:
        super().__init__()
        self.net = nn.Sequential(
            nn.Linear(latent, 128),
            nn.LeakyReLU(0.2),
            nn.Linear(128, 256),
            nn.LeakyReLU(0.2),
            nn.Linear(256, 784),
            nn.Tanh(),
        )

    def forward(self, z: Tensor) -> Tensor:
        return self.net(z)


class Discriminator(nn.Module):
    """``(N, 784) -> (N, 1)``: the probability that each image is real."""

    def __init__(self) -> None:
        super().__init__()
        self.net = nn.Sequential(
            nn.Linear(784, 256),
            nn.LeakyReLU(0.2),
            nn.Linear(256, 128),
            nn.LeakyReLU(0.2),
            nn.Linear(128, 1),
            nn.Sigmoid(),
        )

    def forward(self, x: Tensor) -> Tensor:
        return self.net(x)


class GAN(nn.Module):
    """The container the checkpoints hold: ``generator`` and ``discriminator``."""

    def __init__(self) -> None:
        super().__init__()
        self.generator = GANGenerator()
        self.discriminator = Discriminator()


def load_scorer(path: str | Path) -> KerasCNN:
    """The keras-cnn classifier saved at ``path`` (a ``pybigml-train keras-cnn`` checkpoint such
    as ``best.safetensors``, or a bare state_dict), in eval mode."""
    scorer = KerasCNN()
    saved = load(path)
    scorer.load_state_dict(saved.get("model", saved))
    return scorer.eval()


def mnist_pixels(train: bool, data_root: Path | None, limit: int | None) -> TensorDataset:
    """MNIST as ``(N, 784)`` float32 in ``[-1, 1]`` (``pixel / 127.5 - 1``) with labels."""
    root = (default_root() if data_root is None else Path(data_root)) / "mnist"
    split = MNIST(root, train=train)
    pixels, labels = split.data[:limit], split.targets[:limit]
    return TensorDataset(pixels.float().reshape(-1, 784) / 127.5 - 1.0, labels)


def gan_step(setup: Setup, batch: Any) -> dict[str, float]:
    """D on real (label 1) + fake (label 0), then G on ``BCE(D(G(z)), 1)``."""
    real, _ = batch
    model, bce = setup.model, setup.loss_fn
    g_opt, d_opt = setup.optimizers["generator"], setup.optimizers["discriminator"]
    n = real.shape[0]
    real_label, fake_label = ones(n, 1), zeros(n, 1)

    fake = model.generator(randn(n, LATENT))
    d_opt.zero_grad()
    d_loss = bce(model.discriminator(real), real_label) + bce(
        model.discriminator(fake.detach()), fake_label
    )
    d_loss.backward()
    d_opt.step()

    g_opt.zero_grad()
    g_loss = bce(model.discriminator(fake), real_label)
    g_loss.backward()
    g_opt.step()
    d, g = float(d_loss.item()), float(g_loss.item())
    return {"loss": d + g, "d_loss": d, "g_loss": g}


def score(scorer: nn.Module, images: Tensor) -> dict[str, float]:
    """``mean_max_prob`` and ``class_entropy`` of the scorer's predictions on ``images``
    (``(N, 784)`` in ``[-1, 1]``)."""
    normalised = ((images.reshape(-1, 1, 28, 28) + 1.0) / 2.0 - MNIST_MEAN) / MNIST_STD
    probs = scorer(normalised).softmax(dim=1).numpy()
    counts = np.bincount(probs.argmax(1), minlength=10) / len(probs)
    entropy = -sum(p * math.log(p) for p in counts if p > 0)
    return {"mean_max_prob": float(probs.max(1).mean()), "class_entropy": float(entropy)}


def build(config: Config) -> Setup:
    model = GAN()
    betas = (0.5, 0.999)
    optimizers = {
        "generator": optim.Adam(model.generator.parameters(), lr=config.lr, betas=betas),
        "discriminator": optim.Adam(model.discriminator.parameters(), lr=config.lr, betas=betas),
    }
    scorer_path = config.options.get("scorer")
    scorer = None
    if scorer_path is not None:
        scorer = load_scorer(scorer_path)
        scorer.eval()
    # fixed noise, drawn from its own seeded generator: the same samples every epoch and run
    noise_source = Generator().manual_seed(config.seed)
    fixed_noise = randn(64, LATENT, generator=noise_source)
    scored_noise = randn(SAMPLES_SCORED, LATENT, generator=noise_source)
    bce = nn.BCELoss()

    def evaluate(setup: Setup, loader: Any) -> dict[str, float]:
        """D and G losses on the test images (fakes from the scoring noise), and the
        scorer's verdict on the generated digits when a scorer is given."""
        gen, disc = setup.model.generator, setup.model.discriminator
        d_total = g_total = 0.0
        count = 0
        with no_grad():
            for real, _ in loader:
                n = real.shape[0]
                d_fake = disc(gen(scored_noise[:n]))
                d_total += n * (bce(disc(real), ones(n, 1)) + bce(d_fake, zeros(n, 1))).item()
                g_total += n * bce(d_fake, ones(n, 1)).item()
                count += n
            metrics = {"d_loss": d_total / count, "g_loss": g_total / count}
            if scorer is not None:
                metrics.update(score(scorer, gen(scored_noise)))
        return metrics

    def on_epoch_end(setup: Setup, epoch: int, out_dir: Path) -> None:
        """``samples-<epoch>.png``: an 8 x 8 grid of G's images from the fixed noise."""
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        with no_grad():
            images = setup.model.generator(fixed_noise).numpy().reshape(8, 8, 28, 28)
        grid = images.transpose(0, 2, 1, 3).reshape(8 * 28, 8 * 28)
        out_dir.mkdir(parents=True, exist_ok=True)
        plt.imsave(out_dir / f"samples-{epoch}.png", grid, cmap="gray", vmin=-1.0, vmax=1.0)

    return Setup(
        model=model,
        optimizers=optimizers,
        train_dataset=mnist_pixels(True, config.data_root, config.limit),
        eval_dataset=mnist_pixels(False, config.data_root, config.limit),
        evaluate=evaluate,
        loss_fn=bce,
        step=gan_step,
        on_epoch_end=on_epoch_end,
    )
