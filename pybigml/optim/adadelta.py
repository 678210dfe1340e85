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
from .optimizer import Optimizer, step_counter


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
        if isinstance(lr, Tensor) and lr.numel() != 1:
            raise ValueError("Tensor lr must be 1-element")
        if not lr >= 0.0:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 <= rho <= 1.0:
            raise ValueError(f"Invalid rho value: {rho}")
        if not eps >= 0.0:
            raise ValueError(f"Invalid epsilon value: {eps}")
        if not weight_decay >= 0.0:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if differentiable:
            raise NotImplementedError("Adadelta(differentiable=True) is not supported by pybigml")
        if capturable:
            raise NotImplementedError("Adadelta(capturable=True) is not supported by pybigml")
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
        weight_decay = group["weight_decay"]
        for p in group["params"]:
            if p.grad is None:
                continue
            state = self.state[p]
            if not state:
                state["step"] = step_counter()
                state["square_avg"] = Tensor._make(np.zeros_like(p._data))
                state["acc_delta"] = Tensor._make(np.zeros_like(p._data))
            state["step"]._data += 1

            grad = -p.grad._data if group["maximize"] else p.grad._data
            if weight_decay != 0:
                grad = grad + weight_decay * p._data

            # v = rho * v + (1 - rho) * g * g
            square_avg = state["square_avg"]._data
            square_avg *= rho
            scratch = np.multiply(grad, 1 - rho)
            scratch *= grad
            square_avg += scratch
            # dx = sqrt(u + eps) / sqrt(v + eps) * g
            std = np.add(square_avg, eps)
            np.sqrt(std, out=std)
            acc_delta = state["acc_delta"]._data
            delta = np.add(acc_delta, eps)
            np.sqrt(delta, out=delta)
            delta /= std
            delta *= grad
            # u = rho * u + (1 - rho) * dx * dx
            acc_delta *= rho
            np.multiply(delta, 1 - rho, out=scratch)
            scratch *= delta
            acc_delta += scratch
            # p -= lr * dx
            delta *= -lr
            p._data += delta
            p._bump_version()
            for buffer in state.values():  # every state tensor changed in place
                buffer._bump_version()
