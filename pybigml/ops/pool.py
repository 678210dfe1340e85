"""Pooling (max, average, adaptive) and resampling (``interpolate``), PyTorch's functional API.

Pooling runs on the native kernels of ``csrc/cpu/pool.cpp``, which see C-contiguous planes
``(..., H, W)``: 1-D pooling is 2-D pooling of planes of height 1, and an unbatched input is
one with fewer leading axes. Each kernel and its derivative are a pair of Functions that are
each other's adjoint, so backward can be differentiated again to any order:

* max pooling keeps, for every output o, the position ``indices[o]`` of its maximum, so
  ``out = gather(x, indices)`` and ``grad_x = scatter_add(zeros, indices, grad_out)``. The
  scatter (``_MaxScatter``, a native kernel) and the gather (``_MaxGather``) are each other's
  gradient.
* average and adaptive-average pooling are linear maps ``out = A x``, whose gradient is
  ``grad_x = A^T grad_out``; the kernels compute both, and the gradient of ``A^T`` is ``A``.
* max unpooling writes each value back at its index (numpy), and its gradient is the gather
  ``_MaxGather`` at those indices.

``interpolate`` resamples one axis at a time with a sparse linear map ``R`` (select the source
positions, blend two neighbours for the linear modes) in numpy; its gradient is ``R^T`` and the
gradient of that is ``R``. Source coordinates follow PyTorch's rules exactly.
"""

from __future__ import annotations

import math
import numbers
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np

from .. import backend
from .._tensor import Tensor
from ..autograd.function import Function

__all__ = [
    "adaptive_avg_pool1d",
    "adaptive_avg_pool2d",
    "adaptive_max_pool1d",
    "adaptive_max_pool2d",
    "avg_pool1d",
    "avg_pool2d",
    "interpolate",
    "max_pool1d",
    "max_pool2d",
    "max_unpool1d",
    "max_unpool2d",
    "upsample",
]

_make = Tensor._make
_SCALAR_NAMES = {"float16": "Half", "int8": "Char", "uint8": "Byte", "int16": "Short"}
_SCALAR_NAMES.update({"int32": "Int", "int64": "Long", "bool": "Bool"})


# ------------------------------------------------------------------------- plane layout
def _planes(x: np.ndarray, spatial: int) -> np.ndarray:
    """``x`` as the kernels read it: C-contiguous ``(..., H, W)``, a 1-D signal as H = 1."""
    if spatial == 1:
        x = x[..., np.newaxis, :]
    return np.ascontiguousarray(x)


def _unplanes(x: np.ndarray, spatial: int) -> np.ndarray:
    """The inverse of ``_planes`` on a kernel's output."""
    return x[..., 0, :] if spatial == 1 else x


def _plane_size(shape: tuple, spatial: int) -> tuple:
    return (1, shape[-1]) if spatial == 1 else tuple(shape[-2:])


# ------------------------------------------------------------------------- max pooling
class _MaxGather(Function):
    """``out[..., o] = x[..., indices[o]]`` within each plane: max pooling with known indices.

    An index past the plane (a dilated window holding only padding) gathers 0.
    Gradient: ``_MaxScatter`` of the output gradient to the same indices.
    """

    @staticmethod
    def forward(ctx, x, indices, spatial):
        ctx.indices, ctx.spatial, ctx.in_shape = indices, spatial, x.shape
        planes = _planes(x._data, spatial)
        flat = planes.reshape(planes.shape[:-2] + (-1,))
        idx = _planes(indices, spatial)
        idx = idx.reshape(idx.shape[:-2] + (-1,))
        inside = idx < flat.shape[-1]
        picked = np.take_along_axis(flat, np.where(inside, idx, 0), -1)
        picked[~inside] = 0
        return _make(_unplanes(picked.reshape(_planes(indices, spatial).shape), spatial))

    @staticmethod
    def backward(ctx, grad):
        return _MaxScatter.apply(grad, ctx.indices, ctx.spatial, ctx.in_shape), None, None


class _MaxScatter(Function):
    """``grad_x = 0; grad_x[..., indices[o]] += grad[..., o]``: the gradient of max pooling.

    Indices past the plane (windows of padding only, output -inf) send nothing, as in PyTorch.
    Gradient: ``_MaxGather`` of the incoming gradient by the same indices.
    """

    @staticmethod
    def forward(ctx, grad, indices, spatial, in_shape):
        ctx.indices, ctx.spatial = indices, spatial
        out = backend.of(grad._data).max_pool2d_backward(
            _planes(grad._data, spatial),
            _planes(indices, spatial),
            _plane_size(in_shape, spatial),
            check_indices=False,
        )
        return _make(_unplanes(out, spatial))

    @staticmethod
    def backward(ctx, grad_grad):
        return _MaxGather.apply(grad_grad, ctx.indices, ctx.spatial), None, None, None


class _MaxPool(Function):
    """Max pooling by the native kernel: the maxima and, not differentiable, their indices.

    ``window`` is ``(kernel_size, stride, padding, dilation, ceil_mode)`` as pairs (h, w), or
    ``None`` for adaptive pooling to ``output_size``.
    """

    @staticmethod
    def forward(ctx, x, spatial, window, output_size):
        data = _planes(x._data, spatial)
        if window is None:
            out, indices = backend.of(data).adaptive_max_pool2d(data, output_size)
        else:
            out, indices = backend.of(data).max_pool2d(data, *window)
        indices = _unplanes(indices, spatial)
        ctx.indices, ctx.spatial, ctx.in_shape = indices, spatial, x.shape
        index_tensor = _make(indices)
        ctx.mark_non_differentiable(index_tensor)
        return _make(_unplanes(out, spatial)), index_tensor

    @staticmethod
    def backward(ctx, grad, _grad_indices):
        grad_x = _MaxScatter.apply(grad, ctx.indices, ctx.spatial, ctx.in_shape)
        return grad_x, None, None, None


# ---------------------------------------------------------------- average pooling (linear)
def _linear_pool(data: np.ndarray, kind: str, params: tuple) -> np.ndarray:
    """``A x`` on planes: average pooling (params: kernel, stride, padding, ceil_mode,
    count_include_pad, divisor_override) or adaptive average pooling (params: output_size)."""
    if kind == "avg":
        return backend.of(data).avg_pool2d(data, *params)
    return backend.of(data).adaptive_avg_pool2d(data, *params)


def _linear_pool_adjoint(grad: np.ndarray, size: tuple, kind: str, params: tuple) -> np.ndarray:
    """``A^T grad`` on planes, for inputs of plane size ``size``."""
    if kind == "avg":
        return backend.of(grad).avg_pool2d_backward(grad, size, *params)
    return backend.of(grad).adaptive_avg_pool2d_backward(grad, size)


class _LinearPool(Function):
    """Average or adaptive-average pooling ``out = A x``; gradient ``grad_x = A^T grad``."""

    @staticmethod
    def forward(ctx, x, spatial, kind, params):
        ctx.spatial, ctx.kind, ctx.params, ctx.in_shape = spatial, kind, params, x.shape
        return _make(_unplanes(_linear_pool(_planes(x._data, spatial), kind, params), spatial))

    @staticmethod
    def backward(ctx, grad):
        grad_x = _LinearPoolAdjoint.apply(grad, ctx.spatial, ctx.kind, ctx.params, ctx.in_shape)
        return grad_x, None, None, None


class _LinearPoolAdjoint(Function):
    """``grad_x = A^T grad`` for ``_LinearPool``; its own gradient is ``A`` again."""

    @staticmethod
    def forward(ctx, grad, spatial, kind, params, in_shape):
        ctx.spatial, ctx.kind, ctx.params = spatial, kind, params
        size = _plane_size(in_shape, spatial)
        out = _linear_pool_adjoint(_planes(grad._data, spatial), size, kind, params)
        return _make(_unplanes(out, spatial))

    @staticmethod
    def backward(ctx, grad_grad):
        return (
            _LinearPool.apply(grad_grad, ctx.spatial, ctx.kind, ctx.params),
            None,
            None,
            None,
            None,
        )


# ------------------------------------------------------------------ argument checking
def _check_input(op: str, input: Any, spatial: int, empty_batch_only: bool = True) -> None:
    """PyTorch's checks of a pooling input: a float Tensor, batched or not, no empty planes."""
    if not isinstance(input, Tensor):
        raise TypeError(f"{op}(): argument 'input' must be Tensor, not {type(input).__name__}")
    shape = input._data.shape
    ndim = len(shape)
    # The first axis of an unbatched input may be empty only for adaptive pooling.
    first = 1 if ndim == spatial + 2 or not empty_batch_only else 0
    if ndim not in (spatial + 1, spatial + 2) or 0 in shape[first:]:
        low, high = spatial + 1, spatial + 2
        raise RuntimeError(
            f"{op}: Expected {low}D or {high}D (batch mode) tensor with optional 0 dim batch "
            f"size for input, but got:{list(shape)}"
        )
    dtype = input._data.dtype
    if not backend.of(input._data).native("pool", dtype):
        name = _SCALAR_NAMES.get(dtype.name, dtype.name)
        raise NotImplementedError(f"\"{op}\" not implemented for '{name}'")


def _ints(value: Any, op: str, name: str, count: int, default: Any = None) -> tuple:
    """``value`` (an int or a sequence of 1 or ``count`` ints) as a ``count``-tuple of ints.

    ``None`` (and an empty sequence) mean ``default``, which is how stride defaults to
    kernel_size.
    """
    if type(value) is int:  # the common case, kept cheap
        return (value,) * count
    if value is None or (isinstance(value, (tuple, list)) and len(value) == 0):
        if default is None:
            raise RuntimeError(f"{op}: {name} must be given")
        return default
    items = tuple(value) if isinstance(value, (tuple, list)) else (value,)
    for item in items:
        if type(item) is not int and (
            isinstance(item, bool) or not isinstance(item, numbers.Integral)
        ):
            raise TypeError(
                f"{op}(): argument '{name}' must be tuple of ints, not {type(item).__name__}"
            )
    if len(items) == 1:
        items = items * count
    if len(items) != count:
        what = "a single int" if count == 1 else "a single int, or a tuple of two ints"
        raise RuntimeError(f"{op}: {name} must be {what}, got {value!r}")
    return tuple(int(i) for i in items)


def _window(op: str, spatial: int, kernel_size, stride, padding, dilation) -> tuple:
    """Kernel, stride, padding and dilation as (h, w) pairs; a 1-D window has height 1."""
    kernel = _ints(kernel_size, op, "kernel_size", spatial)
    pairs = (
        kernel,
        _ints(stride, op, "stride", spatial, default=kernel),
        _ints(padding, op, "padding", spatial),
        _ints(dilation, op, "dilation", spatial),
    )
    if spatial == 1:
        return tuple((neutral,) + p for neutral, p in zip((1, 1, 0, 1), pairs))
    return pairs


# ------------------------------------------------------------------------- functional
def _max_pool(op, spatial, input, kernel_size, stride, padding, dilation, ceil_mode, indices):
    _check_input(op, input, spatial)
    window = _window(op, spatial, kernel_size, stride, padding, dilation) + (bool(ceil_mode),)
    out, index = _MaxPool.apply(input, spatial, window, None)
    return (out, index) if indices else out


def max_pool1d(
    input: Tensor,
    kernel_size: int | Sequence[int],
    stride: int | Sequence[int] | None = None,
    padding: int | Sequence[int] = 0,
    dilation: int | Sequence[int] = 1,
    ceil_mode: bool = False,
    return_indices: bool = False,
) -> Tensor | tuple[Tensor, Tensor]:
    """1-D max pooling over the last axis of ``(N, C, L)`` or ``(C, L)``.

    ``L_out = floor((L + 2 * padding - dilation * (kernel_size - 1) - 1) / stride) + 1`` (ceil
    with ``ceil_mode``, the last window starting inside the input or its left padding);
    padding never wins a max. The gradient flows to the position of each maximum.

    Args:
        input: float32/float64 tensor.
        kernel_size, stride (default kernel_size), padding, dilation: ints or 1-tuples.
        ceil_mode: round the output length up instead of down.
        return_indices: also return each maximum's position along L (int64).

    Returns:
        The pooled tensor, and the indices if ``return_indices``.

    Example:
        >>> F.max_pool1d(pybigml.tensor([[[1.0, 3.0, 2.0, 5.0]]]), 2)
        tensor([[[3., 5.]]])
    """
    return _max_pool(
        "max_pool1d", 1, input, kernel_size, stride, padding, dilation, ceil_mode, return_indices
    )


def max_pool2d(
    input: Tensor,
    kernel_size: int | Sequence[int],
    stride: int | Sequence[int] | None = None,
    padding: int | Sequence[int] = 0,
    dilation: int | Sequence[int] = 1,
    ceil_mode: bool = False,
    return_indices: bool = False,
) -> Tensor | tuple[Tensor, Tensor]:
    """2-D max pooling over the last two axes of ``(N, C, H, W)`` or ``(C, H, W)``.

    Each output is the maximum of its window (rows ``oh * stride - padding + i * dilation``,
    likewise for columns); sizes as in ``max_pool1d`` per axis. Ties go to the first element
    in row-major order, NaN propagates. The gradient flows to the position of each maximum.

    Args:
        input: float32/float64 tensor.
        kernel_size, stride (default kernel_size), padding, dilation: an int or (h, w).
        ceil_mode: round output sizes up instead of down.
        return_indices: also return each maximum's flat position ``ih * W + iw`` (int64).

    Returns:
        The pooled tensor, and the indices if ``return_indices``.

    Example:
        >>> F.max_pool2d(pybigml.arange(16.0).reshape(1, 1, 4, 4), 2)
        tensor([[[[ 5.,  7.],
                  [13., 15.]]]])
    """
    return _max_pool(
        "max_pool2d", 2, input, kernel_size, stride, padding, dilation, ceil_mode, return_indices
    )


def _avg_pool(op, spatial, input, kernel_size, stride, padding, ceil_mode, include, divisor):
    _check_input(op, input, spatial)
    kernel, stride, padding, _ = _window(op, spatial, kernel_size, stride, padding, 1)
    if divisor is not None and (isinstance(divisor, bool) or not isinstance(divisor, int)):
        raise TypeError(
            f"{op}(): argument 'divisor_override' must be int, not {type(divisor).__name__}"
        )
    params = (kernel, stride, padding, bool(ceil_mode), bool(include), divisor)
    return _LinearPool.apply(input, spatial, "avg", params)


def avg_pool1d(
    input: Tensor,
    kernel_size: int | Sequence[int],
    stride: int | Sequence[int] | None = None,
    padding: int | Sequence[int] = 0,
    ceil_mode: bool = False,
    count_include_pad: bool = True,
) -> Tensor:
    """1-D average pooling over the last axis of ``(N, C, L)`` or ``(C, L)``.

    Each output is the sum of its window divided by the window length counted with the
    padding (``count_include_pad``) or without it. Output length as in ``max_pool1d``.

    Args:
        input: float32/float64 tensor.
        kernel_size, stride (default kernel_size), padding: ints or 1-tuples.
        ceil_mode: round the output length up instead of down.
        count_include_pad: count zero padding in the divisor.

    Returns:
        The pooled tensor.

    Example:
        >>> F.avg_pool1d(pybigml.tensor([[[1.0, 3.0, 2.0, 6.0]]]), 2)
        tensor([[[2., 4.]]])
    """
    return _avg_pool(
        "avg_pool1d", 1, input, kernel_size, stride, padding, ceil_mode, count_include_pad, None
    )


def avg_pool2d(
    input: Tensor,
    kernel_size: int | Sequence[int],
    stride: int | Sequence[int] | None = None,
    padding: int | Sequence[int] = 0,
    ceil_mode: bool = False,
    count_include_pad: bool = True,
    divisor_override: int | None = None,
) -> Tensor:
    """2-D average pooling over the last two axes of ``(N, C, H, W)`` or ``(C, H, W)``.

    Each output is its window's sum divided by ``divisor_override`` if given, else by the
    window's size counted with the padding (``count_include_pad``) or without it.

    Args:
        input: float32/float64 tensor.
        kernel_size, stride (default kernel_size), padding: an int or (h, w).
        ceil_mode: round output sizes up instead of down.
        count_include_pad: count zero padding in the divisor.
        divisor_override: a nonzero divisor used for every window.

    Returns:
        The pooled tensor.

    Example:
        >>> F.avg_pool2d(pybigml.arange(16.0).reshape(1, 1, 4, 4), 2)
        tensor([[[[ 2.5000,  4.5000],
                  [10.5000, 12.5000]]]])
    """
    return _avg_pool(
        "avg_pool2d",
        2,
        input,
        kernel_size,
        stride,
        padding,
        ceil_mode,
        count_include_pad,
        divisor_override,
    )


def _adaptive_size(op: str, input: Tensor, output_size: Any, spatial: int) -> tuple:
    """``output_size`` as an (h, w) pair; ``None`` entries take the input's size."""
    if type(output_size) is int and output_size >= 0:  # the common case, kept cheap
        return (1, output_size) if spatial == 1 else (output_size, output_size)
    if isinstance(output_size, (tuple, list)):
        if len(output_size) != spatial:
            if spatial == 1:
                raise RuntimeError(
                    f"{op}() argument 'output_size' should contain one int (got {len(output_size)})"
                )
            raise RuntimeError(f"{op}: output_size must be {spatial}")
        sizes = tuple(output_size)
    else:
        sizes = (output_size,) * spatial
    in_sizes = input._data.shape[-spatial:]
    sizes = tuple(n if s is None else s for n, s in zip(in_sizes, sizes))
    sizes = _ints(sizes, op, "output_size", spatial)
    if any(s < 0 for s in sizes):
        raise RuntimeError(
            f"{op}: elements of output_size must be greater than or equal to 0 "
            f"but received {list(sizes)}"
        )
    return (1,) + sizes if spatial == 1 else sizes


def _check_adaptive_input(op: str, input: Any, spatial: int) -> None:
    shape = input._data.shape if isinstance(input, Tensor) else ()
    if len(shape) in (spatial + 1, spatial + 2) and 0 in shape[1:]:
        for axis in range(1, len(shape)):
            if shape[axis] == 0:
                raise RuntimeError(
                    f"{op}(): Expected input to have non-zero size for non-batch dimensions, "
                    f"but input has sizes {list(shape)} with dimension {axis} being empty"
                )
    _check_input(op, input, spatial, empty_batch_only=False)


def adaptive_avg_pool1d(input: Tensor, output_size: int | Sequence[int]) -> Tensor:
    """Average pooling of ``(N, C, L)`` or ``(C, L)`` to a fixed length ``output_size``.

    Output ``o`` averages ``x[floor(o * L / out) : ceil((o + 1) * L / out)]``.

    Args:
        input: float32/float64 tensor.
        output_size: the output length (int or 1-tuple).

    Returns:
        The pooled tensor.

    Example:
        >>> F.adaptive_avg_pool1d(pybigml.tensor([[[1.0, 2.0, 3.0, 4.0]]]), 1)
        tensor([[[2.5000]]])
    """
    _check_adaptive_input("adaptive_avg_pool1d", input, 1)
    size = _adaptive_size("adaptive_avg_pool1d", input, output_size, 1)
    return _LinearPool.apply(input, 1, "adaptive", (size,))


def adaptive_avg_pool2d(input: Tensor, output_size: int | None | Sequence[int | None]) -> Tensor:
    """Average pooling of ``(N, C, H, W)`` or ``(C, H, W)`` to a fixed ``(out_h, out_w)``.

    Output ``(i, j)`` averages rows ``floor(i * H / out_h) .. ceil((i + 1) * H / out_h)`` and
    the columns found the same way.

    Args:
        input: float32/float64 tensor.
        output_size: an int, or (out_h, out_w) where ``None`` keeps that input size.

    Returns:
        The pooled tensor.

    Example:
        >>> F.adaptive_avg_pool2d(pybigml.ones(2, 3, 7, 7), 1).shape
        pybigml.Size([2, 3, 1, 1])
    """
    _check_adaptive_input("adaptive_avg_pool2d", input, 2)
    size = _adaptive_size("adaptive_avg_pool2d", input, output_size, 2)
    return _LinearPool.apply(input, 2, "adaptive", (size,))


def _adaptive_max(op: str, input: Tensor, output_size: Any, spatial: int, indices: bool):
    _check_adaptive_input(op, input, spatial)
    size = _adaptive_size(op, input, output_size, spatial)
    out, index = _MaxPool.apply(input, spatial, None, size)
    return (out, index) if indices else out


def adaptive_max_pool1d(
    input: Tensor, output_size: int | Sequence[int], return_indices: bool = False
) -> Tensor | tuple[Tensor, Tensor]:
    """Max pooling of ``(N, C, L)`` or ``(C, L)`` to length ``output_size`` (windows as in
    ``adaptive_avg_pool1d``); with ``return_indices`` also each maximum's position."""
    return _adaptive_max("adaptive_max_pool1d", input, output_size, 1, return_indices)


def adaptive_max_pool2d(
    input: Tensor, output_size: int | None | Sequence[int | None], return_indices: bool = False
) -> Tensor | tuple[Tensor, Tensor]:
    """Max pooling of ``(N, C, H, W)`` or ``(C, H, W)`` to ``(out_h, out_w)`` (windows as in
    ``adaptive_avg_pool2d``); with ``return_indices`` also each maximum's ``ih * W + iw``.

    Example:
        >>> F.adaptive_max_pool2d(pybigml.arange(16.0).reshape(1, 4, 4), 2)
        tensor([[[ 5.,  7.],
                 [13., 15.]]])
    """
    return _adaptive_max("adaptive_max_pool2d", input, output_size, 2, return_indices)


# ------------------------------------------------------------------------- max unpooling
class _MaxUnpool(Function):
    """``out = 0; out[..., indices[i]] = x[..., i]`` within each plane: the partial inverse of
    max pooling (a repeated index keeps the last value, as PyTorch's CPU kernel does).

    Gradient: ``_MaxGather`` of the output gradient at the same indices.
    """

    @staticmethod
    def forward(ctx, x, indices, spatial, out_size):
        planes = _planes(x._data, spatial)
        idx = _planes(indices, spatial)
        lead = planes.shape[:-2]
        plane_size = out_size[0] * out_size[1]
        flat_idx = idx.reshape(lead + (-1,))
        if flat_idx.size and (flat_idx.min() < 0 or flat_idx.max() >= plane_size):
            bad = flat_idx[(flat_idx < 0) | (flat_idx >= plane_size)][0]
            raise RuntimeError(
                f"Found an invalid max index: {bad} (output volumes are of size "
                f"{out_size[0]}x{out_size[1]}"
            )
        out = np.zeros(lead + (plane_size,), planes.dtype)
        np.put_along_axis(out, flat_idx, planes.reshape(lead + (-1,)), -1)
        ctx.indices, ctx.spatial = indices, spatial
        return _make(_unplanes(out.reshape(lead + tuple(out_size)), spatial))

    @staticmethod
    def backward(ctx, grad):
        return _MaxGather.apply(grad, ctx.indices, ctx.spatial), None, None, None


def _max_unpool(op, spatial, input, indices, kernel_size, stride, padding, output_size):
    _check_input(op, input, spatial)
    if not isinstance(indices, Tensor) or indices._data.dtype != np.int64:
        raise RuntimeError(f"{op}: expected indices to be an int64 Tensor")
    if indices.shape != input.shape:
        raise RuntimeError(
            "Expected shape of indices to be same as that of the input tensor "
            f"({list(input.shape)}) but got indices tensor with shape: {list(indices.shape)}"
        )
    kernel, stride, padding, _ = _window(op, spatial, kernel_size, stride, padding, 1)
    in_sizes = _plane_size(input._data.shape, spatial)
    default = [(n - 1) * s + k - 2 * p for n, s, k, p in zip(in_sizes, stride, kernel, padding)]
    if output_size is None:
        sizes = default
    else:
        given = list(output_size)
        if len(given) == spatial + 2:
            given = given[2:]
        if len(given) != spatial:
            raise ValueError(
                f"output_size should be a sequence containing {spatial} or {spatial + 2} "
                f"elements, but it has a length of '{len(given)}'"
            )
        sizes = default[: 2 - spatial] + [int(n) for n in given]
        for d in range(2 - spatial, 2):
            low, high = default[d] - stride[d], default[d] + stride[d]
            if not low < sizes[d] < high:
                raise ValueError(
                    f'invalid output_size "{output_size}" (dim {d - 2 + spatial} must be '
                    f"between {low} and {high})"
                )
    return _MaxUnpool.apply(input, indices._data, spatial, tuple(sizes))


def max_unpool1d(
    input: Tensor,
    indices: Tensor,
    kernel_size: int | Sequence[int],
    stride: int | Sequence[int] | None = None,
    padding: int | Sequence[int] = 0,
    output_size: Sequence[int] | None = None,
) -> Tensor:
    """The partial inverse of ``max_pool1d``: each value goes back to its index, zeros
    elsewhere; the output length defaults to ``(L - 1) * stride - 2 * padding + kernel_size``.

    Args:
        input: pooled ``(N, C, L)`` or ``(C, L)`` values.
        indices: the int64 indices ``max_pool1d(..., return_indices=True)`` gave.
        kernel_size, stride (default kernel_size), padding: those of the pooling.
        output_size: the exact output length, when the pooling's input had a remainder.

    Returns:
        The unpooled tensor.
    """
    return _max_unpool("max_unpool1d", 1, input, indices, kernel_size, stride, padding, output_size)


def max_unpool2d(
    input: Tensor,
    indices: Tensor,
    kernel_size: int | Sequence[int],
    stride: int | Sequence[int] | None = None,
    padding: int | Sequence[int] = 0,
    output_size: Sequence[int] | None = None,
) -> Tensor:
    """The partial inverse of ``max_pool2d``: each value goes back to its flat index
    ``ih * W + iw``, zeros elsewhere; sizes default to ``(n - 1) * stride - 2 * padding +
    kernel_size`` per axis.

    Args:
        input: pooled ``(N, C, H, W)`` or ``(C, H, W)`` values.
        indices: the int64 indices ``max_pool2d(..., return_indices=True)`` gave.
        kernel_size, stride (default kernel_size), padding: those of the pooling.
        output_size: the exact (H, W) (or full shape), when the pooling had a remainder.

    Returns:
        The unpooled tensor.

    Example:
        >>> out, idx = F.max_pool2d(pybigml.arange(4.0).reshape(1, 2, 2), 2, return_indices=True)
        >>> F.max_unpool2d(out, idx, 2)
        tensor([[[0., 0.],
                 [0., 3.]]])
    """
    return _max_unpool("max_unpool2d", 2, input, indices, kernel_size, stride, padding, output_size)


# ------------------------------------------------------------------------- interpolate
_INTERPOLATE_MODES = ("nearest", "linear", "bilinear", "bicubic", "trilinear", "area")
_LINEAR_MODES = {"linear": 3, "bilinear": 4}


def _nearest_sources(in_size: int, out_size: int, scale: float | None, exact: bool) -> np.ndarray:
    """Source index of each output position for mode 'nearest' or 'nearest-exact'.

    PyTorch computes in float32: ``floor(dst * s)`` ('nearest', with shortcuts for equal and
    doubled sizes) or ``floor((dst + 0.5) * s)`` ('nearest-exact'), ``s = 1 / scale_factor``
    when a scale was given, else ``in / out``; clamped to the last input position.
    """
    dst = np.arange(out_size, dtype=np.int64)
    if not exact and out_size == in_size:
        return dst
    if not exact and out_size == 2 * in_size:
        return dst >> 1
    s = (
        np.float32(1.0 / scale)
        if scale is not None and scale > 0
        else np.float32(in_size) / np.float32(out_size)
    )
    position = (dst.astype(np.float32) + np.float32(0.5)) if exact else dst.astype(np.float32)
    return np.minimum(np.floor(position * s).astype(np.int64), in_size - 1)


def _linear_sources(
    in_size: int, out_size: int, scale: float | None, align_corners: bool, dtype: np.dtype
) -> tuple:
    """``(i0, i1, w0, w1)``: output ``o`` = ``w0[o] * x[i0[o]] + w1[o] * x[i1[o]]``.

    The source coordinate (computed in the input's dtype, as PyTorch does) is ``s * dst`` with
    ``s = (in - 1) / (out - 1)`` under ``align_corners``, else ``s * (dst + 0.5) - 0.5``
    clamped at 0, with ``s = 1 / scale_factor`` if a scale was given, else ``in / out``.
    """
    one = dtype.type(1)
    if align_corners:
        s = dtype.type(in_size - 1) / dtype.type(out_size - 1) if out_size > 1 else dtype.type(0)
    elif scale is not None and scale > 0:
        s = dtype.type(1.0 / scale)
    else:
        s = dtype.type(in_size) / dtype.type(out_size)
    dst = np.arange(out_size).astype(dtype)
    if align_corners:
        source = s * dst
    else:
        half = dtype.type(0.5)
        source = np.maximum(s * (dst + half) - half, dtype.type(0))
    i0 = np.minimum(np.floor(source).astype(np.int64), in_size - 1)
    i1 = i0 + (i0 < in_size - 1)
    w1 = np.clip(source - i0.astype(dtype), 0, 1).astype(dtype)
    return i0, i1, one - w1, w1


def _along(w: np.ndarray, axis: int) -> np.ndarray:
    """Per-position weights shaped to broadcast along ``axis`` (negative)."""
    return w.reshape(w.shape + (1,) * (-axis - 1))


def _resample(x: np.ndarray, axis: int, taps: tuple) -> np.ndarray:
    """``out[o] = sum_t w_t[o] * x[i_t[o]]`` along ``axis``; ``taps`` is ``((i_0, w_0), ...)``
    and a weight of ``None`` means 1 (nearest neighbour: one tap, a pure selection)."""
    out = None
    for index, weight in taps:
        term = np.take(x, index, axis)
        if weight is not None:
            term *= _along(weight, axis)
        out = term if out is None else out + term
    return out


def _resample_adjoint(grad: np.ndarray, axis: int, taps: tuple, in_size: int) -> np.ndarray:
    """The adjoint of ``_resample``: ``grad_x[i] = sum over (t, o) with i_t[o] = i of
    w_t[o] * grad[o]``.

    Source indices never decrease along the output (every coordinate rule is monotone), so the
    outputs feeding one input position form a run. Pass ``r`` adds the ``r``-th output of every
    run longer than ``r`` to that run's (distinct) input positions at once: as many vectorised
    passes as the longest run, about the upsampling factor. The work is done with ``axis``
    moved to the front, where each index selects a whole contiguous slab.
    """
    front = np.moveaxis(grad, axis, 0)
    grad_x = np.zeros((in_size,) + front.shape[1:], grad.dtype)
    for index, weight in taps:
        if index.size == 0:
            continue
        values = front if weight is None else front * _along(weight, -front.ndim)
        starts = np.flatnonzero(np.r_[True, index[1:] != index[:-1]])
        lengths = np.diff(np.r_[starts, index.size])
        for r in range(int(lengths.max())):
            longer = lengths > r
            grad_x[index[starts[longer]]] += values[starts[longer] + r]
    return np.moveaxis(grad_x, 0, axis)


class _Resample(Function):
    """Resampling along one axis, ``out = R x`` with R sparse (``_resample``); the gradient is
    ``R^T grad`` (``_ResampleAdjoint``), whose own gradient is ``R`` again."""

    @staticmethod
    def forward(ctx, x, axis, taps):
        ctx.axis, ctx.taps, ctx.in_size = axis, taps, x.shape[axis]
        return _make(_resample(x._data, axis, taps))

    @staticmethod
    def backward(ctx, grad):
        return _ResampleAdjoint.apply(grad, ctx.axis, ctx.taps, ctx.in_size), None, None


class _ResampleAdjoint(Function):
    """``grad_x = R^T grad`` for ``_Resample``."""

    @staticmethod
    def forward(ctx, grad, axis, taps, in_size):
        ctx.axis, ctx.taps = axis, taps
        return _make(_resample_adjoint(grad._data, axis, taps, in_size))

    @staticmethod
    def backward(ctx, grad_grad):
        return _Resample.apply(grad_grad, ctx.axis, ctx.taps), None, None, None


def _interpolate_sizes(
    input: Tensor, size: Any, scale_factor: Any, recompute_scale_factor: bool | None
) -> tuple:
    """PyTorch's output sizes and the scales handed to the coordinate rules (or None)."""
    dim = input.ndim - 2
    if size is not None and scale_factor is not None:
        raise ValueError("only one of size or scale_factor should be defined")
    if size is not None:
        sizes = list(size) if isinstance(size, (tuple, list)) else [size] * dim
        if len(sizes) != dim:
            raise ValueError(
                "Input and output must have the same number of spatial dimensions, but got "
                f"input with spatial dimensions of {list(input.shape[2:])} and output size of "
                f"{sizes}. Please provide input tensor in (N, C, d1, d2, ...,dK) format and "
                "output size in (o1, o2, ...,oK) format."
            )
        if recompute_scale_factor:
            raise ValueError("recompute_scale_factor is not meaningful with an explicit size.")
        return tuple(int(s) for s in sizes), (None,) * dim
    if scale_factor is None:
        raise ValueError("either size or scale_factor should be defined")
    scales = list(scale_factor) if isinstance(scale_factor, (tuple, list)) else [scale_factor] * dim
    if len(scales) != dim:
        raise ValueError(
            "Input and scale_factor must have the same number of spatial dimensions, but got "
            f"input with spatial dimensions of {list(input.shape[2:])} and scale_factor of "
            f"shape {scales}. Please provide input tensor in (N, C, d1, d2, ...,dK) format and "
            "scale_factor in (s1, s2, ...,sK) format."
        )
    sizes = tuple(math.floor(float(n) * float(s)) for n, s in zip(input.shape[2:], scales))
    # With recompute_scale_factor the coordinate rules use in / out, not the given scale.
    return sizes, (None,) * dim if recompute_scale_factor else tuple(float(s) for s in scales)


def interpolate(
    input: Tensor,
    size: int | Sequence[int] | None = None,
    scale_factor: float | Sequence[float] | None = None,
    mode: str = "nearest",
    align_corners: bool | None = None,
    recompute_scale_factor: bool | None = None,
    antialias: bool = False,
) -> Tensor:
    """Resize ``(N, C, L)`` or ``(N, C, H, W)`` to ``size`` or by ``scale_factor``.

    Modes: 'nearest' and 'nearest-exact' (1-D, 2-D), 'linear' (1-D), 'bilinear' (2-D), and
    'area' (adaptive average pooling). Each spatial axis is resampled in turn (the last first)
    by selecting source positions and, for the linear modes, blending the two neighbours
    ``w0 * x[i0] + w1 * x[i1]``: a sparse linear map per axis, whose gradient is its
    transpose. Source positions follow PyTorch's rules exactly (see ``_nearest_sources`` and
    ``_linear_sources``).

    Args:
        input: float tensor with a batch and a channel axis.
        size: the output spatial size (int or one per axis).
        scale_factor: multiplier(s) of the spatial size; exactly one of size / scale_factor.
        mode: the resampling rule.
        align_corners: linear modes only: map corner pixel centres onto each other.
        recompute_scale_factor: derive the coordinate scale from the output size.
        antialias: not supported (raises NotImplementedError when True).

    Returns:
        The resized tensor.

    Example:
        >>> F.interpolate(pybigml.tensor([[[1.0, 2.0]]]), scale_factor=2, mode="linear")
        tensor([[[1.0000, 1.2500, 1.7500, 2.0000]]])
    """
    if mode in ("nearest", "area", "nearest-exact"):
        if align_corners is not None:
            raise ValueError(
                "align_corners option can only be set with the interpolating modes: "
                "linear | bilinear | bicubic | trilinear"
            )
    elif align_corners is None:
        align_corners = False
    if mode not in _INTERPOLATE_MODES + ("nearest-exact",):
        raise NotImplementedError(
            f"Input Error: Only 3D, 4D and 5D input Tensors supported (got {input.ndim}D) for "
            "the modes: nearest | linear | bilinear | bicubic | trilinear | area | "
            f"nearest-exact (got {mode})"
        )
    if antialias and (mode not in ("bilinear", "bicubic") or input.ndim != 4):
        raise ValueError(
            "Anti-alias option is restricted to bilinear, bicubic, and lanczos modes and "
            "requires a 4-D tensor as input"
        )
    if antialias:
        raise NotImplementedError(f"interpolate: antialias=True is not supported (mode {mode!r})")
    if input.ndim not in (3, 4) or mode in ("bicubic", "trilinear"):
        raise NotImplementedError(
            f"interpolate: mode {mode!r} on {input.ndim}D input is not supported; pybigml "
            "resamples 3D input with nearest, nearest-exact, linear, area and 4D input with "
            "nearest, nearest-exact, bilinear, area"
        )
    if mode in _LINEAR_MODES and input.ndim != _LINEAR_MODES[mode]:
        raise NotImplementedError(
            f"Got {input.ndim}D input, but {mode} mode needs {_LINEAR_MODES[mode]}D input"
        )
    if mode == "area" and size is None:
        recompute_scale_factor = True
    dtype = input._data.dtype
    if not backend.of(input._data).native("pool", dtype):
        name = _SCALAR_NAMES.get(dtype.name, dtype.name)
        raise NotImplementedError(f"\"upsample_{mode}\" not implemented for '{name}'")
    sizes, scales = _interpolate_sizes(input, size, scale_factor, recompute_scale_factor)
    if min(sizes) <= 0:
        axes = ("H", "W")[-len(sizes) :]
        given = ", ".join(f"{a}: {n}" for a, n in zip(axes, input.shape[2:]))
        wanted = ", ".join(f"{a}: {n}" for a, n in zip(axes, sizes))
        raise RuntimeError(
            "Input and output sizes should be greater than 0, but got "
            f"input ({given}) output ({wanted})"
        )
    if mode == "area":
        pool = adaptive_avg_pool1d if input.ndim == 3 else adaptive_avg_pool2d
        return pool(input, sizes)

    out = input
    for axis in range(-1, -len(sizes) - 1, -1):
        in_size, out_size, scale = input.shape[axis], sizes[axis], scales[axis]
        if mode in _LINEAR_MODES:
            i0, i1, w0, w1 = _linear_sources(in_size, out_size, scale, align_corners, dtype)
            taps = ((i0, w0), (i1, w1))
        else:
            taps = ((_nearest_sources(in_size, out_size, scale, mode != "nearest"), None),)
        out = _Resample.apply(out, axis, taps)
    return out


def upsample(
    input: Tensor,
    size: int | Sequence[int] | None = None,
    scale_factor: float | Sequence[float] | None = None,
    mode: str = "nearest",
    align_corners: bool | None = None,
) -> Tensor:
    """The deprecated name of ``interpolate`` (same arguments, same result); warns as PyTorch."""
    warnings.warn(
        "`nn.functional.upsample` is deprecated. Use `nn.functional.interpolate` instead.",
        stacklevel=2,
    )
    return interpolate(input, size, scale_factor, mode, align_corners)
