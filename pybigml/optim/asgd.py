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
alike (:func:`pybigml.ops.optim.asgd_step`).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from .._tensor import Tensor
from ..ops.creation import zeros_like
from ..ops.optim import asgd_step
from .optimizer import Optimizer, check_hyperparameters, reject_unsupported, step_counter


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

        def new_state(p: Tensor) -> dict[str, Tensor]:
            return {"eta": step_counter(lr), "mu": step_counter(1.0), "ax": zeros_like(p)}

        params, grads, states = self._init_group(group, new_state)
        asgd_step(
            params,
            grads,
            [s["ax"] for s in states],
            [s["mu"] for s in states],
            [s["eta"] for s in states],
            [s["step"] for s in states],
            lambd=group["lambd"],
            lr=lr,
            t0=group["t0"],
            alpha=group["alpha"],
            weight_decay=group["weight_decay"],
            maximize=group["maximize"],
        )
