"""``Adadelta``: step sizes from the ratio of past update and gradient magnitudes (Zeiler, 2012).

For each parameter ``p`` with gradient ``g`` (``-g`` with ``maximize``):

    g   = g + weight_decay * p
    v   = rho * v + (1 - rho) * g^2                            ``square_avg``
    dx  = sqrt(u + eps) / sqrt(v + eps) * g                    the update
    u   = rho * u + (1 - rho) * dx^2                           ``acc_delta``
    p   = p - lr * dx

The ratio of the two running root mean squares carries the units of ``p`` (as a Newton step
does), so ``lr`` = 1 is the natural choice. The arithmetic runs in the parameter's dtype in
PyTorch's order of operations.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from .._tensor import Tensor
from .optimizer import (
    Optimizer,
    average_square_,
    bump_versions,
    check_hyperparameters,
    penalised_grad,
    reject_unsupported,
    zeros_state,
)


class Adadelta(Optimizer):
    """Adadelta, as ``torch.optim.Adadelta``.

    Args:
        params: parameters or parameter groups to optimise.
        lr: scale of the update.
        rho: decay rate of both running averages.
        eps: added inside both square roots for numerical stability.
        weight_decay: L2 penalty added to the gradient.
        foreach: accepted for PyTorch compatibility; pybigml has one implementation.
        maximize: ascend instead of descend.
        capturable, differentiable: unsupported (must be False).

    Example::

        >>> opt = optim.Adadelta(model.parameters())
        >>> opt.zero_grad(); loss_fn(model(x), y).backward(); opt.step()
    """

    def __init__(
        self,
        params: Iterable[Any],
        lr: float | Tensor = 1.0,
        rho: float = 0.9,
        eps: float = 1e-6,
        weight_decay: float = 0,
        foreach: bool | None = None,
        *,
        capturable: bool = False,
        maximize: bool = False,
        differentiable: bool = False,
    ) -> None:
        check_hyperparameters(lr=lr)
        if not 0.0 <= rho <= 1.0:
            raise ValueError(f"Invalid rho value: {rho}")
        check_hyperparameters(eps=eps, weight_decay=weight_decay)
        reject_unsupported("Adadelta", differentiable=differentiable, capturable=capturable)
        defaults = {
            "lr": lr,
            "rho": rho,
            "eps": eps,
            "weight_decay": weight_decay,
            "maximize": maximize,
            "capturable": capturable,
            "foreach": foreach,
            "differentiable": differentiable,
        }
        super().__init__(params, defaults)

    def _step_group(self, group: dict[str, Any]) -> None:
        lr = float(group["lr"])
        rho = group["rho"]
        eps = group["eps"]

        def new_state(p: Tensor) -> dict[str, Tensor]:
            return {"square_avg": zeros_state(p), "acc_delta": zeros_state(p)}

        for p, state, _ in self._updates(group, new_state):
            grad = penalised_grad(p, group)

            # v = rho * v + (1 - rho) * g * g
            square_avg = state["square_avg"]._data
            scratch = average_square_(square_avg, grad, rho)
            # dx = sqrt(u + eps) / sqrt(v + eps) * g
            std = np.add(square_avg, eps)
            np.sqrt(std, out=std)
            acc_delta = state["acc_delta"]._data
            delta = np.add(acc_delta, eps)
            np.sqrt(delta, out=delta)
            delta /= std
            delta *= grad
            # u = rho * u + (1 - rho) * dx * dx
            average_square_(acc_delta, delta, rho, scratch)
            # p -= lr * dx
            delta *= -lr
            p._data += delta
            bump_versions(p, state)
