"""Upsampling layers: ``Upsample`` and its fixed-mode forms, on top of ``F.interpolate``."""

from __future__ import annotations

from collections.abc import Sequence

from .._tensor import Tensor
from . import functional as F
from .module import Module


class Upsample(Module):
    """Resizes its input with ``F.interpolate`` (sizes, modes and coordinate rules there).

    Args:
        size: output spatial size (int or one per axis).
        scale_factor: multiplier(s) of the spatial size (stored as float).
        mode: 'nearest', 'nearest-exact', 'linear', 'bilinear' or 'area'.
        align_corners: for the linear modes.
        recompute_scale_factor: derive the coordinate scale from the output size.

    Example:
        >>> nn.Upsample(scale_factor=2)(pybigml.ones(1, 1, 2, 2)).shape
        pybigml.Size([1, 1, 4, 4])
    """

    def __init__(
        self,
        size: int | Sequence[int] | None = None,
        scale_factor: float | Sequence[float] | None = None,
        mode: str = "nearest",
        align_corners: bool | None = None,
        recompute_scale_factor: bool | None = None,
    ) -> None:
        super().__init__()
        self.name = type(self).__name__
        self.size = size
        if isinstance(scale_factor, (tuple, list)):
            self.scale_factor = tuple(float(s) for s in scale_factor)
        else:
            self.scale_factor = float(scale_factor) if scale_factor else None
        self.mode = mode
        self.align_corners = align_corners
        self.recompute_scale_factor = recompute_scale_factor

    def forward(self, input: Tensor) -> Tensor:
        return F.interpolate(
            input,
            self.size,
            self.scale_factor,
            self.mode,
            self.align_corners,
            recompute_scale_factor=self.recompute_scale_factor,
        )

    def extra_repr(self) -> str:
        if self.scale_factor is not None:
            info = f"scale_factor={self.scale_factor!r}"
        else:
            info = f"size={self.size!r}"
        return f"{info}, mode={self.mode!r}"


class UpsamplingNearest2d(Upsample):
    """``Upsample`` with mode 'nearest' on ``(N, C, H, W)``."""

    def __init__(
        self,
        size: int | Sequence[int] | None = None,
        scale_factor: float | Sequence[float] | None = None,
    ) -> None:
        super().__init__(size, scale_factor, mode="nearest")


class UpsamplingBilinear2d(Upsample):
    """``Upsample`` with mode 'bilinear' and ``align_corners=True`` on ``(N, C, H, W)``."""

    def __init__(
        self,
        size: int | Sequence[int] | None = None,
        scale_factor: float | Sequence[float] | None = None,
    ) -> None:
        super().__init__(size, scale_factor, mode="bilinear", align_corners=True)
