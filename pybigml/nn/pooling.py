"""Pooling layers: max, average and adaptive pooling over 1-D and 2-D inputs.

Each layer stores its arguments as PyTorch does (``stride`` defaults to ``kernel_size``) and
calls the function of the same name in ``pybigml.nn.functional``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from .._tensor import Tensor
from . import functional as F
from .module import Module

_Size = int | Sequence[int]
_OptionalSize = int | None | Sequence[int | None]


def _single(value: _Size) -> tuple:
    """An int as a 1-tuple (how PyTorch's AvgPool1d stores its arguments)."""
    return tuple(value) if isinstance(value, (tuple, list)) else (value,)


def _pair(value: _Size) -> tuple:
    """An int as a pair (how PyTorch's MaxUnpool2d stores its arguments)."""
    return tuple(value) if isinstance(value, (tuple, list)) else (value, value)


class _MaxPoolNd(Module):
    _function: Callable[..., Tensor | tuple[Tensor, Tensor]]  # F.max_pool1d or F.max_pool2d

    def __init__(
        self,
        kernel_size: _Size,
        stride: _Size | None = None,
        padding: _Size = 0,
        dilation: _Size = 1,
        return_indices: bool = False,
        ceil_mode: bool = False,
    ) -> None:
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = stride if stride is not None else kernel_size
        self.padding = padding
        self.dilation = dilation
        self.return_indices = return_indices
        self.ceil_mode = ceil_mode

    def forward(self, input: Tensor) -> Tensor | tuple[Tensor, Tensor]:
        return self._function(
            input,
            self.kernel_size,
            self.stride,
            self.padding,
            self.dilation,
            ceil_mode=self.ceil_mode,
            return_indices=self.return_indices,
        )

    def extra_repr(self) -> str:
        return (
            f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}, "
            f"dilation={self.dilation}, ceil_mode={self.ceil_mode}"
        )


class MaxPool1d(_MaxPoolNd):
    """Max pooling over ``(N, C, L)`` or ``(C, L)``; see ``F.max_pool1d``.

    Example:
        >>> nn.MaxPool1d(2)(pybigml.tensor([[[1.0, 3.0, 2.0, 5.0]]]))
        tensor([[[3., 5.]]])
    """

    _function = staticmethod(F.max_pool1d)


class MaxPool2d(_MaxPoolNd):
    """Max pooling over ``(N, C, H, W)`` or ``(C, H, W)``; see ``F.max_pool2d``.

    Example:
        >>> nn.MaxPool2d(2)(pybigml.ones(1, 3, 8, 8)).shape
        pybigml.Size([1, 3, 4, 4])
    """

    _function = staticmethod(F.max_pool2d)


class _WindowPoolNd(Module):
    """A pooling layer configured by ``kernel_size``, ``stride`` (default: ``kernel_size``)
    and ``padding``, stored through ``_size``: as given, or as tuples (``_single``,
    ``_pair``) where PyTorch's layer stores them so."""

    _size = staticmethod(lambda value: value)

    def __init__(self, kernel_size: _Size, stride: _Size | None = None, padding: _Size = 0) -> None:
        super().__init__()
        self.kernel_size = self._size(kernel_size)
        self.stride = self._size(stride if stride is not None else kernel_size)
        self.padding = self._size(padding)

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class _AvgPoolNd(_WindowPoolNd):
    def __init__(
        self,
        kernel_size: _Size,
        stride: _Size | None = None,
        padding: _Size = 0,
        ceil_mode: bool = False,
        count_include_pad: bool = True,
    ) -> None:
        super().__init__(kernel_size, stride, padding)
        self.ceil_mode = ceil_mode
        self.count_include_pad = count_include_pad


class AvgPool1d(_AvgPoolNd):
    """Average pooling over ``(N, C, L)`` or ``(C, L)``; see ``F.avg_pool1d``.

    Example:
        >>> nn.AvgPool1d(2)(pybigml.tensor([[[1.0, 3.0, 2.0, 6.0]]]))
        tensor([[[2., 4.]]])
    """

    _size = staticmethod(_single)

    def forward(self, input: Tensor) -> Tensor:
        return F.avg_pool1d(
            input,
            self.kernel_size,
            self.stride,
            self.padding,
            self.ceil_mode,
            self.count_include_pad,
        )


class AvgPool2d(_AvgPoolNd):
    """Average pooling over ``(N, C, H, W)`` or ``(C, H, W)``; see ``F.avg_pool2d``.

    Example:
        >>> nn.AvgPool2d(2)(pybigml.ones(1, 3, 8, 8)).shape
        pybigml.Size([1, 3, 4, 4])
    """

    def __init__(
        self,
        kernel_size: _Size,
        stride: _Size | None = None,
        padding: _Size = 0,
        ceil_mode: bool = False,
        count_include_pad: bool = True,
        divisor_override: int | None = None,
    ) -> None:
        super().__init__(kernel_size, stride, padding, ceil_mode, count_include_pad)
        self.divisor_override = divisor_override

    def forward(self, input: Tensor) -> Tensor:
        return F.avg_pool2d(
            input,
            self.kernel_size,
            self.stride,
            self.padding,
            self.ceil_mode,
            self.count_include_pad,
            self.divisor_override,
        )


class _AdaptivePoolNd(Module):
    def __init__(self, output_size: _OptionalSize) -> None:
        super().__init__()
        self.output_size = output_size

    def extra_repr(self) -> str:
        return f"output_size={self.output_size}"


class AdaptiveAvgPool1d(_AdaptivePoolNd):
    """Average pooling of ``(N, C, L)`` or ``(C, L)`` to length ``output_size``.

    Example:
        >>> nn.AdaptiveAvgPool1d(1)(pybigml.tensor([[[1.0, 2.0, 3.0, 4.0]]]))
        tensor([[[2.5000]]])
    """

    def forward(self, input: Tensor) -> Tensor:
        return F.adaptive_avg_pool1d(input, self.output_size)


class AdaptiveAvgPool2d(_AdaptivePoolNd):
    """Average pooling of ``(N, C, H, W)`` or ``(C, H, W)`` to ``output_size``.

    Example:
        >>> nn.AdaptiveAvgPool2d((1, 1))(pybigml.ones(2, 3, 7, 7)).shape
        pybigml.Size([2, 3, 1, 1])
    """

    def forward(self, input: Tensor) -> Tensor:
        return F.adaptive_avg_pool2d(input, self.output_size)


class _AdaptiveMaxPoolNd(_AdaptivePoolNd):
    def __init__(self, output_size: _OptionalSize, return_indices: bool = False) -> None:
        super().__init__(output_size)
        self.return_indices = return_indices


class AdaptiveMaxPool1d(_AdaptiveMaxPoolNd):
    """Max pooling of ``(N, C, L)`` or ``(C, L)`` to length ``output_size``."""

    def forward(self, input: Tensor) -> Tensor | tuple[Tensor, Tensor]:
        return F.adaptive_max_pool1d(input, self.output_size, self.return_indices)


class AdaptiveMaxPool2d(_AdaptiveMaxPoolNd):
    """Max pooling of ``(N, C, H, W)`` or ``(C, H, W)`` to ``output_size``.

    Example:
        >>> nn.AdaptiveMaxPool2d(1)(pybigml.ones(2, 3, 7, 7)).shape
        pybigml.Size([2, 3, 1, 1])
    """

    def forward(self, input: Tensor) -> Tensor | tuple[Tensor, Tensor]:
        return F.adaptive_max_pool2d(input, self.output_size, self.return_indices)


class MaxUnpool1d(_WindowPoolNd):
    """The partial inverse of ``MaxPool1d``; see ``F.max_unpool1d``."""

    _size = staticmethod(_single)

    def forward(
        self, input: Tensor, indices: Tensor, output_size: Sequence[int] | None = None
    ) -> Tensor:
        return F.max_unpool1d(
            input, indices, self.kernel_size, self.stride, self.padding, output_size
        )


class MaxUnpool2d(_WindowPoolNd):
    """The partial inverse of ``MaxPool2d``; see ``F.max_unpool2d``.

    Example:
        >>> pool, unpool = nn.MaxPool2d(2, return_indices=True), nn.MaxUnpool2d(2)
        >>> unpool(*pool(pybigml.arange(4.0).reshape(1, 2, 2)))
        tensor([[[0., 0.],
                 [0., 3.]]])
    """

    _size = staticmethod(_pair)

    def forward(
        self, input: Tensor, indices: Tensor, output_size: Sequence[int] | None = None
    ) -> Tensor:
        return F.max_unpool2d(
            input, indices, self.kernel_size, self.stride, self.padding, output_size
        )
