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
bounded; RAdam then skips the adaptive term. The arithmetic runs in the parameter's dtype in
PyTorch's order of operations.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from .._tensor import Tensor
from .optimizer import Optimizer, step_counter


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
        if differentiable:
            raise NotImplementedError("RAdam(differentiable=True) is not supported by pybigml")
        if capturable:
            raise NotImplementedError("RAdam(capturable=True) is not supported by pybigml")
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
        lr = float(group["lr"])
        beta1, beta2 = group["betas"]
        weight_decay = group["weight_decay"]
        for p in group["params"]:
            if p.grad is None:
                continue
            state = self.state[p]
            if not state:
                state["step"] = step_counter()
                state["exp_avg"] = Tensor._make(np.zeros_like(p._data))
                state["exp_avg_sq"] = Tensor._make(np.zeros_like(p._data))
            step_t = state["step"]
            step_t._data += 1
            step = float(step_t._data)

            grad = -p.grad._data if group["maximize"] else p.grad._data
            if weight_decay != 0:
                if group["decoupled_weight_decay"]:
                    p._data *= 1 - lr * weight_decay
                else:
                    grad = grad + weight_decay * p._data

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

            bias_correction1 = 1 - beta1**step
            bias_correction2 = 1 - beta2**step
            rho_inf = 2 / (1 - beta2) - 1
            rho_t = rho_inf - 2 * step * (beta2**step) / bias_correction2

            # update = m / (1 - beta1^t) * lr [* sqrt(1 - beta2^t) / (sqrt(v) + eps) * r]
            update = np.divide(exp_avg, bias_correction1)
            update *= lr
            if rho_t > 5.0:
                rect = (
                    (rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t)
                ) ** 0.5
                np.sqrt(exp_avg_sq, out=scratch)
                scratch += group["eps"]
                # scalar / tensor as PyTorch evaluates it: reciprocal, then multiply
                np.reciprocal(scratch, out=scratch)
                scratch *= bias_correction2**0.5
                update *= scratch
                update *= rect
            p._data -= update
            p._bump_version()
            for buffer in state.values():  # every state tensor changed in place
                buffer._bump_version()
