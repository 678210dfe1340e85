"""``multi_head_attention_forward``: the functional form of ``nn.MultiheadAttention``.

Multi-head attention ("Attention Is All You Need", section 3.2.2) projects the query, key and
value ``num_heads`` times into subspaces of size ``head_dim = embed_dim / num_heads``, attends
in each, and mixes the heads with an output projection::

    head_i = softmax(Q W_q^i (K W_k^i)^T / sqrt(head_dim) + mask) V W_v^i
    out    = concat(head_1, ..., head_h) W_o^T + b_o

The heads are one batched computation: the projected ``(L, N, E)`` tensors are viewed as
``(N * num_heads, L, head_dim)``. Two routes compute the attention itself:

* ``need_weights=False``: ``F.scaled_dot_product_attention`` (the fast path; it never has to
  return the ``(L, S)`` weights);
* ``need_weights=True``: the scores are formed explicitly (``baddbmm`` adds the mask), so the
  softmax weights can be returned, averaged over heads or per head.

Masks follow PyTorch: ``attn_mask`` (``(L, S)`` or ``(N * num_heads, L, S)``) and
``key_padding_mask`` (``(N, S)``) are bool (True = *not* allowed to attend) or float (added
to the scores); both become one additive float mask. Shape errors are PyTorch's
``AssertionError``/``RuntimeError`` with the same messages.
"""

from __future__ import annotations

import math
import warnings

from ..._dtype import bool_
from ..._dtype import dtype as _dtype
from ..._tensor import Tensor
from ...ops.attention import scaled_dot_product_attention
from ...ops.creation import zeros, zeros_like
from ...ops.dropout import dropout
from ...ops.linalg import baddbmm, bmm, linear
from ...ops.padding import pad
from ...ops.reduction import softmax
from ...ops.shape import cat


# --------------------------------------------------------------------------- masks
def _canonical_mask(
    mask: Tensor | None,
    mask_name: str,
    other_type: _dtype | None,
    other_name: str,
    target_type: _dtype,
    check_other: bool = True,
) -> Tensor | None:
    """A bool or float mask as an additive float mask of ``target_type``.

    A bool mask becomes ``-inf`` where True (masked) and 0 elsewhere; a float mask is
    returned unchanged. Warns (as PyTorch does) when ``mask`` and the other mask of the call
    have different dtypes.
    """
    if mask is None:
        return None
    is_float = mask.dtype.is_floating_point
    if mask.dtype != bool_ and not is_float:
        raise AssertionError(f"only bool and floating types of {mask_name} are supported")
    if check_other and other_type is not None and mask.dtype != other_type:
        warnings.warn(
            f"Support for mismatched {mask_name} and {other_name} is deprecated. "
            "Use same type for both instead.",
            stacklevel=3,
        )
    if is_float:
        return mask
    return zeros_like(mask, dtype=target_type).masked_fill_(mask, -math.inf)


def _none_or_dtype(input: Tensor | None) -> _dtype | None:
    """The dtype of ``input``, or None for None."""
    if input is None:
        return None
    if isinstance(input, Tensor):
        return input.dtype
    raise RuntimeError("input to _none_or_dtype() must be None or pybigml.Tensor")


def _mha_shape_check(
    query: Tensor,
    key: Tensor,
    value: Tensor,
    key_padding_mask: Tensor | None,
    attn_mask: Tensor | None,
    num_heads: int,
) -> bool:
    """Check the ranks of the inputs and masks; True for batched (3-D) input, False for 2-D."""
    if query.dim() == 3:
        if key.dim() != 3 or value.dim() != 3:
            raise AssertionError(
                "For batched (3-D) `query`, expected `key` and `value` to be 3-D but found "
                f"{key.dim()}-D and {value.dim()}-D tensors respectively"
            )
        if key_padding_mask is not None and key_padding_mask.dim() != 2:
            raise AssertionError(
                "For batched (3-D) `query`, expected `key_padding_mask` to be `None` or 2-D "
                f"but found {key_padding_mask.dim()}-D tensor instead"
            )
        if attn_mask is not None and attn_mask.dim() not in (2, 3):
            raise AssertionError(
                "For batched (3-D) `query`, expected `attn_mask` to be `None`, 2-D or 3-D "
                f"but found {attn_mask.dim()}-D tensor instead"
            )
        return True
    if query.dim() == 2:
        if key.dim() != 2 or value.dim() != 2:
            raise AssertionError(
                "For unbatched (2-D) `query`, expected `key` and `value` to be 2-D but found "
                f"{key.dim()}-D and {value.dim()}-D tensors respectively"
            )
        if key_padding_mask is not None and key_padding_mask.dim() != 1:
            raise AssertionError(
                "For unbatched (2-D) `query`, expected `key_padding_mask` to be `None` or 1-D "
                f"but found {key_padding_mask.dim()}-D tensor instead"
            )
        if attn_mask is not None:
            if attn_mask.dim() not in (2, 3):
                raise AssertionError(
                    "For unbatched (2-D) `query`, expected `attn_mask` to be `None`, 2-D or "
                    f"3-D but found {attn_mask.dim()}-D tensor instead"
                )
            expected_shape = (num_heads, query.shape[0], key.shape[0])
            if attn_mask.dim() == 3 and tuple(attn_mask.shape) != expected_shape:
                raise AssertionError(
                    f"Expected `attn_mask` shape to be {expected_shape} but got "
                    f"{tuple(attn_mask.shape)}"
                )
        return False
    raise AssertionError(
        "query should be unbatched 2D or batched 3D tensor but received "
        f"{query.dim()}-D query tensor"
    )


def _attn_mask_3d(
    attn_mask: Tensor, bsz: int, num_heads: int, tgt_len: int, src_len: int
) -> Tensor:
    """``attn_mask`` checked against ``(L, S)`` or ``(N * num_heads, L, S)``, returned 3-D."""
    if attn_mask.dim() == 2:
        if tuple(attn_mask.shape) != (tgt_len, src_len):
            raise RuntimeError(
                f"The shape of the 2D attn_mask is {tuple(attn_mask.shape)}, but should be "
                f"{(tgt_len, src_len)}."
            )
        return attn_mask.unsqueeze(0)
    if attn_mask.dim() == 3:
        if tuple(attn_mask.shape) != (bsz * num_heads, tgt_len, src_len):
            raise RuntimeError(
                f"The shape of the 3D attn_mask is {tuple(attn_mask.shape)}, but should be "
                f"{(bsz * num_heads, tgt_len, src_len)}."
            )
        return attn_mask
    raise RuntimeError(f"attn_mask's dimension {attn_mask.dim()} is not supported")


# --------------------------------------------------------------------------- projections
def _linear_split(x: Tensor, w: Tensor, b: Tensor | None, parts: int) -> tuple[Tensor, ...]:
    """``linear(x, w, b)`` cut along its last dimension into ``parts`` equal tensors."""
    return linear(x, w, b).chunk(parts, dim=-1)


def _in_projection_packed(
    q: Tensor, k: Tensor, v: Tensor, w: Tensor, b: Tensor | None
) -> tuple[Tensor, Tensor, Tensor]:
    """``q W_q^T + b_q``, ``k W_k^T + b_k``, ``v W_v^T + b_v`` with ``w = [W_q; W_k; W_v]``.

    Self-attention (``q is k is v``) is one GEMM against the whole ``(3E, E)`` weight, and
    encoder-decoder attention (``k is v``) two; the results are split afterwards.
    """
    embed_dim = q.shape[-1]
    if k is v:
        if q is k:
            return _linear_split(q, w, b, 3)
        w_q, w_kv = w.split([embed_dim, 2 * embed_dim])
        b_q, b_kv = (None, None) if b is None else b.split([embed_dim, 2 * embed_dim])
        k_proj, v_proj = _linear_split(k, w_kv, b_kv, 2)
        return linear(q, w_q, b_q), k_proj, v_proj
    w_q, w_k, w_v = w.chunk(3)
    b_q, b_k, b_v = (None, None, None) if b is None else b.chunk(3)
    return linear(q, w_q, b_q), linear(k, w_k, b_k), linear(v, w_v, b_v)


def _in_projection(
    q: Tensor,
    k: Tensor,
    v: Tensor,
    w_q: Tensor,
    w_k: Tensor,
    w_v: Tensor,
    b_q: Tensor | None,
    b_k: Tensor | None,
    b_v: Tensor | None,
) -> tuple[Tensor, Tensor, Tensor]:
    """The three projections with separate weights (query, key and value widths differ)."""
    eq, ek, ev = q.shape[-1], k.shape[-1], v.shape[-1]
    for name, weight, expected in (
        ("query", w_q, (eq, eq)),
        ("key", w_k, (eq, ek)),
        ("value", w_v, (eq, ev)),
    ):
        if tuple(weight.shape) != expected:
            raise AssertionError(
                f"expecting {name} weights shape of {expected}, but got {tuple(weight.shape)}"
            )
    for name, bias in (("query", b_q), ("key", b_k), ("value", b_v)):
        if bias is not None and tuple(bias.shape) != (eq,):
            raise AssertionError(
                f"expecting {name} bias shape of {(eq,)}, but got {tuple(bias.shape)}"
            )
    return linear(q, w_q, b_q), linear(k, w_k, b_k), linear(v, w_v, b_v)


def _static_kv(static: Tensor, name: str, bsz_heads: int, head_dim: int) -> Tensor:
    """A caller-supplied projected key or value, ``(N * num_heads, S, head_dim)``."""
    if static.size(0) != bsz_heads:
        raise AssertionError(f"expecting {name}.size(0) of {bsz_heads}, but got {static.size(0)}")
    if static.size(2) != head_dim:
        raise AssertionError(f"expecting {name}.size(2) of {head_dim}, but got {static.size(2)}")
    return static


# --------------------------------------------------------------------------- attention
def multi_head_attention_forward(
    query: Tensor,
    key: Tensor,
    value: Tensor,
    embed_dim_to_check: int,
    num_heads: int,
    in_proj_weight: Tensor | None,
    in_proj_bias: Tensor | None,
    bias_k: Tensor | None,
    bias_v: Tensor | None,
    add_zero_attn: bool,
    dropout_p: float,
    out_proj_weight: Tensor,
    out_proj_bias: Tensor | None,
    training: bool = True,
    key_padding_mask: Tensor | None = None,
    need_weights: bool = True,
    attn_mask: Tensor | None = None,
    use_separate_proj_weight: bool = False,
    q_proj_weight: Tensor | None = None,
    k_proj_weight: Tensor | None = None,
    v_proj_weight: Tensor | None = None,
    static_k: Tensor | None = None,
    static_v: Tensor | None = None,
    average_attn_weights: bool = True,
    is_causal: bool = False,
) -> tuple[Tensor, Tensor | None]:
    """Multi-head attention of sequence-first inputs (PyTorch's functional form).

    Args:
        query: ``(L, N, E)``, or ``(L, E)`` unbatched.
        key, value: ``(S, N, E_k)`` and ``(S, N, E_v)`` (``(S, E_*)`` unbatched); ``E_k`` and
            ``E_v`` may differ from ``E`` only with ``use_separate_proj_weight``.
        embed_dim_to_check: ``E``, checked against ``query``.
        num_heads: the number of heads; divides ``E``.
        in_proj_weight, in_proj_bias: the packed ``(3E, E)`` projection and its ``(3E,)`` bias.
        bias_k, bias_v: ``(1, 1, E)`` rows appended to the projected key and value sequences.
        add_zero_attn: append a zero key and value (after the heads are split).
        dropout_p: dropout on the attention weights, when ``training``.
        out_proj_weight, out_proj_bias: the output projection.
        training: apply dropout.
        key_padding_mask: ``(N, S)`` (``(S,)`` unbatched), bool (True = ignore that key) or
            float (added to the scores).
        need_weights: also return the attention weights (computed explicitly instead of by
            ``scaled_dot_product_attention``).
        attn_mask: ``(L, S)`` or ``(N * num_heads, L, S)``, bool (True = not allowed) or float.
        use_separate_proj_weight: project with ``q/k/v_proj_weight`` instead of the packed one.
        q_proj_weight, k_proj_weight, v_proj_weight: ``(E, E)``, ``(E, E_k)``, ``(E, E_v)``.
        static_k, static_v: already projected keys/values, ``(N * num_heads, S, E / num_heads)``.
        average_attn_weights: average the returned weights over the heads.
        is_causal: a hint that ``attn_mask`` is the causal mask (which must still be given).

    Returns:
        ``(attn_output, attn_weights)``: ``(L, N, E)`` (``(L, E)`` unbatched) and, with
        ``need_weights``, ``(N, L, S)`` averaged or ``(N, num_heads, L, S)`` per head (without
        ``N`` unbatched), else None.
    """
    is_batched = _mha_shape_check(query, key, value, key_padding_mask, attn_mask, num_heads)
    if not is_batched:
        # Run unbatched input as a batch of one and drop that dimension at the end.
        query, key, value = query.unsqueeze(1), key.unsqueeze(1), value.unsqueeze(1)
        if key_padding_mask is not None:
            key_padding_mask = key_padding_mask.unsqueeze(0)

    tgt_len, bsz, embed_dim = query.shape
    src_len = key.shape[0]
    key_padding_mask = _canonical_mask(
        key_padding_mask, "key_padding_mask", _none_or_dtype(attn_mask), "attn_mask", query.dtype
    )
    if is_causal and attn_mask is None:
        raise RuntimeError(
            "Need attn_mask if specifying the is_causal hint. You may use the Transformer "
            "module method `generate_square_subsequent_mask` to create this mask."
        )
    if is_causal and key_padding_mask is None and not need_weights:
        # scaled_dot_product_attention applies the causal mask itself.
        attn_mask = None
    else:
        attn_mask = _canonical_mask(attn_mask, "attn_mask", None, "", query.dtype, False)
        if key_padding_mask is not None:
            # Merged with the padding mask, the mask is no longer causal.
            is_causal = False

    if embed_dim != embed_dim_to_check:
        raise AssertionError(
            f"was expecting embedding dimension of {embed_dim_to_check}, but got {embed_dim}"
        )
    head_dim = embed_dim // num_heads
    if head_dim * num_heads != embed_dim:
        raise AssertionError(f"embed_dim {embed_dim} not divisible by num_heads {num_heads}")
    if use_separate_proj_weight:
        if tuple(key.shape[:2]) != tuple(value.shape[:2]):
            raise AssertionError(
                f"key's sequence and batch dims {tuple(key.shape[:2])} do not match value's "
                f"{tuple(value.shape[:2])}"
            )
    elif tuple(key.shape) != tuple(value.shape):
        raise AssertionError(
            f"key shape {tuple(key.shape)} does not match value shape {tuple(value.shape)}"
        )

    # ---- input projections
    if not use_separate_proj_weight:
        if in_proj_weight is None:
            raise AssertionError("use_separate_proj_weight is False but in_proj_weight is None")
        q, k, v = _in_projection_packed(query, key, value, in_proj_weight, in_proj_bias)
    else:
        for name, weight in (
            ("q_proj_weight", q_proj_weight),
            ("k_proj_weight", k_proj_weight),
            ("v_proj_weight", v_proj_weight),
        ):
            if weight is None:
                raise AssertionError(f"use_separate_proj_weight is True but {name} is None")
        b_q, b_k, b_v = (None, None, None) if in_proj_bias is None else in_proj_bias.chunk(3)
        q, k, v = _in_projection(
            query, key, value, q_proj_weight, k_proj_weight, v_proj_weight, b_q, b_k, b_v
        )

    if attn_mask is not None:
        attn_mask = _attn_mask_3d(attn_mask, bsz, num_heads, tgt_len, src_len)

    # ---- learnt extra key/value (bias_k, bias_v): one more source position for every batch
    if bias_k is not None and bias_v is not None:
        if static_k is not None:
            raise AssertionError("bias cannot be added to static key.")
        if static_v is not None:
            raise AssertionError("bias cannot be added to static value.")
        k = cat([k, bias_k.repeat(1, bsz, 1)])
        v = cat([v, bias_v.repeat(1, bsz, 1)])
        if attn_mask is not None:
            attn_mask = pad(attn_mask, (0, 1))
        if key_padding_mask is not None:
            key_padding_mask = pad(key_padding_mask, (0, 1))
    elif bias_k is not None:
        raise AssertionError("bias_k is set but bias_v is None")
    elif bias_v is not None:
        raise AssertionError("bias_v is set but bias_k is None")

    # ---- split the heads: (L, N, E) -> (N * num_heads, L, head_dim)
    bsz_heads = bsz * num_heads
    q = q.reshape(tgt_len, bsz_heads, head_dim).transpose(0, 1)
    if static_k is None:
        k = k.reshape(k.shape[0], bsz_heads, head_dim).transpose(0, 1)
    else:
        k = _static_kv(static_k, "static_k", bsz_heads, head_dim)
    if static_v is None:
        v = v.reshape(v.shape[0], bsz_heads, head_dim).transpose(0, 1)
    else:
        v = _static_kv(static_v, "static_v", bsz_heads, head_dim)

    if add_zero_attn:
        zero_row = zeros((bsz_heads, 1, head_dim), dtype=k.dtype, device=k.device)
        k = cat([k, zero_row], dim=1)
        v = cat([v, zero_row], dim=1)
        if attn_mask is not None:
            attn_mask = pad(attn_mask, (0, 1))
        if key_padding_mask is not None:
            key_padding_mask = pad(key_padding_mask, (0, 1))

    src_len = k.size(1)
    if key_padding_mask is not None:
        if key_padding_mask.shape[0] != bsz:
            raise AssertionError(
                f"Expected key_padded_mask.shape[0] to be {bsz}, but got "
                f"{key_padding_mask.shape[0]}"
            )
        if key_padding_mask.shape[1] != src_len:
            raise AssertionError(
                f"Expected key_padded_mask.shape[1] to be {src_len}, but got "
                f"{key_padding_mask.shape[1]}"
            )
        # One row per (batch, head), broadcast over the queries: (N * num_heads, 1, S).
        key_padding_mask = (
            key_padding_mask.view(bsz, 1, 1, src_len)
            .expand(-1, num_heads, -1, -1)
            .reshape(bsz_heads, 1, src_len)
        )
        attn_mask = key_padding_mask if attn_mask is None else attn_mask + key_padding_mask

    if not training:
        dropout_p = 0.0

    # ---- attention and output projection
    if need_weights:
        # scores = mask + (q / sqrt(head_dim)) k^T, then the softmax weights are kept.
        q_scaled = q * math.sqrt(1.0 / float(head_dim))
        if attn_mask is not None:
            scores = baddbmm(attn_mask, q_scaled, k.transpose(-2, -1))
        else:
            scores = bmm(q_scaled, k.transpose(-2, -1))
        weights = softmax(scores, dim=-1)
        if dropout_p > 0.0:
            weights = dropout(weights, p=dropout_p)
        attn_output = bmm(weights, v)
        attn_output = attn_output.transpose(0, 1).reshape(tgt_len * bsz, embed_dim)
        attn_output = linear(attn_output, out_proj_weight, out_proj_bias)
        attn_output = attn_output.view(tgt_len, bsz, attn_output.size(1))
        weights = weights.view(bsz, num_heads, tgt_len, src_len)
        if average_attn_weights:
            weights = weights.mean(dim=1)
        if not is_batched:
            attn_output, weights = attn_output.squeeze(1), weights.squeeze(0)
        return attn_output, weights

    # attn_mask is (1, L, S) or (N * num_heads, L, S); as (1, 1, L, S) or (N, num_heads, L, S)
    # it broadcasts against the (N, num_heads, L, head_dim) heads.
    if attn_mask is not None:
        if attn_mask.size(0) == 1:
            attn_mask = attn_mask.unsqueeze(0)
        else:
            attn_mask = attn_mask.view(bsz, num_heads, -1, src_len)
    q = q.view(bsz, num_heads, tgt_len, head_dim)
    k = k.view(bsz, num_heads, src_len, head_dim)
    v = v.view(bsz, num_heads, src_len, head_dim)
    attn_output = scaled_dot_product_attention(q, k, v, attn_mask, dropout_p, is_causal)
    attn_output = attn_output.permute(2, 0, 1, 3).reshape(bsz * tgt_len, embed_dim)
    attn_output = linear(attn_output, out_proj_weight, out_proj_bias)
    attn_output = attn_output.view(tgt_len, bsz, attn_output.size(1))
    if not is_batched:
        attn_output = attn_output.squeeze(1)
    return attn_output, None
