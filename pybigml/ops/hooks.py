"""An identity node that hands the gradients flowing through it to a callback.

``nn.Module``'s full backward hooks are built on it (``nn/_backward_hooks.py``): one node on a
call's inputs, one on its outputs.
"""

from __future__ import annotations

from .._tensor import Tensor
from ..autograd.function import Function

__all__ = ["BackwardHookFunction"]


class BackwardHookFunction(Function):
    """``apply(on_grads, *tensors)``: the tensors unchanged (new tensors on the same memory).

    Gradient: ``grads -> on_grads(grads)``; what the callback returns (a tuple of one gradient
    per tensor) flows on to the inputs.
    """

    @staticmethod
    def forward(ctx, on_grads, *tensors):
        ctx.on_grads = on_grads
        return tuple(Tensor._make(t._data) for t in tensors)

    @staticmethod
    def backward(ctx, *grads):
        return (None, *ctx.on_grads(grads))
