"""``RMSprop``: divide the gradient by a running root mean square of recent gradients.

For each parameter ``p`` with gradient ``g`` (``-g`` with ``maximize``):

    g   = g + weight_decay * p
    v   = alpha * v + (1 - alpha) * g^2                ``square_avg``
    a   = sqrt(v) + eps,   or, centered:
    m   = alpha * m + (1 - alpha) * g                  ``grad_avg``
    a   = sqrt(v - m^2) + eps                          (an estimate of the gradient's std)
    b   = momentum * b + g / a                         ``momentum_buffer`` (momentum > 0)
    p   = p - lr * b          (p = p - lr * g / a without momentum)

The arithmetic runs in the parameter's dtype in PyTorch's order of operations.
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
    lerp_,
    penalised_grad,
    reject_unsupported,
    zeros_state,
)


class RMSprop(Optimizer):
    """RMSprop, as ``torch.optim.RMSprop``.

    Args:
        params: parameters or parameter groups to optimise.
        lr: learning rate.
        alpha: decay rate of the squared-gradient average.
        eps: added to the denominator for numerical stability.
        weight_decay: L2 penalty added to the gradient.
        momentum: momentum factor (0 disables the momentum buffer).
        centered: normalise by the gradient's estimated variance instead of its second moment.
        maximize: ascend instead of descend.
        foreach: accepted for PyTorch compatibility; pybigml has one implementation.
        capturable, differentiable: unsupported (must be False).

    Example::

        >>> opt = optim.RMSprop(model.parameters(), lr=1e-3, momentum=0.9)
        >>> opt.zero_grad(); loss_fn(model(x), y).backward(); opt.step()
    """

    def __init__(
        self,
        params: Iterable[Any],
        lr: float | Tensor = 1e-2,
        alpha: float = 0.99,
        eps: float = 1e-8,
        weight_decay: float = 0,
        momentum: float = 0,
        centered: bool = False,
        capturable: bool = False,
        foreach: bool | None = None,
        maximize: bool = False,
        differentiable: bool = False,
    ) -> None:
        check_hyperparameters(
            lr=lr, eps=eps, momentum=momentum, weight_decay=weight_decay, alpha=alpha
        )
        reject_unsupported("RMSprop", differentiable=differentiable, capturable=capturable)
        defaults = {
            "lr": lr,
            "momentum": momentum,
            "alpha": alpha,
            "eps": eps,
            "centered": centered,
            "weight_decay": weight_decay,
            "capturable": capturable,
            "foreach": foreach,
            "maximize": maximize,
            "differentiable": differentiable,
        }
        super().__init__(params, defaults)

    def _step_group(self, group: dict[str, Any]) -> None:
        lr = float(group["lr"])
        alpha = group["alpha"]
        momentum = group["momentum"]

        def new_state(p: Tensor) -> dict[str, Tensor]:
            state = {"square_avg": zeros_state(p)}
            if momentum > 0:
                state["momentum_buffer"] = zeros_state(p)
            if group["centered"]:
                state["grad_avg"] = zeros_state(p)
            return state

        for p, state, _ in self._updates(group, new_state):
            grad = penalised_grad(p, group)

            # In place, through one scratch array: a fresh temporary per operation
            # costs more (page faults) than the arithmetic.
            # v = alpha * v + (1 - alpha) * g * g
            square_avg = state["square_avg"]._data
            scratch = average_square_(square_avg, grad, alpha)
            if group["centered"]:
                # m = alpha * m + (1 - alpha) * g, computed as m += (1 - alpha) * (g - m).
                grad_avg = state["grad_avg"]._data
                lerp_(grad_avg, grad, 1 - alpha, scratch)
                # a = sqrt(v - m * m)
                np.multiply(grad_avg, grad_avg, out=scratch)
                np.subtract(square_avg, scratch, out=scratch)
                avg = np.sqrt(scratch, out=scratch)
            else:
                avg = np.sqrt(square_avg, out=scratch)
            avg += group["eps"]

            if momentum > 0:
                # b = momentum * b + g / a;  p -= lr * b
                buf = state["momentum_buffer"]._data
                buf *= momentum
                np.divide(grad, avg, out=scratch)
                buf += scratch
                np.multiply(buf, -lr, out=scratch)
                p._data += scratch
            else:
                # p -= lr * g / a
                update = np.multiply(grad, -lr)
                update /= avg
                p._data += update
            bump_versions(p, state)
