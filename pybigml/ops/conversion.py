"""Conversions: a tensor in another dtype or on another device (``to``, ``float``, ``cpu`` ...).

``to`` returns ``self`` when nothing changes (unless ``copy=True``), and otherwise a new
tensor through ``cast``, whose gradient is cast back to the source dtype.
"""

from __future__ import annotations

from typing import Any

from .. import _dtype
from .._device import to_device
from .._tensor import Tensor
from .pointwise import cast
from .shape import clone

_TYPE_NAMES = {
    "float32": "FloatTensor",
    "float64": "DoubleTensor",
    "float16": "HalfTensor",
    "int64": "LongTensor",
    "int32": "IntTensor",
    "int16": "ShortTensor",
    "int8": "CharTensor",
    "uint8": "ByteTensor",
    "bool": "BoolTensor",
}


def to(self: Tensor, *args: Any, **kwargs: Any) -> Tensor:
    """``to(dtype)``, ``to(device)``, ``to(device, dtype)``, ``to(other)``; copy=False."""
    dtype = kwargs.pop("dtype", None)
    device = kwargs.pop("device", None)
    copy = kwargs.pop("copy", False)
    kwargs.pop("non_blocking", None)
    kwargs.pop("memory_format", None)
    if kwargs:
        raise TypeError(f"to() got unexpected keyword arguments {sorted(kwargs)}")
    for a in args:
        if isinstance(a, Tensor):
            dtype = a.dtype
        elif isinstance(a, _dtype.dtype) or a in (float, int, bool):
            dtype = a
        elif a is not None:
            device = a
    to_device(device)
    if dtype is None or _dtype.to_dtype(dtype)._np == self._data.dtype:
        return clone(self) if copy else self
    return cast(self, _dtype.to_dtype(dtype))


def type_name_or_cast(self: Tensor, dtype: Any = None) -> Any:
    """``x.type()``: the legacy type name (``"pybigml.FloatTensor"``); ``x.type(dtype)``: ``to``."""
    if dtype is None:
        return f"pybigml.{_TYPE_NAMES.get(self._data.dtype.name, 'Tensor')}"
    return to(self, dtype)


def type_as(self: Tensor, other: Tensor) -> Tensor:
    return to(self, other.dtype)


def cpu(self: Tensor) -> Tensor:
    return self


def cuda(self: Tensor, device: Any = None, non_blocking: bool = False) -> Tensor:
    to_device("cuda" if device is None else device)
    return self


# The dtype shorthands: ``x.float()`` is ``x.to(pybigml.float32)`` and so on.
def to_float32(self: Tensor) -> Tensor:
    return to(self, _dtype.float32)


def to_float64(self: Tensor) -> Tensor:
    return to(self, _dtype.float64)


def to_float16(self: Tensor) -> Tensor:
    return to(self, _dtype.float16)


def to_int64(self: Tensor) -> Tensor:
    return to(self, _dtype.int64)


def to_int32(self: Tensor) -> Tensor:
    return to(self, _dtype.int32)


def to_int16(self: Tensor) -> Tensor:
    return to(self, _dtype.int16)


def to_int8(self: Tensor) -> Tensor:
    return to(self, _dtype.int8)


def to_uint8(self: Tensor) -> Tensor:
    return to(self, _dtype.uint8)


def to_bool(self: Tensor) -> Tensor:
    return to(self, _dtype.bool_)
