"""Convolution layers: ``Conv1d``, ``Conv2d``, ``ConvTranspose1d``, ``ConvTranspose2d``.

Constructors, attributes (``weight``/``bias`` shapes included, so state dicts load across),
default initialisation and ``extra_repr`` follow PyTorch. The arithmetic is
``nn.functional.conv*`` (``pybigml.ops.conv``); non-zero ``padding_mode`` pads with ``F.pad``
first and then convolves without padding.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from .._tensor import Tensor
from ..ops.creation import empty
from . import functional as F
from . import init
from .module import Module
from .parameter import Parameter

__all__ = ["Conv1d", "Conv2d", "ConvTranspose1d", "ConvTranspose2d"]

_PADDING_STRINGS = {"same", "valid"}
_PADDING_MODES = {"zeros", "reflect", "replicate", "circular"}


def _ntuple(value: Any, n: int) -> tuple:
    """``value`` repeated n times, or as a tuple if it is already a sequence (``_pair`` etc.)."""
    if isinstance(value, Iterable) and not isinstance(value, str):
        return tuple(value)
    return (value,) * n


class _ConvNd(Module):
    """What the four layers share: checked hyper-parameters, parameters and their init."""

    _dims = 0  # spatial dimensions: 1 or 2

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: tuple[int, ...],
        stride: tuple[int, ...],
        padding: str | tuple[int, ...],
        dilation: tuple[int, ...],
        transposed: bool,
        output_padding: tuple[int, ...],
        groups: int,
        bias: bool,
        padding_mode: str,
        device: Any = None,
        dtype: Any = None,
    ) -> None:
        super().__init__()
        if groups <= 0:
            raise ValueError("groups must be a positive integer")
        if in_channels % groups != 0:
            raise ValueError("in_channels must be divisible by groups")
        if out_channels % groups != 0:
            raise ValueError("out_channels must be divisible by groups")
        if isinstance(padding, str):
            if padding not in _PADDING_STRINGS:
                raise ValueError(
                    f"Invalid padding string {padding!r}, should be one of {_PADDING_STRINGS}"
                )
            if padding == "same" and any(s != 1 for s in stride):
                raise ValueError("padding='same' is not supported for strided convolutions")
        if padding_mode not in _PADDING_MODES:
            raise ValueError(
                f"padding_mode must be one of {_PADDING_MODES}, but got "
                f"padding_mode='{padding_mode}'"
            )
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.kernel_size = kernel_size
        self.stride = stride
        self.padding = padding
        self.dilation = dilation
        self.transposed = transposed
        self.output_padding = output_padding
        self.groups = groups
        self.padding_mode = padding_mode
        # F.pad's argument for the non-zero padding modes: (last_before, last_after, ...).
        if isinstance(padding, str):
            self._reversed_padding_repeated_twice = [0, 0] * len(kernel_size)
            if padding == "same":
                for axis, (d, k) in enumerate(zip(reversed(dilation), reversed(kernel_size))):
                    total = d * (k - 1)
                    self._reversed_padding_repeated_twice[2 * axis] = total // 2
                    self._reversed_padding_repeated_twice[2 * axis + 1] = total - total // 2
        else:
            self._reversed_padding_repeated_twice = [p for p in reversed(padding) for _ in (0, 1)]
        weight_shape = (
            (in_channels, out_channels // groups, *kernel_size)
            if transposed
            else (out_channels, in_channels // groups, *kernel_size)
        )
        self.weight = Parameter(empty(weight_shape, device=device, dtype=dtype))
        if bias:
            self.bias = Parameter(empty(out_channels, device=device, dtype=dtype))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """PyTorch's default: weight from ``kaiming_uniform_(a=sqrt(5))``, i.e.
        ``U(-1/sqrt(fan_in), 1/sqrt(fan_in))``, and bias from the same range.

        ``fan_in`` is ``weight.shape[1] * prod(kernel_size)``: for a transposed layer that is
        ``out_channels / groups * prod(kernel_size)``, as in PyTorch.
        """
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            fan_in, _ = init._calculate_fan_in_and_fan_out(self.weight)
            bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0
            init.uniform_(self.bias, -bound, bound)

    def extra_repr(self) -> str:
        dims = len(self.kernel_size)
        s = (
            f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
            f"stride={self.stride}"
        )
        if self.padding != (0,) * dims:
            s += f", padding={self.padding}"
        if self.dilation != (1,) * dims:
            s += f", dilation={self.dilation}"
        if self.output_padding != (0,) * dims:
            s += f", output_padding={self.output_padding}"
        if self.groups != 1:
            s += f", groups={self.groups}"
        if self.bias is None:
            s += ", bias=False"
        if self.padding_mode != "zeros":
            s += f", padding_mode={self.padding_mode}"
        return s


class _Conv(_ConvNd):
    """A convolution layer of ``_dims`` spatial dimensions, calling ``_function``."""

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: Any,
        stride: Any = 1,
        padding: Any = 0,
        dilation: Any = 1,
        groups: int = 1,
        bias: bool = True,
        padding_mode: str = "zeros",
        device: Any = None,
        dtype: Any = None,
    ) -> None:
        n = self._dims
        super().__init__(
            in_channels,
            out_channels,
            _ntuple(kernel_size, n),
            _ntuple(stride, n),
            padding if isinstance(padding, str) else _ntuple(padding, n),
            _ntuple(dilation, n),
            False,
            _ntuple(0, n),
            groups,
            bias,
            padding_mode,
            device=device,
            dtype=dtype,
        )

    _function: Callable[..., Tensor]  # F.conv1d or F.conv2d, set by the subclass

    def _conv_forward(self, input: Tensor, weight: Tensor, bias: Tensor | None) -> Tensor:
        if self.padding_mode != "zeros":
            padded = F.pad(input, self._reversed_padding_repeated_twice, mode=self.padding_mode)
            return self._function(
                padded, weight, bias, self.stride, (0,) * self._dims, self.dilation, self.groups
            )
        return self._function(
            input, weight, bias, self.stride, self.padding, self.dilation, self.groups
        )

    def forward(self, input: Tensor) -> Tensor:
        return self._conv_forward(input, self.weight, self.bias)


class Conv1d(_Conv):
    """1-D convolution over (N, C_in, L) or (C_in, L) input (``F.conv1d``).

    ``weight``: (out_channels, in_channels / groups, kernel_size); ``bias``: (out_channels,).

    Args:
        in_channels, out_channels: channels of the input and output.
        kernel_size: int or 1-tuple.
        stride, dilation: int or 1-tuple.
        padding: int, 1-tuple, ``'valid'`` or ``'same'``.
        groups: independent channel groups (both channel counts divisible by it).
        bias: learn an additive bias.
        padding_mode: ``'zeros'``, ``'reflect'``, ``'replicate'`` or ``'circular'``.
        device, dtype: where and of what type the parameters are made.

    Example::

        >>> nn.Conv1d(16, 33, 3, stride=2)(pybigml.randn(20, 16, 50)).shape
        pybigml.Size([20, 33, 24])
    """

    _dims = 1
    _function = staticmethod(F.conv1d)


class Conv2d(_Conv):
    """2-D convolution over (N, C_in, H, W) or (C_in, H, W) input (``F.conv2d``).

    ``weight``: (out_channels, in_channels / groups, kh, kw); ``bias``: (out_channels,).

    Args:
        in_channels, out_channels: channels of the input and output.
        kernel_size: int or (kh, kw).
        stride, dilation: int or (h, w).
        padding: int, (h, w), ``'valid'`` or ``'same'``.
        groups: independent channel groups (both channel counts divisible by it).
        bias: learn an additive bias.
        padding_mode: ``'zeros'``, ``'reflect'``, ``'replicate'`` or ``'circular'``.
        device, dtype: where and of what type the parameters are made.

    Example::

        >>> nn.Conv2d(1, 32, 3)(pybigml.randn(64, 1, 28, 28)).shape
        pybigml.Size([64, 32, 26, 26])
    """

    _dims = 2
    _function = staticmethod(F.conv2d)


class _ConvTranspose(_ConvNd):
    """A transposed convolution layer of ``_dims`` spatial dimensions."""

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: Any,
        stride: Any = 1,
        padding: Any = 0,
        output_padding: Any = 0,
        groups: int = 1,
        bias: bool = True,
        dilation: Any = 1,
        padding_mode: str = "zeros",
        device: Any = None,
        dtype: Any = None,
    ) -> None:
        if padding_mode != "zeros":
            raise ValueError(
                f'Only "zeros" padding mode is supported for {self.__class__.__name__}'
            )
        n = self._dims
        super().__init__(
            in_channels,
            out_channels,
            _ntuple(kernel_size, n),
            _ntuple(stride, n),
            _ntuple(padding, n),
            _ntuple(dilation, n),
            True,
            _ntuple(output_padding, n),
            groups,
            bias,
            padding_mode,
            device=device,
            dtype=dtype,
        )

    _function: Callable[..., Tensor]  # F.conv_transpose1d or 2d, set by the subclass

    def _output_padding(self, input: Tensor, output_size: Sequence[int] | None) -> tuple:
        """The output_padding that gives ``output_size`` (PyTorch's rule), or the layer's own."""
        if output_size is None:
            return self.output_padding
        n = self._dims
        batch_dims = 2 if input.dim() == n + 2 else 1
        output_size = list(output_size)
        if len(output_size) == batch_dims + n:
            output_size = output_size[batch_dims:]
        if len(output_size) != n:
            raise ValueError(
                f"ConvTranspose{n}D: for {input.dim()}D input, output_size must have {n} or "
                f"{batch_dims + n} elements (got {len(output_size)})"
            )
        spatial = input.shape[batch_dims:]
        min_sizes = [
            (spatial[d] - 1) * self.stride[d]
            - 2 * self.padding[d]
            + self.dilation[d] * (self.kernel_size[d] - 1)
            + 1
            for d in range(n)
        ]
        max_sizes = [m + s - 1 for m, s in zip(min_sizes, self.stride)]
        for size, low, high in zip(output_size, min_sizes, max_sizes):
            if size < low or size > high:
                raise ValueError(
                    f"requested an output size of {output_size}, but valid sizes range from "
                    f"{min_sizes} to {max_sizes} (for an input of {input.shape[2:]})"
                )
        return tuple(size - low for size, low in zip(output_size, min_sizes))

    def forward(self, input: Tensor, output_size: Sequence[int] | None = None) -> Tensor:
        output_padding = self._output_padding(input, output_size)
        return self._function(
            input,
            self.weight,
            self.bias,
            self.stride,
            self.padding,
            output_padding,
            self.groups,
            self.dilation,
        )


class ConvTranspose1d(_ConvTranspose):
    """1-D transposed convolution (``F.conv_transpose1d``): the gradient of ``Conv1d``.

    ``weight``: (in_channels, out_channels / groups, kernel_size); ``bias``: (out_channels,).

    Args:
        in_channels, out_channels: channels of the input and output.
        kernel_size, stride, padding, dilation: int or 1-tuple, those of the transposed
            convolution.
        output_padding: extra length on the end side of the output.
        groups: independent channel groups.
        bias: learn an additive bias.
        padding_mode: only ``'zeros'``.
        device, dtype: where and of what type the parameters are made.

    ``forward(input, output_size=None)``: ``output_size`` picks the output length among those
    that a stride allows, as in PyTorch.

    Example::

        >>> nn.ConvTranspose1d(16, 33, 3, stride=2)(pybigml.randn(20, 16, 50)).shape
        pybigml.Size([20, 33, 101])
    """

    _dims = 1
    _function = staticmethod(F.conv_transpose1d)


class ConvTranspose2d(_ConvTranspose):
    """2-D transposed convolution (``F.conv_transpose2d``): the gradient of ``Conv2d``.

    ``weight``: (in_channels, out_channels / groups, kh, kw); ``bias``: (out_channels,).

    Args:
        in_channels, out_channels: channels of the input and output.
        kernel_size, stride, padding, dilation: int or (h, w).
        output_padding: int or (h, w) added on the end side of each output dim.
        groups: independent channel groups.
        bias: learn an additive bias.
        padding_mode: only ``'zeros'``.
        device, dtype: where and of what type the parameters are made.

    ``forward(input, output_size=None)``: ``output_size`` picks the output size among those
    that the stride allows, as in PyTorch.

    Example::

        >>> up = nn.ConvTranspose2d(16, 16, 3, stride=2, padding=1)
        >>> up(pybigml.randn(1, 16, 6, 6), output_size=[1, 16, 12, 12]).shape
        pybigml.Size([1, 16, 12, 12])
    """

    _dims = 2
    _function = staticmethod(F.conv_transpose2d)
