"""``AdamW``: Adam with decoupled weight decay.

Instead of adding ``weight_decay * p`` to the gradient (where Adam's normalisation would
rescale it), each step first shrinks the parameter, ``p = p * (1 - lr * weight_decay)``,
then takes the plain Adam step. The update itself lives in :class:`~pybigml.optim.Adam`
(its ``decoupled_weight_decay=True`` mode), as in PyTorch.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from .._tensor import Tensor
from .adam import Adam


class AdamW(Adam):
    """AdamW, as ``torch.optim.AdamW``; the arguments are Adam's (``weight_decay`` defaults
    to ``1e-2`` and is always decoupled).

    Example::

        >>> opt = optim.AdamW(model.parameters(), lr=1e-3, weight_decay=0.05)
        >>> opt.zero_grad(); loss_fn(model(x), y).backward(); opt.step()
    """

    def __init__(
        self,
        params: Iterable[Any],
        lr: float | Tensor = 1e-3,
        betas: tuple[float | Tensor, float | Tensor] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 1e-2,
        amsgrad: bool = False,
        *,
        maximize: bool = False,
        foreach: bool | None = None,
        capturable: bool = False,
        differentiable: bool = False,
        fused: bool | None = None,
    ) -> None:
        super().__init__(
            params,
            lr,
            betas,
            eps,
            weight_decay,
            amsgrad,
            foreach=foreach,
            maximize=maximize,
            capturable=capturable,
            differentiable=differentiable,
            fused=fused,
            decoupled_weight_decay=True,
        )
