"""Reductions: sum, mean, var/std, prod, max/min, norms, logsumexp, softmax, cumulative ops.

A reduction over ``dims`` maps an input of shape ``S`` to an output where those dims are
dropped (or kept with size 1 under ``keepdim=True``). Every gradient here starts the same
way: ``_unreduce`` puts the reduced dims back as size 1 and broadcasts the incoming gradient
to ``S``. What differs is the factor each input element then gets: 1 for ``sum``, ``1/N``
for ``mean``, ``2 (x - mean) / (N - c)`` for ``var``, a one-hot for ``max`` along a dim ...

Forwards of float32/float64 sums, means, extrema, softmax, log_softmax and logsumexp run
on the native kernels (the backend's ``reduce``/``softmax``/``logsumexp``, csrc/cpu/reduce.cpp);
other dtypes and layouts the kernels do not take run in numpy. Backwards are written with
tensor ops, so ``create_graph=True`` differentiates them again; softmax and log_softmax run
their backward on the native kernel too, except under ``create_graph=True``, where they
record the same formula as tensor ops. Where the derivative is piecewise constant (max, median), the
weights are computed once in numpy and enter the backward as constants, which is exact.
"""

from __future__ import annotations

import builtins
import math
from collections import namedtuple
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

import numpy as np

from .. import _dtype, backend
from .._tensor import Tensor, _wrap_dim
from ..autograd.function import Function
from ..autograd.grad_mode import GRAD_STATE
from .pointwise import _quiet, exp, maximum, minimum, sign, where
from .shape import cat

__all__ = [
    "sum",
    "mean",
    "var",
    "std",
    "var_mean",
    "std_mean",
    "prod",
    "max",
    "min",
    "amax",
    "amin",
    "argmax",
    "argmin",
    "median",
    "logsumexp",
    "norm",
    "all",
    "any",
    "count_nonzero",
    "cumsum",
    "cumprod",
    "softmax",
    "log_softmax",
    "return_types",
]

_make = Tensor._make

_VALUES_INDICES = ("values", "indices")
return_types = SimpleNamespace(
    max=namedtuple("max", _VALUES_INDICES),
    min=namedtuple("min", _VALUES_INDICES),
    median=namedtuple("median", _VALUES_INDICES),
)
"""The named tuples returned by ``max``/``min``/``median`` along a dim (``.values, .indices``)."""


# ----------------------------------------------------------------------------- dims
def _reduce_dims(dim: Any, ndim: int, op: str) -> tuple[int, ...]:
    """``dim`` as a sorted tuple of distinct non-negative dims; ``None``/``()``/``[]`` mean all.

    A 0-d tensor accepts ``dim`` 0 and -1 but has no axis to reduce, so its tuple is empty.
    """
    if dim is None:
        return tuple(range(ndim))
    if isinstance(dim, (int, np.integer)):
        d = _wrap_dim(int(dim), ndim, op)
        return (d,) if ndim else ()
    if not isinstance(dim, (tuple, list)):
        raise TypeError(f"{op}(): dim must be an int or a tuple of ints, got {type(dim).__name__}")
    if len(dim) == 0:
        return tuple(range(ndim))
    dims = []
    for d in dim:
        if not isinstance(d, (int, np.integer)):
            raise TypeError(f"{op}(): dim must be an int or a tuple of ints, got {dim!r}")
        w = _wrap_dim(int(d), ndim, op)
        if w in dims:
            raise RuntimeError(f"{op}(): dim {w} appears multiple times in the list of dims")
        dims.append(w)
    return tuple(sorted(dims)) if ndim else ()


def _one_dim(dim: Any, ndim: int, op: str) -> int:
    """A single ``dim`` (max, median, argmax, prod ...) wrapped to ``[0, ndim)``; 0 for 0-d."""
    if not isinstance(dim, (int, np.integer)) or isinstance(dim, bool):
        raise TypeError(f"{op}(): dim must be an int, got {dim!r}")
    return _wrap_dim(int(dim), ndim, op)


def _keep_shape(shape: tuple, dims: tuple) -> tuple:
    """``shape`` with the reduced ``dims`` set to 1 (the output shape under keepdim=True)."""
    return tuple(1 if i in dims else s for i, s in enumerate(shape))


def _count(shape: tuple, dims: tuple) -> int:
    """N, the number of elements each output element reduces over."""
    return math.prod(shape[d] for d in dims)


def _middle_axis_view(x: np.ndarray, dims: tuple) -> np.ndarray | None:
    """``x`` seen as ``(outer, n, inner)`` with the reduced ``dims`` merged into the middle axis.

    Size-1 axes are dropped; the others must read kept, reduced, kept (each part possibly
    empty), and each part must merge into one strided axis (``stride[i] = stride[i + 1] *
    size[i + 1]``), as C-contiguous data and transposed views often do. None otherwise.
    """
    parts: list[list[tuple[int, int]]] = [[], [], []]
    part = 0
    for axis, (size, stride) in enumerate(zip(x.shape, x.strides)):
        if size == 1:
            continue
        if axis in dims:
            if part == 2:
                return None
            part = 1
        elif part == 1:
            part = 2
        parts[part].append((size, stride))
    merged = []
    for axes in parts:
        size, stride = 1, 0
        for axis_size, axis_stride in reversed(axes):  # innermost first
            if size == 1:
                size, stride = axis_size, axis_stride
            elif axis_stride == stride * size:
                size *= axis_size
            else:
                return None
        merged.append((size, stride))
    shape, strides = zip(*merged)
    return np.lib.stride_tricks.as_strided(x, shape, strides, writeable=False)


def _native_reduce(x: np.ndarray, dims: tuple, keepdim: bool, op: str) -> np.ndarray | None:
    """``op`` ('sum', 'mean', 'max', 'min', 'argmax', 'argmin') of ``x`` over ``dims`` by the
    native kernel, shaped as numpy's reduction with ``keepdims=keepdim``; None where the kernel
    does not apply (other dtypes, small or empty input, dims that do not merge even after a
    copy)."""
    be = backend.of(x)
    if not be.native("reduce", x.dtype, x.size):
        return None
    view = _middle_axis_view(x, dims)
    if view is None:
        view = _middle_axis_view(np.ascontiguousarray(x), dims)
        if view is None:
            return None
    out = be.reduce(view, op)
    return out.reshape(_keep_shape(x.shape, dims) if keepdim else _drop(x.shape, dims))


def _mean_np(x: np.ndarray, dims: tuple, keepdim: bool) -> np.ndarray:
    """sum / N (nan for an empty slice, without numpy's "mean of empty slice" warning)."""
    native = _native_reduce(x, dims, keepdim, "mean")
    if native is not None:
        return native
    with _quiet():
        return np.asarray(x.sum(axis=dims, keepdims=keepdim) / x.dtype.type(_count(x.shape, dims)))


def _unreduce(grad: Tensor, shape: tuple, dims: tuple, keepdim: bool) -> Tensor:
    """Broadcast a reduction's gradient back to the input ``shape`` (adjoint of summing)."""
    if not keepdim and dims:
        grad = grad.reshape(_keep_shape(shape, dims))
    return grad if grad._data.shape == shape else grad.expand(shape)


def _keep(t: Tensor, shape: tuple, dims: tuple, keepdim: bool) -> Tensor:
    """A reduction's output with its reduced dims as size 1, to broadcast against the input."""
    return t if keepdim or not dims else t.reshape(_keep_shape(shape, dims))


def _check_nonempty(x: np.ndarray, dims: tuple, op: str, all_dims: bool) -> None:
    """Reductions without an identity (max, argmax, median ...) refuse empty slices."""
    if all_dims and x.size == 0:
        raise (IndexError if op.startswith("arg") else RuntimeError)(
            f"{op}(): Expected reduction dim to be specified for input.numel() == 0. "
            "Specify the reduction dim with the 'dim' argument."
        )
    for d in dims:
        if x.shape[d] == 0:
            raise IndexError(f"{op}(): Expected reduction dim {d} to have non-zero size.")


def _accumulate_type(x: np.ndarray, dtype: Any) -> np.dtype | None:
    """The dtype sums/products run in: ``dtype`` if given, int64 for integers and bools."""
    if dtype is not None:
        return _dtype.to_dtype(dtype)._np
    return np.dtype(np.int64) if x.dtype.kind in "biu" else None


def _require_float(input: Tensor, op: str, message: str | None = None) -> None:
    if input._data.dtype.kind != "f":
        raise RuntimeError(
            message
            or f"{op}(): expected a floating point input, got {input.dtype} (pass dtype= "
            "or convert with .float())"
        )


class OnceDifferentiableGradient(Function):
    """A gradient computed in numpy by ``compute(*arrays)`` from the given tensors.

    Its value is exact, but it is not differentiated again: under ``create_graph=True`` it
    records a node whose backward raises a clear error (PyTorch's once_differentiable).
    """

    @staticmethod
    def forward(ctx, op, compute, *tensors):
        ctx.op = op
        result = compute(*(t._data for t in tensors))
        return tuple(_make(r) for r in result) if isinstance(result, tuple) else _make(result)

    @staticmethod
    def backward(ctx, *grads):
        raise RuntimeError(
            f"{ctx.op}: differentiating this gradient again is not supported (it was computed "
            "by a once_differentiable backward)"
        )


# ----------------------------------------------------------------------------- sum, mean
class Sum(Function):
    """y = sum of x over dims;  dy/dx = 1, so grad_x is grad broadcast back to x's shape."""

    @staticmethod
    def forward(ctx, a, dims, keepdim, dtype):
        x = a._data
        ctx.shape, ctx.dims, ctx.keepdim = x.shape, dims, keepdim
        native = None if dtype is not None else _native_reduce(x, dims, keepdim, "sum")
        if native is not None:
            return _make(native)
        return _make(np.asarray(x.sum(axis=dims, dtype=dtype, keepdims=keepdim)))

    @staticmethod
    def backward(ctx, grad):
        return _unreduce(grad, ctx.shape, ctx.dims, ctx.keepdim), None, None, None


def sum(input: Tensor, dim: Any = None, keepdim: bool = False, *, dtype: Any = None) -> Tensor:
    """Sum over ``dim`` (an int, a tuple of ints, or None for all dims).

    Integer and bool inputs sum to int64, as in PyTorch.

    Args:
        input: the tensor to reduce.
        dim: the dim(s) to reduce; None reduces all of them.
        keepdim: keep the reduced dims with size 1.
        dtype: compute and return in this dtype.

    Returns:
        The sums. Example: ``pybigml.sum(pybigml.ones(2, 3), 1)`` is ``tensor([3., 3.])``.
    """
    x = input._data
    return Sum.apply(input, _reduce_dims(dim, x.ndim, "sum"), keepdim, _accumulate_type(x, dtype))


class Mean(Function):
    """y = sum(x) / N over dims;  dy/dx = 1/N."""

    @staticmethod
    def forward(ctx, a, dims, keepdim):
        x = a._data
        ctx.shape, ctx.dims, ctx.keepdim = x.shape, dims, keepdim
        return _make(_mean_np(x, dims, keepdim))

    @staticmethod
    def backward(ctx, grad):
        # N = 0 only for an empty input, whose gradient is empty whatever the factor: 1 avoids
        # a 0/0 in the double backward
        n = builtins.max(_count(ctx.shape, ctx.dims), 1)
        return _unreduce(grad / n, ctx.shape, ctx.dims, ctx.keepdim), None, None


def mean(input: Tensor, dim: Any = None, keepdim: bool = False, *, dtype: Any = None) -> Tensor:
    """Arithmetic mean over ``dim``; floating point only unless ``dtype`` says otherwise.

    Args:
        input: the tensor to reduce.
        dim: the dim(s) to reduce; None reduces all of them.
        keepdim: keep the reduced dims with size 1.
        dtype: cast the input to this dtype first.

    Returns:
        The means. Example: ``pybigml.tensor([1., 2.]).mean()`` is ``tensor(1.5000)``.
    """
    if dtype is not None:
        input = input.to(_dtype.to_dtype(dtype))
    _require_float(
        input,
        "mean",
        "mean(): could not infer output dtype. Input dtype must be either a floating point or "
        f"complex dtype. Got: {input.dtype}",
    )
    return Mean.apply(input, _reduce_dims(dim, input._data.ndim, "mean"), keepdim)


# ----------------------------------------------------------------------------- var, std
def _var_np(x: np.ndarray, dims: tuple, correction: float, keepdim: bool) -> np.ndarray:
    with _quiet():
        dev = x - _mean_np(x, dims, True)
        denom = builtins.max(_count(x.shape, dims) - correction, 0)
        return np.asarray((dev * dev).sum(axis=dims, keepdims=keepdim) / x.dtype.type(denom))


def _var_backward(x: Tensor, grad: Tensor, ctx: Any) -> Tensor:
    """d var / dx = 2 (x - mean) / (N - c), times the incoming gradient."""
    denom = _count(ctx.shape, ctx.dims) - ctx.correction
    scale = 2.0 / denom if denom > 0 else math.nan  # no degrees of freedom: var is nan or inf
    centered = x - Mean.apply(x, ctx.dims, True)
    return _unreduce(grad, ctx.shape, ctx.dims, ctx.keepdim) * centered * scale


class Var(Function):
    """v = sum((x - mean)^2) / (N - c);  dv/dx = 2 (x - mean) / (N - c)."""

    @staticmethod
    def forward(ctx, a, dims, correction, keepdim):
        ctx.shape, ctx.dims, ctx.correction, ctx.keepdim = a._data.shape, dims, correction, keepdim
        ctx.save_for_backward(a)
        return _make(_var_np(a._data, dims, correction, keepdim))

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return _var_backward(x, grad, ctx), None, None, None


class Std(Function):
    """s = sqrt(var);  ds/dx = (dv/dx) / (2 s), taken as 0 where s = 0 (as PyTorch does)."""

    @staticmethod
    def forward(ctx, a, dims, correction, keepdim):
        ctx.shape, ctx.dims, ctx.correction, ctx.keepdim = a._data.shape, dims, correction, keepdim
        out = _make(np.sqrt(_var_np(a._data, dims, correction, keepdim)))
        ctx.save_for_backward(a, out)
        return out

    @staticmethod
    def backward(ctx, grad):
        x, s = ctx.saved_tensors
        if x._data.size == 0:  # the std of nothing is nan; the gradient of nothing is empty
            return _make(np.zeros(x._data.shape, x._data.dtype)), None, None, None
        zero = s == 0
        grad_var = where(zero, 0.0, grad / (2 * where(zero, 1.0, s)))
        return _var_backward(x, grad_var, ctx), None, None, None


def _moment_args(
    input: Tensor, dim: Any, unbiased: Any, keepdim: bool, correction: Any, op: str
) -> tuple:
    """Resolve PyTorch's var/std overloads: ``(dim, unbiased, keepdim)``, ``(unbiased)``, ``correction=``."""
    if isinstance(dim, bool):  # var(x, True): the positional argument is `unbiased`
        dim, unbiased = None, dim
    if unbiased is not None and correction is not None:
        raise RuntimeError(f"{op}(): cannot specify both unbiased and correction")
    if correction is None:
        correction = 1 if unbiased is None or unbiased else 0
    _require_float(input, op, "std and var only support floating point and complex dtypes")
    return _reduce_dims(dim, input._data.ndim, op), correction, keepdim


def var(
    input: Tensor,
    dim: Any = None,
    unbiased: bool | None = None,
    keepdim: bool = False,
    *,
    correction: float | None = None,
) -> Tensor:
    """Variance ``sum((x - mean)^2) / (N - correction)`` over ``dim`` (correction 1 by default).

    Accepts PyTorch's forms ``var(x)``, ``var(x, dim)``, ``var(x, dim, unbiased, keepdim)``,
    ``var(x, unbiased)`` and ``var(x, dim, correction=c, keepdim=k)``.

    Args:
        input: a floating point tensor.
        dim: the dim(s) to reduce; None reduces all of them.
        unbiased: True for correction 1, False for correction 0.
        keepdim: keep the reduced dims with size 1.
        correction: the difference between the sample size and the degrees of freedom.

    Returns:
        The variances. Example: ``pybigml.tensor([1., 3.]).var()`` is ``tensor(2.)``.
    """
    dims, c, keepdim = _moment_args(input, dim, unbiased, keepdim, correction, "var")
    return Var.apply(input, dims, c, keepdim)


def std(
    input: Tensor,
    dim: Any = None,
    unbiased: bool | None = None,
    keepdim: bool = False,
    *,
    correction: float | None = None,
) -> Tensor:
    """Standard deviation, the square root of :func:`var` (same arguments)."""
    dims, c, keepdim = _moment_args(input, dim, unbiased, keepdim, correction, "std")
    return Std.apply(input, dims, c, keepdim)


def var_mean(
    input: Tensor,
    dim: Any = None,
    unbiased: bool | None = None,
    keepdim: bool = False,
    *,
    correction: float | None = None,
) -> tuple[Tensor, Tensor]:
    """``(var(input, ...), mean(input, dim, keepdim))`` in one call."""
    dims, c, keepdim = _moment_args(input, dim, unbiased, keepdim, correction, "var_mean")
    return Var.apply(input, dims, c, keepdim), Mean.apply(input, dims, keepdim)


def std_mean(
    input: Tensor,
    dim: Any = None,
    unbiased: bool | None = None,
    keepdim: bool = False,
    *,
    correction: float | None = None,
) -> tuple[Tensor, Tensor]:
    """``(std(input, ...), mean(input, dim, keepdim))`` in one call."""
    dims, c, keepdim = _moment_args(input, dim, unbiased, keepdim, correction, "std_mean")
    return Std.apply(input, dims, c, keepdim), Mean.apply(input, dims, keepdim)


# ----------------------------------------------------------------------------- prod
def _exclusive_cumprod(t: Tensor) -> Tensor:
    """out_i = t_0 t_1 ... t_{i-1} along the last dim (1 for i = 0)."""
    ones = _make(np.ones(t._data.shape[:-1] + (1,), t._data.dtype))
    return cumprod(cat([ones, t.narrow(-1, 0, t._data.shape[-1] - 1)], -1), -1)


def _prod_of_others(x: Tensor, dims: tuple) -> Tensor:
    """For every element, the product of the *other* elements of its slice over ``dims``.

    It is ``left_i * right_i`` with the exclusive prefix product ``left_i = x_0 .. x_{i-1}``
    and suffix product ``right_i = x_{i+1} ..`` (over the slice flattened), so it stays exact
    when some elements are zero, and it is built from cumprod, so it differentiates again.
    """
    if not dims:  # every slice holds one element; the product of no others is 1
        return _make(np.ones(x._data.shape, x._data.dtype))
    kept = x._data.ndim - len(dims)
    last = tuple(range(kept, x._data.ndim))
    moved = x.movedim(dims, last)
    flat = moved.reshape(moved.shape[:kept] + (-1,))
    left = _exclusive_cumprod(flat)
    right = _exclusive_cumprod(flat.flip(-1)).flip(-1)
    return (left * right).reshape(moved.shape).movedim(last, dims)


class Prod(Function):
    """y = prod of x over dims;  dy/dx_i = prod_{j != i} x_j (= y / x_i when no x_j is 0).

    Without zeros the backward is ``grad * y / x``; with zeros it takes the product of the
    others by prefix and suffix products. Both are tensor ops, so the backward differentiates.
    """

    @staticmethod
    def forward(ctx, a, dims, keepdim, dtype):
        x = a._data
        ctx.shape, ctx.dims, ctx.keepdim = x.shape, dims, keepdim
        out = _make(np.asarray(x.prod(axis=dims, dtype=dtype, keepdims=keepdim)))
        ctx.save_for_backward(a, out)
        return out

    @staticmethod
    def backward(ctx, grad):
        x, y = ctx.saved_tensors
        shape, dims, keepdim = ctx.shape, ctx.dims, ctx.keepdim
        if x._data.size == 0 or not (x._data == 0).any():
            return _unreduce(grad * y, shape, dims, keepdim) / x, None, None, None
        others = _prod_of_others(x, dims)
        return _unreduce(grad, shape, dims, keepdim) * others, None, None, None


def prod(
    input: Tensor, dim: int | None = None, keepdim: bool = False, *, dtype: Any = None
) -> Tensor:
    """Product over ``dim`` (None: all elements); integers and bools multiply in int64.

    Args:
        input: the tensor to reduce.
        dim: the dim to reduce; None reduces all of them.
        keepdim: keep the reduced dim with size 1.
        dtype: compute and return in this dtype.

    Returns:
        The products. Example: ``pybigml.tensor([2., 3.]).prod()`` is ``tensor(6.)``.
    """
    x = input._data
    dims = _reduce_dims(None if dim is None else _one_dim(dim, x.ndim, "prod"), x.ndim, "prod")
    return Prod.apply(input, dims, keepdim, _accumulate_type(x, dtype))


# ----------------------------------------------------------------------------- max, min, median
class _WeightedReduction(Function):
    """A reduction that picks values: dy/dx is a constant weight ``w`` per input element.

    ``w`` is 1 at the element a ``max(dim)`` chose, ``1/k`` for each of ``k`` tied elements
    of an ``amax``; it is piecewise constant in ``x``, so ``grad_x = unreduce(grad) * w``
    is exact and differentiates again as a product with a constant.
    """

    @staticmethod
    def backward(ctx, grad, *unused):
        return (
            _unreduce(grad, ctx.shape, ctx.dims, ctx.keepdim) * _make(ctx.weights),
            None,
            None,
            None,
        )


def _ties(x: np.ndarray, value: np.ndarray) -> np.ndarray:
    """Where ``x`` equals the (broadcast) reduced ``value``, NaN matching NaN."""
    hit = x == value
    if x.dtype.kind == "f":
        hit |= np.isnan(x) & np.isnan(value)
    return hit


class SharedReduction(_WeightedReduction):
    """amax/amin, and max/min/median without dim: y = the selected value over dims.

    dy/dx_i = 1/k for each of the k elements equal to y (ties share the gradient evenly).
    """

    @staticmethod
    def forward(ctx, a, dims, keepdim, select):
        x = a._data
        value = select(x, dims)  # keepdims form
        if ctx.needs_input_grad:
            ctx.shape, ctx.dims, ctx.keepdim = x.shape, dims, keepdim
            hit = _ties(x, value)
            with _quiet():
                ctx.weights = (hit / hit.sum(axis=dims, keepdims=True)).astype(x.dtype)
        return _make(value if keepdim else value.reshape(_drop(x.shape, dims)))


class SelectAlongDim(_WeightedReduction):
    """max/min/median along one dim: values = x at the chosen index;  dvalues/dx is one-hot."""

    @staticmethod
    def forward(ctx, a, dim, keepdim, choose):
        x = a._data
        x1 = x.reshape(1) if x.ndim == 0 else x  # a 0-d tensor reduces like a 1-element vector
        index = choose(x1, dim)  # keepdims form
        values = np.take_along_axis(x1, index, axis=dim)
        if ctx.needs_input_grad:
            ctx.shape, ctx.dims, ctx.keepdim = x.shape, (dim,) if x.ndim else (), keepdim
            onehot = np.zeros(x1.shape, x.dtype)
            np.put_along_axis(onehot, index, 1, axis=dim)
            ctx.weights = onehot.reshape(x.shape)
        shape = index.shape if keepdim else _drop(index.shape, (dim,))
        if x.ndim == 0:
            shape = ()
        return _make(values.reshape(shape)), _make(index.reshape(shape).astype(np.int64))


def _drop(shape: tuple, dims: tuple) -> tuple:
    return tuple(s for i, s in enumerate(shape) if i not in dims)


def _amax_np(x: np.ndarray, dims: tuple) -> np.ndarray:
    native = _native_reduce(x, dims, True, "max")
    return native if native is not None else np.asarray(np.max(x, axis=dims, keepdims=True))


def _amin_np(x: np.ndarray, dims: tuple) -> np.ndarray:
    native = _native_reduce(x, dims, True, "min")
    return native if native is not None else np.asarray(np.min(x, axis=dims, keepdims=True))


def _argmax_np(x: np.ndarray, dim: int) -> np.ndarray:
    native = _native_reduce(x, (dim,), True, "argmax")
    return native if native is not None else np.argmax(x, axis=dim, keepdims=True)


def _argmin_np(x: np.ndarray, dim: int) -> np.ndarray:
    native = _native_reduce(x, (dim,), True, "argmin")
    return native if native is not None else np.argmin(x, axis=dim, keepdims=True)


def _extremum(
    input: Tensor, dim: Any, keepdim: bool, op: str, pick: Callable, arg: Callable, pair: Callable
) -> Any:
    if isinstance(dim, Tensor):  # max(a, b) is the element-wise maximum
        return pair(input, dim)
    x = input._data
    if dim is None:
        _check_nonempty(x, (), op, all_dims=True)
        return SharedReduction.apply(input, tuple(range(x.ndim)), False, pick)
    d = _one_dim(dim, x.ndim, op)
    _check_nonempty(x, _reduce_dims(d, x.ndim, op), op, all_dims=False)
    values, indices = SelectAlongDim.apply(input, d, keepdim, arg)
    return getattr(return_types, op)(values, indices)


def max(input: Tensor, dim: Any = None, keepdim: bool = False) -> Any:
    """The largest element; along ``dim``, a ``(values, indices)`` named tuple.

    ``max(input)`` shares the gradient evenly among tied maxima; ``max(input, dim)`` sends
    it to the returned index (the first maximum). ``max(input, other)`` with a tensor
    ``other`` is :func:`maximum`.

    Args:
        input: the tensor to reduce.
        dim: the dim to reduce (or a tensor to compare with element-wise).
        keepdim: keep the reduced dim with size 1.

    Returns:
        A 0-d tensor, or ``return_types.max(values, indices)``.
        Example: ``pybigml.tensor([[1., 5.]]).max(1).indices`` is ``tensor([1])``.
    """
    return _extremum(input, dim, keepdim, "max", _amax_np, _argmax_np, maximum)


def min(input: Tensor, dim: Any = None, keepdim: bool = False) -> Any:
    """The smallest element; along ``dim``, a ``(values, indices)`` named tuple (see :func:`max`)."""
    return _extremum(input, dim, keepdim, "min", _amin_np, _argmin_np, minimum)


def _extremum_over(input: Tensor, dim: Any, keepdim: bool, op: str, pick: Callable) -> Tensor:
    x = input._data
    if x.size == 0 and isinstance(dim, (tuple, list)):  # PyTorch reports this before repeats
        _check_nonempty(x, tuple(_wrap_dim(d, x.ndim, op) for d in dim), op, all_dims=False)
    dims = _reduce_dims(dim, x.ndim, op)
    everything = not isinstance(dim, (int, np.integer)) and not dim  # None, () or []
    _check_nonempty(x, dims, op, all_dims=everything)
    return SharedReduction.apply(input, dims, keepdim, pick)


def amax(input: Tensor, dim: Any = (), keepdim: bool = False) -> Tensor:
    """Maximum over ``dim`` (an int or tuple; ``()`` means all dims), ties sharing the gradient.

    Args:
        input: the tensor to reduce.
        dim: the dim(s) to reduce.
        keepdim: keep the reduced dims with size 1.

    Returns:
        The maxima. Example: ``pybigml.tensor([[1., 5.], [7., 2.]]).amax(0)`` is ``tensor([7., 5.])``.
    """
    return _extremum_over(input, dim, keepdim, "amax", _amax_np)


def amin(input: Tensor, dim: Any = (), keepdim: bool = False) -> Tensor:
    """Minimum over ``dim`` (see :func:`amax`)."""
    return _extremum_over(input, dim, keepdim, "amin", _amin_np)


def _arg_extremum(input: Tensor, dim: Any, keepdim: bool, op: str, arg: Callable) -> Tensor:
    x = input._data
    if x.dtype == np.bool_:
        raise RuntimeError(f"{op}(): does not support bool input")
    if dim is None:  # the index into the flattened tensor
        _check_nonempty(x, (), op, all_dims=True)
        index = arg(x.reshape(-1), 0)
        return _make(index.reshape((1,) * x.ndim if keepdim else ()).astype(np.int64))
    d = _one_dim(dim, x.ndim, op)
    _check_nonempty(x, _reduce_dims(d, x.ndim, op), op, all_dims=False)
    if x.ndim == 0:
        return _make(np.zeros((), np.int64))
    index = arg(x, d)
    return _make((index if keepdim else index.squeeze(d)).astype(np.int64))


def argmax(input: Tensor, dim: int | None = None, keepdim: bool = False) -> Tensor:
    """Index of the (first) maximum, along ``dim`` or in the flattened tensor.

    Args:
        input: the tensor to search.
        dim: the dim to reduce; None searches the flattened tensor.
        keepdim: keep the reduced dim(s) with size 1.

    Returns:
        int64 indices. Example: ``pybigml.tensor([1., 5., 2.]).argmax()`` is ``tensor(1)``.
    """
    return _arg_extremum(input, dim, keepdim, "argmax", _argmax_np)


def argmin(input: Tensor, dim: int | None = None, keepdim: bool = False) -> Tensor:
    """Index of the (first) minimum (see :func:`argmax`)."""
    return _arg_extremum(input, dim, keepdim, "argmin", _argmin_np)


def _median_value_np(x: np.ndarray, dims: tuple) -> np.ndarray:
    """The lower median of all elements (NaN if any is NaN), in keepdims form."""
    flat = x.reshape(-1)
    keep = (1,) * x.ndim
    if flat.size == 0:
        return np.full(keep, np.nan, x.dtype)
    if flat.dtype.kind == "f" and np.isnan(flat).any():
        return np.full(keep, np.nan, x.dtype)
    k = (flat.size - 1) // 2
    return np.partition(flat, k)[k : k + 1].reshape(keep)


def _median_index_np(x: np.ndarray, dim: int) -> np.ndarray:
    """Index of the lower median along ``dim``, or of the first NaN in slices holding one."""
    k = (x.shape[dim] - 1) // 2
    index = np.take(np.argsort(x, axis=dim, kind="stable"), [k], axis=dim)
    if x.dtype.kind == "f":
        nan = np.isnan(x)
        index = np.where(
            nan.any(axis=dim, keepdims=True), nan.argmax(axis=dim, keepdims=True), index
        )
    return index


def median(input: Tensor, dim: int | None = None, keepdim: bool = False) -> Any:
    """The lower median; along ``dim``, a ``(values, indices)`` named tuple.

    Args:
        input: the tensor to reduce.
        dim: the dim to reduce; None takes the median of all elements.
        keepdim: keep the reduced dim with size 1.

    Returns:
        A 0-d tensor, or ``return_types.median(values, indices)``.
        Example: ``pybigml.tensor([1., 4., 2., 3.]).median()`` is ``tensor(2.)``.
    """
    x = input._data
    if x.dtype == np.bool_:
        raise NotImplementedError('"median" not implemented for bool input')
    if dim is None:
        return SharedReduction.apply(input, tuple(range(x.ndim)), False, _median_value_np)
    d = _one_dim(dim, x.ndim, "median")
    _check_nonempty(x, _reduce_dims(d, x.ndim, "median"), "median", all_dims=False)
    values, indices = SelectAlongDim.apply(input, d, keepdim, _median_index_np)
    return return_types.median(values, indices)


# ----------------------------------------------------------------------------- logsumexp
def _max_keep(x: np.ndarray, axis: Any) -> np.ndarray:
    """The max over ``axis`` in keepdims form (-inf for an empty slice).

    Subtracting it before ``exp`` keeps every exponent <= 0, so nothing overflows.
    """
    return np.max(x, axis=axis, keepdims=True, initial=-np.inf)


def _shift(x: np.ndarray, axis: Any) -> np.ndarray:
    """``_max_keep`` with non-finite maxima replaced by 0, so that logsumexp of a row that is
    all -inf is -inf (and of a row holding +inf is +inf) instead of inf - inf = nan."""
    m = _max_keep(x, axis)
    return np.where(np.isfinite(m), m, 0).astype(x.dtype, copy=False)


class LogSumExp(Function):
    """y = log(sum(exp(x))) over dims (computed as m + log(sum(exp(x - m))), m = max x);

    dy/dx = exp(x - y), the softmax of x.
    """

    @staticmethod
    def forward(ctx, a, dims, keepdim):
        x = a._data
        ctx.shape, ctx.dims, ctx.keepdim = x.shape, dims, keepdim
        out = _native_logsumexp(x, dims)
        if out is None:
            with _quiet():
                m = _shift(x, dims)
                out = np.log(np.exp(x - m).sum(axis=dims, keepdims=True)) + m
        out = _make(out if keepdim else out.reshape(_drop(x.shape, dims)))
        ctx.save_for_backward(a, out)
        return out

    @staticmethod
    def backward(ctx, grad):
        x, y = ctx.saved_tensors
        shape, dims, keepdim = ctx.shape, ctx.dims, ctx.keepdim
        softmax_x = exp(x - _keep(y, shape, dims, keepdim))
        return _keep(grad, shape, dims, keepdim) * softmax_x, None, None


def _native_logsumexp(x: np.ndarray, dims: tuple) -> np.ndarray | None:
    """logsumexp over ``dims`` in keepdims form by the native kernel, or None where it does not
    apply (other dtypes, empty input, dims that are not one run of axes)."""
    be = backend.of(x)
    if not be.native("softmax", x.dtype) or x.size == 0 or not dims:
        return None
    x = be.xp.ascontiguousarray(x)
    view = _middle_axis_view(x, dims)
    if view is None:
        return None
    return be.logsumexp(view.reshape(view.shape)).reshape(_keep_shape(x.shape, dims))


def logsumexp(input: Tensor, dim: Any, keepdim: bool = False) -> Tensor:
    """``log(sum(exp(input), dim))`` without overflow; integers are promoted to float.

    Args:
        input: the tensor to reduce.
        dim: the dim(s) to reduce.
        keepdim: keep the reduced dims with size 1.

    Returns:
        Example: ``pybigml.zeros(2).logsumexp(0)`` is ``tensor(0.6931)`` (log 2).
    """
    if input._data.dtype.kind != "f":
        input = input.to(_dtype.get_default_dtype())
    return LogSumExp.apply(input, _reduce_dims(dim, input._data.ndim, "logsumexp"), keepdim)


# ----------------------------------------------------------------------------- norms
class VectorNorm(Function):
    """y = (sum |x|^p)^(1/p) over dims; p = inf: max |x|; -inf: min |x|; 0: count of x != 0.

    dy/dx = sign(x) |x|^(p-1) / y^(p-1)   (p = 2: x / y;  p = 1: sign(x)), 0 where x = 0;
    p = +-inf: sign(x) shared evenly among the elements with |x| = y;  p = 0: 0.
    """

    @staticmethod
    def forward(ctx, a, ord, dims, keepdim):
        x = a._data
        ctx.shape, ctx.dims, ctx.keepdim, ctx.ord = x.shape, dims, keepdim, ord
        ax = np.abs(x)
        with _quiet():
            if ord == 2:
                out = np.sqrt((x * x).sum(axis=dims, keepdims=keepdim))
            elif ord == 1:
                out = ax.sum(axis=dims, keepdims=keepdim)
            elif ord == math.inf:
                out = np.max(ax, axis=dims, keepdims=keepdim, initial=0)
            elif ord == -math.inf:
                out = np.min(ax, axis=dims, keepdims=keepdim, initial=np.inf)
            elif ord == 0:
                out = (ax != 0).sum(axis=dims, keepdims=keepdim)
            else:
                out = (ax**ord).sum(axis=dims, keepdims=keepdim) ** (1.0 / ord)
        out = _make(np.asarray(out, dtype=x.dtype))
        ctx.save_for_backward(a, out)
        return out

    @staticmethod
    def backward(ctx, grad):
        x, y = ctx.saved_tensors
        shape, dims, keepdim, p = ctx.shape, ctx.dims, ctx.keepdim, ctx.ord
        g = _unreduce(grad, shape, dims, keepdim)
        if p == 0:
            return g * 0, None, None, None
        if p == 1:
            return g * sign(x), None, None, None
        yk = _keep(y, shape, dims, keepdim)
        if p in (math.inf, -math.inf):
            hit = _ties(np.abs(x._data), yk._data)
            with _quiet():
                share = _make((hit / hit.sum(axis=dims, keepdims=True)).astype(x._data.dtype))
            return g * sign(x) * share, None, None, None
        # y = 0 only when every |x| = 0, where the numerator below is 0 too: use 1 instead of y
        safe_y = where(yk == 0, 1.0, yk)
        if p == 2:
            return g * x / safe_y, None, None, None
        ax = x.abs()
        if p < 2:  # |x|^(p-1) is inf at x = 0 for p < 1: take 1 there, sign(0) = 0 zeroes it
            scaled = sign(x) * where(ax == 0, 1.0, ax) ** (p - 1)
        else:
            scaled = x * ax ** (p - 2)
        return g * scaled / safe_y ** (p - 1), None, None, None


def vector_norm(
    x: Tensor, ord: float = 2, dim: Any = None, keepdim: bool = False, *, dtype: Any = None
) -> Tensor:
    """The vector p-norm over ``dim`` (``linalg.vector_norm``): ``ord`` any float, inf, -inf or 0.

    Args:
        x: a floating point tensor.
        ord: the order p of the norm.
        dim: the dim(s) to reduce; None flattens the tensor.
        keepdim: keep the reduced dims with size 1.
        dtype: cast the input to this dtype first.

    Returns:
        The norms. Example: ``vector_norm(pybigml.tensor([3., 4.]))`` is ``tensor(5.)``.
    """
    if x._data.dtype.kind != "f":
        raise RuntimeError(
            "linalg.vector_norm: Expected a floating point or complex tensor as input. "
            f"Got {x.dtype}"
        )
    if isinstance(ord, bool) or not isinstance(ord, (int, float, np.number)):
        raise TypeError(f"linalg.vector_norm: ord must be a number, got {ord!r}")
    if dtype is not None:
        x = x.to(_dtype.to_dtype(dtype))
    dims = _reduce_dims(dim, x._data.ndim, "norm")
    if ord < 0 or ord == math.inf:  # max and negative powers have no value for an empty set
        if dim is None and x._data.size == 0:
            raise RuntimeError(
                f"linalg.vector_norm cannot compute the {ord} norm on an empty tensor because "
                "the operation does not have an identity"
            )
        for d in dims:
            if x._data.shape[d] == 0:
                raise RuntimeError(
                    f"linalg.vector_norm cannot compute the {ord} norm on the dimension {d} "
                    "because this dimension is empty and the operation does not have an identity"
                )
    return VectorNorm.apply(x, float(ord), dims, keepdim)


def norm(
    input: Tensor,
    p: Any = "fro",
    dim: Any = None,
    keepdim: bool = False,
    out: Tensor | None = None,
    dtype: Any = None,
) -> Tensor:
    """The norm of ``input`` over ``dim``: ``p`` is "fro" (the 2-norm of all the elements) or a number.

    Args:
        input: a floating point tensor.
        p: "fro", or the order of a vector norm (inf, -inf, 0, 1, 2, any float).
        dim: the dim(s) to reduce; None flattens the tensor.
        keepdim: keep the reduced dims with size 1.
        out: not supported (must be None).
        dtype: cast the input to this dtype first.

    Returns:
        The norms. Example: ``pybigml.tensor([3., 4.]).norm()`` is ``tensor(5.)``.
    """
    if out is not None:
        raise TypeError("norm(): the out= argument is not supported")
    if isinstance(p, str):
        if p != "fro":
            raise NotImplementedError(f"norm(): p={p!r} is not supported (use 'fro' or a number)")
        if isinstance(dim, (tuple, list)) and len(dim) > 2:  # 'fro' is a matrix norm
            raise RuntimeError(f"norm(): p='fro' needs at most 2 dims, got dim={tuple(dim)}")
        p = 2
    return vector_norm(input, 2 if p is None else p, dim, keepdim, dtype=dtype)


# ----------------------------------------------------------------------------- logical
def _logical_reduce(input: Tensor, dim: Any, keepdim: bool, op: str, fn: Callable) -> Tensor:
    x = input._data
    # unlike sum, an empty dim list reduces nothing here (as in PyTorch)
    dims = () if isinstance(dim, (tuple, list)) and not dim else _reduce_dims(dim, x.ndim, op)
    out = np.asarray(fn(x, axis=dims, keepdims=keepdim))
    # uint8 inputs keep their dtype (PyTorch's legacy rule); everything else gives bool
    return _make(out.astype(np.uint8) if x.dtype == np.uint8 else out)


def all(input: Tensor, dim: Any = None, keepdim: bool = False) -> Tensor:
    """Whether every element over ``dim`` is non-zero (bool; uint8 for uint8 input)."""
    return _logical_reduce(input, dim, keepdim, "all", np.all)


def any(input: Tensor, dim: Any = None, keepdim: bool = False) -> Tensor:
    """Whether some element over ``dim`` is non-zero (bool; uint8 for uint8 input)."""
    return _logical_reduce(input, dim, keepdim, "any", np.any)


def count_nonzero(input: Tensor, dim: Any = None) -> Tensor:
    """The number of non-zero elements over ``dim``, as int64."""
    x = input._data
    dims = _reduce_dims(dim, x.ndim, "count_nonzero")
    return _make(np.asarray((x != 0).sum(axis=dims), dtype=np.int64))


# ----------------------------------------------------------------------------- cumulative
def _along(x: np.ndarray, dim: int, fn: Callable, **kwargs: Any) -> np.ndarray:
    """Apply a numpy ``fn(x, axis)`` along ``dim``; a 0-d tensor acts as a 1-element vector."""
    return np.asarray(fn(x.reshape(1) if x.ndim == 0 else x, axis=dim, **kwargs)).reshape(x.shape)


def _reverse_cumsum(t: Tensor, dim: int) -> Tensor:
    """out_i = sum_{j >= i} t_j along ``dim`` (the adjoint of cumsum)."""
    if t.ndim == 0:
        return t
    return cumsum(t.flip(dim), dim).flip(dim)


class CumSum(Function):
    """y_i = sum_{j <= i} x_j along dim;  grad_x_i = sum_{j >= i} grad_j (a reversed cumsum)."""

    @staticmethod
    def forward(ctx, a, dim, dtype):
        ctx.dim = dim
        return _make(_along(a._data, dim, np.cumsum, dtype=dtype))

    @staticmethod
    def backward(ctx, grad):
        return _reverse_cumsum(grad, ctx.dim), None, None


def cumsum(input: Tensor, dim: int, *, dtype: Any = None) -> Tensor:
    """Cumulative sum along ``dim``; integers and bools accumulate in int64.

    Args:
        input: the tensor.
        dim: the dim to accumulate along.
        dtype: compute and return in this dtype.

    Returns:
        Example: ``pybigml.tensor([1, 2, 3]).cumsum(0)`` is ``tensor([1, 3, 6])``.
    """
    x = input._data
    return CumSum.apply(input, _wrap_dim(dim, x.ndim, "cumsum"), _accumulate_type(x, dtype))


def _cumprod_grad_np(x: np.ndarray, grad: np.ndarray, dim: int) -> np.ndarray:
    """grad_x_i = sum_{j >= i} grad_j prod_{k <= j, k != i} x_k, exact with zeros (O(n^2)).

    The product splits into ``left_i = x_0..x_{i-1}`` and ``x_{i+1}..x_j``.
    """
    xm = np.moveaxis(x.reshape(1) if x.ndim == 0 else x, dim, -1)
    gm = np.moveaxis(grad.reshape(1) if grad.ndim == 0 else grad, dim, -1)
    out = np.empty_like(xm)
    left = np.ones_like(xm[..., 0])
    ones = np.ones_like(xm[..., :1])
    for i in range(xm.shape[-1]):
        right = np.cumprod(np.concatenate([ones, xm[..., i + 1 :]], -1), -1)
        out[..., i] = left * (gm[..., i:] * right).sum(-1)
        left = left * xm[..., i]
    return np.moveaxis(out, -1, dim).reshape(x.shape)


class CumProd(Function):
    """y_i = prod_{j <= i} x_j along dim;  grad_x_i = sum_{j >= i} grad_j y_j / x_i.

    The division needs x != 0; with zeros the exact products are taken in numpy and that
    gradient is not differentiated again.
    """

    @staticmethod
    def forward(ctx, a, dim, dtype):
        ctx.dim = dim
        out = _make(_along(a._data, dim, np.cumprod, dtype=dtype))
        ctx.save_for_backward(a, out)
        return out

    @staticmethod
    def backward(ctx, grad):
        x, y = ctx.saved_tensors
        if (x._data == 0).any():
            dim = ctx.dim
            grad_x = OnceDifferentiableGradient.apply(
                "cumprod", lambda x, g: _cumprod_grad_np(x, g, dim), x, grad
            )
            return grad_x, None, None
        return _reverse_cumsum(grad * y, ctx.dim) / x, None, None


def cumprod(input: Tensor, dim: int, *, dtype: Any = None) -> Tensor:
    """Cumulative product along ``dim``; integers and bools accumulate in int64.

    Args:
        input: the tensor.
        dim: the dim to accumulate along.
        dtype: compute and return in this dtype.

    Returns:
        Example: ``pybigml.tensor([1, 2, 3]).cumprod(0)`` is ``tensor([1, 2, 6])``.
    """
    x = input._data
    return CumProd.apply(input, _wrap_dim(dim, x.ndim, "cumprod"), _accumulate_type(x, dtype))


# ----------------------------------------------------------------------------- softmax
# (in-place updates of the one fresh array: each full pass over the data allocates nothing)
def _softmax_np(x: np.ndarray, axis: int) -> np.ndarray:
    e = x - _max_keep(x, axis)  # a row holding +inf or all -inf gives nan, as in PyTorch
    np.exp(e, out=e)
    e /= e.sum(axis=axis, keepdims=True)
    return e


def _log_softmax_np(x: np.ndarray, axis: int) -> np.ndarray:
    shifted = x - _max_keep(x, axis)
    shifted -= np.log(np.exp(shifted).sum(axis=axis, keepdims=True))
    return shifted


def _as_rows(x: np.ndarray, dim: int) -> np.ndarray:
    """``x`` as the C-contiguous ``(outer, n, inner)`` array the softmax kernels take, ``n``
    being the size of ``dim`` (a 0-d array is one row of one element)."""
    shape = x.shape
    if not shape:
        return np.ascontiguousarray(x).reshape(1, 1, 1)
    return np.ascontiguousarray(x).reshape(
        math.prod(shape[:dim]), shape[dim], math.prod(shape[dim + 1 :])
    )


class _SoftmaxFamily(Function):
    """softmax and log_softmax along ``dim``: the forward and the backward run on the native
    kernel (float32/float64; numpy otherwise), and under ``create_graph=True`` the backward
    records ``composed_backward`` as tensor ops instead, so it differentiates again."""

    op = ""

    @staticmethod
    def numpy_forward(x: np.ndarray, axis: int) -> np.ndarray:
        raise NotImplementedError

    @staticmethod
    def composed_backward(y: Tensor, grad: Tensor, dims: tuple) -> Tensor:
        raise NotImplementedError

    @classmethod
    def forward(cls, ctx, a, dim):
        ctx.dim = dim
        x = a._data
        be = backend.of(x)
        if be.native("softmax", x.dtype):
            out = _make(be.softmax(_as_rows(x, dim), cls.op).reshape(x.shape))
        else:
            with _quiet():
                out = _make(_along(x, dim, cls.numpy_forward))
        ctx.save_for_backward(out)
        return out

    @classmethod
    def backward(cls, ctx, grad):
        (y,) = ctx.saved_tensors
        yd, gd = y._data, grad._data
        be = backend.of(yd, gd)
        if GRAD_STATE.enabled or not be.native("softmax", yd.dtype) or gd.dtype != yd.dtype:
            return cls.composed_backward(y, grad, _softmax_dims(y, ctx.dim)), None
        rows = be.softmax_backward(_as_rows(yd, ctx.dim), _as_rows(gd, ctx.dim), cls.op)
        return _make(rows.reshape(yd.shape)), None


class Softmax(_SoftmaxFamily):
    """y = exp(x) / sum(exp(x)) along dim;  grad_x = y * (grad - sum(grad * y))."""

    op = "softmax"
    numpy_forward = staticmethod(_softmax_np)

    @staticmethod
    def composed_backward(y: Tensor, grad: Tensor, dims: tuple) -> Tensor:
        return y * (grad - Sum.apply(grad * y, dims, True, None))


class LogSoftmax(_SoftmaxFamily):
    """y = x - log(sum(exp(x))) along dim;  grad_x = grad - exp(y) * sum(grad)."""

    op = "log_softmax"
    numpy_forward = staticmethod(_log_softmax_np)

    @staticmethod
    def composed_backward(y: Tensor, grad: Tensor, dims: tuple) -> Tensor:
        return grad - exp(y) * Sum.apply(grad, dims, True, None)


def _softmax_dims(t: Tensor, dim: int) -> tuple:
    return (dim,) if t._data.ndim else ()


def _softmax_input(input: Tensor, dim: int, dtype: Any, op: str) -> tuple[Tensor, int]:
    if dtype is not None:
        input = input.to(_dtype.to_dtype(dtype))
    if input._data.dtype.kind != "f":
        raise NotImplementedError(
            f'"{op}" not implemented for {input.dtype} input; pass dtype=pybigml.float32 or '
            "convert it with .float()"
        )
    return input, _wrap_dim(dim, input._data.ndim, op)


def softmax(input: Tensor, dim: int, dtype: Any = None) -> Tensor:
    """``exp(x) / sum(exp(x))`` along ``dim``, computed stably (max subtracted first).

    Args:
        input: a floating point tensor.
        dim: the dim the probabilities sum to 1 along.
        dtype: cast the input to this dtype first.

    Returns:
        Example: ``pybigml.zeros(2).softmax(0)`` is ``tensor([0.5000, 0.5000])``.
    """
    input, d = _softmax_input(input, dim, dtype, "softmax")
    return Softmax.apply(input, d)


def log_softmax(input: Tensor, dim: int, dtype: Any = None) -> Tensor:
    """``x - logsumexp(x, dim)`` along ``dim``, computed stably.

    Args:
        input: a floating point tensor.
        dim: the dim to normalise along.
        dtype: cast the input to this dtype first.

    Returns:
        Example: ``pybigml.zeros(2).log_softmax(0)`` is ``tensor([-0.6931, -0.6931])``.
    """
    input, d = _softmax_input(input, dim, dtype, "log_softmax")
    return LogSoftmax.apply(input, d)
