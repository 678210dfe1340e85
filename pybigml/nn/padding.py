"""Padding layers: ``F.pad`` with a fixed ``padding`` and mode.

``padding`` is an int (the same amount on every side) or a tuple ``(left, right)`` for 1-d,
``(left, right, top, bottom)`` for 2-d, ``(left, right, top, bottom, front, back)`` for 3-d,
as in ``F.pad`` (the last dimension first).
"""

from __future__ import annotations

from collections.abc import Sequence

from .._tensor import Tensor
from . import functional as F
from .module import Module


def _sides(padding: int | Sequence[int], count: int) -> tuple[int, ...]:
    """An int repeated ``count`` times; a sequence as a tuple (PyTorch's ``_ntuple``)."""
    return tuple(padding) if isinstance(padding, Sequence) else (padding,) * count


class _ConstantPadNd(Module):
    """Pad with a constant ``value``."""

    _dims = 0

    def __init__(self, padding: int | Sequence[int], value: float) -> None:
        super().__init__()
        self.padding = _sides(padding, 2 * self._dims)
        self.value = value

    def forward(self, input: Tensor) -> Tensor:
        return F.pad(input, self.padding, "constant", self.value)

    def extra_repr(self) -> str:
        return f"padding={self.padding}, value={self.value}"


class ConstantPad1d(_ConstantPadNd):
    """Pad the last dim of ``(N, C, W)`` or ``(C, W)`` with ``value``.

    Example::

        >>> nn.ConstantPad1d(1, 9.0)(pybigml.tensor([[1.0, 2.0]]))
        tensor([[9., 1., 2., 9.]])
    """

    _dims = 1


class ConstantPad2d(_ConstantPadNd):
    """Pad the last two dims of ``(N, C, H, W)`` or ``(C, H, W)`` with ``value``."""

    _dims = 2


class ConstantPad3d(_ConstantPadNd):
    """Pad the last three dims of ``(N, C, D, H, W)`` or ``(C, D, H, W)`` with ``value``."""

    _dims = 3


class _ZeroPadNd(_ConstantPadNd):
    """Pad with zeros."""

    def __init__(self, padding: int | Sequence[int]) -> None:
        super().__init__(padding, 0.0)

    def extra_repr(self) -> str:
        return f"{self.padding}"


class ZeroPad1d(_ZeroPadNd):
    """Pad the last dim with zeros."""

    _dims = 1


class ZeroPad2d(_ZeroPadNd):
    """Pad the last two dims with zeros."""

    _dims = 2


class ZeroPad3d(_ZeroPadNd):
    """Pad the last three dims with zeros."""

    _dims = 3


class _ModePadNd(Module):
    """Pad with a non-constant ``F.pad`` mode (``_mode``); the circular layers also check that
    the input has one of the ``_ranks`` (batched or not), as PyTorch's do."""

    _dims = 0
    _mode = ""
    _ranks: tuple[int, int] | None = None

    def __init__(self, padding: int | Sequence[int]) -> None:
        super().__init__()
        self.padding = _sides(padding, 2 * self._dims)

    def forward(self, input: Tensor) -> Tensor:
        if self._ranks is not None and input.ndim not in self._ranks:
            low, high = self._ranks
            raise ValueError(f"expected {low}D or {high}D input (got {input.ndim}D input)")
        return F.pad(input, self.padding, self._mode)

    def extra_repr(self) -> str:
        return f"{self.padding}"


class ReflectionPad1d(_ModePadNd):
    """Mirror the last dim about its edges (without repeating them)."""

    _dims, _mode = 1, "reflect"


class ReflectionPad2d(_ModePadNd):
    """Mirror the last two dims about their edges."""

    _dims, _mode = 2, "reflect"


class ReflectionPad3d(_ModePadNd):
    """Mirror the last three dims about their edges."""

    _dims, _mode = 3, "reflect"


class ReplicationPad1d(_ModePadNd):
    """Repeat the edge values of the last dim."""

    _dims, _mode = 1, "replicate"


class ReplicationPad2d(_ModePadNd):
    """Repeat the edge values of the last two dims."""

    _dims, _mode = 2, "replicate"


class ReplicationPad3d(_ModePadNd):
    """Repeat the edge values of the last three dims."""

    _dims, _mode = 3, "replicate"


class CircularPad1d(_ModePadNd):
    """Wrap the last dim around (periodic boundary)."""

    _dims, _mode, _ranks = 1, "circular", (2, 3)


class CircularPad2d(_ModePadNd):
    """Wrap the last two dims around."""

    _dims, _mode, _ranks = 2, "circular", (3, 4)


class CircularPad3d(_ModePadNd):
    """Wrap the last three dims around."""

    _dims, _mode, _ranks = 3, "circular", (4, 5)
