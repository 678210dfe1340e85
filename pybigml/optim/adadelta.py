"""``Adadelta``: step sizes from the ratio of past update and gradient magnitudes (Zeiler, 2012).

For each parameter ``p`` with gradient ``g`` (``-g`` with ``maximize``):

    g   = g + weight_decay * p
    v   = rho * v + (1 - rho) * g^2                            ``square_avg``
    dx  = sqrt(u + eps) / sqrt(v + eps) * g                    the update
    u   = rho * u + (1 - rho) * dx^2                           ``acc_delta``
    p   = p - lr * dx

The ratio of the two running root mean squares carries the units of ``p`` (as a Newton step
does), so ``lr`` = 1 is the natural choice. The arithmetic
(:func:`pybigml.ops.optim.adadelta_step`) runs in the parameter's dtype in PyTorch's order of
operations.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from .._tensor import Tensor
from ..ops.creation import zeros_like
from ..ops.optim import adadelta_step
from .optimizer import Optimizer, check_hyperparameters, reject_unsupported


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
        def new_state(p: Tensor) -> dict[str, Tensor]:
            return {"square_avg": zeros_like(p), "acc_delta": zeros_like(p)}

        params, grads, states = self._init_group(group, new_state)
        adadelta_step(
            params,
            grads,
            [s["square_avg"] for s in states],
            [s["acc_delta"] for s in states],
            [s["step"] for s in states],
            lr=float(group["lr"]),
            rho=group["rho"],
            eps=group["eps"],
            weight_decay=group["weight_decay"],
            maximize=group["maximize"],
        )
