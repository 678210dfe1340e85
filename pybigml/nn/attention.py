"""``MultiheadAttention``: ``num_heads`` scaled dot-product attentions in parallel, with
learnt input and output projections; its computation is ``F.multi_head_attention_forward``
(``nn/functional/attention.py``, where the formulas and the mask conventions are).
"""

from __future__ import annotations

from typing import Any

from .._tensor import Tensor
from ..ops.creation import empty
from .functional.attention import _canonical_mask, _none_or_dtype, multi_head_attention_forward
from .init import constant_, xavier_normal_, xavier_uniform_
from .linear import Linear
from .module import Module
from .parameter import Parameter


class NonDynamicallyQuantizableLinear(Linear):
    """The output projection of ``MultiheadAttention``: a ``Linear`` under PyTorch's name."""


class MultiheadAttention(Module):
    """Multi-head attention: ``num_heads`` scaled dot-product attentions in parallel.

    ``MultiHead(Q, K, V) = concat(head_1, ..., head_h) W_o^T + b_o`` with
    ``head_i = Attention(Q W_q^i, K W_k^i, V W_v^i)``.

    Parameters (PyTorch's names): ``in_proj_weight`` ``(3E, E)`` (or ``q_proj_weight``,
    ``k_proj_weight`` ``(E, kdim)``, ``v_proj_weight`` ``(E, vdim)`` when ``kdim``/``vdim``
    differ from ``E``), ``in_proj_bias`` ``(3E,)``, ``out_proj`` (a ``Linear``), and with
    ``add_bias_kv`` ``bias_k``/``bias_v`` ``(1, 1, E)``. Projections start Xavier-uniform,
    biases at zero, ``bias_k``/``bias_v`` Xavier-normal.

    Args:
        embed_dim: ``E``, the model width.
        num_heads: number of heads; ``E`` must be divisible by it.
        dropout: dropout probability on the attention weights.
        bias: learn the input and output projection biases.
        add_bias_kv: append a learnt key and value to the source sequence.
        add_zero_attn: append a zero key and value to the source sequence.
        kdim, vdim: widths of the key and value inputs (default ``E``).
        batch_first: inputs and output are ``(N, L, E)`` instead of ``(L, N, E)``.
        device, dtype: where and of what type the parameters are made.

    Example::

        >>> mha = nn.MultiheadAttention(16, 4, batch_first=True)
        >>> x = pybigml.randn(2, 5, 16)
        >>> out, weights = mha(x, x, x)
        >>> out.shape, weights.shape
        (pybigml.Size([2, 5, 16]), pybigml.Size([2, 5, 5]))
    """

    def __init__(
        self,
        embed_dim: int,
        num_heads: int,
        dropout: float = 0.0,
        bias: bool = True,
        add_bias_kv: bool = False,
        add_zero_attn: bool = False,
        kdim: int | None = None,
        vdim: int | None = None,
        batch_first: bool = False,
        device: Any = None,
        dtype: Any = None,
    ) -> None:
        if embed_dim <= 0 or num_heads <= 0:
            raise ValueError(
                "embed_dim and num_heads must be greater than 0, got "
                f"embed_dim={embed_dim} and num_heads={num_heads} instead"
            )
        factory = {"device": device, "dtype": dtype}
        super().__init__()
        self.embed_dim = embed_dim
        self.kdim = kdim if kdim is not None else embed_dim
        self.vdim = vdim if vdim is not None else embed_dim
        self._qkv_same_embed_dim = self.kdim == embed_dim and self.vdim == embed_dim
        self.num_heads = num_heads
        self.dropout = dropout
        self.batch_first = batch_first
        self.head_dim = embed_dim // num_heads
        if self.head_dim * num_heads != embed_dim:
            raise AssertionError("embed_dim must be divisible by num_heads")

        if self._qkv_same_embed_dim:
            self.in_proj_weight = Parameter(empty((3 * embed_dim, embed_dim), **factory))
            for name in ("q_proj_weight", "k_proj_weight", "v_proj_weight"):
                self.register_parameter(name, None)
        else:
            self.q_proj_weight = Parameter(empty((embed_dim, embed_dim), **factory))
            self.k_proj_weight = Parameter(empty((embed_dim, self.kdim), **factory))
            self.v_proj_weight = Parameter(empty((embed_dim, self.vdim), **factory))
            self.register_parameter("in_proj_weight", None)
        if bias:
            self.in_proj_bias = Parameter(empty(3 * embed_dim, **factory))
        else:
            self.register_parameter("in_proj_bias", None)
        self.out_proj = NonDynamicallyQuantizableLinear(embed_dim, embed_dim, bias=bias, **factory)
        if add_bias_kv:
            self.bias_k = Parameter(empty((1, 1, embed_dim), **factory))
            self.bias_v = Parameter(empty((1, 1, embed_dim), **factory))
        else:
            self.bias_k = self.bias_v = None
        self.add_zero_attn = add_zero_attn
        self._reset_parameters()

    def _reset_parameters(self) -> None:
        if self._qkv_same_embed_dim:
            xavier_uniform_(self.in_proj_weight)
        else:
            xavier_uniform_(self.q_proj_weight)
            xavier_uniform_(self.k_proj_weight)
            xavier_uniform_(self.v_proj_weight)
        if self.in_proj_bias is not None:
            constant_(self.in_proj_bias, 0.0)
            constant_(self.out_proj.bias, 0.0)
        if self.bias_k is not None:
            xavier_normal_(self.bias_k)
        if self.bias_v is not None:
            xavier_normal_(self.bias_v)

    def forward(
        self,
        query: Tensor,
        key: Tensor,
        value: Tensor,
        key_padding_mask: Tensor | None = None,
        need_weights: bool = True,
        attn_mask: Tensor | None = None,
        average_attn_weights: bool = True,
        is_causal: bool = False,
    ) -> tuple[Tensor, Tensor | None]:
        """Attend from ``query`` to ``key``/``value``.

        Args:
            query: ``(L, N, E)`` (``(N, L, E)`` with ``batch_first``), or ``(L, E)`` unbatched.
            key: ``(S, N, kdim)`` / ``(N, S, kdim)`` / ``(S, kdim)``.
            value: ``(S, N, vdim)`` / ``(N, S, vdim)`` / ``(S, vdim)``.
            key_padding_mask: ``(N, S)`` or ``(S,)``; bool (True = ignore that key) or float
                (added to the scores).
            need_weights: also return the attention weights; False routes through
                ``F.scaled_dot_product_attention``.
            attn_mask: ``(L, S)`` or ``(N * num_heads, L, S)``; bool (True = not allowed to
                attend) or float (added to the scores).
            average_attn_weights: average the returned weights over the heads.
            is_causal: a hint that ``attn_mask`` is the causal mask.

        Returns:
            ``(attn_output, attn_weights)``: the output in the layout of ``query``, and the
            weights ``(N, L, S)`` (averaged) or ``(N, num_heads, L, S)`` or None.
        """
        is_batched = query.dim() == 3
        key_padding_mask = _canonical_mask(
            key_padding_mask,
            "key_padding_mask",
            _none_or_dtype(attn_mask),
            "attn_mask",
            query.dtype,
        )
        attn_mask = _canonical_mask(attn_mask, "attn_mask", None, "", query.dtype, False)
        if self.batch_first and is_batched:
            # Transpose to sequence-first, keeping the identities (q is k is v) that select
            # the fused projections.
            if key is value:
                if query is key:
                    query = key = value = query.transpose(1, 0)
                else:
                    query, key = (x.transpose(1, 0) for x in (query, key))
                    value = key
            else:
                query, key, value = (x.transpose(1, 0) for x in (query, key, value))

        separate = not self._qkv_same_embed_dim
        attn_output, attn_weights = multi_head_attention_forward(
            query,
            key,
            value,
            self.embed_dim,
            self.num_heads,
            self.in_proj_weight,
            self.in_proj_bias,
            self.bias_k,
            self.bias_v,
            self.add_zero_attn,
            self.dropout,
            self.out_proj.weight,
            self.out_proj.bias,
            training=self.training,
            key_padding_mask=key_padding_mask,
            need_weights=need_weights,
            attn_mask=attn_mask,
            use_separate_proj_weight=separate,
            q_proj_weight=self.q_proj_weight,
            k_proj_weight=self.k_proj_weight,
            v_proj_weight=self.v_proj_weight,
            average_attn_weights=average_attn_weights,
            is_causal=is_causal,
        )
        if self.batch_first and is_batched:
            attn_output = attn_output.transpose(1, 0)
        return attn_output, attn_weights

    def merge_masks(
        self, attn_mask: Tensor | None, key_padding_mask: Tensor | None, query: Tensor
    ) -> tuple[Tensor | None, int | None]:
        """Combine the masks of a batch-first self-attention call into one.

        Args:
            attn_mask: ``(L, L)`` or ``(N * num_heads, L, L)`` (mask type 0).
            key_padding_mask: ``(N, L)`` (mask type 1).
            query: ``(N, L, E)``.

        Returns:
            ``(merged_mask, mask_type)``: the padding mask alone (type 1), or the attention
            mask expanded to ``(N, num_heads, L, L)`` plus the padding mask if any (type 2),
            or ``(None, None)``.
        """
        if attn_mask is None:
            return (None, None) if key_padding_mask is None else (key_padding_mask, 1)
        batch_size, seq_len, _ = query.shape
        if attn_mask.dim() == 3:
            merged = attn_mask.view(batch_size, -1, seq_len, seq_len)
        else:
            merged = attn_mask.view(1, 1, seq_len, seq_len).expand(
                batch_size, self.num_heads, -1, -1
            )
        if key_padding_mask is not None:
            merged = merged + key_padding_mask.view(batch_size, 1, 1, seq_len).expand(
                -1, self.num_heads, -1, -1
            )
        return merged, 2
