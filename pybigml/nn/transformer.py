"""The Transformer ("Attention Is All You Need"): encoder and decoder layers, their stacks,
and the encoder-decoder model, with PyTorch's names, arguments and submodule names (so state
dicts interchange).

An encoder layer is self-attention then a position-wise feed-forward network, each wrapped
in a residual connection and a layer norm::

    post-norm (norm_first=False):  x = norm1(x + SA(x));        x = norm2(x + FF(x))
    pre-norm  (norm_first=True):   x = x + SA(norm1(x));        x = x + FF(norm2(x))

with ``FF(x) = linear2(dropout(activation(linear1(x))))``. A decoder layer inserts
cross-attention to the encoder's output (``memory``) between the two (``norm2``, and the
feed-forward block's norm becomes ``norm3``).
"""

from __future__ import annotations

import copy
import math
import warnings
from collections.abc import Callable
from typing import Any

from .._tensor import Tensor
from ..autograd.grad_mode import GRAD_STATE
from ..ops.creation import arange, full
from ..ops.shape import triu
from . import functional as F
from .activation import GELU, ReLU
from .attention import MultiheadAttention
from .container import ModuleList
from .dropout import Dropout
from .functional.attention import _canonical_mask, _none_or_dtype
from .init import xavier_uniform_
from .linear import Linear
from .module import Module
from .normalization import LayerNorm

__all__ = [
    "Transformer",
    "TransformerDecoder",
    "TransformerDecoderLayer",
    "TransformerEncoder",
    "TransformerEncoderLayer",
]

Activation = str | Callable[[Tensor], Tensor]


def _generate_square_subsequent_mask(sz: int, device: Any = None, dtype: Any = None) -> Tensor:
    """``(sz, sz)`` float mask: 0 on and below the diagonal, ``-inf`` above it."""
    return triu(full((sz, sz), -math.inf, dtype=dtype, device=device), diagonal=1)


def _get_activation_fn(activation: str) -> Callable[[Tensor], Tensor]:
    if activation == "relu":
        return F.relu
    if activation == "gelu":
        return F.gelu
    raise RuntimeError(f"activation should be relu/gelu, not {activation}")


def _get_clones(module: Module, n: int) -> ModuleList:
    """``n`` independent deep copies of ``module`` (each with its own parameters)."""
    return ModuleList([copy.deepcopy(module) for _ in range(n)])


def _get_seq_len(src: Tensor, batch_first: bool) -> int:
    """The sequence length of ``(S, E)``, ``(S, N, E)`` or (``batch_first``) ``(N, S, E)``."""
    if src.dim() == 2:
        return src.shape[0]
    return src.shape[1 if batch_first else 0]


def _detect_is_causal_mask(
    mask: Tensor | None, is_causal: bool | None = None, size: int | None = None
) -> bool:
    """``is_causal`` if given; when it is None, whether ``mask`` is exactly the causal mask."""
    if is_causal is not None or mask is None:
        return is_causal is True
    sz = size if size is not None else mask.size(-2)
    causal = _generate_square_subsequent_mask(sz, device=mask.device, dtype=mask.dtype)
    return tuple(mask.shape) == tuple(causal.shape) and bool((mask == causal).all())


def _grad_needed(*tensors: Tensor | None) -> bool:
    """Whether autograd would record a graph through any of ``tensors``."""
    return GRAD_STATE.enabled and any(t is not None and t.requires_grad for t in tensors)


def _resolve_activation(activation: Activation) -> Callable[[Tensor], Tensor]:
    """``activation`` as a callable: ``"relu"`` and ``"gelu"`` name the functions."""
    return _get_activation_fn(activation) if isinstance(activation, str) else activation


class _TransformerLayer(Module):
    """What the encoder and decoder layers share: the feed-forward network, the layer norms
    and residual dropouts (``norm1``..., ``dropout1``...), the self-attention block and the
    feed-forward network's forward."""

    def _add_feed_forward_and_norms(
        self,
        num_blocks: int,
        d_model: int,
        dim_feedforward: int,
        dropout: float,
        layer_norm_eps: float,
        norm_first: bool,
        bias: bool,
        factory: dict[str, Any],
    ) -> None:
        """Make ``linear1``, ``dropout``, ``linear2``, then a norm and a residual dropout for
        each of the ``num_blocks`` residual blocks, registered in PyTorch's order."""
        self.linear1 = Linear(d_model, dim_feedforward, bias=bias, **factory)
        self.dropout = Dropout(dropout)
        self.linear2 = Linear(dim_feedforward, d_model, bias=bias, **factory)
        self.norm_first = norm_first
        for i in range(1, num_blocks + 1):
            setattr(self, f"norm{i}", LayerNorm(d_model, eps=layer_norm_eps, bias=bias, **factory))
        for i in range(1, num_blocks + 1):
            setattr(self, f"dropout{i}", Dropout(dropout))

    def _sa_block(
        self,
        x: Tensor,
        attn_mask: Tensor | None,
        key_padding_mask: Tensor | None,
        is_causal: bool = False,
    ) -> Tensor:
        x = self.self_attn(
            x,
            x,
            x,
            attn_mask=attn_mask,
            key_padding_mask=key_padding_mask,
            need_weights=False,
            is_causal=is_causal,
        )[0]
        return self.dropout1(x)

    def _feed_forward(self, x: Tensor) -> Tensor:
        """``linear2(dropout(activation(linear1(x))))``, before the residual dropout."""
        return self.linear2(self.dropout(self.activation(self.linear1(x))))


class TransformerEncoderLayer(_TransformerLayer):
    """Self-attention and a feed-forward network, each with a residual connection and a norm.

    Submodules (PyTorch's names): ``self_attn``, ``linear1``, ``dropout``, ``linear2``,
    ``norm1``, ``norm2``, ``dropout1``, ``dropout2``.

    Args:
        d_model: the model width ``E``.
        nhead: number of attention heads.
        dim_feedforward: hidden width of the feed-forward network.
        dropout: dropout probability (attention weights, feed-forward, residual branches).
        activation: ``"relu"``, ``"gelu"`` or a callable (a function or a module).
        layer_norm_eps: ``eps`` of the layer norms.
        batch_first: input and output are ``(N, S, E)`` instead of ``(S, N, E)``.
        norm_first: pre-norm (normalise before each block) instead of post-norm.
        bias: learn the biases of the linear and layer-norm layers.
        device, dtype: where and of what type the parameters are made.

    Example::

        >>> layer = nn.TransformerEncoderLayer(d_model=32, nhead=4, batch_first=True)
        >>> layer(pybigml.randn(2, 10, 32)).shape
        pybigml.Size([2, 10, 32])
    """

    def __init__(
        self,
        d_model: int,
        nhead: int,
        dim_feedforward: int = 2048,
        dropout: float = 0.1,
        activation: Activation = F.relu,
        layer_norm_eps: float = 1e-5,
        batch_first: bool = False,
        norm_first: bool = False,
        bias: bool = True,
        device: Any = None,
        dtype: Any = None,
    ) -> None:
        factory = {"device": device, "dtype": dtype}
        super().__init__()
        self.self_attn = MultiheadAttention(
            d_model, nhead, dropout=dropout, bias=bias, batch_first=batch_first, **factory
        )
        self._add_feed_forward_and_norms(
            2, d_model, dim_feedforward, dropout, layer_norm_eps, norm_first, bias, factory
        )
        activation = _resolve_activation(activation)
        # 1 for ReLU, 2 for GELU, 0 otherwise: the encoder reads it to decide its fast path.
        if activation is F.relu or isinstance(activation, ReLU):
            self.activation_relu_or_gelu = 1
        elif activation is F.gelu or isinstance(activation, GELU):
            self.activation_relu_or_gelu = 2
        else:
            self.activation_relu_or_gelu = 0
        self.activation = activation

    def forward(
        self,
        src: Tensor,
        src_mask: Tensor | None = None,
        src_key_padding_mask: Tensor | None = None,
        is_causal: bool = False,
    ) -> Tensor:
        """Run the layer.

        Args:
            src: ``(S, N, E)``, ``(N, S, E)`` with ``batch_first``, or ``(S, E)``.
            src_mask: ``(S, S)`` or ``(N * nhead, S, S)`` attention mask, bool (True = not
                allowed to attend) or float (added to the scores).
            src_key_padding_mask: ``(N, S)`` (``(S,)`` unbatched), bool (True = padding) or
                float.
            is_causal: a hint that ``src_mask`` is the causal mask.

        Returns:
            A tensor shaped like ``src``.
        """
        src_key_padding_mask = _canonical_mask(
            src_key_padding_mask,
            "src_key_padding_mask",
            _none_or_dtype(src_mask),
            "src_mask",
            src.dtype,
        )
        src_mask = _canonical_mask(src_mask, "src_mask", None, "", src.dtype, False)
        x = src
        if self.norm_first:
            x = x + self._sa_block(self.norm1(x), src_mask, src_key_padding_mask, is_causal)
            x = x + self._ff_block(self.norm2(x))
        else:
            x = self.norm1(x + self._sa_block(x, src_mask, src_key_padding_mask, is_causal))
            x = self.norm2(x + self._ff_block(x))
        return x

    def _ff_block(self, x: Tensor) -> Tensor:
        return self.dropout2(self._feed_forward(x))


class TransformerDecoderLayer(_TransformerLayer):
    """Self-attention, cross-attention to ``memory``, and a feed-forward network, each with a
    residual connection and a norm.

    Submodules (PyTorch's names): ``self_attn``, ``multihead_attn``, ``linear1``,
    ``dropout``, ``linear2``, ``norm1``, ``norm2``, ``norm3``, ``dropout1``, ``dropout2``,
    ``dropout3``. Arguments as :class:`TransformerEncoderLayer`.

    Example::

        >>> layer = nn.TransformerDecoderLayer(d_model=32, nhead=4)
        >>> memory, tgt = pybigml.randn(10, 2, 32), pybigml.randn(7, 2, 32)
        >>> layer(tgt, memory).shape
        pybigml.Size([7, 2, 32])
    """

    def __init__(
        self,
        d_model: int,
        nhead: int,
        dim_feedforward: int = 2048,
        dropout: float = 0.1,
        activation: Activation = F.relu,
        layer_norm_eps: float = 1e-5,
        batch_first: bool = False,
        norm_first: bool = False,
        bias: bool = True,
        device: Any = None,
        dtype: Any = None,
    ) -> None:
        factory = {"device": device, "dtype": dtype}
        super().__init__()
        self.self_attn = MultiheadAttention(
            d_model, nhead, dropout=dropout, batch_first=batch_first, bias=bias, **factory
        )
        self.multihead_attn = MultiheadAttention(
            d_model, nhead, dropout=dropout, batch_first=batch_first, bias=bias, **factory
        )
        self._add_feed_forward_and_norms(
            3, d_model, dim_feedforward, dropout, layer_norm_eps, norm_first, bias, factory
        )
        self.activation = _resolve_activation(activation)

    def forward(
        self,
        tgt: Tensor,
        memory: Tensor,
        tgt_mask: Tensor | None = None,
        memory_mask: Tensor | None = None,
        tgt_key_padding_mask: Tensor | None = None,
        memory_key_padding_mask: Tensor | None = None,
        tgt_is_causal: bool = False,
        memory_is_causal: bool = False,
    ) -> Tensor:
        """Run the layer.

        Args:
            tgt: ``(T, N, E)``, ``(N, T, E)`` with ``batch_first``, or ``(T, E)``.
            memory: the encoder output, ``(S, N, E)`` / ``(N, S, E)`` / ``(S, E)``.
            tgt_mask: ``(T, T)`` or ``(N * nhead, T, T)`` mask of the self-attention.
            memory_mask: ``(T, S)`` or ``(N * nhead, T, S)`` mask of the cross-attention.
            tgt_key_padding_mask: ``(N, T)`` padding of ``tgt``.
            memory_key_padding_mask: ``(N, S)`` padding of ``memory``.
            tgt_is_causal: a hint that ``tgt_mask`` is the causal mask.
            memory_is_causal: a hint that ``memory_mask`` is the causal mask.

        Returns:
            A tensor shaped like ``tgt``.
        """
        x = tgt
        if self.norm_first:
            x = x + self._sa_block(self.norm1(x), tgt_mask, tgt_key_padding_mask, tgt_is_causal)
            x = x + self._mha_block(
                self.norm2(x), memory, memory_mask, memory_key_padding_mask, memory_is_causal
            )
            x = x + self._ff_block(self.norm3(x))
        else:
            x = self.norm1(x + self._sa_block(x, tgt_mask, tgt_key_padding_mask, tgt_is_causal))
            x = self.norm2(
                x
                + self._mha_block(x, memory, memory_mask, memory_key_padding_mask, memory_is_causal)
            )
            x = self.norm3(x + self._ff_block(x))
        return x

    def _mha_block(
        self,
        x: Tensor,
        mem: Tensor,
        attn_mask: Tensor | None,
        key_padding_mask: Tensor | None,
        is_causal: bool = False,
    ) -> Tensor:
        x = self.multihead_attn(
            x,
            mem,
            mem,
            attn_mask=attn_mask,
            key_padding_mask=key_padding_mask,
            is_causal=is_causal,
            need_weights=False,
        )[0]
        return self.dropout2(x)

    def _ff_block(self, x: Tensor) -> Tensor:
        return self.dropout3(self._feed_forward(x))


class TransformerEncoder(Module):
    """A stack of ``num_layers`` copies of an encoder layer, and an optional final norm.

    Each layer is a deep copy of ``encoder_layer`` (``layers.0``, ``layers.1``, ...), so they
    start equal and train independently.

    Padded inference: PyTorch runs an eval-mode encoder of batch-first, post-norm ReLU/GELU
    layers with an even head count on "nested tensors" when given a ``src_key_padding_mask``
    and no ``mask`` (and no gradient is needed): each sequence is cut to its unpadded prefix,
    and the padded positions of the output are 0 (before ``norm``). pybigml gives the same
    result by attending with the prefix mask and zeroing the padded positions.

    Args:
        encoder_layer: the layer to copy.
        num_layers: how many copies.
        norm: applied to the last layer's output (a ``LayerNorm``), or None.
        enable_nested_tensor: allow the padded-inference behaviour above (a warning says why
            when the layer does not qualify).
        mask_check: only take that route when every padding mask is a suffix of padding.

    Example::

        >>> layer = nn.TransformerEncoderLayer(d_model=32, nhead=4, batch_first=True)
        >>> encoder = nn.TransformerEncoder(layer, num_layers=2, enable_nested_tensor=False)
        >>> encoder(pybigml.randn(2, 10, 32)).shape
        pybigml.Size([2, 10, 32])
    """

    def __init__(
        self,
        encoder_layer: TransformerEncoderLayer,
        num_layers: int,
        norm: Module | None = None,
        enable_nested_tensor: bool = True,
        mask_check: bool = True,
    ) -> None:
        super().__init__()
        self.layers = _get_clones(encoder_layer, num_layers)
        self.num_layers = num_layers
        self.norm = norm
        self.enable_nested_tensor = enable_nested_tensor
        self.use_nested_tensor = enable_nested_tensor
        self.mask_check = mask_check
        why_not = self._why_not_nested(encoder_layer)
        if enable_nested_tensor and why_not:
            warnings.warn(
                "enable_nested_tensor is True, but self.use_nested_tensor is False because "
                f"{why_not}",
                stacklevel=2,
            )
            self.use_nested_tensor = False

    @staticmethod
    def _why_not_nested(layer: Module) -> str:
        """Why a stack of ``layer`` cannot take the padded-inference route ("" if it can)."""
        name = "encoder_layer"
        if not isinstance(layer, TransformerEncoderLayer):
            return f"{name} was not TransformerEncoderLayer"
        if layer.norm_first:
            return f"{name}.norm_first was True"
        if not layer.self_attn.batch_first:
            return (
                f"{name}.self_attn.batch_first was not True"
                "(use batch_first for better inference performance)"
            )
        if not layer.self_attn._qkv_same_embed_dim:
            return f"{name}.self_attn._qkv_same_embed_dim was not True"
        if layer.self_attn.in_proj_bias is None:
            return f"{name}.self_attn was passed bias=False"
        if not layer.activation_relu_or_gelu:
            return f"{name}.activation_relu_or_gelu was not True"
        if layer.norm1.eps != layer.norm2.eps:
            return f"{name}.norm1.eps was not equal to {name}.norm2.eps"
        if layer.self_attn.num_heads % 2 == 1:
            return f"{name}.self_attn.num_heads is odd"
        return ""

    def _nested_lengths(
        self, src: Tensor, mask: Tensor | None, src_key_padding_mask: Tensor | None
    ) -> Tensor | None:
        """The unpadded length of each sequence when PyTorch would run it nested, else None."""
        first = self.layers[0]
        if (
            not self.use_nested_tensor
            or first.training
            or src.dim() != 3
            or src_key_padding_mask is None
            or mask is not None
        ):
            return None
        # The canonical padding mask is 0 where a position is kept.
        keep = src_key_padding_mask == 0
        lengths = keep.sum(dim=1)
        positions = arange(keep.shape[1], device=src.device)
        left_aligned = bool((keep == (positions < lengths.unsqueeze(1))).all())
        if getattr(self, "mask_check", True) and not left_aligned:
            return None
        attn = first.self_attn
        params = (attn.in_proj_weight, attn.in_proj_bias, attn.out_proj.weight, attn.out_proj.bias)
        params += tuple(
            p
            for m in (first.norm1, first.norm2, first.linear1, first.linear2)
            for p in (m.weight, m.bias)
        )
        if _grad_needed(src, *params):
            return None
        return lengths

    def forward(
        self,
        src: Tensor,
        mask: Tensor | None = None,
        src_key_padding_mask: Tensor | None = None,
        is_causal: bool | None = None,
    ) -> Tensor:
        """Run the layers in turn.

        Args:
            src: ``(S, N, E)``, ``(N, S, E)`` with ``batch_first``, or ``(S, E)``.
            mask: ``(S, S)`` or ``(N * nhead, S, S)`` attention mask (bool or float).
            src_key_padding_mask: ``(N, S)`` padding mask (bool: True = padding, or float).
            is_causal: whether ``mask`` is the causal mask; None detects it by comparison.

        Returns:
            A tensor shaped like ``src``.
        """
        src_key_padding_mask = _canonical_mask(
            src_key_padding_mask, "src_key_padding_mask", _none_or_dtype(mask), "mask", src.dtype
        )
        mask = _canonical_mask(mask, "mask", None, "", src.dtype, False)
        lengths = self._nested_lengths(src, mask, src_key_padding_mask)
        if lengths is not None:
            # Each sequence is its first `length` positions (what a nested tensor keeps).
            positions = arange(src.shape[1], device=src.device)
            padded = positions >= lengths.unsqueeze(1)
            src_key_padding_mask = _canonical_mask(padded, "", None, "", src.dtype, False)
        seq_len = _get_seq_len(src, self.layers[0].self_attn.batch_first)
        is_causal = _detect_is_causal_mask(mask, is_causal, seq_len)
        output = src
        for layer in self.layers:
            output = layer(
                output,
                src_mask=mask,
                is_causal=is_causal,
                src_key_padding_mask=src_key_padding_mask,
            )
        if lengths is not None:
            output = output.masked_fill(padded.unsqueeze(-1), 0.0)
        if self.norm is not None:
            output = self.norm(output)
        return output


class TransformerDecoder(Module):
    """A stack of ``num_layers`` copies of a decoder layer, and an optional final norm.

    Args:
        decoder_layer: the layer to copy (deep copies ``layers.0``, ``layers.1``, ...).
        num_layers: how many copies.
        norm: applied to the last layer's output, or None.

    Example::

        >>> layer = nn.TransformerDecoderLayer(d_model=32, nhead=4)
        >>> decoder = nn.TransformerDecoder(layer, num_layers=2)
        >>> decoder(pybigml.randn(7, 2, 32), pybigml.randn(10, 2, 32)).shape
        pybigml.Size([7, 2, 32])
    """

    def __init__(
        self, decoder_layer: TransformerDecoderLayer, num_layers: int, norm: Module | None = None
    ) -> None:
        super().__init__()
        self.layers = _get_clones(decoder_layer, num_layers)
        self.num_layers = num_layers
        self.norm = norm

    def forward(
        self,
        tgt: Tensor,
        memory: Tensor,
        tgt_mask: Tensor | None = None,
        memory_mask: Tensor | None = None,
        tgt_key_padding_mask: Tensor | None = None,
        memory_key_padding_mask: Tensor | None = None,
        tgt_is_causal: bool | None = None,
        memory_is_causal: bool = False,
    ) -> Tensor:
        """Run the layers in turn (arguments as :meth:`TransformerDecoderLayer.forward`;
        ``tgt_is_causal=None`` detects whether ``tgt_mask`` is the causal mask).

        Returns:
            A tensor shaped like ``tgt``.
        """
        seq_len = _get_seq_len(tgt, self.layers[0].self_attn.batch_first)
        tgt_is_causal = _detect_is_causal_mask(tgt_mask, tgt_is_causal, seq_len)
        output = tgt
        for layer in self.layers:
            output = layer(
                output,
                memory,
                tgt_mask=tgt_mask,
                memory_mask=memory_mask,
                tgt_key_padding_mask=tgt_key_padding_mask,
                memory_key_padding_mask=memory_key_padding_mask,
                tgt_is_causal=tgt_is_causal,
                memory_is_causal=memory_is_causal,
            )
        if self.norm is not None:
            output = self.norm(output)
        return output


class Transformer(Module):
    """The encoder-decoder Transformer: ``decoder(tgt, encoder(src))``.

    Submodules: ``encoder`` (a :class:`TransformerEncoder` with a final ``norm``) and
    ``decoder`` (a :class:`TransformerDecoder` with a final ``norm``), unless custom ones are
    given. Every parameter with more than one dimension is re-initialised Xavier-uniform.

    Args:
        d_model: the model width.
        nhead: number of attention heads.
        num_encoder_layers, num_decoder_layers: the depths of the two stacks.
        dim_feedforward: hidden width of the feed-forward networks.
        dropout: dropout probability.
        activation: ``"relu"``, ``"gelu"`` or a callable.
        custom_encoder, custom_decoder: modules to use instead of the default stacks.
        layer_norm_eps: ``eps`` of the layer norms.
        batch_first: inputs and output are ``(N, S, E)`` instead of ``(S, N, E)``.
        norm_first: pre-norm layers.
        bias: learn the biases of the linear and layer-norm layers.
        device, dtype: where and of what type the parameters are made.

    Example::

        >>> model = nn.Transformer(d_model=32, nhead=4, num_encoder_layers=2,
        ...                        num_decoder_layers=2, dim_feedforward=64)
        >>> src, tgt = pybigml.randn(10, 2, 32), pybigml.randn(7, 2, 32)
        >>> mask = nn.Transformer.generate_square_subsequent_mask(7)
        >>> model(src, tgt, tgt_mask=mask).shape
        pybigml.Size([7, 2, 32])
    """

    def __init__(
        self,
        d_model: int = 512,
        nhead: int = 8,
        num_encoder_layers: int = 6,
        num_decoder_layers: int = 6,
        dim_feedforward: int = 2048,
        dropout: float = 0.1,
        activation: Activation = F.relu,
        custom_encoder: Any | None = None,
        custom_decoder: Any | None = None,
        layer_norm_eps: float = 1e-5,
        batch_first: bool = False,
        norm_first: bool = False,
        bias: bool = True,
        device: Any = None,
        dtype: Any = None,
    ) -> None:
        factory = {"device": device, "dtype": dtype}
        super().__init__()
        layer_args = (
            d_model,
            nhead,
            dim_feedforward,
            dropout,
            activation,
            layer_norm_eps,
            batch_first,
            norm_first,
            bias,
        )
        if custom_encoder is not None:
            self.encoder = custom_encoder
        else:
            encoder_layer = TransformerEncoderLayer(*layer_args, **factory)
            encoder_norm = LayerNorm(d_model, eps=layer_norm_eps, bias=bias, **factory)
            self.encoder = TransformerEncoder(encoder_layer, num_encoder_layers, encoder_norm)
        if custom_decoder is not None:
            self.decoder = custom_decoder
        else:
            decoder_layer = TransformerDecoderLayer(*layer_args, **factory)
            decoder_norm = LayerNorm(d_model, eps=layer_norm_eps, bias=bias, **factory)
            self.decoder = TransformerDecoder(decoder_layer, num_decoder_layers, decoder_norm)
        self._reset_parameters()
        self.d_model = d_model
        self.nhead = nhead
        self.batch_first = batch_first

    def forward(
        self,
        src: Tensor,
        tgt: Tensor,
        src_mask: Tensor | None = None,
        tgt_mask: Tensor | None = None,
        memory_mask: Tensor | None = None,
        src_key_padding_mask: Tensor | None = None,
        tgt_key_padding_mask: Tensor | None = None,
        memory_key_padding_mask: Tensor | None = None,
        src_is_causal: bool | None = None,
        tgt_is_causal: bool | None = None,
        memory_is_causal: bool = False,
    ) -> Tensor:
        """Encode ``src`` and decode ``tgt`` against it.

        Args:
            src: ``(S, N, E)`` (``(N, S, E)`` with ``batch_first``) or ``(S, E)``.
            tgt: ``(T, N, E)`` (``(N, T, E)``) or ``(T, E)``.
            src_mask, tgt_mask, memory_mask: ``(S, S)``, ``(T, T)``, ``(T, S)`` masks.
            src_key_padding_mask, tgt_key_padding_mask, memory_key_padding_mask: ``(N, S)``,
                ``(N, T)``, ``(N, S)`` padding masks.
            src_is_causal, tgt_is_causal, memory_is_causal: causal-mask hints.

        Returns:
            ``(T, N, E)`` (``(N, T, E)`` with ``batch_first``) or ``(T, E)``.
        """
        is_batched = src.dim() == 3
        batch_dim = 0 if self.batch_first else 1
        if is_batched and src.size(batch_dim) != tgt.size(batch_dim):
            raise RuntimeError("the batch number of src and tgt must be equal")
        if src.size(-1) != self.d_model or tgt.size(-1) != self.d_model:
            raise RuntimeError("the feature number of src and tgt must be equal to d_model")
        memory = self.encoder(
            src, mask=src_mask, src_key_padding_mask=src_key_padding_mask, is_causal=src_is_causal
        )
        return self.decoder(
            tgt,
            memory,
            tgt_mask=tgt_mask,
            memory_mask=memory_mask,
            tgt_key_padding_mask=tgt_key_padding_mask,
            memory_key_padding_mask=memory_key_padding_mask,
            tgt_is_causal=tgt_is_causal,
            memory_is_causal=memory_is_causal,
        )

    @staticmethod
    def generate_square_subsequent_mask(sz: int, device: Any = None, dtype: Any = None) -> Tensor:
        """The causal mask for a sequence of length ``sz``: ``-inf`` above the diagonal (a
        position may not attend to later ones), 0 elsewhere.

        Returns:
            A ``(sz, sz)`` float tensor.
        """
        return _generate_square_subsequent_mask(sz, device=device, dtype=dtype)

    def _reset_parameters(self) -> None:
        """Xavier-uniform every matrix parameter (weights); vectors keep their init."""
        for p in self.parameters():
            if p.dim() > 1:
                xavier_uniform_(p)
