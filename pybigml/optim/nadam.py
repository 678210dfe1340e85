"""``NAdam``: Adam with Nesterov momentum (Dozat, 2016), with a momentum schedule.

For each parameter ``p`` with gradient ``g`` (``-g`` with ``maximize``), step ``t``:

    g    = g + weight_decay * p           (L2 penalty; or, decoupled,
                                           p = p * (1 - lr * weight_decay) instead)
    mu_t = beta1 * (1 - 0.5 * 0.96^(t * momentum_decay))      momentum schedule
    P_t  = P_{t-1} * mu_t                                      ``mu_product``
    m_t  = beta1 * m_{t-1} + (1 - beta1) * g                   ``exp_avg``
    v_t  = beta2 * v_{t-1} + (1 - beta2) * g^2                 ``exp_avg_sq``
    d    = sqrt(v_t / (1 - beta2^t)) + eps
    p    = p - lr * (1 - mu_t) / (1 - P_t) * g / d
             - lr * mu_{t+1} / (1 - P_t * mu_{t+1}) * m_t / d

The two terms are Nesterov's look-ahead: the current gradient with the weight it has in
this step's momentum, plus the momentum of the next step. ``mu_product`` is a 0-d tensor
of the default float dtype (as ``step``), so the product rounds as PyTorch's does. The
arithmetic (:func:`pybigml.ops.optim.nadam_step`) runs in the parameter's dtype in PyTorch's
order of operations.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from .._tensor import Tensor
from ..ops.creation import zeros_like
from ..ops.optim import nadam_step
from .optimizer import Optimizer, check_hyperparameters, reject_unsupported, step_counter


class NAdam(Optimizer):
    """NAdam, as ``torch.optim.NAdam``.

    Args:
        params: parameters or parameter groups to optimise.
        lr: learning rate.
        betas: decay rates of the first and second moment averages.
        eps: added to the denominator for numerical stability.
        weight_decay: weight decay (L2 penalty, or decoupled, see below).
        momentum_decay: how fast the momentum schedule approaches ``beta1 / 2 ... beta1``.
        decoupled_weight_decay: shrink the parameters directly (as AdamW) instead of
            adding ``weight_decay * p`` to the gradient.
        maximize: ascend instead of descend.
        foreach: accepted for PyTorch compatibility; pybigml has one implementation.
        capturable, differentiable: unsupported (must be False).

    Example::

        >>> opt = optim.NAdam(model.parameters(), lr=2e-3)
        >>> opt.zero_grad(); loss_fn(model(x), y).backward(); opt.step()
    """

    def __init__(
        self,
        params: Iterable[Any],
        lr: float | Tensor = 2e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0,
        momentum_decay: float = 4e-3,
        decoupled_weight_decay: bool = False,
        *,
        foreach: bool | None = None,
        maximize: bool = False,
        capturable: bool = False,
        differentiable: bool = False,
    ) -> None:
        check_hyperparameters(
            lr=lr, eps=eps, betas=betas, weight_decay=weight_decay, momentum_decay=momentum_decay
        )
        reject_unsupported("NAdam", differentiable=differentiable, capturable=capturable)
        defaults = {
            "lr": lr,
            "betas": betas,
            "eps": eps,
            "weight_decay": weight_decay,
            "momentum_decay": momentum_decay,
            "decoupled_weight_decay": decoupled_weight_decay,
            "maximize": maximize,
            "foreach": foreach,
            "capturable": capturable,
            "differentiable": differentiable,
        }
        super().__init__(params, defaults)

    def _step_group(self, group: dict[str, Any]) -> None:
        beta1, beta2 = group["betas"]

        def new_state(p: Tensor) -> dict[str, Tensor]:
            return {
                "mu_product": step_counter(1.0),
                "exp_avg": zeros_like(p),
                "exp_avg_sq": zeros_like(p),
            }

        params, grads, states = self._init_group(group, new_state)
        nadam_step(
            params,
            grads,
            [s["exp_avg"] for s in states],
            [s["exp_avg_sq"] for s in states],
            [s["mu_product"] for s in states],
            [s["step"] for s in states],
            beta1=beta1,
            beta2=beta2,
            lr=float(group["lr"]),
            weight_decay=group["weight_decay"],
            momentum_decay=group["momentum_decay"],
            eps=group["eps"],
            decoupled_weight_decay=group["decoupled_weight_decay"],
            maximize=group["maximize"],
        )
