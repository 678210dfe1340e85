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
from collections.abc import Sequence
from typing import Any

import numpy as np

from .. import _dtype
from .._tensor import Tensor, _wrap_dim
from .creation import _np_dtype, eye, zeros
from .linalg import matmul
from .padding import pad
from .pointwise import where
from .reduction import logsumexp, vector_norm
from .scatter_gather import masked_fill, take_along_dim
from .shape import broadcast_tensors, cat, diagonal, narrow, stack

__all__ = [
    "atleast_3d",
    "bincount",
    "column_stack",
    "corrcoef",
    "cov",
    "diag_embed",
    "diagflat",
    "dsplit",
    "dstack",
    "hsplit",
    "isin",
    "masked_scatter",
    "nanmedian",
    "nanquantile",
    "quantile",
    "renorm",
    "rot90",
    "row_stack",
    "split_with_sizes",
    "sum_to_size",
    "unfold",
    "unravel_index",
    "vander",
    "vsplit",
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
    a, b = broadcast_tensors(input, other)
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


# ----------------------------------------------------------------------------- shapes
def rot90(input: Tensor, k: int = 1, dims: Sequence[int] = (0, 1)) -> Tensor:
    """Rotate by 90 degrees ``k`` times in the plane of ``dims``, from the first towards the
    second."""
    if len(dims) != 2:
        raise RuntimeError(f"expected total rotation dims == 2, but got dims = {len(dims)}")
    d0, d1 = (_wrap_dim(d, input.ndim, "rot90") for d in dims)
    if d0 == d1:
        raise RuntimeError(
            f"expected rotation dims to be different, but got dim0 = {d0} and dim1 = {d1}"
        )
    k %= 4
    if k == 1:
        return input.flip(d1).transpose(d0, d1)
    if k == 2:
        return input.flip((d0, d1))
    if k == 3:
        return input.flip(d0).transpose(d0, d1)
    return input.clone()


def diag_embed(input: Tensor, offset: int = 0, dim1: int = -2, dim2: int = -1) -> Tensor:
    """Matrices whose ``offset`` diagonal (in the plane of ``dim1``, ``dim2`` of the result) holds
    the last dim of ``input``; zeros elsewhere."""
    m = input.shape[-1]
    n = m + abs(offset)
    square = input.unsqueeze(-1) * eye(m, dtype=input.dtype)  # (..., m, m), diagonal = input
    rows, cols = (abs(offset), 0) if offset < 0 else (0, offset)
    square = pad(square, (cols, n - m - cols, rows, n - m - rows))
    nd = square.ndim
    d1, d2 = _wrap_dim(dim1, nd, "diag_embed"), _wrap_dim(dim2, nd, "diag_embed")
    if d1 == d2:
        raise RuntimeError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
    return square.movedim((nd - 2, nd - 1), (d1, d2))


def diagflat(input: Tensor, offset: int = 0) -> Tensor:
    """A matrix with the flattened ``input`` on its ``offset`` diagonal."""
    return input.reshape(-1).diag(offset)


def atleast_3d(*tensors: Any) -> Any:
    """Each tensor viewed with at least 3 dims: (n,) -> (1, n, 1), (m, n) -> (m, n, 1)."""
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        return tuple(atleast_3d(t) for t in tensors[0])
    out = []
    for t in tensors:
        if t.ndim == 0:
            t = t.reshape(1, 1, 1)
        elif t.ndim == 1:
            t = t.reshape(1, -1, 1)
        elif t.ndim == 2:
            t = t.unsqueeze(-1)
        out.append(t)
    return out[0] if len(out) == 1 else tuple(out)


def dstack(tensors: Sequence[Tensor]) -> Tensor:
    """Join along the third dim after making each at least 3-D."""
    return cat([atleast_3d(t) for t in tensors], 2)


def column_stack(tensors: Sequence[Tensor]) -> Tensor:
    """Join as columns: 0-D and 1-D tensors become columns (n, 1), then ``hstack``."""
    columns = [t.reshape(-1, 1) if t.ndim <= 1 else t for t in tensors]
    return cat(columns, 1)


def row_stack(tensors: Sequence[Tensor]) -> Tensor:
    """``vstack``."""
    return cat([t.reshape(1, -1) if t.ndim <= 1 else t for t in tensors], 0)


def _split_at(input: Tensor, sections: Any, dim: int, op: str) -> tuple[Tensor, ...]:
    if input.ndim <= dim:
        raise RuntimeError(
            f"torch.{op} requires a tensor with at least {dim + 1} dimension, but got a tensor "
            f"with {input.ndim} dimensions!"
        )
    if isinstance(sections, int) and input.shape[dim] % sections:
        raise RuntimeError(
            f"torch.{op} attempted to split along dimension {dim}, but the size of the dimension "
            f"{input.shape[dim]} is not divisible by the split_size {sections}!"
        )
    return input.tensor_split(sections, dim)


def hsplit(input: Tensor, sections: Any) -> tuple[Tensor, ...]:
    """Split along dim 1 (dim 0 for 1-D tensors) into equal parts or at indices."""
    return _split_at(input, sections, 1 if input.ndim > 1 else 0, "hsplit")


def vsplit(input: Tensor, sections: Any) -> tuple[Tensor, ...]:
    """Split along dim 0 into equal parts or at indices."""
    return _split_at(input, sections, 0, "vsplit")


def dsplit(input: Tensor, sections: Any) -> tuple[Tensor, ...]:
    """Split along dim 2 into equal parts or at indices."""
    return _split_at(input, sections, 2, "dsplit")


def split_with_sizes(input: Tensor, split_sizes: Sequence[int], dim: int = 0) -> tuple[Tensor, ...]:
    """Split into pieces of the given sizes along ``dim`` (they must add up to its size)."""
    d = _wrap_dim(dim, input.ndim, "split_with_sizes")
    if sum(split_sizes) != input.shape[d]:
        raise RuntimeError(
            f"split_with_sizes expects split_sizes to sum exactly to {input.shape[d]} (input "
            f"tensor's size at dimension {d}), but got split_sizes={list(split_sizes)}"
        )
    return input.split(list(split_sizes), d)


def unsafe_split_with_sizes(input: Tensor, sizes: Sequence[int], dim: int = 0) -> tuple:
    """``split_with_sizes`` (PyTorch's variant that skips its view checks)."""
    return split_with_sizes(input, sizes, dim)


def renorm(input: Tensor, p: float, dim: int, maxnorm: float) -> Tensor:
    """Each slice along ``dim`` rescaled so its p-norm is at most ``maxnorm``."""
    others = tuple(d for d in range(input.ndim) if d != dim % input.ndim)
    norms = input.norm(p, dim=others, keepdim=True)
    # the same 1e-7 as PyTorch keeps the divisor off zero; slices within the bound are untouched
    factor = (maxnorm / (norms + 1e-7)).where(norms > maxnorm, norms * 0 + 1)
    return input * factor


def unfold(input: Tensor, dimension: int, size: int, step: int) -> Tensor:
    """All windows of length ``size`` taken every ``step`` along ``dimension``, as a new last
    dim (``Tensor.unfold``): shape (..., (n - size) // step + 1, ..., size)."""
    x = input.reshape(1) if input.ndim == 0 else input
    d = _wrap_dim(dimension, x.ndim, "unfold")
    n = x.shape[d]
    if size > n:
        raise RuntimeError(f"maximum size for tensor at dimension {d} is {n} but size is {size}")
    if step <= 0:
        raise RuntimeError(f"step is {step} but must be > 0")
    windows = (n - size) // step + 1
    index = (np.arange(windows)[:, None] * step + np.arange(size)).reshape(-1)
    picked = x.index_select(d, _make(index.astype(np.int64)))
    shape = tuple(x.shape[:d]) + (windows, size) + tuple(x.shape[d + 1 :])
    return picked.reshape(shape).movedim(d + 1, -1)


def sum_to_size(input: Tensor, *size: Any) -> Tensor:
    """Sum ``input`` down to ``size`` (which it must broadcast from)."""
    shape = tuple(size[0]) if len(size) == 1 and isinstance(size[0], (list, tuple)) else size
    lead = input.ndim - len(shape)
    if lead < 0 or any(s not in (1, t) for s, t in zip(shape, input.shape[lead:])):
        raise RuntimeError(
            f"size {{{', '.join(map(str, shape))}}} is not expandable to size {{{', '.join(map(str, input.shape))}}}."
        )
    dims = tuple(range(lead)) + tuple(
        lead + i for i, (s, t) in enumerate(zip(shape, input.shape[lead:])) if s == 1 and t != 1
    )
    out = input.sum(dims, keepdim=True) if dims else input
    return out.reshape(shape)


def masked_scatter(input: Tensor, mask: Tensor, source: Tensor) -> Tensor:
    """``input`` with the positions where ``mask`` is True (broadcast) filled, in order, by
    consecutive elements of ``source``."""
    m = np.broadcast_to(mask._data, np.broadcast_shapes(mask._data.shape, input._data.shape))
    count = int(m.sum())
    if count > source.numel():
        raise RuntimeError(
            f"masked_scatter: expected source to have at least {count} elements, got "
            f"{source.numel()}"
        )
    order = np.maximum(np.cumsum(m.reshape(-1)) - 1, 0).astype(np.int64)
    picked = source.reshape(-1).index_select(0, _make(order)).reshape(m.shape)
    return where(_make(np.ascontiguousarray(m)), picked, input)


# ----------------------------------------------------------------------------- statistics
def cov(
    input: Tensor,
    *,
    correction: int = 1,
    fweights: Tensor | None = None,
    aweights: Tensor | None = None,
) -> Tensor:
    """The covariance matrix of the variables in the rows of ``input`` (observations in
    columns), with frequency and/or analytic weights as numpy defines them."""
    x = input if input.ndim == 2 else input.reshape(1, -1)
    if not x.is_floating_point():
        x = x.to(_dtype.get_default_dtype())
    n = x.shape[1]
    w = None
    if fweights is not None:
        w = fweights.to(x.dtype)
    if aweights is not None:
        w = aweights.to(x.dtype) if w is None else w * aweights.to(x.dtype)
    if w is None:
        total = float(n)
        avg = x.mean(1, keepdim=True)
        norm = total - correction
    else:
        total = w.sum()
        avg = (x * w).sum(1, keepdim=True) / total
        if correction == 0:
            norm = total
        elif aweights is None:
            norm = total - correction
        else:
            norm = total - correction * (w * aweights.to(x.dtype)).sum() / total
    centered = x - avg
    weighted = centered if w is None else centered * w
    c = matmul(weighted, centered.transpose(0, 1)) / norm
    return c.reshape(()) if input.ndim < 2 else c


def corrcoef(input: Tensor) -> Tensor:
    """Pearson correlation coefficients of the rows of ``input``, clipped to [-1, 1]."""
    c = cov(input)
    if c.ndim == 0:
        return c / c
    d = diagonal(c).sqrt()
    return (c / d.unsqueeze(1) / d.unsqueeze(0)).clamp(-1, 1)


_INTERPOLATIONS = ("linear", "lower", "higher", "midpoint", "nearest")


def _quantile(
    input: Tensor, q: Any, dim: Any, keepdim: bool, interpolation: str, skip_nan: bool, op: str
) -> Tensor:
    if interpolation not in _INTERPOLATIONS:
        raise RuntimeError(
            f"{op}() interpolation must be one of linear, lower, higher, midpoint or nearest. "
            f"Got {interpolation}"
        )
    if not input.is_floating_point():
        raise RuntimeError(f"{op}() input tensor must be either float or double dtype")
    scalar_q = not isinstance(q, Tensor)
    qs = np.atleast_1d(np.asarray(q if scalar_q else q._data, dtype=np.float64))
    if qs.ndim > 1:
        raise RuntimeError(f"{op}() q must be a scalar or 1D tensor")
    if np.any((qs < 0) | (qs > 1)):
        raise RuntimeError(f"{op}() q values must be in the range [0, 1]")
    x = input.reshape(-1) if dim is None else input
    d = 0 if dim is None else _wrap_dim(dim, x.ndim, op)
    values = x.sort(dim=d).values  # NaN sorts last
    n_valid = (~x.isnan()).sum(d, keepdim=True) if skip_nan else None
    size = x.shape[d]
    results = []
    for qv in qs:
        if skip_nan:
            pos = (n_valid.to(x.dtype) - 1).clamp_min(0) * qv
            valid = n_valid > 0
        else:
            pos = _make(np.full((1,) * x.ndim, (size - 1) * qv, dtype=x._data.dtype))
            valid = None
        lo = pos.floor()
        hi = pos.ceil()
        if interpolation == "lower":
            idx_lo = idx_hi = lo
        elif interpolation == "higher":
            idx_lo = idx_hi = hi
        elif interpolation == "nearest":
            idx_lo = idx_hi = pos.round()
        else:
            idx_lo, idx_hi = lo, hi
        shape = list(values.shape)
        shape[d] = 1
        a = take_along_dim(values, idx_lo.to(_dtype.int64).expand(shape), d)
        b = take_along_dim(values, idx_hi.to(_dtype.int64).expand(shape), d)
        if interpolation == "linear":
            out = a + (b - a) * (pos - lo)
        elif interpolation == "midpoint":
            out = a + (b - a) * 0.5
        else:
            out = a
        if not skip_nan:  # any NaN in the slice makes the quantile NaN
            has_nan = x.isnan().any(d, keepdim=True)
            out = where(has_nan, _make(np.asarray(np.nan, dtype=x._data.dtype)), out)
        else:
            out = where(valid, out, _make(np.asarray(np.nan, dtype=x._data.dtype)))
        results.append(out if keepdim and dim is not None else out.squeeze(d))
    if scalar_q:
        return results[0]
    return stack(results, 0)


def quantile(
    input: Tensor,
    q: Any,
    dim: int | None = None,
    keepdim: bool = False,
    *,
    interpolation: str = "linear",
) -> Tensor:
    """The ``q``-quantiles along ``dim`` (of all elements when None); NaN if a NaN is present.
    A tensor ``q`` adds a leading dim, one entry per ``q``."""
    return _quantile(input, q, dim, keepdim, interpolation, False, "quantile")


def nanquantile(
    input: Tensor,
    q: Any,
    dim: int | None = None,
    keepdim: bool = False,
    *,
    interpolation: str = "linear",
) -> Tensor:
    """:func:`quantile` ignoring NaN (NaN only where a slice is all NaN)."""
    return _quantile(input, q, dim, keepdim, interpolation, True, "nanquantile")


def nanmedian(input: Tensor, dim: int | None = None, keepdim: bool = False) -> Any:
    """The lower median ignoring NaN; along ``dim``, ``(values, indices)``."""
    x = input.reshape(-1) if dim is None else input
    d = 0 if dim is None else _wrap_dim(dim, max(x.ndim, 1), "nanmedian")
    if x.ndim == 0:
        x = x.reshape(1)
    order = x.sort(dim=d)
    n_valid = (~x.isnan()).sum(d, keepdim=True)
    k = ((n_valid - 1).clamp_min(0)) // 2
    index = take_along_dim(order.indices, k, d)
    values = take_along_dim(x, index, d)
    if dim is None:
        return values.reshape(())
    if not keepdim:
        values, index = values.squeeze(d), index.squeeze(d)
    return composite_types["nanmedian"](values, index)


composite_types["nanmedian"] = namedtuple("nanmedian", ("values", "indices"))


def bincount(input: Tensor, weights: Tensor | None = None, minlength: int = 0) -> Tensor:
    """How often each value 0..max occurs in a 1-D non-negative integer tensor (summing
    ``weights`` instead of counting when given)."""
    x = input._data
    if x.ndim != 1 or x.dtype.kind not in "iu":
        raise RuntimeError(
            f"bincount only supports 1-d non-negative integral inputs, got {input.dtype} of shape {tuple(x.shape)}"
        )
    if x.size and x.min() < 0:
        raise RuntimeError("bincount only supports 1-d non-negative integral inputs.")
    if weights is None:
        return _make(np.bincount(x, minlength=minlength).astype(np.int64))
    w = weights._data
    out = np.bincount(x, weights=w, minlength=minlength)
    return _make(out.astype(w.dtype if w.dtype.kind == "f" else np.float64))


def isin(
    elements: Any, test_elements: Any, *, assume_unique: bool = False, invert: bool = False
) -> Tensor:
    """True where an element of ``elements`` occurs in ``test_elements``."""
    a = elements._data if isinstance(elements, Tensor) else np.asarray(elements)
    b = test_elements._data if isinstance(test_elements, Tensor) else np.asarray(test_elements)
    return _make(np.asarray(np.isin(a, b, assume_unique=assume_unique, invert=invert)))


def unravel_index(indices: Tensor, shape: Any) -> tuple[Tensor, ...]:
    """The coordinates in a tensor of ``shape`` of flat ``indices`` (one tensor per dim)."""
    shape = (shape,) if isinstance(shape, int) else tuple(shape)
    idx = indices._data
    if idx.dtype.kind not in "iu":
        raise TypeError(f"expected 'indices' to be integer dtype, but got {indices.dtype}")
    total = math.prod(shape)
    if np.any((idx < -total) | (idx >= total)):
        raise RuntimeError("'indices' must be in range [-prod(shape), prod(shape))")
    coords = np.unravel_index(np.where(idx < 0, idx + total, idx), shape)
    return tuple(_make(c.astype(np.int64)) for c in coords)


def vander(x: Tensor, N: int | None = None, increasing: bool = False) -> Tensor:
    """The Vandermonde matrix of a 1-D ``x``: columns ``x^(N-1) ... x^0`` (reversed when
    ``increasing``)."""
    n = x.shape[0] if N is None else N
    powers = np.arange(n)
    if not increasing:
        powers = powers[::-1].copy()
    base = x if x.is_floating_point() else x.to(_dtype.int64)
    return base.unsqueeze(1) ** _make(powers.astype(base._data.dtype)).unsqueeze(0)
