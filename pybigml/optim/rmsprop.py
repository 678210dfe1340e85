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
from .optimizer import Optimizer, step_counter


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
        if isinstance(lr, Tensor) and lr.numel() != 1:
            raise ValueError("Tensor lr must be 1-element")
        if not lr >= 0.0:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not eps >= 0.0:
            raise ValueError(f"Invalid epsilon value: {eps}")
        if not momentum >= 0.0:
            raise ValueError(f"Invalid momentum value: {momentum}")
        if not weight_decay >= 0.0:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if not alpha >= 0.0:
            raise ValueError(f"Invalid alpha value: {alpha}")
        if differentiable:
            raise NotImplementedError("RMSprop(differentiable=True) is not supported by pybigml")
        if capturable:
            raise NotImplementedError("RMSprop(capturable=True) is not supported by pybigml")
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
        weight_decay = group["weight_decay"]
        for p in group["params"]:
            if p.grad is None:
                continue
            state = self.state[p]
            if not state:
                state["step"] = step_counter()
                state["square_avg"] = Tensor._make(np.zeros_like(p._data))
                if momentum > 0:
                    state["momentum_buffer"] = Tensor._make(np.zeros_like(p._data))
                if group["centered"]:
                    state["grad_avg"] = Tensor._make(np.zeros_like(p._data))
            state["step"]._data += 1

            grad = -p.grad._data if group["maximize"] else p.grad._data
            if weight_decay != 0:
                grad = grad + weight_decay * p._data

            # In place, through one scratch array: a fresh temporary per operation
            # costs more (page faults) than the arithmetic.
            # v = alpha * v + (1 - alpha) * g * g
            square_avg = state["square_avg"]._data
            square_avg *= alpha
            scratch = np.multiply(grad, 1 - alpha)
            scratch *= grad
            square_avg += scratch
            if group["centered"]:
                # m = alpha * m + (1 - alpha) * g, computed as m += (1 - alpha) * (g - m).
                grad_avg = state["grad_avg"]._data
                np.subtract(grad, grad_avg, out=scratch)
                scratch *= 1 - alpha
                grad_avg += scratch
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
            p._bump_version()
            for buffer in state.values():  # every state tensor changed in place
                buffer._bump_version()
