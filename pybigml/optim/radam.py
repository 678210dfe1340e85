"""``RAdam``: Adam with the variance of its adaptive learning rate rectified (Liu et al., 2019).

For each parameter ``p`` with gradient ``g`` (``-g`` with ``maximize``), step ``t``:

    g     = g + weight_decay * p          (L2 penalty; or, decoupled,
                                           p = p * (1 - lr * weight_decay) instead)
    m_t   = beta1 * m_{t-1} + (1 - beta1) * g                  ``exp_avg``
    v_t   = beta2 * v_{t-1} + (1 - beta2) * g^2                ``exp_avg_sq``
    rho_inf = 2 / (1 - beta2) - 1
    rho_t   = rho_inf - 2 t beta2^t / (1 - beta2^t)   length of the approximated moving average
    if rho_t > 5:
        r = sqrt((rho_t - 4)(rho_t - 2) rho_inf / ((rho_inf - 4)(rho_inf - 2) rho_t))
        p = p - lr * m_t / (1 - beta1^t) * sqrt(1 - beta2^t) / (sqrt(v_t) + eps) * r
    else:
        p = p - lr * m_t / (1 - beta1^t)       (plain momentum SGD while v_t is unreliable)

In the first steps the second-moment average holds too few gradients for its variance to be
bounded; RAdam then skips the adaptive term. The arithmetic
(:func:`pybigml.ops.optim.radam_step`) runs in the parameter's dtype in PyTorch's order of
operations.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from .._tensor import Tensor
from ..ops.creation import zeros_like
from ..ops.optim import radam_step
from .optimizer import Optimizer, check_hyperparameters, reject_unsupported


class RAdam(Optimizer):
    """RAdam, as ``torch.optim.RAdam``.

    Args:
        params: parameters or parameter groups to optimise.
        lr: learning rate.
        betas: decay rates of the first and second moment averages.
        eps: added to the denominator for numerical stability.
        weight_decay: weight decay (L2 penalty, or decoupled, see below).
        decoupled_weight_decay: shrink the parameters directly (as AdamW) instead of
            adding ``weight_decay * p`` to the gradient.
        maximize: ascend instead of descend.
        foreach: accepted for PyTorch compatibility; pybigml has one implementation.
        capturable, differentiable: unsupported (must be False).

    Example::

        >>> opt = optim.RAdam(model.parameters(), lr=1e-3)
        >>> opt.zero_grad(); loss_fn(model(x), y).backward(); opt.step()
    """

    def __init__(
        self,
        params: Iterable[Any],
        lr: float | Tensor = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0,
        decoupled_weight_decay: bool = False,
        *,
        foreach: bool | None = None,
        maximize: bool = False,
        capturable: bool = False,
        differentiable: bool = False,
    ) -> None:
        check_hyperparameters(lr=lr, eps=eps, betas=betas, weight_decay=weight_decay)
        reject_unsupported("RAdam", differentiable=differentiable, capturable=capturable)
        defaults = {
            "lr": lr,
            "betas": betas,
            "eps": eps,
            "weight_decay": weight_decay,
            "maximize": maximize,
            "foreach": foreach,
            "capturable": capturable,
            "decoupled_weight_decay": decoupled_weight_decay,
            "differentiable": differentiable,
        }
        super().__init__(params, defaults)

    def _step_group(self, group: dict[str, Any]) -> None:
        beta1, beta2 = group["betas"]

        def new_state(p: Tensor) -> dict[str, Tensor]:
            return {"exp_avg": zeros_like(p), "exp_avg_sq": zeros_like(p)}

        params, grads, states = self._init_group(group, new_state)
        radam_step(
            params,
            grads,
            [s["exp_avg"] for s in states],
            [s["exp_avg_sq"] for s in states],
            [s["step"] for s in states],
            beta1=beta1,
            beta2=beta2,
            lr=float(group["lr"]),
            weight_decay=group["weight_decay"],
            eps=group["eps"],
            decoupled_weight_decay=group["decoupled_weight_decay"],
            maximize=group["maximize"],
        )
