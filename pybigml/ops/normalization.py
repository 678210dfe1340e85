"""Layer normalisation on the native kernel, and the standardisation the norms share.

``layer_norm(x) = (x - mean) * rstd * weight + bias`` over the trailing ``dims``, with
``rstd = 1 / sqrt(var + eps)`` (biased variance). :class:`LayerNorm` runs the backend's
``layer_norm_forward`` / ``layer_norm_backward`` for the dtypes it computes natively
(:func:`fuses_layer_norm`); ``nn.functional`` composes :func:`standardize` for the rest,
and for the batch, group and instance norms.
"""

from __future__ import annotations

import math
from typing import Any

from .. import backend
from .._tensor import Tensor
from ..autograd.function import Function
from ..autograd.grad_mode import GRAD_STATE

_make = Tensor._make


def standardize(input: Tensor, dims: tuple[int, ...], eps: float) -> Tensor:
    """``(x - mean) / sqrt(var + eps)`` over ``dims``, with the biased variance (divide by n)."""
    mean = input.mean(dims, keepdim=True)
    var = input.var(dims, correction=0, keepdim=True)
    return (input - mean) * (var + eps).rsqrt()


def fuses_layer_norm(input: Tensor, weight: Tensor | None, bias: Tensor | None) -> bool:
    """Whether :class:`LayerNorm` computes this call: ``input`` has elements, and it and the
    affine parameters given have one dtype the backend's layer-norm kernel computes in."""
    x = input._data
    for param in (weight, bias):
        if param is not None and param._data.dtype != x.dtype:
            return False
    return x.size > 0 and backend.of(x).native("layer_norm", x.dtype)


def _vector(xp: Any, t: Tensor | None, size: int) -> Any:
    """A parameter's array as a contiguous vector of ``size`` values (None stays None)."""
    return None if t is None else xp.ascontiguousarray(t._data).reshape(size)


def layer_norm_gradients(
    input: Tensor, weight: Tensor | None, grad: Tensor, dims: tuple[int, ...], eps: float
) -> tuple[Tensor, Tensor, Tensor]:
    """Layer norm's gradients as tensor ops (recorded under ``create_graph=True``):

    ``grad_x = rstd (g - mean(g) - x_hat mean(g x_hat))`` with ``g = grad * weight``,
    ``grad_weight = sum(grad * x_hat)`` and ``grad_bias = sum(grad)`` over the leading dims.
    """
    x_hat = standardize(input, dims, eps)
    rstd = (input.var(dims, correction=0, keepdim=True) + eps).rsqrt()
    g = grad if weight is None else grad * weight
    grad_input = rstd * (
        g - g.mean(dims, keepdim=True) - x_hat * (g * x_hat).mean(dims, keepdim=True)
    )
    leading = tuple(range(input.ndim - len(dims)))
    grad_weight = (grad * x_hat).sum(leading) if leading else grad * x_hat
    grad_bias = grad.sum(leading) if leading else grad
    return grad_input, grad_weight, grad_bias


class LayerNorm(Function):
    """``y = (x - mean) * rstd * weight + bias`` over the trailing ``dims`` on the native kernel
    (the backend's ``layer_norm_forward``, which saves each row's mean and rstd for the
    backward).

    The backward runs the backend's ``layer_norm_backward``; under ``create_graph=True`` it
    records ``layer_norm_gradients`` as tensor ops instead, so it differentiates again.
    """

    @staticmethod
    def forward(ctx, input, weight, bias, dims, eps):
        x = input._data
        be = backend.of(x)
        cols = math.prod(x.shape[x.ndim - len(dims) :])
        rows = be.xp.ascontiguousarray(x).reshape(-1, cols)
        y, ctx.mean, ctx.rstd = be.layer_norm_forward(
            rows, _vector(be.xp, weight, cols), _vector(be.xp, bias, cols), eps
        )
        ctx.dims, ctx.eps, ctx.cols = dims, eps, cols
        ctx.save_for_backward(input, weight, bias)
        return _make(y.reshape(x.shape))

    @staticmethod
    def backward(ctx, grad):
        input, weight, bias = ctx.saved_tensors
        need_input, need_weight, need_bias = ctx.needs_input_grad[:3]
        if GRAD_STATE.enabled or grad._data.dtype != input._data.dtype:
            grads = layer_norm_gradients(input, weight, grad, ctx.dims, ctx.eps)
            grad_input, grad_weight, grad_bias = grads
        else:
            cols = ctx.cols
            be = backend.of(input._data, grad._data)
            grad_input, grad_weight, grad_bias = (
                None if g is None else _make(g)
                for g in be.layer_norm_backward(
                    be.xp.ascontiguousarray(grad._data).reshape(-1, cols),
                    be.xp.ascontiguousarray(input._data).reshape(-1, cols),
                    ctx.mean,
                    ctx.rstd,
                    _vector(be.xp, weight, cols),
                    need_input,
                    need_weight,
                    need_bias,
                )
            )
        return (
            grad_input.reshape(input.shape) if need_input else None,
            grad_weight.reshape(weight.shape) if need_weight else None,
            grad_bias.reshape(bias.shape) if need_bias else None,
            None,
            None,
        )
