"""Vision: pixel and channel shuffles, ``unfold``/``fold`` (im2col/col2im), and PyTorch's
other spellings of the pooling and upsampling ops.

Convolution, pooling and ``interpolate`` are ``pybigml.ops.conv``/``ops.pool``'s (their
checks included); ``nn.functional`` re-exports them. ``unfold``/``fold`` check their
arguments here and run ``pybigml.ops.fold``'s ``Im2Col``/``Col2Im``; the shuffles are
reshapes and permutations.
"""

from __future__ import annotations

import numbers
import warnings
from collections.abc import Sequence
from typing import Any

from ..._tensor import Tensor
from ...ops.fold import Col2Im, Im2Col, sliding_blocks
from ...ops.pool import (
    adaptive_max_pool1d,
    adaptive_max_pool2d,
    interpolate,
    max_pool1d,
    max_pool2d,
)


# --------------------------------------------------------------------------- shuffles
def _check_rearrange_factor(op: str, input: Tensor, factor: int, name: str) -> None:
    if input.ndim < 3:
        raise RuntimeError(
            f"{op} expects input to have at least 3 dimensions, but got input with "
            f"{input.ndim} dimension(s)"
        )
    if factor <= 0:
        raise RuntimeError(f"{op} expects a positive {name}, but got {factor}")


def pixel_shuffle(input: Tensor, upscale_factor: int) -> Tensor:
    """``(*, C r^2, H, W) -> (*, C, H r, W r)``: each group of ``r^2`` channels becomes an
    ``r x r`` block of pixels (sub-pixel convolution upsampling).

    Example::

        >>> F.pixel_shuffle(pybigml.randn(1, 8, 3, 3), 2).shape
        pybigml.Size([1, 2, 6, 6])
    """
    r = upscale_factor
    _check_rearrange_factor("pixel_shuffle", input, r, "upscale_factor")
    *batch, channels, height, width = input.shape
    if channels % (r * r):
        raise RuntimeError(
            "pixel_shuffle expects its input's 'channel' dimension to be divisible by the square "
            f"of upscale_factor, but input.size(-3)={channels} is not divisible by {r * r}"
        )
    nb = len(batch)
    blocks = input.reshape(*batch, channels // (r * r), r, r, height, width)
    # (c, r_h, r_w, h, w) -> (c, h, r_h, w, r_w)
    order = [*range(nb), nb, nb + 3, nb + 1, nb + 4, nb + 2]
    return blocks.permute(order).reshape(*batch, channels // (r * r), height * r, width * r)


def pixel_unshuffle(input: Tensor, downscale_factor: int) -> Tensor:
    """``(*, C, H r, W r) -> (*, C r^2, H, W)``, the inverse of ``pixel_shuffle``."""
    r = downscale_factor
    _check_rearrange_factor("pixel_unshuffle", input, r, "downscale_factor")
    *batch, channels, height, width = input.shape
    for name, size, dim in (("height", height, -2), ("width", width, -1)):
        if size % r:
            raise RuntimeError(
                f"pixel_unshuffle expects {name} to be divisible by downscale_factor, but "
                f"input.size({dim})={size} is not divisible by {r}"
            )
    nb = len(batch)
    blocks = input.reshape(*batch, channels, height // r, r, width // r, r)
    # (c, h, r_h, w, r_w) -> (c, r_h, r_w, h, w)
    order = [*range(nb), nb, nb + 2, nb + 4, nb + 1, nb + 3]
    return blocks.permute(order).reshape(*batch, channels * r * r, height // r, width // r)


def channel_shuffle(input: Tensor, groups: int) -> Tensor:
    """Interleave the channels of ``(N, C, *)`` from ``groups`` groups (ShuffleNet):
    channel ``g * (C / groups) + i`` moves to ``i * groups + g``."""
    if input.ndim <= 2:
        raise RuntimeError(
            f"channel_shuffle expects input with > 2 dims, but got input with sizes "
            f"{list(input.shape)}"
        )
    if groups <= 0:
        raise RuntimeError(
            f"Number of groups to divide channels in must be positive. Value of groups:{groups}"
        )
    batch, channels, *rest = input.shape
    if channels % groups:
        raise RuntimeError(
            f"Number of channels must be divisible by groups. Got {channels} channels and "
            f"{groups} groups."
        )
    grouped = input.reshape(batch, groups, channels // groups, *rest)
    return grouped.transpose(1, 2).reshape(input.shape)


native_channel_shuffle = channel_shuffle


# --------------------------------------------------------------------------- unfold / fold
def _as_pair(value: int | Sequence[int]) -> tuple[int, int]:
    return (int(value), int(value)) if isinstance(value, numbers.Integral) else tuple(value)


def _check_window(kernel: tuple, dilation: tuple, padding: tuple, stride: tuple) -> None:
    checks = (
        ("kernel size", "kernel", kernel),
        ("stride", "stride", stride),
        ("dilation", "dilation", dilation),
    )
    for what, name, (h, w) in checks:
        if h <= 0 or w <= 0:
            raise RuntimeError(
                f"{what} should be greater than zero, but got {name}_height: {h} {name}_width: {w}"
            )
    if padding[0] < 0 or padding[1] < 0:
        raise RuntimeError(
            f"padding should be non-negative, but got pad_height: {padding[0]} "
            f"pad_width: {padding[1]}"
        )


def unfold(
    input: Tensor,
    kernel_size: int | Sequence[int],
    dilation: int | Sequence[int] = 1,
    padding: int | Sequence[int] = 0,
    stride: int | Sequence[int] = 1,
) -> Tensor:
    """im2col: extract sliding ``kernel_size`` windows of ``(N, C, H, W)`` (or ``(C, H, W)``)
    input as columns.

    Returns:
        ``(N, C * kh * kw, L)`` with ``L`` the number of windows, ``L = prod_d
        floor((size_d + 2 padding_d - dilation_d (kernel_d - 1) - 1) / stride_d + 1)``.

    Example::

        >>> F.unfold(pybigml.randn(1, 2, 4, 4), kernel_size=2).shape
        pybigml.Size([1, 8, 9])
    """
    kernel, dilation, padding, stride = map(_as_pair, (kernel_size, dilation, padding, stride))
    _check_window(kernel, dilation, padding, stride)
    if input.ndim not in (3, 4) or any(size == 0 for size in input.shape[1:]):
        raise RuntimeError(
            "Expected 3D or 4D (batch mode) tensor input with possible 0 batch size and non-zero "
            f"dimensions, but got: {list(input.shape)}"
        )
    h, w = input.shape[-2:]
    blocks = tuple(
        sliding_blocks(size, *args)
        for size, *args in zip((h, w), kernel, dilation, padding, stride)
    )
    if blocks[0] < 1 or blocks[1] < 1:
        raise RuntimeError(
            f"Given input with spatial size ({h}, {w}), kernel_size={kernel}, "
            f"dilation={dilation}, padding={padding}, calculated shape of the array of sliding "
            f"blocks as {blocks}, but its components must be at least one."
        )
    if input.ndim == 3:
        return Im2Col.apply(input.unsqueeze(0), kernel, dilation, padding, stride).squeeze(0)
    return Im2Col.apply(input, kernel, dilation, padding, stride)


def fold(
    input: Tensor,
    output_size: int | Sequence[int],
    kernel_size: int | Sequence[int],
    dilation: int | Sequence[int] = 1,
    padding: int | Sequence[int] = 0,
    stride: int | Sequence[int] = 1,
) -> Tensor:
    """col2im: sum columns of sliding windows ``(N, C * kh * kw, L)`` (or unbatched) back into
    a ``(N, C, *output_size)`` image; overlapping windows add up. The adjoint of ``unfold``.
    """
    output_size = _as_pair(output_size)
    kernel, dilation, padding, stride = map(_as_pair, (kernel_size, dilation, padding, stride))
    _check_window(kernel, dilation, padding, stride)
    if input.ndim not in (2, 3) or any(size == 0 for size in input.shape[-2:]):
        raise RuntimeError(
            "Expected 2D or 3D (batch mode) tensor for input with possibly 0 batch size and "
            f"non-zero dimensions for input, but got: {list(input.shape)}"
        )
    columns, length = input.shape[-2:]
    if columns % (kernel[0] * kernel[1]):
        raise RuntimeError(
            "Expected size of input's dimension 1 to be divisible by the product of "
            f"kernel_size, but got input.size(1)={columns} and kernel_size={kernel}."
        )
    blocks = tuple(
        sliding_blocks(size, *args)
        for size, *args in zip(output_size, kernel, dilation, padding, stride)
    )
    geometry = (
        f"Given output_size={output_size}, kernel_size={kernel}, dilation={dilation}, "
        f"padding={padding}, stride={stride}, "
    )
    if blocks[0] < 1 or blocks[1] < 1:
        raise RuntimeError(
            f"{geometry}calculated shape of the array of sliding blocks as {blocks}, which is "
            "too small (non-positive)."
        )
    if length != blocks[0] * blocks[1]:
        raise RuntimeError(
            f"{geometry}expected size of input's dimension 2 to match the calculated number of "
            f"sliding blocks {blocks[0]} * {blocks[1]} = {blocks[0] * blocks[1]}, but got "
            f"input.size(2)={length}."
        )
    if input.ndim == 2:
        return Col2Im.apply(
            input.unsqueeze(0), output_size, kernel, dilation, padding, stride
        ).squeeze(0)
    return Col2Im.apply(input, output_size, kernel, dilation, padding, stride)


# --------------------------------------------------------------------------- other spellings
def max_pool1d_with_indices(*args: Any, **kwargs: Any) -> tuple[Tensor, Tensor]:
    """``max_pool1d(..., return_indices=True)``."""
    return max_pool1d(*args, **{**kwargs, "return_indices": True})


def max_pool2d_with_indices(*args: Any, **kwargs: Any) -> tuple[Tensor, Tensor]:
    """``max_pool2d(..., return_indices=True)``."""
    return max_pool2d(*args, **{**kwargs, "return_indices": True})


def adaptive_max_pool1d_with_indices(input: Tensor, output_size: Any) -> tuple[Tensor, Tensor]:
    """``adaptive_max_pool1d(..., return_indices=True)``."""
    return adaptive_max_pool1d(input, output_size, return_indices=True)


def adaptive_max_pool2d_with_indices(input: Tensor, output_size: Any) -> tuple[Tensor, Tensor]:
    """``adaptive_max_pool2d(..., return_indices=True)``."""
    return adaptive_max_pool2d(input, output_size, return_indices=True)


def upsample_nearest(input: Tensor, size: Any = None, scale_factor: Any = None) -> Tensor:
    """Deprecated: ``interpolate(mode="nearest")``."""
    warnings.warn(
        "`nn.functional.upsample_nearest` is deprecated. Use `nn.functional.interpolate` instead.",
        stacklevel=2,
    )
    return interpolate(input, size, scale_factor, mode="nearest")


def upsample_bilinear(input: Tensor, size: Any = None, scale_factor: Any = None) -> Tensor:
    """Deprecated: ``interpolate(mode="bilinear", align_corners=True)``."""
    warnings.warn(
        "`nn.functional.upsample_bilinear` is deprecated. Use `nn.functional.interpolate` instead.",
        stacklevel=2,
    )
    return interpolate(input, size, scale_factor, mode="bilinear", align_corners=True)
