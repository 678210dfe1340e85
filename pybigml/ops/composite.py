"""Ops written entirely with other ops: differences, products of sets, distances, scans with a
selection, NaN-skipping reductions, index helpers.

None has a Function of its own: each is a short composition of ops that already have
gradients (slicing, ``cat``, ``gather``, ``where``, ``vector_norm``, ``logsumexp`` ...), so
autograd differentiates it to any order, and reading it is reading its definition.
"""

from __future__ import annotations

import itertools
import math
from collections import namedtuple
from typing import Any

import numpy as np

from .. import _dtype
from .._tensor import Tensor, _wrap_dim
from .creation import _np_dtype, zeros
from .pointwise import where
from .reduction import logsumexp, vector_norm
from .scatter_gather import masked_fill, take_along_dim
from .shape import cat, narrow, stack

__all__ = [
    "aminmax",
    "block_diag",
    "cartesian_prod",
    "cdist",
    "combinations",
    "cross",
    "cummax",
    "cummin",
    "diff",
    "dist",
    "kron",
    "logcumsumexp",
    "meshgrid",
    "nanmean",
    "nansum",
    "trapezoid",
    "trapz",
    "tril_indices",
    "triu_indices",
]

_make = Tensor._make
composite_types = {
    name: namedtuple(name, fields)
    for name, fields in (
        ("cummax", ("values", "indices")),
        ("cummin", ("values", "indices")),
        ("aminmax", ("min", "max")),
    )
}


# ----------------------------------------------------------------------------- differences
def diff(
    input: Tensor,
    n: int = 1,
    dim: int = -1,
    prepend: Tensor | None = None,
    append: Tensor | None = None,
) -> Tensor:
    """The ``n``-th forward difference ``x[i+1] - x[i]`` along ``dim``, after joining
    ``prepend`` and ``append`` to ``input`` along it."""
    d = _wrap_dim(dim, max(input.ndim, 1), "diff")
    if input.ndim == 0:
        raise RuntimeError("diff expects input to be at least one-dimensional")
    if n < 0:
        raise RuntimeError(f"order must be non-negative but got {n}")
    x = cat([t for t in (prepend, input, append) if t is not None], d)
    for _ in range(n):
        length = x.shape[d]
        if length == 0:
            break
        x = narrow(x, d, 1, length - 1) - narrow(x, d, 0, length - 1)
    if x.dtype == _dtype.bool_ and n > 0:
        return x != 0
    return x


def trapezoid(
    y: Tensor, x: Tensor | None = None, *, dx: float | None = None, dim: int = -1
) -> Tensor:
    """The integral of ``y`` along ``dim`` by the trapezoid rule, at sample points ``x`` or a
    constant spacing ``dx`` (1 by default)."""
    d = _wrap_dim(dim, y.ndim, "trapezoid")
    n = y.shape[d]
    if n == 0:
        return y.sum(d) * 0
    mid = (narrow(y, d, 1, n - 1) + narrow(y, d, 0, n - 1)) * 0.5
    if x is None:
        return mid.sum(d) * (1.0 if dx is None else dx)
    spacing = diff(x, dim=-1 if x.ndim == 1 else d)
    if x.ndim == 1:
        shape = [1] * y.ndim
        shape[d] = n - 1
        spacing = spacing.reshape(shape)
    return (mid * spacing).sum(d)


trapz = trapezoid


def cross(input: Tensor, other: Tensor, dim: int | None = None) -> Tensor:
    """The cross product of 3-vectors along ``dim`` (the first dim of size 3 when None)."""
    a, b = (input, other) if input.shape == other.shape else _broadcast_pair(input, other)
    if dim is None:
        sized = [i for i, s in enumerate(a.shape) if s == 3]
        if not sized:
            raise RuntimeError(f"no dimension of size 3 in input, got shape {tuple(a.shape)}")
        d = sized[0]
    else:
        d = _wrap_dim(dim, a.ndim, "cross")
    if a.shape[d] != 3:
        raise RuntimeError(
            f"linalg.cross: inputs dimension {d} must have length 3. Got {a.shape[d]} and "
            f"{b.shape[d]}"
        )
    a0, a1, a2 = a.unbind(d)
    b0, b1, b2 = b.unbind(d)
    return stack([a1 * b2 - a2 * b1, a2 * b0 - a0 * b2, a0 * b1 - a1 * b0], d)


def _broadcast_pair(a: Tensor, b: Tensor) -> tuple[Tensor, Tensor]:
    from .shape import broadcast_tensors

    return tuple(broadcast_tensors(a, b))


# ----------------------------------------------------------------------------- distances
def cdist(
    x1: Tensor,
    x2: Tensor,
    p: float = 2.0,
    compute_mode: str = "use_mm_for_euclid_dist_if_necessary",
) -> Tensor:
    """The p-norm distance between each row of ``x1`` (..., P, M) and each row of ``x2``
    (..., R, M): a (..., P, R) tensor. The gradient at a zero distance is 0, as in PyTorch."""
    if x1.ndim < 2 or x2.ndim < 2:
        raise RuntimeError(
            f"cdist only supports at least 2D tensors, X1 got: {x1.ndim}D, X2 got: {x2.ndim}D"
        )
    if x1.shape[-1] != x2.shape[-1]:
        raise RuntimeError(
            f"X1 and X2 must have the same number of columns. X1: {x1.shape[-1]} X2: {x2.shape[-1]}"
        )
    if p < 0:
        raise RuntimeError(f"cdist only supports non-negative p values, got {p}")
    differences = x1.unsqueeze(-2) - x2.unsqueeze(-3)
    return vector_norm(differences, p, dim=-1)


def dist(input: Tensor, other: Tensor, p: float = 2) -> Tensor:
    """The p-norm of ``input - other`` over all elements."""
    return vector_norm(input - other, p)


# ----------------------------------------------------------------------------- products of sets
def kron(input: Tensor, other: Tensor) -> Tensor:
    """The Kronecker product: every element of ``input`` scales a copy of ``other``."""
    nd = max(input.ndim, other.ndim)
    a = input.reshape((1,) * (nd - input.ndim) + tuple(input.shape))
    b = other.reshape((1,) * (nd - other.ndim) + tuple(other.shape))
    # a[i0, j0, i1, j1, ...] * b interleaved, then merge each (a_k, b_k) pair of dims
    a_shape = [s for size in a.shape for s in (size, 1)]
    b_shape = [s for size in b.shape for s in (1, size)]
    product = a.reshape(a_shape) * b.reshape(b_shape)
    return product.reshape(tuple(sa * sb for sa, sb in zip(a.shape, b.shape)))


def meshgrid(*tensors: Any, indexing: str | None = None) -> tuple[Tensor, ...]:
    """Coordinate grids from 1-D tensors; ``indexing`` 'ij' (matrix, the default) or 'xy'
    (Cartesian: the first two outputs' dims swapped)."""
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    indexing = "ij" if indexing is None else indexing
    if indexing not in ("ij", "xy"):
        raise RuntimeError(
            f'torch.meshgrid: indexing must be one of "xy" or "ij", but received: {indexing}'
        )
    for t in tensors:
        if t.ndim > 1:
            raise RuntimeError(
                f"torch.meshgrid: Expected 0D or 1D tensor in the tensor list but got: {t.ndim}D"
            )
    vectors = [t.reshape(-1) for t in tensors]
    swap = indexing == "xy" and len(vectors) >= 2
    if swap:
        vectors[0], vectors[1] = vectors[1], vectors[0]
    sizes = tuple(v.shape[0] for v in vectors)
    grids = []
    for i, v in enumerate(vectors):
        shape = [1] * len(vectors)
        shape[i] = sizes[i]
        grids.append(v.reshape(shape).expand(sizes))
    if swap:
        grids[0], grids[1] = grids[1], grids[0]
    return tuple(grids)


def cartesian_prod(*tensors: Tensor) -> Tensor:
    """Every combination of one element from each 1-D tensor, as rows (a single tensor is
    returned as it is)."""
    if len(tensors) == 1:
        return tensors[0]
    grids = meshgrid(*tensors, indexing="ij")
    return stack([g.reshape(-1) for g in grids], 1)


def combinations(input: Tensor, r: int = 2, with_replacement: bool = False) -> Tensor:
    """The length-``r`` combinations of a 1-D tensor's elements, as rows (itertools' order)."""
    if input.ndim != 1:
        raise RuntimeError(f"Expect a 1D vector, but got shape {list(input.shape)}")
    if r < 0:
        raise RuntimeError(f"Expect a non-negative number, but got {r}")
    pick = itertools.combinations_with_replacement if with_replacement else itertools.combinations
    rows = list(pick(range(input.shape[0]), r))
    if r == 0 or not rows:
        return _make(np.zeros((0,) if r == 0 else (0, r), dtype=input._data.dtype))
    index = _make(np.asarray(rows, dtype=np.int64).reshape(-1))
    return input.index_select(0, index).reshape(len(rows), r)


def block_diag(*tensors: Tensor) -> Tensor:
    """The tensors (0-, 1- or 2-D) placed along the diagonal of one matrix, zeros elsewhere."""
    mats = []
    for i, t in enumerate(tensors):
        if t.ndim > 2:
            raise RuntimeError(
                f"torch.block_diag: Input tensors must have 2 or fewer dimensions. Input {i} has "
                f"{t.ndim} dimensions"
            )
        mats.append(t.reshape(1, -1) if t.ndim < 2 else t)
    if not mats:
        return zeros(1, 0)
    dtype = mats[0].dtype
    for m in mats[1:]:
        dtype = _dtype.promote_types(dtype, m.dtype)
    cols = sum(m.shape[1] for m in mats)
    rows, left = [], 0
    for m in mats:
        right = cols - left - m.shape[1]
        parts = [
            zeros(m.shape[0], left, dtype=dtype),
            m.to(dtype),
            zeros(m.shape[0], right, dtype=dtype),
        ]
        rows.append(cat(parts, 1))
        left += m.shape[1]
    return cat(rows, 0)


# ----------------------------------------------------------------------------- index helpers
def _triangle_indices(row: int, col: int, offset: int, dtype: Any, upper: bool) -> Tensor:
    r, c = np.triu_indices(row, offset, col) if upper else np.tril_indices(row, offset, col)
    return _make(np.stack([r, c]).astype(_np_dtype(dtype, _dtype.int64)))


def tril_indices(
    row: int,
    col: int,
    offset: int = 0,
    *,
    dtype: Any = None,
    device: Any = None,
    layout: Any = None,
) -> Tensor:
    """The (2, N) coordinates of the lower triangle of a ``row`` x ``col`` matrix, row by row."""
    return _triangle_indices(row, col, offset, dtype, upper=False)


def triu_indices(
    row: int,
    col: int,
    offset: int = 0,
    *,
    dtype: Any = None,
    device: Any = None,
    layout: Any = None,
) -> Tensor:
    """The (2, N) coordinates of the upper triangle of a ``row`` x ``col`` matrix, row by row."""
    return _triangle_indices(row, col, offset, dtype, upper=True)


# ----------------------------------------------------------------------------- scans
def _running_extreme(input: Tensor, dim: int, op: str, better: Any) -> Any:
    """Running max/min along ``dim`` as PyTorch defines it: a new element replaces the
    current extreme when ``better(new, current)`` holds (>= or <=, so a tie moves the index
    to the later position) or when it is NaN; once NaN, the extreme stays at that NaN."""
    x = input._data
    d = _wrap_dim(dim, max(x.ndim, 1), op)
    x1 = x.reshape(1) if x.ndim == 0 else x
    moved = np.moveaxis(x1, d, -1)
    index = np.zeros(moved.shape, dtype=np.int64)
    if moved.shape[-1]:
        current, best = moved[..., 0].copy(), np.zeros(moved.shape[:-1], dtype=np.int64)
        for i in range(1, moved.shape[-1]):
            new = moved[..., i]
            take = better(new, current)
            if moved.dtype.kind == "f":
                take = ~np.isnan(current) & (np.isnan(new) | take)
            current = np.where(take, new, current)
            best = np.where(take, i, best)
            index[..., i] = best
    index = np.moveaxis(index, -1, d)
    values = take_along_dim(input.reshape(x1.shape), _make(index), d).reshape(x.shape)
    return composite_types[op](values, _make(index.reshape(x.shape)))


def cummax(input: Tensor, dim: int) -> Any:
    """The running maximum along ``dim`` and the index where each was found."""
    return _running_extreme(input, dim, "cummax", np.greater_equal)


def cummin(input: Tensor, dim: int) -> Any:
    """The running minimum along ``dim`` and the index where each was found."""
    return _running_extreme(input, dim, "cummin", np.less_equal)


def logcumsumexp(input: Tensor, dim: int) -> Tensor:
    """``log(cumsum(exp(input)))`` along ``dim``, without overflow: for each prefix, the
    logsumexp of the elements so far (a masked logsumexp over a lower-triangular mask)."""
    d = _wrap_dim(dim, max(input.ndim, 1), "logcumsumexp")
    x = input.reshape(1) if input.ndim == 0 else input
    n = x.shape[d]
    moved = x.movedim(d, -1)  # (..., n)
    keep = np.tril(np.ones((n, n), dtype=bool))  # prefix i covers j <= i
    scores = masked_fill(
        moved.unsqueeze(-2).expand(*moved.shape[:-1], n, n), _make(~keep), -math.inf
    )
    return logsumexp(scores, -1).movedim(-1, d).reshape(input.shape)


# ----------------------------------------------------------------------------- NaN-skipping
def nansum(input: Tensor, dim: Any = None, keepdim: bool = False, *, dtype: Any = None) -> Tensor:
    """The sum treating NaN as 0."""
    clean = where(input.isnan(), _make(np.zeros((), input._data.dtype)), input)
    return clean.sum(dim, keepdim, dtype=dtype) if dim is not None else clean.sum(dtype=dtype)


def nanmean(input: Tensor, dim: Any = None, keepdim: bool = False, *, dtype: Any = None) -> Tensor:
    """The mean of the non-NaN elements."""
    if not input.is_floating_point():
        raise RuntimeError(
            f"nanmean(): expected input to have floating point dtype but got {input.dtype}"
        )
    count = (~input.isnan()).sum(dim, keepdim) if dim is not None else (~input.isnan()).sum()
    return nansum(input, dim, keepdim, dtype=dtype) / count


def aminmax(input: Tensor, *, dim: int | None = None, keepdim: bool = False) -> Any:
    """``(min, max)`` over all elements or along ``dim``."""
    if dim is None:
        return composite_types["aminmax"](input.amin(), input.amax())
    return composite_types["aminmax"](input.amin(dim, keepdim), input.amax(dim, keepdim))
