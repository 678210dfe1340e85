"""Convolution: ``conv1d``, ``conv2d``, ``conv_transpose1d``, ``conv_transpose2d``.

Three native kernels (the backend's ``conv2d_*``, csrc/cpu/conv.cpp) compute everything. For a 2-D
convolution ``y = conv(x, w) + b`` with x (N, C, H, W) and w (O, C / groups, kh, kw):

    forward        y  = conv(x, w) + b                    conv2d_forward
    grad-input     gx = conv_input_grad(gy, w)            conv2d_grad_input
    grad-weight    gw = conv_weight_grad(x, gy)           conv2d_grad_weight
    grad-bias      gb = gy summed over (N, OH, OW)

``conv_input_grad`` is the adjoint of ``x -> conv(x, w)`` and ``conv_weight_grad`` the adjoint
of ``w -> conv(x, w)``: <gy, conv(x, w)> = <conv_input_grad(gy, w), x> = <conv_weight_grad(x,
gy), w>. A transposed convolution *is* ``conv_input_grad``. Each of the three maps is bilinear,
so each one's derivatives are again the three maps, which is how the backward of every
Function here is written (and why double backward works):

    Convolution (x, w)        -> y        gx = ConvolutionTranspose(gy, w)
                                          gw = ConvolutionWeightGrad(x, gy)
    ConvolutionTranspose (z, w) -> u      gz = Convolution(gu, w)
                                          gw = ConvolutionWeightGrad(gu, z)
    ConvolutionWeightGrad (x, z) -> v     gx = ConvolutionTranspose(z, gv)
                                          gz = Convolution(x, gv)

A 1-D convolution is the 2-D one on a height-1 view; an unbatched input gets a batch of one.
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence
from typing import Any

import numpy as np

from .. import _dtype, backend
from .._tensor import Tensor
from ..autograd.function import Function
from .creation import zeros
from .linalg import _C_NAMES, _SCALAR_NAMES
from .shape import cat, squeeze, unsqueeze

__all__ = ["conv1d", "conv2d", "conv_transpose1d", "conv_transpose2d"]

_make = Tensor._make

# (stride, padding, dilation, groups) of a 2-D convolution, each spatial entry an (h, w) pair:
# the trailing arguments of every conv2d_* kernel of the backend.
Geometry = tuple[tuple[int, int], tuple[int, int], tuple[int, int], int]


def _array(t: Tensor) -> np.ndarray:
    """The C-contiguous array the kernels read (the tensor's own when it already is one)."""
    return backend.of(t._data).xp.ascontiguousarray(t._data)


# ------------------------------------------------------------------------------- Functions
class Convolution(Function):
    """y = conv(x, w) + b (x: N, C, H, W; w: O, C / groups, kh, kw; b: O or None).

    Gradients (see the module docstring): gx = conv_input_grad(gy, w),
    gw = conv_weight_grad(x, gy), gb = sum of gy over (N, OH, OW).
    """

    @staticmethod
    def forward(ctx, x, weight, bias, geometry):
        ctx.save_for_backward(x, weight)
        ctx.geometry = geometry
        b = None if bias is None else _array(bias)
        be = backend.of(x._data, weight._data)
        return _make(be.conv2d_forward(_array(x), _array(weight), b, *geometry))

    @staticmethod
    def backward(ctx, grad):
        x, weight = ctx.saved_tensors
        need_x, need_w, need_b = ctx.needs_input_grad[:3]
        geometry = ctx.geometry
        grad_x = grad_w = grad_b = None
        if need_x:
            grad_x = ConvolutionTranspose.apply(grad, weight, None, geometry, tuple(x.shape[2:]))
        if need_w:
            grad_w = ConvolutionWeightGrad.apply(x, grad, geometry, tuple(weight.shape[2:]))
        if need_b:
            grad_b = grad.sum((0, 2, 3))
        return grad_x, grad_w, grad_b, None


class ConvolutionTranspose(Function):
    """u = conv_input_grad(z, w) + b: the transposed convolution of z (N, O, h, w) by the
    convolution weight w (O, C / groups, kh, kw), giving (N, C) + input_size; b: C or None.

    Gradients: gz = conv(gu, w), gw = conv_weight_grad(gu, z), gb = sum of gu over (N, H, W).
    """

    @staticmethod
    def forward(ctx, z, weight, bias, geometry, input_size):
        ctx.save_for_backward(z, weight)
        ctx.geometry = geometry
        b = None if bias is None else _array(bias)
        be = backend.of(z._data, weight._data)
        return _make(be.conv2d_grad_input(_array(z), _array(weight), b, input_size, *geometry))

    @staticmethod
    def backward(ctx, grad):
        z, weight = ctx.saved_tensors
        need_z, need_w, need_b = ctx.needs_input_grad[:3]
        geometry = ctx.geometry
        grad_z = grad_w = grad_b = None
        if need_z:
            grad_z = Convolution.apply(grad, weight, None, geometry)
        if need_w:
            grad_w = ConvolutionWeightGrad.apply(grad, z, geometry, tuple(weight.shape[2:]))
        if need_b:
            grad_b = grad.sum((0, 2, 3))
        return grad_z, grad_w, grad_b, None, None


class ConvolutionWeightGrad(Function):
    """v = conv_weight_grad(x, z): the weight gradient of conv(x, .) for output gradient z.

    Gradients: gx = conv_input_grad(z, gv), gz = conv(x, gv).
    """

    @staticmethod
    def forward(ctx, x, z, geometry, kernel_size):
        ctx.save_for_backward(x, z)
        ctx.geometry = geometry
        be = backend.of(x._data, z._data)
        return _make(be.conv2d_grad_weight(_array(x), _array(z), kernel_size, *geometry))

    @staticmethod
    def backward(ctx, grad):
        x, z = ctx.saved_tensors
        need_x, need_z = ctx.needs_input_grad[:2]
        geometry = ctx.geometry
        grad_x = grad_z = None
        if need_x:
            grad_x = ConvolutionTranspose.apply(z, grad, None, geometry, tuple(x.shape[2:]))
        if need_z:
            grad_z = Convolution.apply(x, grad, None, geometry)
        return grad_x, grad_z, None, None


# ------------------------------------------------------------------------ argument checks
def _spatial(op: str, name: str, value: Any, dims: int) -> tuple[int, ...]:
    """An int or a sequence of 1 or ``dims`` ints as a ``dims``-tuple (PyTorch's expansion)."""
    if type(value) is int:  # the common cases first: the ABC checks below cost microseconds
        return (value,) * dims
    if type(value) is tuple and len(value) == dims and all(type(v) is int for v in value):
        return value
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        return (int(value),) * dims
    if not isinstance(value, Sequence) or not all(
        isinstance(v, numbers.Integral) and not isinstance(v, bool) for v in value
    ):
        raise TypeError(
            f"{op}(): argument '{name}' must be tuple of ints, not {type(value).__name__}"
        )
    values = tuple(int(v) for v in value)
    if len(values) == 1:
        return values * dims
    if len(values) != dims:
        raise RuntimeError(
            f"expected {name} to be a single integer value or a list of {dims} values to match "
            f"the convolution dimensions, but got {name}={list(values)}"
        )
    return values


def _same_padding(
    kernel: tuple[int, ...], dilation: tuple[int, ...]
) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """'same' padding per dim: (symmetric part, extra zeros on the end side).

    The dilated kernel needs ``d (k - 1)`` padding in all; an odd total puts the extra element
    after the input, as PyTorch does.
    """
    totals = [d * (k - 1) for k, d in zip(kernel, dilation)]
    return tuple(t // 2 for t in totals), tuple(t - 2 * (t // 2) for t in totals)


def _pad_end(x: Tensor, extra: tuple[int, ...]) -> Tensor:
    """x with ``extra[i]`` zeros appended along spatial dim i (dims 2, 3, ...): differentiable."""
    for i, amount in enumerate(extra):
        if amount:
            shape = list(x.shape)
            shape[2 + i] = amount
            x = cat([x, zeros(shape, dtype=x.dtype)], 2 + i)
    return x


def _check_tensors(op: str, input: Tensor, weight: Tensor, bias: Tensor | None) -> None:
    for name, t in (("input", input), ("weight", weight), ("bias", bias)):
        if t is not None and not isinstance(t, Tensor):
            raise TypeError(f"{op}(): argument '{name}' must be Tensor, not {type(t).__name__}")
    x_dtype, w_dtype = input._data.dtype, weight._data.dtype
    if x_dtype != w_dtype:
        raise RuntimeError(
            f"expected scalar type {_SCALAR_NAMES.get(x_dtype.name, x_dtype.name)} but found "
            f"{_SCALAR_NAMES.get(w_dtype.name, w_dtype.name)}"
        )
    if bias is not None and bias._data.dtype != x_dtype:
        b_dtype = bias._data.dtype
        raise RuntimeError(
            f"Input type ({_C_NAMES.get(x_dtype.name, x_dtype.name)}) and bias type "
            f"({_C_NAMES.get(b_dtype.name, b_dtype.name)}) should be the same"
        )
    if x_dtype == np.bool_:
        raise RuntimeError(f"\"{op}\" not implemented for 'Bool'")


def _check_shapes(
    input: Tensor,
    weight: Tensor,
    bias: Tensor | None,
    groups: int,
    transposed: bool,
) -> None:
    """PyTorch's messages for a weight, input and bias that do not fit together."""
    w_shape, x_shape = list(weight.shape), list(input.shape)
    if w_shape[0] % groups:
        raise RuntimeError(
            f"Given groups={groups}, expected weight to be divisible by {groups} at dimension 0, "
            f"but got weight of size [{w_shape}] instead"
        )
    expected = w_shape[0] if transposed else w_shape[1] * groups
    if x_shape[1] != expected:
        given = "transposed=1" if transposed else f"groups={groups}"
        raise RuntimeError(
            f"Given {given}, weight of size {w_shape}, expected input{x_shape} to have {expected} "
            f"channels, but got {x_shape[1]} channels instead"
        )
    out_channels = w_shape[1] * groups if transposed else w_shape[0]
    if bias is not None and list(bias.shape) != [out_channels]:
        raise RuntimeError(
            f"Given weight of size {w_shape}, expected bias to be 1-dimensional with "
            f"{out_channels} elements, but got bias of size {list(bias.shape)} instead"
        )


def _convolution(
    op: str,
    dims: int,
    input: Tensor,
    weight: Tensor,
    bias: Tensor | None,
    stride: Any,
    padding: Any,
    dilation: Any,
    groups: int,
    output_padding: Any = None,
) -> Tensor:
    """The shared path of the four public functions (``output_padding`` given: transposed)."""
    transposed = output_padding is not None
    _check_tensors(op, input, weight, bias)
    if not backend.of(input._data).native("conv", input._data.dtype):
        # The kernels take float32 and float64: float16 runs in float32, integers in float64
        # (exact for products and sums below 2**53).
        to = _dtype.float64 if input._data.dtype.kind != "f" else _dtype.float32
        out = _convolution(
            op,
            dims,
            input.to(to),
            weight.to(to),
            None if bias is None else bias.to(to),
            stride,
            padding,
            dilation,
            groups,
            output_padding,
        )
        return out.to(input.dtype)
    if input.ndim not in (dims + 1, dims + 2):
        raise RuntimeError(
            f"Expected {dims + 1}D (unbatched) or {dims + 2}D (batched) input to {op}, but got "
            f"input of size: {list(input.shape)}"
        )
    unbatched = input.ndim == dims + 1
    if unbatched:
        input = unsqueeze(input, 0)
    if weight.ndim != input.ndim:
        raise RuntimeError(
            f"Expected {weight.ndim}-dimensional input for {weight.ndim}-dimensional weight "
            f"{list(weight.shape)}, but got {input.ndim}-dimensional input of size "
            f"{list(input.shape)} instead"
        )
    stride = _spatial(op, "stride", stride, dims)
    dilation = _spatial(op, "dilation", dilation, dims)
    kernel = tuple(weight.shape[2:])
    extra = (0,) * dims
    if isinstance(padding, str) and not transposed:
        if padding == "valid":
            padding = (0,) * dims
        elif padding == "same":
            if any(s != 1 for s in stride):
                raise RuntimeError("padding='same' is not supported for strided convolutions")
            padding, extra = _same_padding(kernel, dilation)
        else:
            raise RuntimeError(f"Invalid padding string: {padding!r}")
    padding = _spatial(op, "padding", padding, dims)
    if any(p < 0 for p in padding):
        raise RuntimeError("negative padding is not supported")
    if any(s < 1 for s in stride):
        raise RuntimeError("non-positive stride is not supported")
    if any(d < 1 for d in dilation):
        raise RuntimeError("non-positive dilation is not supported")
    if isinstance(groups, bool) or not isinstance(groups, numbers.Integral):
        raise TypeError(f"{op}(): argument 'groups' must be int, not {type(groups).__name__}")
    if groups < 1:
        raise RuntimeError("non-positive groups is not supported")
    _check_shapes(input, weight, bias, groups, transposed)

    if dims == 1:  # a 1-D convolution is the 2-D one over a height of 1: views, no copies
        input, weight = unsqueeze(input, 2), unsqueeze(weight, 2)
        stride, padding, dilation, kernel = (
            (1,) + stride,
            (0,) + padding,
            (1,) + dilation,
            (1,) + kernel,
        )
        extra = (0,) + extra
    geometry = (stride, padding, dilation, int(groups))
    if transposed:
        out = _transposed(op, dims, input, weight, bias, geometry, kernel, output_padding)
    else:
        out = _forward(dims, input, weight, bias, geometry, kernel, extra)
    if dims == 1:
        out = squeeze(out, 2)
    return squeeze(out, 0) if unbatched else out


def _forward(
    dims: int,
    input: Tensor,
    weight: Tensor,
    bias: Tensor | None,
    geometry: Geometry,
    kernel: tuple[int, int],
    extra: tuple[int, int],
) -> Tensor:
    stride, padding, dilation, _ = geometry
    input = _pad_end(input, extra)
    size = tuple(input.shape[2:])
    padded = tuple(n + 2 * p for n, p in zip(size, padding))
    dilated = tuple(d * (k - 1) + 1 for k, d in zip(kernel, dilation))
    if any(p < k for p, k in zip(padded, dilated)):
        shown = slice(2 - dims, None)  # a 1-D convolution names its length only
        raise RuntimeError(
            f"Calculated padded input size per channel: ({' x '.join(map(str, padded[shown]))}"
            f"). Kernel size: ({' x '.join(map(str, dilated[shown]))}). Kernel size can't be "
            "greater than actual input size"
        )
    return Convolution.apply(input, weight, bias, geometry)


def _transposed(
    op: str,
    dims: int,
    input: Tensor,
    weight: Tensor,
    bias: Tensor | None,
    geometry: Geometry,
    kernel: tuple[int, int],
    output_padding: Any,
) -> Tensor:
    stride, padding, dilation, _ = geometry
    output_padding = _spatial(op, "output_padding", output_padding, dims)
    if dims == 1:
        output_padding = (0,) + output_padding
    if any(o < 0 for o in output_padding):
        raise RuntimeError("negative output_padding is not supported")
    if any(o >= s and o >= d for o, s, d in zip(output_padding, stride, dilation)):
        (oh, ow), (sh, sw), (dh, dw) = output_padding, stride, dilation
        raise RuntimeError(
            "output padding must be smaller than either stride or dilation, but got "
            f"output_padding_height: {oh} output_padding_width: {ow} stride_height: {sh} "
            f"stride_width: {sw} dilation_height: {dh} dilation_width: {dw}"
        )
    size = tuple(input.shape[2:])
    out_size = tuple(
        (n - 1) * s - 2 * p + d * (k - 1) + o + 1
        for n, s, p, d, k, o in zip(size, stride, padding, dilation, kernel, output_padding)
    )
    if any(n < 1 for n in out_size) or any(n < 1 for n in size):
        shown = slice(2 - dims, None)
        raise RuntimeError(
            f"Given input size per channel: ({' x '.join(map(str, size[shown]))}). Calculated "
            f"output size per channel: ({' x '.join(map(str, out_size[shown]))}). Output size "
            "is too small"
        )
    # output_padding >= stride (allowed when < dilation) is the same as appending
    # output_padding // stride zero rows to the input, whose contributions are all zero, and
    # padding by the remainder: then the convolution of the output gives the input size back.
    input = _pad_end(input, tuple(o // s for o, s in zip(output_padding, stride)))
    return ConvolutionTranspose.apply(input, weight, bias, geometry, out_size)


# ------------------------------------------------------------------------------ public API
def conv1d(
    input: Tensor,
    weight: Tensor,
    bias: Tensor | None = None,
    stride: Any = 1,
    padding: Any = 0,
    dilation: Any = 1,
    groups: int = 1,
) -> Tensor:
    """1-D convolution (cross-correlation) over (N, C, L) or unbatched (C, L) input.

    ``out[n, o, x] = bias[o] + sum_{c, j} weight[o, c, j] * input[n, g*C/groups + c,
    x*stride - padding + j*dilation]``, with zeros outside the input.

    Args:
        input: (N, C, L) or (C, L).
        weight: (O, C / groups, k).
        bias: (O,) or None.
        stride, dilation: int or 1-tuple.
        padding: int, 1-tuple, ``'valid'`` (0) or ``'same'`` (output length = input length;
            stride 1 only).
        groups: split the channels into this many independent convolutions.

    Returns:
        (N, O, L_out) with ``L_out = (L + 2 padding - dilation (k - 1) - 1) // stride + 1``.

    Example::

        >>> F.conv1d(pybigml.ones(1, 1, 5), pybigml.ones(1, 1, 3)).tolist()
        [[[3.0, 3.0, 3.0]]]
    """
    return _convolution("conv1d", 1, input, weight, bias, stride, padding, dilation, groups)


def conv2d(
    input: Tensor,
    weight: Tensor,
    bias: Tensor | None = None,
    stride: Any = 1,
    padding: Any = 0,
    dilation: Any = 1,
    groups: int = 1,
) -> Tensor:
    """2-D convolution (cross-correlation) over (N, C, H, W) or unbatched (C, H, W) input.

    ``out[n, o, y, x] = bias[o] + sum_{c, i, j} weight[o, c, i, j] * input[n, g*C/groups + c,
    y*stride_h - pad_h + i*dil_h, x*stride_w - pad_w + j*dil_w]``, zeros outside the input.

    Args:
        input: (N, C, H, W) or (C, H, W).
        weight: (O, C / groups, kh, kw).
        bias: (O,) or None.
        stride, dilation: int or (h, w).
        padding: int, (h, w), ``'valid'`` (0) or ``'same'`` (output size = input size; stride
            1 only; an odd total padding puts the extra zero after the input, as PyTorch).
        groups: split the channels into this many independent convolutions (``groups == C``:
            depthwise).

    Returns:
        (N, O, OH, OW), ``OH = (H + 2 pad_h - dil_h (kh - 1) - 1) // stride_h + 1`` (same for W).

    Example::

        >>> F.conv2d(pybigml.ones(1, 1, 4, 4), pybigml.ones(2, 1, 3, 3), padding=1).shape
        pybigml.Size([1, 2, 4, 4])
    """
    return _convolution("conv2d", 2, input, weight, bias, stride, padding, dilation, groups)


def conv_transpose1d(
    input: Tensor,
    weight: Tensor,
    bias: Tensor | None = None,
    stride: Any = 1,
    padding: Any = 0,
    output_padding: Any = 0,
    groups: int = 1,
    dilation: Any = 1,
) -> Tensor:
    """1-D transposed convolution: the gradient of ``conv1d`` with respect to its input.

    Args:
        input: (N, C_in, L) or (C_in, L).
        weight: (C_in, C_out / groups, k).
        bias: (C_out,) or None.
        stride, padding, dilation: those of the convolution this one transposes.
        output_padding: extra length on the end side of the output (< stride or < dilation).
        groups: independent channel groups.

    Returns:
        (N, C_out, L_out), ``L_out = (L - 1) stride - 2 padding + dilation (k - 1) +
        output_padding + 1``.

    Example::

        >>> F.conv_transpose1d(pybigml.ones(1, 1, 2), pybigml.ones(1, 1, 3), stride=2).tolist()
        [[[1.0, 1.0, 2.0, 1.0, 1.0]]]
    """
    return _convolution(
        "conv_transpose1d",
        1,
        input,
        weight,
        bias,
        stride,
        padding,
        dilation,
        groups,
        output_padding,
    )


def conv_transpose2d(
    input: Tensor,
    weight: Tensor,
    bias: Tensor | None = None,
    stride: Any = 1,
    padding: Any = 0,
    output_padding: Any = 0,
    groups: int = 1,
    dilation: Any = 1,
) -> Tensor:
    """2-D transposed convolution: the gradient of ``conv2d`` with respect to its input.

    Args:
        input: (N, C_in, H, W) or (C_in, H, W).
        weight: (C_in, C_out / groups, kh, kw).
        bias: (C_out,) or None.
        stride, padding, dilation: int or (h, w), those of the convolution this one transposes.
        output_padding: int or (h, w) added on the end side of each output dim (each < stride
            or < dilation): picks one of the input sizes a strided convolution maps to H.
        groups: independent channel groups.

    Returns:
        (N, C_out, OH, OW), ``OH = (H - 1) stride_h - 2 pad_h + dil_h (kh - 1) + out_pad_h + 1``.

    Example::

        >>> x = pybigml.ones(1, 4, 5, 5)
        >>> F.conv_transpose2d(x, pybigml.ones(4, 2, 3, 3), stride=2, output_padding=1).shape
        pybigml.Size([1, 2, 12, 12])
    """
    return _convolution(
        "conv_transpose2d",
        2,
        input,
        weight,
        bias,
        stride,
        padding,
        dilation,
        groups,
        output_padding,
    )
