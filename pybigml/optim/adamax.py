"""``Adamax``: Adam with the infinity norm in place of the second moment (Kingma & Ba, 2014).

For each parameter ``p`` with gradient ``g`` (``-g`` with ``maximize``), step ``t``:

    g   = g + weight_decay * p
    m_t = beta1 * m_{t-1} + (1 - beta1) * g                    ``exp_avg``
    u_t = max(beta2 * u_{t-1}, |g| + eps)                      ``exp_inf``
    p   = p - lr / (1 - beta1^t) * m_t / u_t

``u`` is an exponentially weighted infinity norm of past gradients: unlike Adam's ``v`` it
needs no bias correction (a maximum is not pulled towards its zero start). The arithmetic
(:func:`pybigml.ops.optim.adamax_step`) runs in the parameter's dtype in PyTorch's order of
operations.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from .._tensor import Tensor
from ..ops.creation import zeros_like
from ..ops.optim import adamax_step
from .optimizer import Optimizer, check_hyperparameters, reject_unsupported


class Adamax(Optimizer):
    """Adamax, as ``torch.optim.Adamax``.

    Args:
        params: parameters or parameter groups to optimise.
        lr: learning rate.
        betas: decay rates of the first moment and of the infinity norm.
        eps: added to ``|g|`` so the denominator is never zero.
        weight_decay: L2 penalty added to the gradient.
        foreach: accepted for PyTorch compatibility; pybigml has one implementation.
        maximize: ascend instead of descend.
        differentiable, capturable: unsupported (must be False).

    Example::

        >>> opt = optim.Adamax(model.parameters(), lr=2e-3)
        >>> opt.zero_grad(); loss_fn(model(x), y).backward(); opt.step()
    """

    def __init__(
        self,
        params: Iterable[Any],
        lr: float | Tensor = 2e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0,
        foreach: bool | None = None,
        *,
        maximize: bool = False,
        differentiable: bool = False,
        capturable: bool = False,
    ) -> None:
        check_hyperparameters(lr=lr, eps=eps, betas=betas, weight_decay=weight_decay)
        reject_unsupported("Adamax", differentiable=differentiable, capturable=capturable)
        defaults = {
            "lr": lr,
            "betas": betas,
            "eps": eps,
            "weight_decay": weight_decay,
            "foreach": foreach,
            "maximize": maximize,
            "differentiable": differentiable,
            "capturable": capturable,
        }
        super().__init__(params, defaults)

    def _step_group(self, group: dict[str, Any]) -> None:
        beta1, beta2 = group["betas"]

        def new_state(p: Tensor) -> dict[str, Tensor]:
            return {"exp_avg": zeros_like(p), "exp_inf": zeros_like(p)}

        params, grads, states = self._init_group(group, new_state)
        adamax_step(
            params,
            grads,
            [s["exp_avg"] for s in states],
            [s["exp_inf"] for s in states],
            [s["step"] for s in states],
            eps=group["eps"],
            beta1=beta1,
            beta2=beta2,
            lr=float(group["lr"]),
            weight_decay=group["weight_decay"],
            maximize=group["maximize"],
        )
