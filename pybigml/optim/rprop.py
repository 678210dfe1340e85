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
gradients but suited to full-batch training only. The arithmetic
(:func:`pybigml.ops.optim.rprop_step`) runs in the parameter's dtype in PyTorch's order of
operations.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from .._tensor import Tensor
from ..ops.creation import full_like, zeros_like
from ..ops.optim import rprop_step
from .optimizer import Optimizer, check_hyperparameters, reject_unsupported


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
            return {"prev": zeros_like(p), "step_size": full_like(p, float(group["lr"]))}

        params, grads, states = self._init_group(group, new_state)
        rprop_step(
            params,
            grads,
            [s["prev"] for s in states],
            [s["step_size"] for s in states],
            [s["step"] for s in states],
            step_size_min=step_min,
            step_size_max=step_max,
            etaminus=eta_minus,
            etaplus=eta_plus,
            maximize=group["maximize"],
        )
