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
arithmetic runs in the parameter's dtype in PyTorch's order of operations.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from .._tensor import Tensor
from .optimizer import Optimizer, step_counter


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
        if isinstance(lr, Tensor) and lr.numel() != 1:
            raise ValueError("Tensor lr must be 1-element")
        if not lr >= 0.0:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not eps >= 0.0:
            raise ValueError(f"Invalid epsilon value: {eps}")
        if not 0.0 <= betas[0] < 1.0:
            raise ValueError(f"Invalid beta parameter at index 0: {betas[0]}")
        if not 0.0 <= betas[1] < 1.0:
            raise ValueError(f"Invalid beta parameter at index 1: {betas[1]}")
        if not weight_decay >= 0.0:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if not momentum_decay >= 0.0:
            raise ValueError(f"Invalid momentum_decay value: {momentum_decay}")
        if differentiable:
            raise NotImplementedError("NAdam(differentiable=True) is not supported by pybigml")
        if capturable:
            raise NotImplementedError("NAdam(capturable=True) is not supported by pybigml")
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
        lr = float(group["lr"])
        beta1, beta2 = group["betas"]
        weight_decay = group["weight_decay"]
        momentum_decay = group["momentum_decay"]
        for p in group["params"]:
            if p.grad is None:
                continue
            state = self.state[p]
            if not state:
                state["step"] = step_counter()
                state["mu_product"] = step_counter()
                state["mu_product"]._data[...] = 1.0
                state["exp_avg"] = Tensor._make(np.zeros_like(p._data))
                state["exp_avg_sq"] = Tensor._make(np.zeros_like(p._data))
            step_t = state["step"]
            step_t._data += 1
            step = float(step_t._data)
            bias_correction2 = 1 - beta2**step

            grad = -p.grad._data if group["maximize"] else p.grad._data
            if weight_decay != 0:
                if group["decoupled_weight_decay"]:
                    p._data *= 1 - lr * weight_decay
                else:
                    grad = grad + weight_decay * p._data

            mu = beta1 * (1.0 - 0.5 * (0.96 ** (step * momentum_decay)))
            mu_next = beta1 * (1.0 - 0.5 * (0.96 ** ((step + 1) * momentum_decay)))
            mu_product_t = state["mu_product"]
            mu_product_t._data *= mu  # rounds to the counter's dtype, as PyTorch's
            mu_product = float(mu_product_t._data)
            mu_product_next = mu_product * mu_next

            # m += (1 - beta1) * (g - m);  v = beta2 * v + (1 - beta2) * g * g
            exp_avg = state["exp_avg"]._data
            scratch = np.subtract(grad, exp_avg)
            scratch *= 1 - beta1
            exp_avg += scratch
            exp_avg_sq = state["exp_avg_sq"]._data
            exp_avg_sq *= beta2
            np.multiply(grad, 1 - beta2, out=scratch)
            scratch *= grad
            exp_avg_sq += scratch

            # d = sqrt(v / (1 - beta2^t)) + eps
            denom = np.divide(exp_avg_sq, bias_correction2)
            np.sqrt(denom, out=denom)
            denom += group["eps"]
            # p += c_g * g / d, then p += c_m * m / d (two roundings, as two addcdiv_)
            np.multiply(grad, -lr * (1.0 - mu) / (1.0 - mu_product), out=scratch)
            scratch /= denom
            p._data += scratch
            np.multiply(exp_avg, (-lr * mu_next) / (1.0 - mu_product_next), out=scratch)
            scratch /= denom
            p._data += scratch
            p._bump_version()
            for buffer in state.values():  # every state tensor changed in place
                buffer._bump_version()
