"""Scaled dot-product attention, PyTorch's ``F.scaled_dot_product_attention``.

``attention(q, k, v) = softmax(q k^T * scale + mask) v`` over the last two axes, batched over
the leading ones. This is the composed path: every step is a Tensor op, so autograd
differentiates it to any order. It materialises the (L, S) score matrix.

Masks follow PyTorch: a bool ``attn_mask`` keeps the positions where it is True, a float one
is added to the scores; either broadcasts against (..., L, S). ``is_causal`` keeps key ``j``
for query ``i`` when ``j <= i``. A query row whose every key is masked attends to nothing: its
output (and gradient) is zero, not NaN.
"""

from __future__ import annotations

import math

import numpy as np

import pybigml

from .._tensor import Tensor


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


def attention_bias(
    attn_mask: Tensor | None, is_causal: bool, length: int, source_length: int, dtype
) -> Tensor | None:
    """The additive bias for the scores: 0 where a key is kept, -inf where it is masked."""
    if is_causal:
        if attn_mask is not None:
            raise RuntimeError(
                "scaled_dot_product_attention: explicit attn_mask should not be set when "
                "is_causal=True"
            )
        keep = np.tril(np.ones((length, source_length), dtype=bool))
        return Tensor._make(np.where(keep, 0.0, -np.inf).astype(dtype._np))
    if attn_mask is None:
        return None
    if attn_mask.dtype == pybigml.bool:
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
    scale = 1.0 / math.sqrt(query.shape[-1]) if scale is None else scale
    scores = pybigml.matmul(query, key.transpose(-2, -1)) * scale
    bias = attention_bias(attn_mask, is_causal, query.shape[-2], key.shape[-2], query.dtype)
    if bias is not None:
        scores = scores + bias
    # A fully masked row has max -inf; softmax would give NaN there, attention gives 0.
    dead = (scores == -math.inf).all(dim=-1, keepdim=True)
    weights = pybigml.softmax(scores.masked_fill(dead, 0.0), dim=-1).masked_fill(dead, 0.0)
    if dropout_p > 0.0:
        weights = pybigml.nn.functional.dropout(weights, dropout_p)
    return pybigml.matmul(weights, value)


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
    """``softmax(query @ key^T * scale + mask) @ value``: see :func:`composed_attention`."""
    return composed_attention(query, key, value, attn_mask, dropout_p, is_causal, scale, enable_gqa)
