"""``finfo`` and ``iinfo``: the numeric limits of a dtype, as PyTorch reports them."""

from __future__ import annotations

import numpy as np

from . import _dtype


def _fmt(x: float) -> str:
    return f"{x:g}"


class finfo:  # noqa: N801 - PyTorch's name
    """Limits of a floating dtype (the default dtype when none is given).

    Attributes: ``bits``, ``eps`` (1.0's gap to the next number), ``max``, ``min``
    (= -max), ``tiny`` and ``smallest_normal`` (the least positive normal number),
    ``resolution`` (10^-precision, the decimal resolution), ``dtype`` (its name).
    """

    def __init__(self, type: _dtype.dtype | None = None) -> None:  # noqa: A002
        d = _dtype.get_default_dtype() if type is None else _dtype.to_dtype(type)
        if not d.is_floating_point:
            raise TypeError(f"torch.finfo() requires a floating point input type, got {d}")
        info = np.finfo(d._np)
        self.bits = int(info.bits)
        self.eps = float(info.eps)
        self.max = float(info.max)
        self.min = float(info.min)
        self.tiny = self.smallest_normal = float(info.smallest_normal)
        self.resolution = 10.0 ** -int(info.precision)
        self.dtype = d.name

    def __repr__(self) -> str:
        return (
            f"finfo(resolution={_fmt(self.resolution)}, min={_fmt(self.min)}, "
            f"max={_fmt(self.max)}, eps={_fmt(self.eps)}, "
            f"smallest_normal={_fmt(self.smallest_normal)}, tiny={_fmt(self.tiny)}, "
            f"dtype={self.dtype})"
        )


class iinfo:  # noqa: N801 - PyTorch's name
    """Limits of an integer (or bool) dtype: ``bits``, ``min``, ``max``, ``dtype``."""

    def __init__(self, type: _dtype.dtype) -> None:  # noqa: A002
        d = _dtype.to_dtype(type)
        if d.is_floating_point:
            raise TypeError(f"torch.iinfo() requires an integer input type, got {d}")
        info = np.iinfo(np.uint8 if d is _dtype.bool_ else d._np)
        self.bits = int(info.bits)
        self.min = int(info.min)
        self.max = int(info.max)
        self.dtype = d.name

    def __repr__(self) -> str:
        return f"iinfo(min={_fmt(self.min)}, max={_fmt(self.max)}, dtype={self.dtype})"
