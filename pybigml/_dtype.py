"""Data types and PyTorch's type-promotion rules.

A ``dtype`` wraps a numpy dtype. Promotion follows PyTorch, not numpy: operands are
ranked in three tiers — tensors with dimensions, zero-dim tensors, Python numbers — and a
lower tier only changes the result when it belongs to a higher *category*
(bool < integer < floating). So ``int64_tensor + 2.5`` is ``float32`` (the default float),
``float32_tensor + float64_zero_dim`` stays ``float32``, and ``uint8 + int8`` is ``int16``.
"""

from __future__ import annotations

import numpy as np

BOOL, INTEGER, FLOATING = 0, 1, 2


class dtype:  # noqa: N801 - PyTorch's name
    """A tensor element type, e.g. ``pybigml.float32``."""

    __slots__ = ("name", "_np", "itemsize", "is_floating_point", "is_signed", "_category")

    def __init__(self, name: str, np_dtype: type) -> None:
        self.name = name
        self._np = np.dtype(np_dtype)
        self.itemsize = self._np.itemsize
        kind = self._np.kind
        self._category = FLOATING if kind == "f" else BOOL if kind == "b" else INTEGER
        self.is_floating_point = self._category == FLOATING
        self.is_signed = kind in "if"

    @property
    def is_complex(self) -> bool:
        return False

    def to_real(self) -> dtype:
        return self

    def __repr__(self) -> str:
        return f"pybigml.{self.name}"

    def __reduce__(self) -> str:
        return self.name


bool_ = dtype("bool", np.bool_)
uint8 = dtype("uint8", np.uint8)
int8 = dtype("int8", np.int8)
int16 = dtype("int16", np.int16)
int32 = dtype("int32", np.int32)
int64 = dtype("int64", np.int64)
float16 = dtype("float16", np.float16)
float32 = dtype("float32", np.float32)
float64 = dtype("float64", np.float64)

_ALL = (bool_, uint8, int8, int16, int32, int64, float16, float32, float64)
_FROM_NP = {d._np: d for d in _ALL}

_default_float = float32


def from_numpy_dtype(np_dtype: np.dtype) -> dtype:
    """The pybigml dtype of a numpy dtype; TypeError for types pybigml has no dtype for."""
    try:
        return _FROM_NP[np_dtype]
    except KeyError:
        d = np.dtype(np_dtype)
        if d in _FROM_NP:
            return _FROM_NP[d]
        raise TypeError(
            f"can't convert np.ndarray of type {d}. The only supported types are: "
            "float64, float32, float16, int64, int32, int16, int8, uint8, and bool."
        ) from None


def to_dtype(d: object) -> dtype:
    """Accept a pybigml dtype, a numpy dtype, or the Python types float/int/bool."""
    if isinstance(d, dtype):
        return d
    if d is float:
        return float64  # as in PyTorch: the Python type means double precision
    if d is int:
        return int64
    if d is bool:
        return bool_
    try:
        return from_numpy_dtype(np.dtype(d))
    except TypeError:
        raise TypeError(f"expected a dtype, got {d!r}") from None


def get_default_dtype() -> dtype:
    return _default_float


def set_default_dtype(d: dtype) -> None:
    global _default_float
    d = to_dtype(d)
    if not d.is_floating_point:
        raise TypeError(f"only floating-point types are supported as the default type, got {d}")
    _default_float = d


def promote_types(a: dtype, b: dtype) -> dtype:
    """The smallest dtype both ``a`` and ``b`` convert to (PyTorch's ``promote_types``)."""
    if a is b:
        return a
    if a._category != b._category:
        return a if a._category > b._category else b
    return _FROM_NP[np.promote_types(a._np, b._np)]


def scalar_category(value: object) -> int:
    if isinstance(value, (bool, np.bool_)):
        return BOOL
    if isinstance(value, (int, np.integer)):
        return INTEGER
    if isinstance(value, (float, np.floating)):
        return FLOATING
    raise TypeError(f"unsupported scalar type {type(value).__name__}")


def default_dtype_for_category(category: int) -> dtype:
    return (bool_, int64, _default_float)[category]


def result_type(*operands: object) -> dtype:
    """PyTorch's ``result_type`` over tensors and Python numbers (see the module docstring)."""
    dim_t = zero_t = scalar_cat = None
    for x in operands:
        d = getattr(x, "dtype", None)
        if isinstance(d, dtype):
            if x.ndim > 0:
                dim_t = d if dim_t is None else promote_types(dim_t, d)
            else:
                zero_t = d if zero_t is None else promote_types(zero_t, d)
        else:
            c = scalar_category(x)
            scalar_cat = c if scalar_cat is None else max(scalar_cat, c)
    out = dim_t
    if zero_t is not None and (out is None or zero_t._category > out._category):
        out = zero_t
    if out is None or (scalar_cat is not None and out._category < scalar_cat):
        out = default_dtype_for_category(scalar_cat)
    return out
