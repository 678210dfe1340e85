"""``ASGD``: averaged stochastic gradient descent (Polyak & Juditsky, 1992).

Plain SGD with a decaying step, plus a running average of the iterates that becomes the
estimate once averaging starts (after ``t0`` steps). For each parameter ``p`` with gradient
``g`` (``-g`` with ``maximize``), step ``t``, and the 0-d state tensors ``eta`` (the step
size, starting at ``lr``) and ``mu`` (the averaging weight, starting at 1):

    g   = g + weight_decay * p
    p   = p * (1 - lambd * eta)                 decay term
    p   = p - eta * g
    ax  = ax + mu * (p - ax)                    ``ax``: the averaged parameter (ax = p if mu = 1)
    eta = lr / (1 + lambd * lr * t)^alpha
    mu  = 1 / max(1, t - t0)

``ax`` holds the average; the parameters themselves follow plain SGD. ``eta`` and ``mu`` are
kept in the default float dtype and read back as PyTorch reads them, so both libraries round
alike.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from .._tensor import Tensor
from .optimizer import (
    Optimizer,
    bump_versions,
    check_hyperparameters,
    penalised_grad,
    reject_unsupported,
    step_counter,
    zeros_state,
)


class ASGD(Optimizer):
    """ASGD, as ``torch.optim.ASGD``.

    Args:
        params: parameters or parameter groups to optimise.
        lr: learning rate.
        lambd: decay term.
        alpha: power for the update of ``eta``.
        t0: the step at which averaging starts.
        weight_decay: L2 penalty added to the gradient.
        foreach: accepted for PyTorch compatibility; pybigml has one implementation.
        maximize: ascend instead of descend.
        differentiable, capturable: unsupported (must be False).

    Example::

        >>> opt = optim.ASGD(model.parameters(), lr=0.01, t0=100)
        >>> opt.zero_grad(); loss_fn(model(x), y).backward(); opt.step()
        >>> averaged = opt.state[p]["ax"]      # the averaged value of parameter p
    """

    def __init__(
        self,
        params: Iterable[Any],
        lr: float | Tensor = 1e-2,
        lambd: float = 1e-4,
        alpha: float = 0.75,
        t0: float = 1e6,
        weight_decay: float = 0,
        foreach: bool | None = None,
        maximize: bool = False,
        differentiable: bool = False,
        capturable: bool = False,
    ) -> None:
        check_hyperparameters(lr=lr, weight_decay=weight_decay)
        reject_unsupported("ASGD", differentiable=differentiable, capturable=capturable)
        defaults = {
            "lr": lr,
            "lambd": lambd,
            "alpha": alpha,
            "t0": t0,
            "weight_decay": weight_decay,
            "foreach": foreach,
            "maximize": maximize,
            "differentiable": differentiable,
            "capturable": capturable,
        }
        super().__init__(params, defaults)

    def _step_group(self, group: dict[str, Any]) -> None:
        lr = float(group["lr"])
        lambd = group["lambd"]

        def new_state(p: Tensor) -> dict[str, Tensor]:
            return {"eta": step_counter(lr), "mu": step_counter(1.0), "ax": zeros_state(p)}

        for p, state, step in self._updates(group, new_state):
            eta_t, mu_t = state["eta"], state["mu"]

            grad = penalised_grad(p, group)

            # p = p * (1 - lambd * eta) - eta * g
            eta = float(eta_t._data)
            p._data *= 1 - lambd * eta
            p._data -= eta * grad

            # ax += mu * (p - ax), or ax = p while mu is 1 (before t0)
            ax = state["ax"]._data
            mu = float(mu_t._data)
            if mu != 1:
                scratch = np.subtract(p._data, ax)
                scratch *= mu
                ax += scratch
            else:
                ax[...] = p._data

            eta_t._data[...] = lr / ((1 + lambd * lr * step) ** group["alpha"])
            mu_t._data[...] = 1 / max(1, step - group["t0"])
            bump_versions(p, state)
