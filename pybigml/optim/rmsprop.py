"""``RMSprop``: divide the gradient by a running root mean square of recent gradients.

For each parameter ``p`` with gradient ``g`` (``-g`` with ``maximize``):

    g   = g + weight_decay * p
    v   = alpha * v + (1 - alpha) * g^2                ``square_avg``
    a   = sqrt(v) + eps,   or, centered:
    m   = alpha * m + (1 - alpha) * g                  ``grad_avg``
    a   = sqrt(v - m^2) + eps                          (an estimate of the gradient's std)
    b   = momentum * b + g / a                         ``momentum_buffer`` (momentum > 0)
    p   = p - lr * b          (p = p - lr * g / a without momentum)

The arithmetic (:func:`pybigml.ops.optim.rmsprop_step`) runs in the parameter's dtype in
PyTorch's order of operations.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from .._tensor import Tensor
from ..ops.creation import zeros_like
from ..ops.optim import rmsprop_step
from .optimizer import Optimizer, check_hyperparameters, reject_unsupported


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
        momentum = group["momentum"]
        centered = group["centered"]

        def new_state(p: Tensor) -> dict[str, Tensor]:
            state = {"square_avg": zeros_like(p)}
            if momentum > 0:
                state["momentum_buffer"] = zeros_like(p)
            if centered:
                state["grad_avg"] = zeros_like(p)
            return state

        params, grads, states = self._init_group(group, new_state)
        rmsprop_step(
            params,
            grads,
            [s["square_avg"] for s in states],
            [s["grad_avg"] for s in states] if centered else None,
            [s["momentum_buffer"] for s in states] if momentum > 0 else None,
            [s["step"] for s in states],
            lr=float(group["lr"]),
            alpha=group["alpha"],
            eps=group["eps"],
            weight_decay=group["weight_decay"],
            momentum=momentum,
            centered=centered,
            maximize=group["maximize"],
        )
