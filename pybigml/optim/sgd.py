"""``SGD``: stochastic gradient descent with momentum, dampening, Nesterov and weight decay.

For each parameter ``p`` with gradient ``g`` (``-g`` with ``maximize``), step ``t``:

    g   = g + weight_decay * p
    b_1 = g                                    (the momentum buffer starts as a copy of g)
    b_t = momentum * b_{t-1} + (1 - dampening) * g
    d   = g + momentum * b_t   if nesterov   else   b_t     (d = g when momentum == 0)
    p   = p - lr * d

The update is :func:`pybigml.ops.optim.sgd_step`: one fused native pass per parameter
(no graph is recorded), in place, that bumps each parameter's version counter so a graph
that saved it sees the change.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from .._tensor import Tensor
from ..ops.optim import sgd_step
from .optimizer import Optimizer


class SGD(Optimizer):
    """Stochastic gradient descent (optionally with momentum), as ``torch.optim.SGD``.

    Args:
        params: parameters or parameter groups to optimise.
        lr: learning rate.
        momentum: momentum factor.
        dampening: dampening of the gradient's contribution to the momentum.
        weight_decay: L2 penalty added to the gradient.
        nesterov: use Nesterov momentum (needs momentum > 0 and dampening 0).
        maximize: ascend instead of descend.
        foreach, fused: accepted for PyTorch compatibility; pybigml has one implementation.
        differentiable: unsupported (must be False).

    Example::

        >>> opt = optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
        >>> opt.zero_grad(); loss_fn(model(x), y).backward(); opt.step()
    """

    def __init__(
        self,
        params: Iterable[Any],
        lr: float | Tensor = 1e-3,
        momentum: float = 0,
        dampening: float = 0,
        weight_decay: float = 0,
        nesterov: bool = False,
        *,
        maximize: bool = False,
        foreach: bool | None = None,
        differentiable: bool = False,
        fused: bool | None = None,
    ) -> None:
        if isinstance(lr, Tensor) and lr.numel() != 1:
            raise ValueError("Tensor lr must be 1-element")
        if lr < 0.0:
            raise ValueError(f"Invalid learning rate: {lr}")
        if momentum < 0.0:
            raise ValueError(f"Invalid momentum value: {momentum}")
        if weight_decay < 0.0:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        if differentiable:
            raise NotImplementedError("SGD(differentiable=True) is not supported by pybigml")
        defaults = {
            "lr": lr,
            "momentum": momentum,
            "dampening": dampening,
            "weight_decay": weight_decay,
            "nesterov": nesterov,
            "maximize": maximize,
            "foreach": foreach,
            "differentiable": differentiable,
            "fused": fused,
        }
        super().__init__(params, defaults)

    def _step_group(self, group: dict[str, Any]) -> None:
        momentum = group["momentum"]
        params, grads, momentum_buffers = [], [], []
        first_step = False  # whether some parameter has no momentum buffer yet
        for p in group["params"]:
            if p.grad is None:
                continue
            params.append(p)
            grads.append(p.grad)
            if momentum != 0:
                buf = self.state[p].get("momentum_buffer")
                first_step = first_step or buf is None
                momentum_buffers.append(buf)
        sgd_step(
            params,
            grads,
            momentum_buffers,
            lr=float(group["lr"]),
            momentum=momentum,
            dampening=group["dampening"],
            weight_decay=group["weight_decay"],
            nesterov=group["nesterov"],
            maximize=group["maximize"],
        )
        if first_step:  # keep the buffers sgd_step made
            for p, buf in zip(params, momentum_buffers):
                self.state[p]["momentum_buffer"] = buf
