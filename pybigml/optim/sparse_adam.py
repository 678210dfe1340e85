"""``SparseAdam``: PyTorch's Adam for sparse gradients — here for API and checkpoint parity.

PyTorch's SparseAdam updates only the entries a sparse gradient holds (the rows an
``nn.Embedding(sparse=True)`` looked up) and refuses dense gradients. pybigml has no sparse
layout: every gradient is dense (``Embedding(sparse=True)`` included), so, exactly as
PyTorch does for a dense gradient, ``step`` raises and points to ``Adam``. Construction,
argument checks, ``param_groups`` and ``state_dict`` behave as PyTorch's.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from .._tensor import Tensor
from ..autograd.grad_mode import enable_grad
from .optimizer import Optimizer


class SparseAdam(Optimizer):
    """SparseAdam, as ``torch.optim.SparseAdam`` (whose step needs sparse gradients).

    Args:
        params: parameters or parameter groups to optimise.
        lr: learning rate.
        betas: decay rates of the first and second moment averages.
        eps: added to the denominator for numerical stability.
        maximize: ascend instead of descend.

    Example::

        >>> opt = optim.SparseAdam(model.parameters())   # step() needs sparse gradients:
        >>> opt = optim.Adam(model.parameters())         # use Adam with pybigml
    """

    def __init__(
        self,
        params: Iterable[Any],
        lr: float | Tensor = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        maximize: bool = False,
    ) -> None:
        if isinstance(lr, Tensor) and lr.numel() != 1:
            raise ValueError("Tensor lr must be 1-element")
        if not lr > 0.0:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not eps > 0.0:
            raise ValueError(f"Invalid epsilon value: {eps}")
        if not 0.0 <= betas[0] < 1.0:
            raise ValueError(f"Invalid beta parameter at index 0: {betas[0]}")
        if not 0.0 <= betas[1] < 1.0:
            raise ValueError(f"Invalid beta parameter at index 1: {betas[1]}")
        defaults = {"lr": lr, "betas": betas, "eps": eps, "maximize": maximize}
        super().__init__(params, defaults)

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Raise for the first parameter with a gradient (pybigml's gradients are dense).

        Args:
            closure: re-evaluates the model and returns the loss (run first, as PyTorch).

        Returns:
            The closure's loss, when no parameter has a gradient.

        Raises:
            RuntimeError: a parameter has a (dense) gradient.
        """
        loss = None
        if closure is not None:
            with enable_grad():
                loss = closure()
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is not None:
                    raise RuntimeError(
                        "SparseAdam does not support dense gradients, please consider Adam instead"
                    )
        return loss
