"""Scaled dot-product attention, PyTorch's ``F.scaled_dot_product_attention``.

``attention(q, k, v) = softmax(q k^T * scale + mask) v`` over the last two axes, batched over
the leading ones. Two paths compute it:

* the fused path (:class:`FusedAttention`, the default): one graph node whose forward and
  backward are the native FlashAttention-style kernels (the backend's ``attention_forward`` /
  ``attention_backward``, csrc/cpu/attention.cpp). It never materialises the (L, S) score
  matrix: the forward saves the output and one log-sum-exp per query, and the backward
  recomputes the scores tile by tile. With ``P = softmax(S)``, ``S = q k^T * scale + mask``
  and ``dO`` the output's gradient:

      dv = P^T dO      dP = dO v^T      dS = P * (dP - rowsum(dO * O))
      dq = dS k * scale      dk = dS^T q * scale

* the composed path (:func:`composed_attention`): every step a Tensor op, so autograd
  differentiates it to any order. It materialises the score matrix. It is used for
  ``dropout_p > 0``, for a float ``attn_mask`` that requires grad, and for dtypes other than
  float32/float64; the fused node also routes its backward through it when a double
  backward is asked for (``create_graph=True``).

Masks follow PyTorch: a bool ``attn_mask`` keeps the positions where it is True, a float one
is added to the scores; either broadcasts against (..., L, S). ``is_causal`` keeps key ``j``
for query ``i`` when ``j <= i``. A query row whose every key is masked attends to nothing: its
output (and gradient) is zero, not NaN.
"""

from __future__ import annotations

import math

import numpy as np

from .. import _dtype, backend
from .._tensor import Tensor
from ..autograd import grad as autograd_grad
from ..autograd.function import Function
from ..autograd.grad_mode import GRAD_STATE, enable_grad
from .dropout import dropout
from .linalg import matmul
from .reduction import softmax


def _check_inputs(query: Tensor, key: Tensor, value: Tensor, enable_gqa: bool) -> None:
    op = "scaled_dot_product_attention"
    for name, t in (("query", query), ("key", key), ("value", value)):
        if not isinstance(t, Tensor):
            raise TypeError(f"{op}: expected {name} to be a Tensor, got {type(t).__name__}")
        if t.ndim < 2:
            raise RuntimeError(
                f"{op}: expected {name} to have at least 2 dims, got shape {tuple(t.shape)}"
            )
        if not t.dtype.is_floating_point:
            raise RuntimeError(
                f"{op}: expected {name} to be a floating point tensor, got {t.dtype}"
            )
    if not (query.dtype == key.dtype == value.dtype):
        raise RuntimeError(
            f"{op}: expected query, key and value to have the same dtype, got "
            f"{query.dtype}, {key.dtype} and {value.dtype}"
        )
    if query.shape[-1] != key.shape[-1]:
        raise RuntimeError(
            f"{op}: query and key must have the same embedding size, got shapes "
            f"{tuple(query.shape)} and {tuple(key.shape)}"
        )
    if key.shape[-2] != value.shape[-2]:
        raise RuntimeError(
            f"{op}: key and value must have the same sequence length, got shapes "
            f"{tuple(key.shape)} and {tuple(value.shape)}"
        )
    if enable_gqa and query.ndim >= 3 and query.shape[-3] % key.shape[-3] != 0:
        raise RuntimeError(
            f"{op}: with enable_gqa the query heads ({query.shape[-3]}) must be a "
            f"multiple of the key heads ({key.shape[-3]})"
        )


def _repeat_heads(t: Tensor, groups: int) -> Tensor:
    """Each of the key/value heads used by ``groups`` consecutive query heads (grouped query)."""
    return t if groups == 1 else t.repeat_interleave(groups, dim=-3)


def _check_causal(attn_mask: Tensor | None, is_causal: bool) -> None:
    if is_causal and attn_mask is not None:
        raise RuntimeError(
            "scaled_dot_product_attention: explicit attn_mask should not be set when is_causal=True"
        )


def _check_mask_dtype(attn_mask: Tensor | None, query: Tensor) -> None:
    if attn_mask is not None and attn_mask.dtype not in (
        _dtype.bool_,
        _dtype.float32,
        query.dtype,
    ):
        raise RuntimeError(
            "Expected attn_mask dtype to be bool or float or to match query dtype, but got "
            f"attn_mask.dtype: {attn_mask.dtype} and query.dtype: {query.dtype} instead."
        )


def attention_bias(
    attn_mask: Tensor | None, is_causal: bool, length: int, source_length: int, dtype
) -> Tensor | None:
    """The additive bias for the scores: 0 where a key is kept, -inf where it is masked."""
    _check_causal(attn_mask, is_causal)
    if is_causal:
        keep = np.tril(np.ones((length, source_length), dtype=bool))
        return Tensor._make(np.where(keep, 0.0, -np.inf).astype(dtype._np))
    if attn_mask is None:
        return None
    if attn_mask.dtype == _dtype.bool_:
        return Tensor._make(np.where(attn_mask._data, 0.0, -np.inf).astype(dtype._np))
    return attn_mask.to(dtype)


def composed_attention(
    query: Tensor,
    key: Tensor,
    value: Tensor,
    attn_mask: Tensor | None = None,
    dropout_p: float = 0.0,
    is_causal: bool = False,
    scale: float | None = None,
    enable_gqa: bool = False,
) -> Tensor:
    """``softmax(query @ key^T * scale + mask) @ value``; PyTorch's signature and semantics.

    Args:
        query: (..., L, E). key: (..., S, E). value: (..., S, Ev).
        attn_mask: bool (True = attend) or float (added to the scores), broadcastable to
            (..., L, S).
        dropout_p: probability of zeroing an attention weight (applied whenever > 0).
        is_causal: mask key j for query i when j > i; excludes ``attn_mask``.
        scale: multiplies the scores; ``1 / sqrt(E)`` when None.
        enable_gqa: let the key/value heads (dim -3) be fewer than the query heads.

    Returns:
        (..., L, Ev).
    """
    _check_inputs(query, key, value, enable_gqa)
    if enable_gqa and query.ndim >= 3:
        groups = query.shape[-3] // key.shape[-3]
        key, value = _repeat_heads(key, groups), _repeat_heads(value, groups)
    scores = matmul(query, key.transpose(-2, -1))
    head_dim = query.shape[-1]
    if head_dim:  # with no features every score is 0 whatever the scale (1 / sqrt(0) = inf)
        scores = scores * (1.0 / math.sqrt(head_dim) if scale is None else scale)
    bias = attention_bias(attn_mask, is_causal, query.shape[-2], key.shape[-2], query.dtype)
    if bias is not None:
        scores = scores + bias
    # A fully masked row has max -inf; softmax would give NaN there, attention gives 0.
    dead = (scores == -math.inf).all(dim=-1, keepdim=True)
    weights = softmax(scores.masked_fill(dead, 0.0), dim=-1).masked_fill(dead, 0.0)
    if dropout_p > 0.0:
        weights = dropout(weights, dropout_p)
    return matmul(weights, value)


class _Layout:
    """How the tensors of one call map onto the kernels' 4-D (B, H, rows, features) operands.

    Leading axes before the head axis (-3) broadcast together and are folded into one batch
    axis B (a view when there is at most one; a copy otherwise, where numpy cannot fold
    broadcast axes in place). Query heads broadcast to H; key/value heads stay Hk when H is a
    multiple of it (grouped-query attention, or one head shared by all), so shared keys are
    never copied. A mask keeps its size-1 axes: the kernel reads them with stride 0.
    """

    def __init__(self, query, key, value, mask, enable_gqa: bool) -> None:
        shapes = [t.shape for t in (query, key, value)] + ([mask.shape] if mask is not None else [])
        outer_shapes = [tuple(shape[:-3]) for shape in shapes]
        head_counts = [shape[-3] if len(shape) >= 3 else 1 for shape in shapes]
        self.outer = np.broadcast_shapes(*outer_shapes)
        q_heads, k_heads, v_heads = head_counts[:3]
        if enable_gqa and query.ndim >= 3:
            self.heads = q_heads
            self.kv_heads = k_heads
        else:
            self.heads = np.broadcast_shapes(*((h,) for h in head_counts))[0]
            self.kv_heads = k_heads if k_heads == v_heads else self.heads
        self.length, self.head_dim = query.shape[-2:]
        self.key_length, self.value_dim = value.shape[-2:]

    def fold(self, x: np.ndarray, heads: int, keep_broadcast: bool = False) -> np.ndarray:
        """x (..., [heads,] rows, cols) as (B, heads, rows, cols). With keep_broadcast (the
        mask), size-1 axes stay size 1 where folding needs no broadcast."""
        x = x.reshape((1,) * (len(self.outer) + 3 - x.ndim) + x.shape)
        if keep_broadcast and len(self.outer) <= 1:
            return x if self.outer else x[np.newaxis]
        full = self.outer + (heads,) + x.shape[-2:]
        return np.broadcast_to(x, full).reshape((math.prod(self.outer),) + full[-3:])

    def unfold(self, grad: np.ndarray, shape: tuple, heads: int) -> np.ndarray:
        """The adjoint of fold for a gradient of one query-head-sized operand: sums groups of
        query heads onto their key/value head, then sums over broadcast axes to ``shape``."""
        if heads != self.heads:
            groups = self.heads // heads if heads else 1
            grad = grad.reshape(grad.shape[:1] + (heads, groups) + grad.shape[2:]).sum(axis=2)
        grad = grad.reshape(self.outer + (heads,) + grad.shape[-2:])
        padded = (1,) * (grad.ndim - len(shape)) + tuple(shape)
        axes = tuple(i for i, (g, n) in enumerate(zip(grad.shape, padded)) if n == 1 and g != 1)
        if axes:
            grad = grad.sum(axis=axes, keepdims=True)
        return grad.reshape(shape)


def _rows_contiguous(x: np.ndarray) -> np.ndarray:
    """x itself when its rows (last axis) are contiguous, as the kernels need, else a copy."""
    if x.shape[-1] > 1 and x.strides[-1] != x.itemsize:
        return np.ascontiguousarray(x)
    return x


class FusedAttention(Function):
    """Attention as one graph node over the native fused kernels (see the module docstring).

    The forward saves q, k, v, the output and the log-sum-exp of each query's scores (O(L)
    per head) instead of the (L, S) probabilities. The backward runs the native kernel; under
    ``create_graph=True`` it recomputes the gradients through :func:`composed_attention` with
    Tensor ops instead, so that double backward works (at the composed path's O(L S) memory).
    """

    @staticmethod
    def forward(ctx, query, key, value, attn_mask, scale, is_causal, enable_gqa):
        layout = _Layout(query._data, key._data, value._data, attn_mask, enable_gqa)
        q, k, v, mask = _kernel_operands(layout, query, key, value, attn_mask)
        be = backend.of(q, k, v, mask)
        out, lse = be.attention_forward(q, k, v, mask, scale, is_causal)
        result = Tensor._make(out.reshape(_output_shape(layout, query, key, value, attn_mask)))
        ctx.save_for_backward(query, key, value, attn_mask, result)
        ctx.layout, ctx.lse, ctx.out = layout, lse, out
        ctx.scale, ctx.is_causal, ctx.enable_gqa = scale, is_causal, enable_gqa
        return result

    @staticmethod
    def backward(ctx, grad):
        query, key, value, attn_mask, _ = ctx.saved_tensors
        needs = ctx.needs_input_grad[:3]
        if GRAD_STATE.enabled:  # create_graph: differentiate the composed path instead
            return _composed_gradients(ctx, query, key, value, attn_mask, grad) + (None,) * 4
        layout = ctx.layout
        q, k, v, mask = _kernel_operands(layout, query, key, value, attn_mask)
        grad_out = _rows_contiguous(layout.fold(grad._data, layout.heads))
        grads = backend.of(q, k, v, mask, grad_out).attention_backward(
            q, k, v, mask, ctx.out, ctx.lse, grad_out, ctx.scale, ctx.is_causal
        )
        heads = (layout.heads, layout.kv_heads, layout.kv_heads)
        result = tuple(
            Tensor._make(layout.unfold(g, t.shape, h)) if need else None
            for g, t, h, need in zip(grads, (query, key, value), heads, needs)
        )
        return result + (None,) * 4


def _kernel_operands(layout: _Layout, query, key, value, attn_mask) -> tuple:
    q = _rows_contiguous(layout.fold(query._data, layout.heads))
    k = _rows_contiguous(layout.fold(key._data, layout.kv_heads))
    v = _rows_contiguous(layout.fold(value._data, layout.kv_heads))
    mask = None
    if attn_mask is not None:
        mask = attn_mask._data
        if mask.dtype != np.bool_ and mask.dtype != q.dtype:
            mask = mask.astype(q.dtype)
        mask = layout.fold(mask, layout.heads, keep_broadcast=True)
    return q, k, v, mask


def _output_shape(layout: _Layout, query, key, value, attn_mask) -> tuple:
    """The composed path's output shape: the broadcast batch, (L, Ev), no axis added."""
    ndim = max(t.ndim for t in (query, key, value, attn_mask) if t is not None)
    full = layout.outer + (layout.heads, layout.length, layout.value_dim)
    return full[len(full) - ndim :]


def _composed_gradients(ctx, query, key, value, attn_mask, grad) -> tuple:
    """The gradients of q, k and v through :func:`composed_attention`, recording a graph."""
    inputs = [t for t, need in zip((query, key, value), ctx.needs_input_grad[:3]) if need]
    with enable_grad():
        out = composed_attention(
            query, key, value, attn_mask, 0.0, ctx.is_causal, ctx.scale, ctx.enable_gqa
        )
        grads = iter(autograd_grad(out, inputs, grad, create_graph=True))
    return tuple(next(grads) if need else None for need in ctx.needs_input_grad[:3])


def _fused_supported(query: Tensor, attn_mask: Tensor | None, dropout_p: float) -> bool:
    """Whether the fused kernels compute this call (see the module docstring)."""
    if dropout_p > 0.0 or not backend.of(query._data).native("attention", query._data.dtype):
        return False
    if attn_mask is None:
        return True
    if attn_mask._requires_grad and GRAD_STATE.enabled:
        return False
    return attn_mask.dtype == _dtype.bool_ or attn_mask.is_floating_point()


def scaled_dot_product_attention(
    query: Tensor,
    key: Tensor,
    value: Tensor,
    attn_mask: Tensor | None = None,
    dropout_p: float = 0.0,
    is_causal: bool = False,
    scale: float | None = None,
    enable_gqa: bool = False,
) -> Tensor:
    """``softmax(query @ key^T * scale + mask) @ value``, PyTorch's signature and semantics.

    Runs the fused native kernels (:class:`FusedAttention`) for float32/float64 inputs without
    dropout; dropout, a float mask that requires grad and other dtypes take
    :func:`composed_attention`. Double backward works on both paths (the fused node's backward
    goes through the composed path under ``create_graph=True``).

    Args:
        query: (..., L, E). key: (..., S, E). value: (..., S, Ev).
        attn_mask: bool (True = attend) or float (added to the scores), broadcastable to
            (..., L, S).
        dropout_p: probability of zeroing an attention weight (applied whenever > 0).
        is_causal: mask key j for query i when j > i; excludes ``attn_mask``.
        scale: multiplies the scores; ``1 / sqrt(E)`` when None.
        enable_gqa: let the key/value heads (dim -3) be fewer than the query heads.

    Returns:
        (..., L, Ev).

    Example::

        >>> q = k = v = pybigml.ones(2, 4, 8)
        >>> F.scaled_dot_product_attention(q, k, v, is_causal=True).shape
        pybigml.Size([2, 4, 8])
    """
    _check_inputs(query, key, value, enable_gqa)
    _check_causal(attn_mask, is_causal)
    _check_mask_dtype(attn_mask, query)
    if not _fused_supported(query, attn_mask, dropout_p) or not _mask_broadcasts(
        query, key, attn_mask
    ):
        return composed_attention(
            query, key, value, attn_mask, dropout_p, is_causal, scale, enable_gqa
        )
    head_dim = query.shape[-1]
    if scale is None:
        scale = 1.0 / math.sqrt(head_dim) if head_dim else math.inf
    return FusedAttention.apply(query, key, value, attn_mask, scale, is_causal, enable_gqa)


def _mask_broadcasts(query: Tensor, key: Tensor, attn_mask: Tensor | None) -> bool:
    """Whether attn_mask's last two axes broadcast against (L, S); the composed path raises
    torch's error for the others."""
    if attn_mask is None:
        return True
    try:
        np.broadcast_shapes(attn_mask.shape, query.shape[:-1] + key.shape[-2:-1])
    except ValueError:
        return False
    return True
