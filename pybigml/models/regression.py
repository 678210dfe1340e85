"""Linear regression by full-batch gradient descent (source document 004), checked against
the closed-form least-squares solution.

The snippet fits ``y ≈ X w + b`` by minimising ``L = mean((X w + b - y)^2)``; its gradient is
``dL/dw = 2/N X^T (X w + b - y)``, ``dL/db = 2/N sum(X w + b - y)``. Two ways to write it:

* ``--style snippet``: ``w`` and ``b`` are leaf tensors with ``requires_grad``; each step
  computes ``L``, calls ``backward``, updates ``w -= lr * w.grad`` under ``no_grad`` and zeroes
  the grads, exactly as the snippet does;
* ``--style module`` (default): ``nn.Linear`` + ``optim.SGD`` + ``nn.MSELoss``, the default
  supervised step.

Every batch is the whole set (``batch_size = N``) and an "epoch" is ``--steps-per-epoch`` GD
steps on it (200 by default; the front door evaluates and checkpoints once an epoch). The
iterates converge linearly to the unique minimiser ``(X^T X)^-1 X^T y`` (centred); the rate
is ``1 - 2 lr λ_min`` of the (augmented) covariance, which is why the defaults use many epochs
and float64 (float32 alone cannot resolve coefficients to 1e-5).
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any

import numpy as np

from .. import nn, optim
from .._dtype import float64
from .._tensor import Tensor
from ..autograd.grad_mode import no_grad
from ..nn.module import Module
from ..ops.creation import from_numpy, zeros
from ..optim.optimizer import Optimizer
from ..utils.data import TensorDataset
from .recipe import Config, Setup, Target

NAME = "regression"
DESCRIPTION = "Linear regression by full-batch gradient descent (004) vs. least squares"
DATASETS = ("toy", "diabetes")
TARGETS = {
    name: Target(
        "max_coef_error",
        1e-5,
        "max |(w, b) - closed-form least squares| ≤ 1e-5",
        lower_is_better=True,
    )
    for name in DATASETS
}
# A batch larger than either set: every step is full-batch GD. lr 0.2 < 1 / λ_max (diabetes'
# augmented covariance has λ_max ≈ 4.0, λ_min ≈ 0.0086), so the slowest direction shrinks by
# 1 - 2 * 0.2 * 0.0086 per step: 6000 steps (30 epochs of 200) take an O(100) error below 1e-5.
DEFAULTS = {
    "epochs": 30,
    "lr": 0.2,
    "batch_size": 1_000_000,
    "style": "module",
    "steps_per_epoch": 200,
}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--style",
        choices=("snippet", "module"),
        default=DEFAULTS["style"],
        help="snippet: raw w, b tensors with a manual update; module: nn.Linear + optim.SGD",
    )
    parser.add_argument(
        "--steps-per-epoch",
        type=int,
        default=DEFAULTS["steps_per_epoch"],
        help="full-batch GD steps between two evaluations (200)",
    )


def toy_data(n: int = 100, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """The snippet's toy data: ``y = 2x + 1 + 0.1 ε`` for ``x ~ U(0, 1)``, ``ε ~ N(0, 1)``."""
    rng = np.random.default_rng(seed)
    x = rng.random((n, 1))
    y = 2.0 * x[:, 0] + 1.0 + 0.1 * rng.standard_normal(n)
    return x, y


def diabetes_data() -> tuple[np.ndarray, np.ndarray]:
    """scikit-learn's bundled diabetes set (442 x 10), features standardised to mean 0,
    std 1 (so one lr suits every coefficient), target as given."""
    try:
        from sklearn.datasets import load_diabetes
    except ImportError as e:
        raise ImportError(
            "the 'diabetes' dataset needs scikit-learn: pip install scikit-learn"
        ) from e
    x, y = load_diabetes(return_X_y=True)
    return (x - x.mean(0)) / x.std(0), y


def closed_form(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, float, str]:
    """The least-squares ``(w, b)``: scikit-learn's ``LinearRegression`` when installed,
    else ``numpy.linalg.lstsq`` on ``[X, 1]``; returns which one as the third item."""
    try:
        from sklearn.linear_model import LinearRegression
    except ImportError:
        augmented = np.concatenate([x, np.ones((len(x), 1))], axis=1)
        solution = np.linalg.lstsq(augmented, y, rcond=None)[0]
        return solution[:-1], float(solution[-1]), "numpy.linalg.lstsq"
    reference = LinearRegression().fit(x, y)
    return reference.coef_, float(reference.intercept_), "sklearn.linear_model.LinearRegression"


class LinearParameters(Module):
    """The snippet's model: ``w (F,)`` and ``b ()`` as plain parameters, ``f(X) = X w + b``."""

    def __init__(self, in_features: int) -> None:
        super().__init__()
        self.w = nn.Parameter(zeros(in_features, dtype=float64))
        self.b = nn.Parameter(zeros((), dtype=float64))

    def forward(self, x: Tensor) -> Tensor:
        return x @ self.w + self.b


def snippet_step(lr: float) -> Callable[[Setup, Any], dict[str, float]]:
    """The step as the snippet writes it: ``loss.backward()``, then ``p -= lr * p.grad``
    under ``no_grad`` and ``p.grad.zero_()`` for ``w`` and ``b``."""

    def step(setup: Setup, batch: Any) -> dict[str, float]:
        x, y = batch
        model = setup.model
        loss = ((model(x) - y) ** 2).mean()
        loss.backward()
        with no_grad():
            for parameter in (model.w, model.b):
                parameter -= lr * parameter.grad
                parameter.grad.zero_()
        return {"loss": float(loss.item())}

    return step


def module_step(setup: Setup, batch: Any) -> dict[str, float]:
    """The supervised step of ``nn.Linear`` + ``optim.SGD`` + ``nn.MSELoss``."""
    x, y = batch
    optimizer = setup.optimizers["main"]
    optimizer.zero_grad()
    loss = setup.loss_fn(setup.model(x), y)
    loss.backward()
    optimizer.step()
    return {"loss": float(loss.item())}


def repeated(step: Callable[[Setup, Any], dict[str, float]], times: int) -> Callable:
    """``step`` run ``times`` times on the same (full) batch; the last step's losses."""

    def steps(setup: Setup, batch: Any) -> dict[str, float]:
        for _ in range(times - 1):
            step(setup, batch)
        return step(setup, batch)

    return steps


def coefficients(model: Module) -> tuple[np.ndarray, float]:
    """The learned ``(w, b)`` of either style as numpy."""
    if isinstance(model, LinearParameters):
        return model.w.detach().numpy(), float(model.b.item())
    return model.weight.detach().numpy()[0], float(model.bias.item())


def build(config: Config) -> Setup:
    dataset = config.dataset or DATASETS[0]
    if dataset not in DATASETS:
        raise ValueError(f"regression: unknown dataset {dataset!r}; choose from {DATASETS}")
    x, y = toy_data() if dataset == "toy" else diabetes_data()
    x, y = x[: config.limit], y[: config.limit]
    w_ref, b_ref, reference = closed_form(x, y)
    style = config.options.get("style", DEFAULTS["style"])

    model: Module
    optimizers: dict[str, Optimizer]
    if style == "snippet":
        model = LinearParameters(x.shape[1])
        optimizers = {}
        targets = from_numpy(y)
        step = snippet_step(config.lr)
        loss_fn = None
    elif style == "module":
        model = nn.Linear(x.shape[1], 1, dtype=float64)
        with no_grad():
            model.weight.zero_()
            model.bias.zero_()
        optimizers = {"main": optim.SGD(model.parameters(), lr=config.lr)}
        targets = from_numpy(y[:, None])
        step = module_step
        loss_fn = nn.MSELoss()
    else:
        raise ValueError(f"regression: unknown style {style!r}; choose snippet or module")
    data = TensorDataset(from_numpy(x), targets)

    def evaluate(setup: Setup, loader: Any) -> dict[str, float]:
        w, b = coefficients(setup.model)
        error = max(float(np.abs(w - w_ref).max()), abs(b - b_ref))
        with no_grad():
            squared = [((setup.model(xb) - yb) ** 2).sum().item() for xb, yb in loader]
        return {
            "max_coef_error": error,
            "mse": float(sum(squared) / len(x)),
            # which closed form the error is against: 1 scikit-learn, 0 numpy lstsq
            "reference_sklearn": float(reference.startswith("sklearn")),
        }

    return Setup(
        model=model,
        optimizers=optimizers,
        train_dataset=data,
        eval_dataset=data,
        evaluate=evaluate,
        loss_fn=loss_fn,
        step=repeated(step, config.options.get("steps_per_epoch", DEFAULTS["steps_per_epoch"])),
        eval_batch_size=len(x),
    )
