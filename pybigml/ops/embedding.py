"""Lookups by index: ``embedding``'s gather and scatter-add, ``one_hot``, and the bag
bookkeeping of ``embedding_bag``.

:class:`Embedding` gathers rows, ``rows = weight[indices]``; its backward,
:class:`EmbeddingBackward`, sums each row's gradient into the row it came from (the backend's
``embedding_backward`` for the dtypes it computes natively, ``add.at`` otherwise), with
nothing for ``padding_idx`` and, with ``scale_grad_by_freq``, each share divided by how often
its index occurs.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import backend
from .._dtype import int64
from .._tensor import Tensor
from ..autograd.function import Function
from .creation import arange

_make = Tensor._make


def one_hot(tensor: Tensor, num_classes: int = -1) -> Tensor:
    """``(*) -> (*, num_classes)`` int64 with a 1 at each index; ``num_classes=-1`` takes
    ``max + 1``.

    Example::

        >>> F.one_hot(pybigml.tensor([0, 2]), 3)
        tensor([[1, 0, 0],
                [0, 0, 1]])
    """
    if tensor.dtype != int64:
        raise RuntimeError("one_hot is only applicable to index tensor of type LongTensor.")
    if num_classes == -1:
        if tensor.numel() == 0:
            raise RuntimeError("Can not infer total number of classes from empty tensor.")
        num_classes = int(tensor.max()) + 1
    if tensor.numel():
        if int(tensor.min()) < 0:
            raise RuntimeError("Class values must be non-negative.")
        if int(tensor.max()) >= num_classes:
            raise RuntimeError("Class values must be smaller than num_classes.")
    classes = arange(num_classes, dtype=int64)
    return (tensor.unsqueeze(-1) == classes).to(int64)


# ----------------------------------------------------------------------------- embedding
def _row_gradient_scale(
    xp: Any, indices: Any, padding_idx: int | None, scale_grad_by_freq: bool, dtype: Any
) -> Any:
    """The factor on each looked-up row's gradient, ``(n, 1)``: 0 at ``padding_idx`` (that row
    is not trained), ``1 / count`` with ``scale_grad_by_freq`` (a word seen k times in the
    batch moves k times less per occurrence), else 1."""
    scale = xp.ones(indices.shape, dtype=dtype)
    if scale_grad_by_freq:
        scale /= xp.bincount(indices)[indices]
    if padding_idx is not None:
        scale[indices == padding_idx] = 0
    return scale[:, None]


class Embedding(Function):
    """``rows = weight[indices]`` (``indices`` 1-d int64); grad_weight = the rows' gradients
    summed into the rows they came from (:class:`EmbeddingBackward`)."""

    @staticmethod
    def forward(ctx, weight, indices, padding_idx, scale_grad_by_freq):
        ctx.num_embeddings = weight.shape[0]
        ctx.indices, ctx.padding_idx, ctx.scale_grad_by_freq = (
            indices,
            padding_idx,
            scale_grad_by_freq,
        )
        xp = backend.of(weight._data, indices._data).xp
        return _make(xp.take(weight._data, indices._data, axis=0))

    @staticmethod
    def backward(ctx, grad):
        grad_weight = EmbeddingBackward.apply(
            grad, ctx.indices, ctx.num_embeddings, ctx.padding_idx, ctx.scale_grad_by_freq
        )
        return grad_weight, None, None, None


class EmbeddingBackward(Function):
    """The index-add of the looked-up rows' gradient ``(n, dim)`` into ``(num_embeddings, dim)``,
    times ``_row_gradient_scale``.

    Its own backward looks the rows up again, with the padding rows zeroed and without the
    frequency scale: PyTorch's convention, where the first backward alone applies the scale.
    """

    @staticmethod
    def forward(ctx, grad, indices, num_embeddings, padding_idx, scale_grad_by_freq):
        ctx.indices, ctx.padding_idx = indices, padding_idx
        be = backend.of(grad._data, indices._data)
        g, idx = grad._data, be.xp.ascontiguousarray(indices._data)
        if be.native("embedding", g.dtype):
            padding = -1 if padding_idx is None else padding_idx
            out = be.embedding_backward(
                be.xp.ascontiguousarray(g), idx, num_embeddings, padding, scale_grad_by_freq
            )
        else:
            scale = _row_gradient_scale(be.xp, idx, padding_idx, scale_grad_by_freq, g.dtype)
            out = be.xp.zeros((num_embeddings, g.shape[1]), g.dtype)
            be.xp.add.at(out, idx, g * scale)
        return _make(out)

    @staticmethod
    def backward(ctx, grad_grad_weight):
        rows = grad_grad_weight.index_select(0, ctx.indices)
        if ctx.padding_idx is not None:
            rows = rows * (ctx.indices != ctx.padding_idx).unsqueeze(1).to(rows.dtype)
        return rows, None, None, None, None


# ----------------------------------------------------------------------------- bags
def bag_of_each_position(
    input: Tensor, offsets: Tensor | None, include_last_offset: bool
) -> tuple[Tensor, int]:
    """Which bag of ``embedding_bag`` each position of the flattened ``input`` falls in.

    A 2-d ``input`` ``(B, L)`` is ``B`` bags of ``L`` positions. A 1-d one is cut into bags
    that start at ``offsets`` (``offsets[0] == 0``, non-decreasing, at most the length); with
    ``include_last_offset`` the last offset ends the last bag, and the positions past it
    belong to none (-1).

    Returns:
        ``(bag, bags)``: the int64 bag of each position, and the number of bags.
    """
    xp = backend.of(input._data).xp
    if input.ndim == 2:
        bags, bag_length = input.shape
        return _make(xp.repeat(xp.arange(bags), bag_length)), bags
    length = input.numel()
    starts = offsets._data.astype(np.int64)
    if starts.size:
        if starts[0] != 0:
            raise RuntimeError(
                "offsets[0] has to be 0, i.e., the first sequence in the mini-batch has to "
                f"start from position 0. However, got {starts[0]}"
            )
        if starts[-1] > length:
            raise RuntimeError(
                f"offsets[-1] can not be greater than input's length {length} but got "
                f"offsets[-1] of {starts[-1]}"
            )
        if xp.any(xp.diff(starts) < 0):
            raise RuntimeError(f"embedding_bag: offsets must be non-decreasing, got {starts}")
    end = length
    if include_last_offset and starts.size:
        starts, end = starts[:-1], starts[-1]
    bag = xp.searchsorted(starts, xp.arange(length), side="right") - 1
    bag[end:] = -1
    return _make(bag), starts.size
