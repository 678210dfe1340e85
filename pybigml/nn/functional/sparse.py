"""Lookups by index: ``embedding`` and ``embedding_bag``.

The gather and its scatter-add gradient are ``pybigml.ops.embedding``'s ``Embedding``; here
are PyTorch's argument checks, the in-place ``max_norm`` renormalisation of the rows looked
up, and the pooling of bags (``index_add``/``scatter_reduce`` of the looked-up rows).
"""

from __future__ import annotations

from typing import Any

from ..._dtype import int32, int64
from ..._tensor import Tensor
from ...autograd.grad_mode import no_grad
from ...ops.embedding import Embedding, bag_of_each_position
from ...ops.pointwise import where
from ...ops.sorting import unique


def _padding_row(padding_idx: int | None, num_embeddings: int, name: str = "Padding_idx") -> Any:
    """``padding_idx`` as a row number (a negative one counts from the end), checked."""
    if padding_idx is None:
        return None
    if not -num_embeddings <= padding_idx < num_embeddings:
        raise AssertionError(f"{name} must be within num_embeddings")
    return padding_idx % num_embeddings


def _check_indices(op: str, input: Tensor, num_embeddings: int) -> None:
    if input.dtype not in (int64, int32):
        raise RuntimeError(
            "Expected tensor for argument #1 'indices' to have one of the following scalar "
            f"types: Long, Int; but got {input.type()} instead (while checking arguments for "
            f"{op})"
        )
    if input.numel():
        low, high = int(input.min()), int(input.max())
        if low < 0 or high >= num_embeddings:
            bad = low if low < 0 else high
            raise IndexError(
                f"{op}: index {bad} is out of range for {num_embeddings} embeddings "
                "(index out of range in self)"
            )


def _renorm_rows_(weight: Tensor, input: Tensor, max_norm: float, norm_type: float) -> None:
    """Rescale, in place, the rows of ``weight`` that ``input`` looks up and whose
    ``norm_type``-norm exceeds ``max_norm``, to norm ``max_norm``."""
    with no_grad():
        rows = unique(input).to(int64)
        selected = weight.index_select(0, rows)
        norms = selected.norm(norm_type, 1, keepdim=True)
        shrunk = where(norms > max_norm, selected * (max_norm / (norms + 1e-7)), selected)
        weight.index_copy_(0, rows, shrunk)


def embedding(
    input: Tensor,
    weight: Tensor,
    padding_idx: int | None = None,
    max_norm: float | None = None,
    norm_type: float = 2.0,
    scale_grad_by_freq: bool = False,
    sparse: bool = False,
) -> Tensor:
    """Look up rows of ``weight``: ``out[..., :] = weight[input[...], :]``.

    The gradient of ``weight`` is the output gradient scattered back (summed) into the rows
    it came from, with nothing for ``padding_idx`` and, with ``scale_grad_by_freq``, each
    row's share divided by how often it occurs in ``input``.

    Args:
        input: int64/int32 indices, any shape.
        weight: ``(num_embeddings, embedding_dim)``.
        padding_idx: a row that receives no gradient.
        max_norm: first rescale (in place) the looked-up rows longer than this.
        norm_type: the p of the norm compared with ``max_norm``.
        scale_grad_by_freq: divide gradients by the indices' frequency in ``input``.
        sparse: accepted for compatibility; the gradient is always a dense tensor.

    Returns:
        ``(*input.shape, embedding_dim)``.

    Example::

        >>> F.embedding(pybigml.tensor([[0, 2]]), pybigml.eye(3)).shape
        pybigml.Size([1, 2, 3])
    """
    if weight.ndim != 2:
        raise RuntimeError("'weight' must be 2-D")
    num_embeddings = weight.shape[0]
    padding_idx = _padding_row(padding_idx, num_embeddings)
    _check_indices("embedding", input, num_embeddings)
    if max_norm is not None:
        _renorm_rows_(weight, input, max_norm, norm_type)
    flat = input.reshape(-1).to(int64)
    rows = Embedding.apply(weight, flat, padding_idx, scale_grad_by_freq)
    return rows.reshape(*input.shape, weight.shape[1])


_BAG_MODES = ("sum", "mean", "max")


def embedding_bag(
    input: Tensor,
    weight: Tensor,
    offsets: Tensor | None = None,
    max_norm: float | None = None,
    norm_type: float = 2,
    scale_grad_by_freq: bool = False,
    mode: str = "mean",
    sparse: bool = False,
    per_sample_weights: Tensor | None = None,
    include_last_offset: bool = False,
    padding_idx: int | None = None,
) -> Tensor:
    """Sum, mean or max of bags of embeddings, without materialising ``(bags, len, dim)``.

    Bags are the rows of a 2-d ``input`` ``(B, L)``, or runs of a 1-d ``input`` that start at
    ``offsets`` (``offsets[0] == 0``; with ``include_last_offset`` the last offset ends the
    last bag). Positions equal to ``padding_idx`` are left out (a bag's mean counts only the
    rest); an empty bag gives zeros. ``per_sample_weights`` (``mode='sum'`` only) scales each
    looked-up row before the sum. The gradient flows through ``embedding`` and the
    ``index_add``/``scatter_reduce`` that pool the rows.

    Returns:
        ``(B, embedding_dim)``.
    """
    if per_sample_weights is not None and input.shape != per_sample_weights.shape:
        raise ValueError(
            f"embedding_bag: If per_sample_weights ({per_sample_weights.shape}) is not None, "
            f"then it must have the same shape as the input ({input.shape})"
        )
    if weight.ndim != 2:
        raise ValueError(f"weight has to be a 2D Tensor, but got Tensor of dimension {weight.ndim}")
    if input.ndim == 2:
        if offsets is not None:
            raise ValueError(
                "if input is 2D, then offsets has to be None, as input is treated is a "
                "mini-batch of fixed length sequences. However, found offsets of type "
                f"{type(offsets)}"
            )
    elif input.ndim == 1:
        if offsets is None:
            raise ValueError("offsets has to be a 1D Tensor but got None")
        if offsets.ndim != 1:
            raise ValueError("offsets has to be a 1D Tensor")
    else:
        raise ValueError(
            f"input has to be 1D or 2D Tensor, but got Tensor of dimension {input.ndim}"
        )
    bag, bags = bag_of_each_position(input, offsets, include_last_offset)
    if mode not in _BAG_MODES:
        raise ValueError("mode has to be one of sum, mean or max")
    if mode == "max" and scale_grad_by_freq:
        raise ValueError("max mode does not support scaling the gradient by the frequency")
    if mode == "max" and sparse:
        raise ValueError("max mode does not support sparse weights")
    if per_sample_weights is not None and mode != "sum":
        raise NotImplementedError(
            "embedding_bag: per_sample_weights was not None. per_sample_weights is only "
            f"supported for mode='sum' (got mode='{mode}'). Please open a feature request on "
            "GitHub."
        )
    padding_idx = _padding_row(padding_idx, weight.shape[0], "padding_idx")
    flat = input.reshape(-1)
    _check_indices("embedding_bag", flat, weight.shape[0])
    used = bag >= 0
    if padding_idx is not None:
        used = used & (flat != padding_idx)
    used_positions = used.nonzero().reshape(-1)
    rows = embedding(
        flat.index_select(0, used_positions),
        weight,
        max_norm=max_norm,
        norm_type=norm_type,
        scale_grad_by_freq=scale_grad_by_freq,
    )
    if per_sample_weights is not None:
        rows = rows * per_sample_weights.reshape(-1).index_select(0, used_positions).unsqueeze(1)
    row_bag = bag.index_select(0, used_positions)
    pooled = weight.new_zeros((bags, weight.shape[1]))
    if mode == "max":
        index = row_bag.unsqueeze(1).expand(-1, weight.shape[1])
        return pooled.scatter_reduce(0, index, rows, "amax", include_self=False)
    pooled = pooled.index_add(0, row_bag, rows)
    if mode == "mean":
        counts = row_bag.bincount(minlength=bags).clamp_min(1)
        pooled = pooled / counts.to(weight.dtype).unsqueeze(1)
    return pooled
