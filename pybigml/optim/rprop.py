"""``Rprop``: resilient backpropagation — steps that follow the gradient's sign only.

Each coordinate keeps its own step size ``s`` (``step_size``, starting at ``lr``) and the
gradient it saw last (``prev``). With gradient ``g`` (``-g`` with ``maximize``):

    sign(g * prev) > 0:   s = min(s * eta_plus, step_max)      same direction: speed up
    sign(g * prev) < 0:   s = max(s * eta_minus, step_min)     overshot: slow down, and
                          g = 0                                skip this coordinate once
    sign(g * prev) = 0:   s unchanged
    p    = p - sign(g) * s
    prev = g

The gradient's magnitude never enters the update, which makes Rprop robust to badly scaled
gradients but suited to full-batch training only. The arithmetic runs in the parameter's
dtype in PyTorch's order of operations.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from .._tensor import Tensor
from .optimizer import (
    Optimizer,
    bump_versions,
    check_hyperparameters,
    reject_unsupported,
    zeros_state,
)


def _sign(x: np.ndarray) -> np.ndarray:
    """-1, 0 or 1 in ``x``'s dtype, with sign(NaN) = 0 as PyTorch's (numpy's gives NaN)."""
    return np.subtract(x > 0, x < 0, dtype=x.dtype)


class Rprop(Optimizer):
    """Rprop, as ``torch.optim.Rprop``.

    Args:
        params: parameters or parameter groups to optimise.
        lr: initial step size of every coordinate.
        etas: ``(eta_minus, eta_plus)``, the factors a step size shrinks and grows by.
        step_sizes: ``(step_min, step_max)``, the bounds of the step sizes.
        maximize: ascend instead of descend.
        foreach: accepted for PyTorch compatibility; pybigml has one implementation.
        capturable, differentiable: unsupported (must be False).

    Example::

        >>> opt = optim.Rprop(model.parameters(), lr=0.01)
        >>> opt.zero_grad(); loss_fn(model(x), y).backward(); opt.step()
    """

    def __init__(
        self,
        params: Iterable[Any],
        lr: float | Tensor = 1e-2,
        etas: tuple[float, float] = (0.5, 1.2),
        step_sizes: tuple[float, float] = (1e-6, 50),
        *,
        capturable: bool = False,
        foreach: bool | None = None,
        maximize: bool = False,
        differentiable: bool = False,
    ) -> None:
        check_hyperparameters(lr=lr)
        if not 0.0 < etas[0] < 1.0 < etas[1]:
            raise ValueError(f"Invalid eta values: {etas[0]}, {etas[1]}")
        reject_unsupported("Rprop", differentiable=differentiable, capturable=capturable)
        defaults = {
            "lr": lr,
            "etas": etas,
            "step_sizes": step_sizes,
            "foreach": foreach,
            "maximize": maximize,
            "differentiable": differentiable,
            "capturable": capturable,
        }
        super().__init__(params, defaults)

    def _step_group(self, group: dict[str, Any]) -> None:
        eta_minus, eta_plus = group["etas"]
        step_min, step_max = group["step_sizes"]

        def new_state(p: Tensor) -> dict[str, Tensor]:
            lr = float(group["lr"])
            return {"prev": zeros_state(p), "step_size": Tensor._make(np.full_like(p._data, lr))}

        for p, state, _ in self._updates(group, new_state):
            grad = -p.grad._data if group["maximize"] else p.grad._data.copy()
            prev = state["prev"]._data
            step_size = state["step_size"]._data

            # The factor each step size is multiplied by, from the sign of g * prev.
            factor = _sign(grad * prev)
            factor[factor > 0] = eta_plus
            factor[factor < 0] = eta_minus
            factor[factor == 0] = 1
            step_size *= factor
            np.clip(step_size, step_min, step_max, out=step_size)
            # A coordinate that changed sign skips this step and forgets its gradient.
            grad[factor == factor.dtype.type(eta_minus)] = 0

            # p -= sign(g) * s;  prev = g
            update = _sign(grad)
            update *= step_size
            p._data -= update
            prev[...] = grad
            bump_versions(p, state)
