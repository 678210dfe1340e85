"""The index arithmetic of packed sequences: which rows ``nn.utils.rnn`` gathers to pack a
padded batch, and to pad a packed one.

A padded batch ``(T, B, *)`` (``(B, T, *)`` batch-first) holds sequence ``b`` in its first
``lengths[b]`` steps. Its packed form keeps only the real steps, time-major: with the
lengths decreasing, step ``t`` holds the ``batch_sizes[t] = #{b : lengths[b] > t}`` sequences
still running, and the packed rows are those of step 0, then of step 1, and so on. So the
packed row ``i`` is step ``t`` of sequence ``s``, with ``t`` the step it falls in and ``s``
its place within the step, and it sits in row ``t * B + s`` of the padded batch flattened
over its two leading dims (``s * T + t`` batch-first).

The functions here compute those positions from the sizes alone, as int64 index tensors;
the rows themselves move with ``index_select``, which autograd differentiates. The sizes,
and the indices made from them, are host-side bookkeeping (PyTorch keeps ``batch_sizes`` on
the CPU too), so they are computed with numpy.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .. import backend
from .._tensor import Tensor

__all__ = ["invert_permutation", "pack_indices", "pad_indices"]

_make = Tensor._make


def invert_permutation(permutation: Tensor | None) -> Tensor | None:
    """The permutation ``q`` with ``q[permutation[i]] = i`` (``None`` stays ``None``)."""
    if permutation is None:
        return None
    order = permutation._data
    xp = backend.of(order).xp
    inverse = xp.empty_like(order)
    inverse[order] = xp.arange(order.size, dtype=order.dtype)
    return _make(inverse)


def _counts_above(sizes: np.ndarray, n: int) -> np.ndarray:
    """``counts[i] = #{j : sizes[j] > i}`` for ``i < n``: the batch sizes of decreasing
    lengths, and (applied to the batch sizes, with ``n = B``) the lengths again."""
    return (sizes[None, :] > np.arange(n)[:, None]).sum(axis=1, dtype=np.int64)


def _padded_rows(batch_sizes: np.ndarray, steps: int, batch_first: bool) -> np.ndarray:
    """The row of the flattened padded batch (``steps`` steps) that each packed row is."""
    time = np.repeat(np.arange(batch_sizes.size, dtype=np.int64), batch_sizes)
    starts = np.cumsum(batch_sizes) - batch_sizes
    seq = np.arange(time.size, dtype=np.int64) - np.repeat(starts, batch_sizes)
    batch = int(batch_sizes[0]) if batch_sizes.size else 0
    return seq * steps + time if batch_first else time * batch + seq


def pack_indices(lengths: Sequence[int], steps: int, batch_first: bool) -> tuple[Tensor, Tensor]:
    """How to pack a padded batch of ``steps`` steps whose sequences have ``lengths``.

    Args:
        lengths: the length of each sequence, decreasing, each in ``[1, steps]``.
        steps: the steps of the padded batch.
        batch_first: the padded batch is ``(B, T, *)`` rather than ``(T, B, *)``.

    Returns:
        ``(batch_sizes, index)``: the int64 batch sizes ``(max(lengths),)``, and the row of
        the padded batch, flattened over its two leading dims, that each packed row is.
    """
    lengths = np.asarray(lengths, dtype=np.int64)
    batch_sizes = _counts_above(lengths, int(lengths[0]) if lengths.size else 0)
    return _make(batch_sizes), _make(_padded_rows(batch_sizes, steps, batch_first))


def pad_indices(batch_sizes: Tensor, steps: int, batch_first: bool) -> tuple[Tensor, Tensor]:
    """How to pad a packed batch to ``steps`` steps (the inverse of :func:`pack_indices`).

    Args:
        batch_sizes: the packed batch's sizes (1-d, decreasing); ``N = sum(batch_sizes)``
            rows.
        steps: the steps of the padded batch, at least ``len(batch_sizes)``.
        batch_first: make the padded batch ``(B, T, *)`` rather than ``(T, B, *)``.

    Returns:
        ``(index, lengths)``: for every position of the padded batch, flattened over its two
        leading dims, the packed row it holds, or ``N`` (one past the last packed row, where
        the caller puts the padding) if it is padding; and the int64 length of each sequence.
    """
    batch_sizes = batch_sizes._data.astype(np.int64)
    batch = int(batch_sizes[0]) if batch_sizes.size else 0
    rows = _padded_rows(batch_sizes, steps, batch_first)
    index = np.full(steps * batch, rows.size, dtype=np.int64)
    index[rows] = np.arange(rows.size)
    return _make(index), _make(_counts_above(batch_sizes, batch))
