"""``Unfold`` (im2col: sliding windows to columns) and ``Fold`` (col2im: columns summed
back into an image), each the other's adjoint. Formulas in ``F.unfold`` / ``F.fold``."""

from __future__ import annotations

from collections.abc import Sequence

from .._tensor import Tensor
from . import functional as F
from .module import Module

_Size = int | Sequence[int]


class Unfold(Module):
    """``(N, C, H, W) -> (N, C * prod(kernel_size), L)``: every sliding window as a column.

    Example::

        >>> nn.Unfold(kernel_size=(2, 3))(pybigml.randn(2, 5, 3, 4)).shape
        pybigml.Size([2, 30, 4])
    """

    def __init__(
        self, kernel_size: _Size, dilation: _Size = 1, padding: _Size = 0, stride: _Size = 1
    ) -> None:
        super().__init__()
        self.kernel_size = kernel_size
        self.dilation = dilation
        self.padding = padding
        self.stride = stride

    def forward(self, input: Tensor) -> Tensor:
        return F.unfold(input, self.kernel_size, self.dilation, self.padding, self.stride)

    def extra_repr(self) -> str:
        return (
            f"kernel_size={self.kernel_size}, dilation={self.dilation}, padding={self.padding}, "
            f"stride={self.stride}"
        )


class Fold(Module):
    """``(N, C * prod(kernel_size), L) -> (N, C, *output_size)``: columns summed back into
    their windows' positions."""

    def __init__(
        self,
        output_size: _Size,
        kernel_size: _Size,
        dilation: _Size = 1,
        padding: _Size = 0,
        stride: _Size = 1,
    ) -> None:
        super().__init__()
        self.output_size = output_size
        self.kernel_size = kernel_size
        self.dilation = dilation
        self.padding = padding
        self.stride = stride

    def forward(self, input: Tensor) -> Tensor:
        return F.fold(
            input, self.output_size, self.kernel_size, self.dilation, self.padding, self.stride
        )

    def extra_repr(self) -> str:
        return (
            f"output_size={self.output_size}, kernel_size={self.kernel_size}, "
            f"dilation={self.dilation}, padding={self.padding}, stride={self.stride}"
        )
