"""``Adagrad``: per-coordinate learning rates from the sum of all past squared gradients.

For each parameter ``p`` with gradient ``g`` (``-g`` with ``maximize``), step ``t``:

    g   = g + weight_decay * p
    s   = s + g^2                                      ``sum`` (starts at
                                                        ``initial_accumulator_value``)
    lr_t = lr / (1 + (t - 1) * lr_decay)
    p   = p - lr_t * g / (sqrt(s) + eps)

Coordinates with large past gradients take small steps, rare ones large steps. Unlike the
other optimizers, Adagrad creates its state when it is constructed (as PyTorch does), so
``state_dict()`` holds ``step`` and ``sum`` for every parameter from the start.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from .._tensor import Tensor
from .optimizer import (
    Optimizer,
    check_hyperparameters,
    penalised_grad,
    reject_unsupported,
    step_counter,
)


class Adagrad(Optimizer):
    """Adagrad, as ``torch.optim.Adagrad``.

    Args:
        params: parameters or parameter groups to optimise.
        lr: learning rate.
        lr_decay: learning-rate decay per step (``lr / (1 + (t - 1) * lr_decay)``).
        weight_decay: L2 penalty added to the gradient.
        initial_accumulator_value: starting value of the squared-gradient sum.
        eps: added to the denominator for numerical stability.
        maximize: ascend instead of descend.
        foreach, fused: accepted for PyTorch compatibility; pybigml has one implementation.
        differentiable: unsupported (must be False).

    Example::

        >>> opt = optim.Adagrad(model.parameters(), lr=0.01)
        >>> opt.zero_grad(); loss_fn(model(x), y).backward(); opt.step()
    """

    def __init__(
        self,
        params: Iterable[Any],
        lr: float | Tensor = 1e-2,
        lr_decay: float = 0,
        weight_decay: float = 0,
        initial_accumulator_value: float = 0,
        eps: float = 1e-10,
        foreach: bool | None = None,
        *,
        maximize: bool = False,
        differentiable: bool = False,
        fused: bool | None = None,
    ) -> None:
        check_hyperparameters(
            lr=lr,
            lr_decay=lr_decay,
            weight_decay=weight_decay,
            initial_accumulator_value=initial_accumulator_value,
            eps=eps,
        )
        reject_unsupported("Adagrad", differentiable=differentiable)
        defaults = {
            "lr": lr,
            "lr_decay": lr_decay,
            "eps": eps,
            "weight_decay": weight_decay,
            "initial_accumulator_value": initial_accumulator_value,
            "foreach": foreach,
            "maximize": maximize,
            "differentiable": differentiable,
            "fused": fused,
        }
        super().__init__(params, defaults)
        for group in self.param_groups:
            for p in group["params"]:
                self._init_state(p)

    def _init_state(self, p: Tensor) -> None:
        """Start ``p``'s step count at 0 and its sum at ``initial_accumulator_value``."""
        state = self.state[p]
        state["step"] = step_counter()
        state["sum"] = Tensor._make(
            np.full_like(p._data, self.defaults["initial_accumulator_value"])
        )

    def _step_group(self, group: dict[str, Any]) -> None:
        lr = float(group["lr"])
        for p in group["params"]:
            if p.grad is None:
                continue
            state = self.state[p]
            if not state:  # a group added after construction
                self._init_state(p)
            step_t = state["step"]
            step_t._data += 1
            step = float(step_t._data)

            grad = penalised_grad(p, group)
            clr = lr / (1 + (step - 1) * group["lr_decay"])

            # s += g * g;  p -= lr_t * g / (sqrt(s) + eps), with as few temporaries as
            # possible: a fresh one per operation costs more (page faults) than the math.
            state_sum = state["sum"]._data
            std = np.multiply(grad, grad)
            state_sum += std
            np.sqrt(state_sum, out=std)
            std += group["eps"]
            update = np.multiply(grad, -clr)
            update /= std
            p._data += update
            p._bump_version()
            step_t._bump_version()
            state["sum"]._bump_version()
