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

from .._tensor import Tensor
from ..ops.creation import full_like
from ..ops.optim import adagrad_step
from .optimizer import Optimizer, check_hyperparameters, reject_unsupported, step_counter


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
                self.state[p].update(step=step_counter(), **self._new_state(p))

    def _new_state(self, p: Tensor) -> dict[str, Tensor]:
        """``p``'s sum of squared gradients, starting at ``initial_accumulator_value``."""
        return {"sum": full_like(p, self.defaults["initial_accumulator_value"])}

    def _step_group(self, group: dict[str, Any]) -> None:
        # a group added after construction gets its state at its first update
        params, grads, states = self._init_group(group, self._new_state)
        adagrad_step(
            params,
            grads,
            [s["sum"] for s in states],
            [s["step"] for s in states],
            lr=float(group["lr"]),
            weight_decay=group["weight_decay"],
            lr_decay=group["lr_decay"],
            eps=group["eps"],
            maximize=group["maximize"],
        )
