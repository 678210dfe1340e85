"""The gan and regression recipes: short runs through a minimal epoch loop (the front door's
job, reduced to what these checks need)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest

import pybigml
from pybigml.datasets import default_root
from pybigml.models import gan, regression
from pybigml.models.keras_cnn import KerasCNN
from pybigml.models.recipe import Config, Setup
from pybigml.utils.data import DataLoader

HAVE_MNIST = (default_root() / "mnist" / "train-images-idx3-ubyte.gz").exists()
HAVE_SKLEARN = importlib.util.find_spec("sklearn") is not None


def default_step(setup: Setup, batch) -> dict[str, float]:
    x, y = batch
    optimizer = setup.optimizers["main"]
    optimizer.zero_grad()
    loss = setup.loss_fn(setup.model(x), y)
    loss.backward()
    optimizer.step()
    return {"loss": loss.item()}


def train(setup: Setup, config: Config) -> list[dict[str, float]]:
    """``config.epochs`` passes over ``setup.train_dataset``; the step outputs."""
    loader = DataLoader(
        setup.train_dataset,
        batch_size=config.batch_size,
        shuffle=True,
        generator=pybigml.Generator().manual_seed(config.seed),
    )
    step = setup.step or default_step
    return [step(setup, batch) for _ in range(config.epochs) for batch in loader]


def evaluate(setup: Setup) -> dict[str, float]:
    with pybigml.no_grad():
        return setup.evaluate(setup, DataLoader(setup.eval_dataset, setup.eval_batch_size))


# ---------------------------------------------------------------- gan


@pytest.mark.skipif(not HAVE_MNIST, reason="MNIST is not under the data root")
def test_gan_steps_move_both_nets_and_write_samples(tmp_path: Path) -> None:
    pybigml.manual_seed(0)
    # a random scorer with the keras-cnn layout exercises the --scorer path end to end
    scorer_path = tmp_path / "scorer.pt"
    pybigml.save(KerasCNN().state_dict(), scorer_path)
    config = Config(epochs=1, lr=2e-4, batch_size=32, limit=64, options={"scorer": scorer_path})
    setup = gan.build(config)
    before = {k: v.clone() for k, v in setup.model.state_dict().items()}
    outputs = train(setup, config)
    assert len(outputs) == 2
    assert all(set(out) == {"loss", "d_loss", "g_loss"} for out in outputs)
    assert outputs[-1]["loss"] == pytest.approx(outputs[-1]["d_loss"] + outputs[-1]["g_loss"])
    after = setup.model.state_dict()
    for net in ("generator", "discriminator"):
        moved = [k for k in before if k.startswith(net) and not pybigml.equal(before[k], after[k])]
        assert len(moved) == 6, (net, moved)  # three Linear layers, weight and bias each

    metrics = evaluate(setup)
    assert {"d_loss", "g_loss", "mean_max_prob", "class_entropy"} <= set(metrics)
    assert 0.1 <= metrics["mean_max_prob"] <= 1.0  # a max over 10 probabilities is ≥ 1/10
    assert 0.0 <= metrics["class_entropy"] <= np.log(10) + 1e-9

    setup.on_epoch_end(setup, 1, tmp_path)
    png = tmp_path / "samples-1.png"
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    import matplotlib.pyplot as plt

    assert plt.imread(png).shape[:2] == (8 * 28, 8 * 28)


def test_gan_score_of_a_known_classifier() -> None:
    """A 'scorer' that puts probability 0.7 on class ``i mod 10`` of sample ``i``: mean max
    probability 0.7, and a uniform class histogram with entropy ln 10."""

    class Fixed(pybigml.nn.Module):
        def forward(self, x):
            n = x.shape[0]
            logits = np.full((n, 10), np.log(0.3 / 9))
            logits[np.arange(n), np.arange(n) % 10] = np.log(0.7)
            return pybigml.tensor(logits, dtype=pybigml.float32)

    metrics = gan.score(Fixed(), pybigml.zeros(100, 784))
    assert metrics["mean_max_prob"] == pytest.approx(0.7, abs=1e-6)
    assert metrics["class_entropy"] == pytest.approx(np.log(10), abs=1e-12)


# ---------------------------------------------------------------- regression


def fit(dataset: str, style: str, epochs: int, lr: float, steps_per_epoch: int) -> dict:
    config = Config(
        epochs=epochs,
        lr=lr,
        batch_size=regression.DEFAULTS["batch_size"],
        dataset=dataset,
        options={"style": style, "steps_per_epoch": steps_per_epoch},
    )
    setup = regression.build(config)
    outputs = train(setup, config)
    assert outputs[-1]["loss"] < outputs[0]["loss"]
    return evaluate(setup)


@pytest.mark.parametrize("style", ["snippet", "module"])
def test_regression_toy_reaches_closed_form(style: str) -> None:
    # toy's augmented covariance has eigenvalues 0.066 and 1.27: lr 0.5 is stable
    # (2 * 0.5 * 1.27 < 2) and contracts the slow direction by 1 - 0.066 per step, so 300
    # steps take an O(1) error to ~1e-9, well inside the 1e-5 target
    metrics = fit("toy", style, epochs=3, lr=0.5, steps_per_epoch=100)
    assert regression.TARGETS["toy"].reached(metrics), metrics
    assert metrics["mse"] == pytest.approx(0.01, rel=0.3)  # the snippet's noise is 0.1 ** 2


@pytest.mark.skipif(not HAVE_SKLEARN, reason="scikit-learn is not installed")
def test_regression_diabetes_reaches_closed_form() -> None:
    # the recipe's own defaults (30 epochs of 200 steps, see DEFAULTS); one style only, to keep
    # the suite short: the toy test already shows both styles take the same iterates
    defaults = regression.DEFAULTS
    metrics = fit(
        "diabetes", "module", defaults["epochs"], defaults["lr"], defaults["steps_per_epoch"]
    )
    assert regression.TARGETS["diabetes"].reached(metrics), metrics
    assert metrics["reference_sklearn"] == 1.0


def test_regression_closed_form_without_sklearn(monkeypatch: pytest.MonkeyPatch) -> None:
    """The numpy lstsq fallback recovers exact coefficients of noiseless data."""
    monkeypatch.setitem(sys.modules, "sklearn.linear_model", None)
    x = np.random.default_rng(0).standard_normal((50, 3))
    w, b, reference = regression.closed_form(x, x @ np.array([1.0, -2.0, 0.5]) + 3.0)
    assert reference == "numpy.linalg.lstsq"
    np.testing.assert_allclose(w, [1.0, -2.0, 0.5], atol=1e-12)
    assert b == pytest.approx(3.0, abs=1e-12)


def test_regression_rejects_unknown_style() -> None:
    config = Config(epochs=1, lr=0.1, batch_size=10, options={"style": "keras"})
    with pytest.raises(ValueError, match="style"):
        regression.build(config)


def test_gan_target_needs_every_digit_not_only_confident_samples() -> None:
    """A collapsed generator (one confident digit: entropy 0) does not reach the target."""
    target = gan.TARGETS["mnist"]
    assert not target.reached({"mean_max_prob": 0.95, "class_entropy": 0.0})
    assert not target.reached({"mean_max_prob": 0.85, "class_entropy": 2.3})
    assert target.reached({"mean_max_prob": 0.95, "class_entropy": 2.2})
