"""Ordering: sort/argsort/msort, topk, kthvalue, unique, searchsorted/bucketize, histc.

An order is a permutation, found in numpy; the values it selects are read with
``take_along_dim``, so their gradient (scattered back to where each value came from) comes
from that op and differentiates again. Indices, counts and bins have no gradient.

Order of equal elements and NaN follows PyTorch: NaN sorts above every number (last when
ascending, first when descending), and a ``stable`` sort keeps equal elements in input order
in both directions.
"""

from __future__ import annotations

from collections import namedtuple
from types import SimpleNamespace
from typing import Any

import numpy as np

from .._tensor import Tensor, _wrap_dim
from .scatter_gather import take_along_dim

__all__ = [
    "argsort",
    "bucketize",
    "histc",
    "histogram",
    "kthvalue",
    "msort",
    "searchsorted",
    "sort",
    "topk",
    "unique",
    "unique_consecutive",
]

_make = Tensor._make

_VALUES_INDICES = ("values", "indices")
sort_types = SimpleNamespace(
    sort=namedtuple("sort", _VALUES_INDICES),
    topk=namedtuple("topk", _VALUES_INDICES),
    kthvalue=namedtuple("kthvalue", _VALUES_INDICES),
)


def _order(x: np.ndarray, dim: int, descending: bool) -> np.ndarray:
    """The stable permutation sorting ``x`` along ``dim`` (NaN largest)."""
    if not descending:
        return np.argsort(x, axis=dim, kind="stable")
    # Sorting the reversed array ascending and reversing the result puts the largest first
    # and, being stable on the reversed input, keeps equal elements in input order.
    n = x.shape[dim]
    flipped = np.flip(x, axis=dim)
    return (n - 1) - np.flip(np.argsort(flipped, axis=dim, kind="stable"), axis=dim)


def _as_1d(input: Tensor) -> tuple[Tensor, bool]:
    """A 0-d tensor orders like a 1-element vector; the flag says to squeeze back."""
    return (input.reshape(1), True) if input.ndim == 0 else (input, False)


def sort(
    input: Tensor, dim: int = -1, descending: bool = False, stable: bool = False
) -> tuple[Tensor, Tensor]:
    """The elements along ``dim`` in order, and where each came from.

    Args:
        input: the tensor to sort.
        dim: the dim to sort along.
        descending: largest first.
        stable: keep equal elements in input order (always the case here).

    Returns:
        ``(values, indices)`` with ``values == input.gather(dim, indices)``.
    """
    x, squeeze = _as_1d(input)
    d = _wrap_dim(dim, x.ndim, "sort")
    index = _make(_order(x._data, d, descending).astype(np.int64))
    values = take_along_dim(x, index, d)
    if squeeze:
        values, index = values.reshape(()), index.reshape(())
    return sort_types.sort(values, index)


def argsort(input: Tensor, dim: int = -1, descending: bool = False, stable: bool = False) -> Tensor:
    """The indices that sort ``input`` along ``dim`` (see :func:`sort`)."""
    x, squeeze = _as_1d(input)
    index = _order(x._data, _wrap_dim(dim, x.ndim, "argsort"), descending).astype(np.int64)
    return _make(index.reshape(()) if squeeze else index)


def msort(input: Tensor) -> Tensor:
    """``input`` sorted along dim 0."""
    return sort(input, 0).values


def topk(
    input: Tensor, k: int, dim: int = -1, largest: bool = True, sorted: bool = True
) -> tuple[Tensor, Tensor]:
    """The ``k`` largest (or smallest) elements along ``dim`` and their indices.

    Args:
        input: the tensor.
        k: how many to take; at most the size of ``dim``.
        dim: the dim to search.
        largest: the largest ``k`` (else the smallest).
        sorted: return them in order (they always are here).

    Returns:
        ``(values, indices)``, each with ``dim`` of size ``k``.
    """
    x, squeeze = _as_1d(input)
    d = _wrap_dim(dim, x.ndim, "topk")
    if not 0 <= k <= x.shape[d]:
        raise RuntimeError(f"topk: k ({k}) out of range for dimension {d} of size {x.shape[d]}")
    order = _order(x._data, d, largest)
    index = _make(np.take(order, np.arange(k), axis=d).astype(np.int64))
    values = take_along_dim(x, index, d)
    if squeeze:
        values, index = values.reshape(()), index.reshape(())
    return sort_types.topk(values, index)


def kthvalue(input: Tensor, k: int, dim: int = -1, keepdim: bool = False) -> tuple[Tensor, Tensor]:
    """The ``k``-th smallest element along ``dim`` (``k`` counts from 1) and its index."""
    x, squeeze = _as_1d(input)
    d = _wrap_dim(dim, x.ndim, "kthvalue")
    if not 1 <= k <= x.shape[d]:
        raise RuntimeError(
            f"kthvalue(): selected number k out of range for dimension {d} of size {x.shape[d]}"
        )
    order = _order(x._data, d, False)
    index = _make(np.take(order, [k - 1], axis=d).astype(np.int64))
    values = take_along_dim(x, index, d)
    if squeeze or not keepdim:
        shape = () if squeeze else tuple(s for i, s in enumerate(x.shape) if i != d)
        values, index = values.reshape(shape), index.reshape(shape)
    return sort_types.kthvalue(values, index)


def _unique_results(
    values: np.ndarray,
    inverse: np.ndarray,
    counts: np.ndarray,
    return_inverse: bool,
    return_counts: bool,
) -> Any:
    out = [_make(values)]
    if return_inverse:
        out.append(_make(inverse.astype(np.int64)))
    if return_counts:
        out.append(_make(counts.astype(np.int64)))
    return out[0] if len(out) == 1 else tuple(out)


def unique(
    input: Tensor,
    sorted: bool = True,
    return_inverse: bool = False,
    return_counts: bool = False,
    dim: int | None = None,
) -> Any:
    """The distinct elements (or distinct slices along ``dim``), in ascending order.

    Args:
        input: the tensor.
        sorted: accepted for PyTorch's signature; the result is always sorted.
        return_inverse: also return, for each input element (slice), its position in the
            result, shaped like the input (the size of ``dim``).
        return_counts: also return how often each distinct element occurs.
        dim: compare whole slices along this dim instead of flattened elements.

    Returns:
        The unique values, followed by ``inverse`` and/or ``counts`` when asked for.
    """
    x = input._data
    if dim is None:
        values, inverse, counts = np.unique(x, return_inverse=True, return_counts=True)
        inverse = inverse.reshape(x.shape)
    else:
        d = _wrap_dim(dim, x.ndim, "unique")
        values, inverse, counts = np.unique(x, return_inverse=True, return_counts=True, axis=d)
        inverse = inverse.reshape(-1)
    return _unique_results(values, inverse, counts, return_inverse, return_counts)


def unique_consecutive(
    input: Tensor,
    return_inverse: bool = False,
    return_counts: bool = False,
    dim: int | None = None,
) -> Any:
    """Collapse runs of equal consecutive elements (or slices along ``dim``) to one."""
    x = input._data
    d = 0 if dim is None else _wrap_dim(dim, x.ndim, "unique_consecutive")
    flat = x.reshape(-1) if dim is None else np.moveaxis(x, d, 0)
    n = flat.shape[0]
    if n == 0:
        starts = np.zeros(0, dtype=np.int64)
    else:
        differs = (flat[1:] != flat[:-1]).reshape(n - 1, flat[0].size).any(axis=1)
        starts = np.concatenate(([0], np.flatnonzero(differs) + 1))
    values = flat[starts]
    if dim is not None:
        values = np.moveaxis(values, 0, d)
    counts = np.diff(np.append(starts, n))
    inverse = np.repeat(np.arange(len(starts)), counts)
    if dim is None:
        inverse = inverse.reshape(x.shape)
    return _unique_results(values, inverse, counts, return_inverse, return_counts)


def _index_dtype(out_int32: bool) -> np.dtype:
    return np.dtype(np.int32 if out_int32 else np.int64)


def searchsorted(
    sorted_sequence: Tensor,
    input: Any,
    *,
    out_int32: bool = False,
    right: bool = False,
    side: str | None = None,
    sorter: Tensor | None = None,
) -> Tensor:
    """Where each value of ``input`` would be inserted into ``sorted_sequence`` to keep it sorted.

    Args:
        sorted_sequence: sorted along its last dim; 1-D, or with the leading dims of ``input``.
        input: the values (a tensor or a Python number).
        out_int32: return int32 indices.
        right: insert after equal elements (same as ``side='right'``).
        side: 'left' or 'right'; overrides ``right``.
        sorter: indices that sort ``sorted_sequence`` along its last dim, if it is not sorted.

    Returns:
        Indices shaped like ``input``.
    """
    if side is not None:
        if side not in ("left", "right"):
            raise RuntimeError(
                f"torch.searchsorted(): side can only be 'left' or 'right' but got {side}"
            )
        if right and side == "left":
            raise RuntimeError(
                "torch.searchsorted(): side and right can't be set to opposites, got side of "
                "left while right was True"
            )
        right = side == "right"
    seq = sorted_sequence._data
    if sorter is not None:
        seq = np.take_along_axis(seq, sorter._data.astype(np.int64), axis=-1)
    scalar = not isinstance(input, Tensor)
    values = np.asarray(input) if scalar else input._data
    which = "right" if right else "left"
    if seq.ndim <= 1:
        out = np.searchsorted(seq.reshape(-1), values, side=which)
    else:
        if values.shape[:-1] != seq.shape[:-1]:
            raise RuntimeError(
                "torch.searchsorted(): boundaries tensor should be 1 dimension or the first N-1 "
                "dimensions of boundaries tensor and input value tensor must match, but we got "
                f"boundaries tensor {list(seq.shape)} and input value tensor {list(values.shape)}"
            )
        rows_seq = seq.reshape(-1, seq.shape[-1])
        rows_val = values.reshape(-1, values.shape[-1])
        out = np.stack(
            [np.searchsorted(s, v, side=which) for s, v in zip(rows_seq, rows_val)]
        ).reshape(values.shape)
    return _make(np.asarray(out, dtype=_index_dtype(out_int32)))


def bucketize(
    input: Any, boundaries: Tensor, *, out_int32: bool = False, right: bool = False
) -> Tensor:
    """The bucket of each element: ``i`` with ``boundaries[i-1] < x <= boundaries[i]``
    (``<= x <`` when ``right``); ``boundaries`` is a sorted 1-D tensor."""
    if boundaries.ndim != 1:
        raise RuntimeError(
            f"bucketize: boundaries tensor must be 1 dimension, but got dim({boundaries.ndim})"
        )
    values = input._data if isinstance(input, Tensor) else np.asarray(input)
    out = np.searchsorted(boundaries._data, values, side="right" if right else "left")
    return _make(np.asarray(out, dtype=_index_dtype(out_int32)))


def histc(input: Tensor, bins: int = 100, min: float = 0, max: float = 0) -> Tensor:  # noqa: A002
    """A histogram of ``bins`` equal-width bins over ``[min, max]`` (the data's range when
    ``min == max``); elements outside the range are ignored."""
    x = input._data
    if x.dtype.kind != "f":
        raise RuntimeError(f"histc: expected a floating point tensor, got {input.dtype}")
    if bins <= 0:
        raise RuntimeError(f"histc: bins must be > 0, but got {bins}")
    lo, hi = float(min), float(max)
    if lo == hi and x.size:
        lo, hi = float(x.min()), float(x.max())
    if lo == hi:
        lo, hi = lo - 1, hi + 1
    if lo > hi:
        raise RuntimeError(f"histc: max must be larger than min, got min {min} and max {max}")
    counts, _ = np.histogram(x, bins=bins, range=(lo, hi))
    return _make(counts.astype(x.dtype))


def histogram(
    input: Tensor,
    bins: Any = 100,
    *,
    range: tuple[float, float] | None = None,  # noqa: A002
    weight: Tensor | None = None,
    density: bool = False,
) -> tuple[Tensor, Tensor]:
    """``(hist, bin_edges)`` as ``numpy.histogram``."""
    b = bins._data if isinstance(bins, Tensor) else bins
    hist, edges = np.histogram(
        input._data,
        bins=b,
        range=range,
        weights=None if weight is None else weight._data,
        density=density,
    )
    dtype = input._data.dtype
    return _make(hist.astype(dtype)), _make(edges.astype(dtype))
