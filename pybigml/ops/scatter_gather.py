"""Indexed reads and writes along a dim: gather/scatter, index_select/index_add/index_copy/
index_fill, masked_fill/masked_select, take/take_along_dim, and nonzero.

The ops come in adjoint pairs, and the backward of each is (mostly) its partner:

    gather(x, dim, index)        <->  scatter_add(zeros, dim, index, grad)
    index_select(x, dim, index)  <->  index_add(zeros, dim, index, grad)
    scatter / index_copy / index_fill / masked_fill: grad_x is the gradient with the
    overwritten places zeroed; the written values get the gradient read back from them.

Since every backward is again one of these Functions, double backward works. ``masked_select``,
``take`` and ``take_along_dim`` are compositions of ``index_select``/``gather`` with
reshapes and broadcasts, so their gradients need no code of their own.

Index tensors are checked before any numpy indexing runs: an index out of range raises an
error naming the op, the value, the dim and its size.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .._tensor import Tensor, _wrap_dim
from ..autograd.function import Function
from .inplace import inplace
from .pointwise import _quiet
from .reduction import OnceDifferentiableGradient

__all__ = [
    "gather",
    "scatter",
    "scatter_add",
    "scatter_reduce",
    "index_select",
    "index_add",
    "index_copy",
    "index_fill",
    "masked_fill",
    "masked_select",
    "take",
    "take_along_dim",
    "nonzero",
    "argwhere",
    "scatter_",
    "scatter_add_",
    "scatter_reduce_",
    "index_add_",
    "index_copy_",
    "index_fill_",
    "masked_fill_",
    "put",
    "select_scatter",
    "slice_scatter",
    "diagonal_scatter",
]

_make = Tensor._make
_INT32_OR_64 = (np.dtype(np.int32), np.dtype(np.int64))
_INT64 = (np.dtype(np.int64),)


# ----------------------------------------------------------------------------- validation
def _index_array(index: Any, op: str, allowed: tuple, exc: type = RuntimeError) -> np.ndarray:
    """The numpy array of an index tensor, after checking it is a tensor of an allowed dtype."""
    if not isinstance(index, Tensor):
        raise TypeError(f"{op}(): index must be a Tensor, got {type(index).__name__}")
    idx = index._data
    if idx.dtype not in allowed:
        names = " or ".join(d.name for d in allowed)
        raise exc(f"{op}(): Expected dtype {names} for index, got {index.dtype}")
    return idx


def _check_bounds(
    idx: np.ndarray, size: int, dim: int, op: str, wrap: bool = False, exc: type = RuntimeError
) -> np.ndarray:
    """Check ``0 <= idx < size`` (``-size <= idx < size`` with ``wrap``); return int64 indices.

    With ``wrap`` negative indices count from the end, as in ``take`` and ``index_fill``.
    """
    low = -size if wrap else 0
    bad = (idx < low) | (idx >= size)
    if bad.any():
        value = int(idx[bad].reshape(-1)[0])
        raise exc(f"{op}(): index {value} is out of bounds for dimension {dim} with size {size}")
    idx = idx.astype(np.int64, copy=False)
    return np.where(idx < 0, idx + size, idx) if wrap else idx


def _as_1d(x: np.ndarray) -> np.ndarray:
    """A 0-d array as a 1-element vector (these ops treat a scalar as a size-1 dim)."""
    return x.reshape(1) if x.ndim == 0 else x


def _shape_1d(shape: tuple) -> tuple:
    return shape if shape else (1,)


def _check_same_dtype(a: Tensor, b: Tensor, op: str, what: str) -> None:
    if a._data.dtype != b._data.dtype:
        raise RuntimeError(
            f"{op}(): Expected self.dtype to be equal to {what}.dtype (got {a.dtype} and {b.dtype})"
        )


def _check_gather_shapes(
    op: str, x_shape: tuple, index_shape: tuple, dim: int, src_shape: tuple | None = None
) -> None:
    """index must have x's number of dims and fit inside x off ``dim`` (and inside src)."""
    x_shape, index_shape = _shape_1d(x_shape), _shape_1d(index_shape)
    if len(index_shape) != len(x_shape):
        raise RuntimeError(
            f"{op}(): Index tensor must have the same number of dimensions as input tensor "
            f"(index {list(index_shape)}, input {list(x_shape)})"
        )
    if src_shape is not None and len(_shape_1d(src_shape)) != len(index_shape):
        raise RuntimeError(
            f"{op}(): Index tensor must have the same number of dimensions as src tensor "
            f"(index {list(index_shape)}, src {list(src_shape)})"
        )
    if math.prod(index_shape) == 0:
        return
    too_big = any(i > s for d, (i, s) in enumerate(zip(index_shape, x_shape)) if d != dim)
    if src_shape is not None:
        too_big = too_big or any(i > s for i, s in zip(index_shape, _shape_1d(src_shape)))
    if too_big:
        src = (
            f" and to be no larger size than src {list(src_shape)}" if src_shape is not None else ""
        )
        raise RuntimeError(
            f"{op}(): Expected index {list(index_shape)} to be no larger than self "
            f"{list(x_shape)} apart from dimension {dim}{src}"
        )


def _check_index_vector(idx: np.ndarray, op: str) -> np.ndarray:
    if idx.ndim > 1:
        raise IndexError(f"{op}(): Index is supposed to be a vector, got shape {list(idx.shape)}")
    return idx.reshape(-1)


def _broadcast_shape(a: tuple, b: tuple, op: str) -> tuple:
    try:
        return np.broadcast_shapes(a, b)
    except ValueError:
        raise RuntimeError(
            f"{op}(): shapes {list(a)} and {list(b)} cannot be broadcast together"
        ) from None


def _value(value: Any, op: str) -> Any:
    """A fill value: a Python number or a 0-d tensor (kept as a tensor: it is differentiable)."""
    if isinstance(value, Tensor):
        if value._data.ndim != 0:
            raise RuntimeError(
                f"{op} only supports a 0-dimensional value tensor, but got tensor with "
                f"{value._data.ndim} dimension(s)."
            )
        return value
    if isinstance(value, np.generic):
        return value.item()
    if not isinstance(value, (int, float, bool)):
        raise TypeError(
            f"{op}(): value must be a number or a 0-d tensor, got {type(value).__name__}"
        )
    return value


def _fill_array(value: Any, dtype: np.dtype) -> np.ndarray:
    """The fill value cast to the output's dtype (floats into integers truncate, as in PyTorch)."""
    return np.asarray(value._data if isinstance(value, Tensor) else value).astype(dtype)


# ----------------------------------------------------------------------------- gather / scatter
def _coords(index: np.ndarray, dim: int) -> tuple:
    """Advanced-indexing coordinates addressing ``x[i_0, .., index[i], .., i_n]`` for every i.

    Off ``dim`` the coordinate of an index element is its own position; on ``dim`` it is its
    value. The coordinate arrays broadcast to ``index.shape``.
    """
    grid = list(np.indices(index.shape, sparse=True))
    grid[dim] = index
    return tuple(grid)


def _combine_at(ufunc: np.ufunc, target: np.ndarray, positions: np.ndarray, values: Any) -> None:
    """``target[positions[k]] = ufunc(target[positions[k]], values[k])`` along axis 0, with
    repeated positions combined: ``ufunc.at``, vectorised.

    ``ufunc.at`` visits the elements one by one; here the positions are sorted, each run of
    equal positions is combined with ``ufunc.reduceat``, and the results land in one step.
    """
    if positions.size == 0:
        return
    order = np.argsort(positions, kind="stable")
    positions = positions[order]
    starts = np.flatnonzero(np.concatenate(([True], positions[1:] != positions[:-1])))
    places = positions[starts]
    target[places] = ufunc(target[places], ufunc.reduceat(values[order], starts, axis=0))


def _scatter_at(ufunc: np.ufunc, target: np.ndarray, coords: tuple, values: Any) -> None:
    """``ufunc.at(target, coords, values)`` for a C-contiguous ``target`` (written in place)."""
    grids = np.broadcast_arrays(*coords)
    positions = np.ravel_multi_index(grids, target.shape).reshape(-1)
    values = np.broadcast_to(values, grids[0].shape).reshape(-1)
    _combine_at(ufunc, target.reshape(-1), positions, values)


def _box(shape: tuple) -> tuple:
    """The slices selecting the leading ``shape`` corner of a larger array."""
    return tuple(slice(0, n) for n in shape)


class Gather(Function):
    """y[i] = x[i with its dim-coordinate replaced by index[i]];
    grad_x = scatter_add(zeros_like(x), dim, index, grad)."""

    @staticmethod
    def forward(ctx, a, dim, index):
        ctx.shape, ctx.dim, ctx.index = a._data.shape, dim, index
        x, idx = _as_1d(a._data), _as_1d(index._data)
        return _make(x[_coords(idx, dim)].reshape(index._data.shape))

    @staticmethod
    def backward(ctx, grad):
        zeros = _make(np.zeros(ctx.shape, grad._data.dtype))
        return Scatter.apply(zeros, ctx.dim, ctx.index, grad, "add"), None, None


def gather(input: Tensor, dim: int, index: Tensor, *, sparse_grad: bool = False) -> Tensor:
    """Read ``input`` along ``dim`` at ``index``: ``out[i][j] = input[i][index[i][j]]`` (dim 1).

    Args:
        input: the tensor to read.
        dim: the dim ``index`` addresses.
        index: int64 (or int32) tensor with input's number of dims, no larger than input
            off ``dim``; it is also the output's shape.
        sparse_grad: accepted for compatibility; gradients are dense.

    Returns:
        Example: ``pybigml.tensor([[1., 2.], [3., 4.]]).gather(1, pybigml.tensor([[1], [0]]))``
        is ``tensor([[2.], [3.]])``.
    """
    x = input._data
    idx = _index_array(index, "gather", _INT32_OR_64)
    d = _wrap_dim(dim, x.ndim, "gather")
    _check_gather_shapes("gather", x.shape, idx.shape, d)
    idx = _check_bounds(idx, _shape_1d(x.shape)[d], d, "gather")
    return Gather.apply(input, d, _make(idx))


class _PadTo(Function):
    """Put t in the leading corner of zeros of ``shape``;  backward: slice that corner out."""

    @staticmethod
    def forward(ctx, t, shape):
        ctx.box = _box(t._data.shape)
        out = np.zeros(shape, t._data.dtype)
        out[ctx.box] = t._data
        return _make(out)

    @staticmethod
    def backward(ctx, grad):
        return grad[ctx.box], None


def _fit_to(t: Tensor, shape: tuple) -> Tensor:
    """The gradient of a src read through an index box, padded with zeros to src's ``shape``."""
    if t._data.shape == shape:
        return t
    if t._data.size == math.prod(shape):  # only a 0-d vs 1-element difference
        return t.reshape(shape)
    if t._data.ndim == 0:
        t = t.reshape(1)
    return _PadTo.apply(t, shape)


class Scatter(Function):
    """y = x, then y[i with dim-coordinate index[i]] = src[i] (reduce "add": +=, "multiply": *=).

    grad_x = grad with the written places zeroed ("add": grad itself);
    grad_src = gather(grad, dim, index), zero where src lies outside index's shape.
    """

    @staticmethod
    def forward(ctx, a, dim, index, src, reduce):
        x = a._data
        ctx.dim, ctx.index, ctx.reduce = dim, index, reduce
        out = x.copy()
        idx = _as_1d(index._data)
        coords = _coords(idx, dim)
        if isinstance(src, Tensor):
            ctx.src_shape = src._data.shape
            values = _as_1d(src._data)[_box(idx.shape)]
        else:
            values = _fill_array(src, x.dtype)
        if reduce is None:
            _as_1d(out)[coords] = values
        else:
            _scatter_at(np.add if reduce == "add" else np.multiply, _as_1d(out), coords, values)
        return _make(out)

    @staticmethod
    def backward(ctx, grad):
        if ctx.reduce == "multiply":
            raise RuntimeError("scatter(): the derivative for reduce='multiply' is not implemented")
        dim, index = ctx.dim, ctx.index
        grad_x = grad_src = None
        if ctx.needs_input_grad[0]:
            grad_x = grad if ctx.reduce == "add" else Scatter.apply(grad, dim, index, 0, None)
        if ctx.needs_input_grad[3]:
            grad_src = _fit_to(Gather.apply(grad, dim, index), ctx.src_shape)
        return grad_x, None, None, grad_src, None


def _scatter_args(
    input: Tensor, dim: int, index: Tensor, src: Any, op: str
) -> tuple[int, Tensor, Any]:
    """Validate a scatter's arguments; return the wrapped dim, checked index and src/value."""
    x = input._data
    idx = _index_array(index, op, _INT32_OR_64)
    d = _wrap_dim(dim, x.ndim, op)
    if isinstance(src, Tensor):
        _check_same_dtype(input, src, op, "src")
        _check_gather_shapes(op, x.shape, idx.shape, d, src._data.shape)
    else:
        src = _value(src, op)
        _check_gather_shapes(op, x.shape, idx.shape, d)
    idx = _check_bounds(idx, _shape_1d(x.shape)[d], d, op)
    return d, _make(idx), src


def scatter(
    input: Tensor,
    dim: int,
    index: Tensor,
    src: Any = None,
    value: Any = None,
    *,
    reduce: str | None = None,
) -> Tensor:
    """A copy of ``input`` with ``src`` (a tensor or a number) written along ``dim`` at ``index``.

    ``out[i][index[i][j]] = src[i][j]`` for dim 1. Where ``index`` repeats a place, which
    write wins is unspecified (as in PyTorch). ``reduce="add"``/``"multiply"`` combines
    instead of overwriting.

    Args:
        input: the tensor to copy and write into.
        dim: the dim ``index`` addresses.
        index: int64 (or int32) tensor, no larger than ``input`` off ``dim`` nor than ``src``.
        src: the values (a tensor of input's dtype) or a number; ``value=`` is the same.
        reduce: None, "add" or "multiply".

    Returns:
        Example: ``pybigml.zeros(3).scatter(0, pybigml.tensor([2]), 5.0)`` is
        ``tensor([0., 0., 5.])``.
    """
    if src is None:
        src = value
    if src is None:
        raise TypeError("scatter(): expected a src tensor or a value")
    if reduce not in (None, "add", "multiply"):
        raise RuntimeError(
            f"scatter(): reduce argument must be either add or multiply, got {reduce!r}"
        )
    d, idx, src = _scatter_args(input, dim, index, src, "scatter")
    return Scatter.apply(input, d, idx, src, reduce)


def scatter_add(input: Tensor, dim: int, index: Tensor, src: Tensor) -> Tensor:
    """A copy of ``input`` with ``src`` added along ``dim`` at ``index`` (repeats accumulate).

    Args:
        input: the tensor to copy and add into.
        dim: the dim ``index`` addresses.
        index: int64 (or int32) tensor, no larger than ``input`` off ``dim`` nor than ``src``.
        src: a tensor of input's dtype.

    Returns:
        Example: ``pybigml.zeros(2).scatter_add(0, pybigml.tensor([1, 1]), pybigml.ones(2))``
        is ``tensor([0., 2.])``.
    """
    if not isinstance(src, Tensor):
        raise TypeError(f"scatter_add(): argument 'src' must be Tensor, not {type(src).__name__}")
    d, idx, src = _scatter_args(input, dim, index, src, "scatter_add")
    return Scatter.apply(input, d, idx, src, "add")


# ----------------------------------------------------------------------------- scatter_reduce
_REDUCE_UFUNCS = {
    "sum": np.add,
    "mean": np.add,
    "prod": np.multiply,
    "amax": np.maximum,
    "amin": np.minimum,
}


def _identity(reduce: str, dtype: np.dtype) -> Any:
    """The value a reduction starts from when ``include_self=False``."""
    if reduce in ("sum", "mean"):
        return 0
    if reduce == "prod":
        return 1
    big = np.inf if dtype.kind == "f" else np.iinfo(dtype).max
    return -big if reduce == "amax" else big


class ScatterReduce(Function):
    """y[p] = reduce(x[p] (if include_self), src[i] for every i that index sends to p).

    sum:  grad_x = grad (0 at written places without include_self), grad_src = gather(grad).
    mean: the same, divided by the number of values n[p] averaged into each place.
    amax/amin: every value equal to y[p] gets grad[p] / (number of such values).
    prod: dy/dc = the product of the other values of its place (exact with zeros too; computed
    in numpy, so not differentiated again).
    """

    @staticmethod
    def forward(ctx, a, dim, index, src, reduce, include_self):
        x = a._data
        out = x.copy()
        o, idx = _as_1d(out), _as_1d(index._data)
        coords = _coords(idx, dim)
        values = _as_1d(src._data)[_box(idx.shape)]
        if not include_self:
            o[coords] = _identity(reduce, x.dtype)
        _scatter_at(_REDUCE_UFUNCS[reduce], o, coords, values)
        count = None
        if reduce == "mean":
            count = np.full(o.shape, 1 if include_self else 0, np.int64)
            _scatter_at(np.add, count, coords, 1)
            count = np.maximum(count, 1)
            o[...] = o // count if x.dtype.kind in "iu" else o / count
        ctx.dim, ctx.index, ctx.reduce, ctx.include_self = dim, index, reduce, include_self
        ctx.src_shape, ctx.count = src._data.shape, count
        if ctx.needs_input_grad and reduce in ("amax", "amin"):
            ctx.weights = _extremum_weights(o, values, coords, include_self, _as_1d(x))
        result = _make(out)
        if reduce == "prod":
            ctx.save_for_backward(a, src)
        return result

    @staticmethod
    def backward(ctx, grad):
        if ctx.reduce == "prod":
            a, src = ctx.saved_tensors
            dim, index, include_self = ctx.dim, ctx.index._data, ctx.include_self
            grad_x, grad_src = OnceDifferentiableGradient.apply(
                "scatter_reduce",
                lambda x, s, g: _scatter_prod_grads(x, s, g, dim, index, include_self),
                a,
                src,
                grad,
            )
            return grad_x, None, None, grad_src, None, None
        dim, index, shape = ctx.dim, ctx.index, grad._data.shape
        if ctx.reduce in ("amax", "amin"):
            x_share, per_place, src_hit = ctx.weights
            grad_x = grad * _make(x_share.reshape(shape))
            grad_src = Gather.apply(grad * _make(per_place.reshape(shape)), dim, index)
            grad_src = grad_src * _make(src_hit.reshape(index._data.shape))
        else:
            if ctx.reduce == "mean":
                grad = grad / _make(ctx.count.reshape(shape).astype(grad._data.dtype))
            grad_x = grad if ctx.include_self else Scatter.apply(grad, dim, index, 0, None)
            grad_src = Gather.apply(grad, dim, index)
        return grad_x, None, None, _fit_to(grad_src, ctx.src_shape), None, None


def _extremum_weights(
    out: np.ndarray, values: np.ndarray, coords: tuple, include_self: bool, x: np.ndarray
) -> tuple:
    """Gradient shares for amax/amin: each value equal to its place's result gets 1/k.

    Without include_self, x takes part only at the places nothing was written to (y = x there).
    """
    if include_self:
        x_hit = x == out
    else:
        x_hit = np.ones(out.shape, bool)
        x_hit[coords] = False
    src_hit = values == out[coords]
    k = x_hit.astype(np.int64)
    _scatter_at(np.add, k, coords, src_hit.astype(np.int64))
    per_place = (1.0 / np.maximum(k, 1)).astype(out.dtype)
    return x_hit * per_place, per_place, src_hit.astype(out.dtype)


def _scatter_prod_grads(
    x: np.ndarray,
    src: np.ndarray,
    grad: np.ndarray,
    dim: int,
    index: np.ndarray,
    include_self: bool,
) -> tuple:
    """d y[p] / d c = the product of the other values of place p, exact when some are zero:
    no zero there: y / c;  one zero: the product of the non-zeros for the zero, 0 for the
    rest;  two or more zeros: 0."""
    shape, src_shape = x.shape, src.shape
    x, g, idx = _as_1d(x), _as_1d(grad), _as_1d(index)
    coords = _coords(idx, dim)
    values = _as_1d(src)[_box(idx.shape)]
    own = x if include_self else np.ones_like(x)  # x's own factor in its place's product
    written = np.zeros(x.shape, bool)
    written[coords] = True
    nonzero_prod = np.where(own == 0, 1, own).astype(x.dtype)
    _scatter_at(np.multiply, nonzero_prod, coords, np.where(values == 0, 1, values))
    zeros = (own == 0).astype(np.int64)
    _scatter_at(np.add, zeros, coords, (values == 0).astype(np.int64))

    def others(c: np.ndarray, place_prod: np.ndarray, place_zeros: np.ndarray) -> np.ndarray:
        with _quiet():
            no_zero = place_prod / np.where(c == 0, 1, c)
        one_zero = np.where(c == 0, place_prod, 0)
        return np.where(place_zeros == 0, no_zero, np.where(place_zeros == 1, one_zero, 0))

    grad_x = g * others(own, nonzero_prod, zeros) if include_self else np.where(written, 0, g)
    grad_src = np.zeros(_shape_1d(src_shape), x.dtype)
    grad_src[_box(idx.shape)] = g[coords] * others(values, nonzero_prod[coords], zeros[coords])
    return grad_x.reshape(shape), grad_src.reshape(src_shape)


def scatter_reduce(
    input: Tensor, dim: int, index: Tensor, src: Tensor, reduce: str, *, include_self: bool = True
) -> Tensor:
    """A copy of ``input`` where each place ``index`` addresses combines the ``src`` values
    sent to it with ``reduce`` ("sum", "prod", "mean", "amax", "amin").

    Args:
        input: the tensor to copy and reduce into.
        dim: the dim ``index`` addresses.
        index: int64 (or int32) tensor, no larger than ``input`` off ``dim`` nor than ``src``.
        src: a tensor of input's dtype.
        reduce: the reduction.
        include_self: whether input's own value takes part in the reduction.

    Returns:
        Example: ``pybigml.zeros(2).scatter_reduce(0, pybigml.tensor([0, 0]),
        pybigml.tensor([1., 3.]), "mean", include_self=False)`` is ``tensor([2., 0.])``.
    """
    if reduce not in _REDUCE_UFUNCS:
        raise RuntimeError(
            "scatter_reduce(): reduce argument must be either sum, prod, mean, amax or amin, "
            f"got {reduce!r}"
        )
    if not isinstance(src, Tensor):
        raise TypeError(
            f"scatter_reduce(): argument 'src' must be Tensor, not {type(src).__name__}"
        )
    d, idx, src = _scatter_args(input, dim, index, src, "scatter_reduce")
    return ScatterReduce.apply(input, d, idx, src, reduce, include_self)


# ----------------------------------------------------------------------------- index_* ops
def _along(dim: int, idx: np.ndarray) -> tuple:
    """The numpy key ``[:, ..., idx]`` with ``idx`` on ``dim``."""
    return (slice(None),) * dim + (idx,)


class IndexSelect(Function):
    """y = x[..., index, ...] (index on dim);  grad_x = index_add(zeros_like(x), dim, index, grad)."""

    @staticmethod
    def forward(ctx, a, dim, index):
        x = a._data
        ctx.shape, ctx.dim, ctx.index = x.shape, dim, index
        out = np.take(_as_1d(x), index._data, axis=dim)
        return _make(out.reshape(()) if x.ndim == 0 else out)

    @staticmethod
    def backward(ctx, grad):
        zeros = _make(np.zeros(ctx.shape, grad._data.dtype))
        return IndexAdd.apply(zeros, ctx.dim, ctx.index, grad, 1), None, None


def _vector_index(
    input: Tensor,
    dim: int,
    index: Tensor,
    op: str,
    allowed: tuple,
    wrap: bool = False,
    dtype_error: type = RuntimeError,
    bounds_error: type = RuntimeError,
) -> tuple:
    """Validate a 1-d index into ``dim`` of ``input``; return the wrapped dim and the indices."""
    x = input._data
    idx = _check_index_vector(_index_array(index, op, allowed, dtype_error), op)
    d = _wrap_dim(dim, x.ndim, op)
    idx = _check_bounds(idx, _shape_1d(x.shape)[d], d, op, wrap, bounds_error)
    return d, _make(idx)


def index_select(input: Tensor, dim: int, index: Tensor) -> Tensor:
    """The slices of ``input`` at positions ``index`` along ``dim``, in index order.

    Args:
        input: the tensor to read.
        dim: the dim to select along.
        index: a 1-d int64 (or int32) tensor of positions (repeats allowed).

    Returns:
        Example: ``pybigml.tensor([[1., 2.], [3., 4.]]).index_select(0, pybigml.tensor([1]))``
        is ``tensor([[3., 4.]])``.
    """
    d, idx = _vector_index(input, dim, index, "index_select", _INT32_OR_64)
    return IndexSelect.apply(input, d, idx)


def _check_source(input: Tensor, dim: int, index: Tensor, source: Tensor, op: str) -> None:
    """``source`` must be shaped like ``input`` with ``len(index)`` on ``dim``, same dtype."""
    if not isinstance(source, Tensor):
        raise TypeError(f"{op}(): source must be a Tensor, got {type(source).__name__}")
    if source._data.dtype != input._data.dtype:
        raise RuntimeError(
            f"{op}(): self ({input.dtype}) and source ({source.dtype}) must have the same "
            "scalar type"
        )
    x_shape, s_shape = _shape_1d(input._data.shape), _shape_1d(source._data.shape)
    if len(s_shape) != len(x_shape) or any(
        s != n for d, (s, n) in enumerate(zip(s_shape, x_shape)) if d != dim
    ):
        raise RuntimeError(
            f"{op}(): source tensor shape must match self tensor shape, excluding the specified "
            f"dimension. Got self.shape = {list(input.shape)} source.shape = {list(source.shape)}"
        )
    if s_shape[dim] != index._data.size:
        raise RuntimeError(
            f"{op}(): Number of indices ({index._data.size}) should be equal to "
            f"source.size(dim) ({s_shape[dim]}), for dim: {dim}"
        )


class IndexAdd(Function):
    """y = x;  y[..., index[k], ...] += alpha * source[..., k, ...] along dim.

    grad_x = grad;  grad_source = alpha * index_select(grad, dim, index).
    """

    @staticmethod
    def forward(ctx, a, dim, index, source, alpha):
        ctx.dim, ctx.index, ctx.alpha, ctx.src_shape = dim, index, alpha, source._data.shape
        out = a._data.copy()
        values = _as_1d(source._data)
        if alpha != 1:
            values = (values * alpha).astype(out.dtype)
        _combine_at(
            np.add, np.moveaxis(_as_1d(out), dim, 0), index._data, np.moveaxis(values, dim, 0)
        )
        return _make(out)

    @staticmethod
    def backward(ctx, grad):
        grad_source = None
        if ctx.needs_input_grad[3]:
            grad_source = IndexSelect.apply(grad, ctx.dim, ctx.index).reshape(ctx.src_shape)
            if ctx.alpha != 1:
                grad_source = grad_source * ctx.alpha
        return grad, None, None, grad_source, None


def index_add(input: Tensor, dim: int, index: Tensor, source: Tensor, *, alpha: Any = 1) -> Tensor:
    """A copy of ``input`` with ``alpha * source`` added at positions ``index`` along ``dim``.

    Args:
        input: the tensor to copy and add into.
        dim: the dim to add along.
        index: a 1-d int64 (or int32) tensor (repeats accumulate).
        source: input's dtype and shape, with ``len(index)`` on ``dim``.
        alpha: the scale of ``source``.

    Returns:
        Example: ``pybigml.zeros(3).index_add(0, pybigml.tensor([0, 0]), pybigml.ones(2))``
        is ``tensor([2., 0., 0.])``.
    """
    d, idx = _vector_index(input, dim, index, "index_add", _INT32_OR_64)
    _check_source(input, d, idx, source, "index_add")
    return IndexAdd.apply(input, d, idx, source, alpha)


class IndexCopy(Function):
    """y = x;  y[..., index[k], ...] = source[..., k, ...] along dim.

    grad_x = grad with the copied-to places zeroed;  grad_source = index_select(grad, dim, index).
    """

    @staticmethod
    def forward(ctx, a, dim, index, source):
        ctx.dim, ctx.index, ctx.src_shape = dim, index, source._data.shape
        out = a._data.copy()
        _as_1d(out)[_along(dim, index._data)] = _as_1d(source._data)
        return _make(out)

    @staticmethod
    def backward(ctx, grad):
        dim, index = ctx.dim, ctx.index
        grad_x = IndexFill.apply(grad, dim, index, 0) if ctx.needs_input_grad[0] else None
        grad_source = None
        if ctx.needs_input_grad[3]:
            grad_source = IndexSelect.apply(grad, dim, index).reshape(ctx.src_shape)
        return grad_x, None, None, grad_source


def index_copy(input: Tensor, dim: int, index: Tensor, source: Tensor) -> Tensor:
    """A copy of ``input`` with the slices of ``source`` written at positions ``index`` along ``dim``.

    Args:
        input: the tensor to copy and write into.
        dim: the dim to write along.
        index: a 1-d int64 tensor.
        source: input's dtype and shape, with ``len(index)`` on ``dim``.

    Returns:
        Example: ``pybigml.zeros(3).index_copy(0, pybigml.tensor([2]), pybigml.ones(1))``
        is ``tensor([0., 0., 1.])``.
    """
    d, idx = _vector_index(input, dim, index, "index_copy", _INT64, bounds_error=IndexError)
    _check_source(input, d, idx, source, "index_copy")
    return IndexCopy.apply(input, d, idx, source)


class IndexFill(Function):
    """y = x with y[..., index, ...] = value along dim.

    grad_x = grad with the filled places zeroed;  grad_value = the sum of grad over them.
    """

    @staticmethod
    def forward(ctx, a, dim, index, value):
        ctx.dim, ctx.index = dim, index
        out = a._data.copy()
        _as_1d(out)[_along(dim, index._data)] = _fill_array(value, out.dtype)
        return _make(out)

    @staticmethod
    def backward(ctx, grad):
        cleared = IndexFill.apply(grad, ctx.dim, ctx.index, 0)
        grad_value = (grad - cleared).sum() if ctx.needs_input_grad[3] else None
        return cleared, None, None, grad_value


def index_fill(input: Tensor, dim: int, index: Tensor, value: Any) -> Tensor:
    """A copy of ``input`` with ``value`` written at positions ``index`` along ``dim``.

    Args:
        input: the tensor to copy and fill.
        dim: the dim to fill along.
        index: a 1-d int64 tensor; negative positions count from the end.
        value: a number or a 0-d tensor (differentiable).

    Returns:
        Example: ``pybigml.zeros(3).index_fill(0, pybigml.tensor([-1]), 7.0)`` is
        ``tensor([0., 0., 7.])``.
    """
    d, idx = _vector_index(input, dim, index, "index_fill", _INT64, True, IndexError, IndexError)
    return IndexFill.apply(input, d, idx, _value(value, "index_fill"))


# ----------------------------------------------------------------------------- masks
def _mask_array(mask: Any, op: str) -> np.ndarray:
    if not isinstance(mask, Tensor):
        raise TypeError(f"{op}(): mask must be a Tensor, got {type(mask).__name__}")
    if mask._data.dtype != np.bool_:
        raise RuntimeError(
            f"{op} only supports boolean masks, but got mask with dtype {mask.dtype}"
        )
    return mask._data


class MaskedFill(Function):
    """y = where(mask, value, x) (mask broadcast);
    grad_x = where(mask, 0, grad);  grad_value = the sum of grad where mask."""

    @staticmethod
    def forward(ctx, a, mask, value):
        ctx.mask = mask
        x = a._data
        return _make(np.where(mask._data, _fill_array(value, x.dtype), x))

    @staticmethod
    def backward(ctx, grad):
        cleared = MaskedFill.apply(grad, ctx.mask, 0)
        grad_value = (grad - cleared).sum() if ctx.needs_input_grad[2] else None
        return cleared, None, grad_value


def masked_fill(input: Tensor, mask: Tensor, value: Any) -> Tensor:
    """A copy of ``input`` with ``value`` where the bool ``mask`` (broadcast) is True.

    Args:
        input: the tensor to copy and fill.
        mask: a bool tensor broadcastable with ``input``.
        value: a number or a 0-d tensor (differentiable).

    Returns:
        Example: ``pybigml.zeros(2).masked_fill(pybigml.tensor([True, False]), 1.0)`` is
        ``tensor([1., 0.])``.
    """
    m = _mask_array(mask, "masked_fill")
    _broadcast_shape(input._data.shape, m.shape, "masked_fill")
    return MaskedFill.apply(input, mask, _value(value, "masked_fill"))


def masked_select(input: Tensor, mask: Tensor) -> Tensor:
    """The elements of ``input`` where the bool ``mask`` is True, as a 1-d tensor.

    ``input`` and ``mask`` broadcast together; the result reads the broadcast input in
    row-major order. (An ``index_select`` on the flattened input, so its gradient is an
    ``index_add`` of the gradient back into place.)

    Returns:
        Example: ``pybigml.tensor([1., 2., 3.]).masked_select(pybigml.tensor([True, False, True]))``
        is ``tensor([1., 3.])``.
    """
    if mask._data.dtype != np.bool_:
        raise RuntimeError(f"masked_select: expected BoolTensor for mask, got {mask.dtype}")
    shape = _broadcast_shape(input._data.shape, mask._data.shape, "masked_select")
    flat = (input if input._data.shape == shape else input.expand(shape)).reshape(-1)
    positions = np.flatnonzero(np.broadcast_to(mask._data, shape))
    return IndexSelect.apply(flat, 0, _make(positions))


# ----------------------------------------------------------------------------- take
def take(input: Tensor, index: Tensor) -> Tensor:
    """The elements of the flattened ``input`` at ``index`` (negative counts from the end).

    Returns:
        A tensor of index's shape. Example: ``pybigml.tensor([[1., 2.], [3., 4.]]).take(
        pybigml.tensor([0, -1]))`` is ``tensor([1., 4.])``.
    """
    idx = _index_array(index, "take", _INT64)
    n = input._data.size
    bad = (idx < -n) | (idx >= n)
    if bad.any():
        raise IndexError(
            f"take(): out of range: tried to access index {int(idx[bad].reshape(-1)[0])} on a "
            f"tensor of {n} elements."
        )
    flat_index = _make(np.where(idx < 0, idx + n, idx).reshape(-1))
    return IndexSelect.apply(input.reshape(-1), 0, flat_index).reshape(idx.shape)


def take_along_dim(input: Tensor, indices: Tensor, dim: int | None = None) -> Tensor:
    """Read ``input`` at ``indices`` along ``dim`` (gather with broadcasting off ``dim``).

    With ``dim=None`` both are flattened first. Negative indices count from the end.

    Args:
        input: the tensor to read.
        indices: an int64 tensor with input's number of dims (broadcast with it off ``dim``).
        dim: the dim to read along, or None.

    Returns:
        Example: ``x.take_along_dim(x.argmax(1, keepdim=True), 1)`` is each row's maximum.
    """
    idx = _index_array(indices, "take_along_dim", _INT64)
    if dim is None:
        input, idx = input.reshape(-1), idx.reshape(-1)
        d = 0
    else:
        x = input._data
        if idx.ndim != x.ndim:
            raise RuntimeError(
                "take_along_dim(): input and indices should have the same number of dimensions, "
                f"but got {x.ndim} dimensions for input, and {idx.ndim} dimensions for indices"
            )
        if x.ndim == 0:
            raise IndexError(f"take_along_dim(): dim {dim} given but the input has no dimensions")
        d = _wrap_dim(dim, x.ndim, "take_along_dim")
        off = _broadcast_shape(
            x.shape[:d] + (1,) + x.shape[d + 1 :],
            idx.shape[:d] + (1,) + idx.shape[d + 1 :],
            "take_along_dim",
        )
        in_shape = off[:d] + (x.shape[d],) + off[d + 1 :]
        if in_shape != x.shape:
            input = input.expand(in_shape)
        idx = np.broadcast_to(idx, off[:d] + (idx.shape[d],) + off[d + 1 :])
    size = _shape_1d(input._data.shape)[d]
    idx = _check_bounds(idx, size, d, "take_along_dim", wrap=True)
    return Gather.apply(input, d, _make(np.ascontiguousarray(idx)))


# ----------------------------------------------------------------------------- nonzero
def nonzero(input: Tensor, *, as_tuple: bool = False) -> Any:
    """The indices of the non-zero elements.

    Returns:
        An int64 tensor of shape ``(count, ndim)``, one row per element; with ``as_tuple``,
        one 1-d tensor per dim. Example: ``pybigml.tensor([0, 3, 5]).nonzero()`` is
        ``tensor([[1], [2]])``.
    """
    x = input._data
    if as_tuple:
        return tuple(_make(i.astype(np.int64)) for i in np.nonzero(_as_1d(x)))
    return _make(np.argwhere(x).astype(np.int64))


def argwhere(input: Tensor) -> Tensor:
    """``nonzero(input)``: the ``(count, ndim)`` indices of the non-zero elements."""
    return nonzero(input)


# ----------------------------------------------------------------------------- writes into a copy
def put(input: Tensor, index: Tensor, source: Tensor, accumulate: bool = False) -> Tensor:
    """``input`` with the elements at flat ``index`` replaced by (or, with ``accumulate``,
    increased by) ``source``."""
    flat = input.reshape(-1)
    idx = index.reshape(-1)
    src = source.reshape(-1)
    if accumulate:
        out = flat.index_add(0, idx, src)
    else:
        out = flat.index_copy(0, idx, src)
    return out.reshape(tuple(input.shape))


def _scatter_into(input: Tensor, src: Tensor, key: Any) -> Tensor:
    out = input.clone()
    out[key] = src
    return out


def select_scatter(input: Tensor, src: Tensor, dim: int, index: int) -> Tensor:
    """``input`` with ``input.select(dim, index)`` replaced by ``src``."""
    key = (slice(None),) * (dim % input.ndim) + (index,)
    return _scatter_into(input, src, key)


def slice_scatter(
    input: Tensor,
    src: Tensor,
    dim: int = 0,
    start: int | None = None,
    end: int | None = None,
    step: int = 1,
) -> Tensor:
    """``input`` with the slice ``start:end:step`` of ``dim`` replaced by ``src``."""
    key = (slice(None),) * (dim % input.ndim) + (slice(start, end, step),)
    return _scatter_into(input, src, key)


def diagonal_scatter(
    input: Tensor, src: Tensor, offset: int = 0, dim1: int = 0, dim2: int = 1
) -> Tensor:
    """``input`` with ``input.diagonal(offset, dim1, dim2)`` replaced by ``src``."""
    moved = input.movedim((dim1, dim2), (-2, -1))
    rows, cols = moved.shape[-2:]
    r = np.arange(max(0, -offset), min(rows, cols - offset)) if cols - offset > 0 else np.arange(0)
    c = r + offset
    key = (Ellipsis, _make(r.astype(np.int64)), _make(c.astype(np.int64)))
    return _scatter_into(moved, src, key).movedim((-2, -1), (dim1, dim2))


# ----------------------------------------------------------------------------- in-place forms
scatter_ = inplace(scatter, "scatter_")
scatter_add_ = inplace(scatter_add, "scatter_add_")
scatter_reduce_ = inplace(scatter_reduce, "scatter_reduce_")
index_add_ = inplace(index_add, "index_add_")
index_copy_ = inplace(index_copy, "index_copy_")
index_fill_ = inplace(index_fill, "index_fill_")
masked_fill_ = inplace(masked_fill, "masked_fill_")
