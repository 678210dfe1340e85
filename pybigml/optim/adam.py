"""``Adam``: adaptive moment estimation, with L2 or decoupled weight decay and AMSGrad.

For each parameter ``p`` with gradient ``g`` (``-g`` with ``maximize``), step ``t``:

    g   = g + weight_decay * p             (L2 penalty; or, decoupled as in AdamW,
                                            p = p * (1 - lr * weight_decay) instead)
    m_t = beta1 * m_{t-1} + (1 - beta1) * g            first moment, ``exp_avg``
    v_t = beta2 * v_{t-1} + (1 - beta2) * g^2          second moment, ``exp_avg_sq``
    v_max = max(v_max, v_t)                            AMSGrad only, ``max_exp_avg_sq``
    p   = p - lr / (1 - beta1^t) * m_t / (sqrt(v_t) / sqrt(1 - beta2^t) + eps)

``m`` and ``v`` start at zero, so early on they are biased towards zero; dividing by
``1 - beta^t`` removes that bias. ``step`` is kept as a 0-d float tensor, as PyTorch does.
The update is :func:`pybigml.ops.optim.adam_step`: one fused native pass per parameter in
its dtype, in PyTorch's order of operations (the bias corrections in doubles), so both
libraries round alike.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from .._tensor import Tensor
from ..ops.creation import zeros_like
from ..ops.optim import adam_step
from .optimizer import Optimizer


class Adam(Optimizer):
    """Adam, as ``torch.optim.Adam``.

    Args:
        params: parameters or parameter groups to optimise.
        lr: learning rate.
        betas: decay rates of the first and second moment averages.
        eps: added to the denominator for numerical stability.
        weight_decay: L2 penalty (added to the gradient, or decoupled, see below).
        amsgrad: normalise by the largest second moment seen so far (AMSGrad).
        maximize: ascend instead of descend.
        decoupled_weight_decay: shrink the parameters directly (AdamW) instead of adding
            ``weight_decay * p`` to the gradient.
        foreach, fused: accepted for PyTorch compatibility; pybigml has one implementation.
        capturable, differentiable: unsupported (must be False).

    Example::

        >>> opt = optim.Adam(model.parameters(), lr=1e-3)
        >>> opt.zero_grad(); loss_fn(model(x), y).backward(); opt.step()
    """

    def __init__(
        self,
        params: Iterable[Any],
        lr: float | Tensor = 1e-3,
        betas: tuple[float | Tensor, float | Tensor] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0,
        amsgrad: bool = False,
        *,
        foreach: bool | None = None,
        maximize: bool = False,
        capturable: bool = False,
        differentiable: bool = False,
        fused: bool | None = None,
        decoupled_weight_decay: bool = False,
    ) -> None:
        if isinstance(lr, Tensor) and lr.numel() != 1:
            raise ValueError("Tensor lr must be 1-element")
        if not lr >= 0.0:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not eps >= 0.0:
            raise ValueError(f"Invalid epsilon value: {eps}")
        for i, beta in enumerate(betas):
            if isinstance(beta, Tensor) and beta.numel() != 1:
                raise ValueError(f"Tensor betas[{i}] must be 1-element")
            if not 0.0 <= beta < 1.0:
                raise ValueError(f"Invalid beta parameter at index {i}: {beta}")
        if not weight_decay >= 0.0:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if not (
            all(isinstance(beta, float) for beta in betas)
            or all(isinstance(beta, Tensor) for beta in betas)
        ):
            raise ValueError("betas must be either both floats or both Tensors")
        name = type(self).__name__
        if differentiable:
            raise NotImplementedError(f"{name}(differentiable=True) is not supported by pybigml")
        if capturable:
            raise NotImplementedError(f"{name}(capturable=True) is not supported by pybigml")
        betas = tuple(b.reshape(()) if isinstance(b, Tensor) else b for b in betas)
        defaults = {
            "lr": lr,
            "betas": betas,
            "eps": eps,
            "weight_decay": weight_decay,
            "amsgrad": amsgrad,
            "maximize": maximize,
            "foreach": foreach,
            "capturable": capturable,
            "differentiable": differentiable,
            "fused": fused,
            "decoupled_weight_decay": decoupled_weight_decay,
        }
        super().__init__(params, defaults)

    def _step_group(self, group: dict[str, Any]) -> None:
        beta1, beta2 = (float(b) for b in group["betas"])
        amsgrad = group["amsgrad"]

        def new_state(p: Tensor) -> dict[str, Tensor]:
            state = {"exp_avg": zeros_like(p), "exp_avg_sq": zeros_like(p)}
            if amsgrad:
                state["max_exp_avg_sq"] = zeros_like(p)
            return state

        params, grads, states = self._init_group(group, new_state)
        adam_step(
            params,
            grads,
            [s["exp_avg"] for s in states],
            [s["exp_avg_sq"] for s in states],
            [s["max_exp_avg_sq"] for s in states] if amsgrad else None,
            [s["step"] for s in states],
            amsgrad=amsgrad,
            beta1=beta1,
            beta2=beta2,
            lr=float(group["lr"]),
            weight_decay=group["weight_decay"],
            eps=group["eps"],
            maximize=group["maximize"],
            decoupled_weight_decay=group["decoupled_weight_decay"],
        )
