"""Bind the ops of ``pybigml.ops`` onto ``Tensor`` as methods, operators and in-place forms.

This is the one place that says which function ``x.name(...)`` calls, so ``_tensor.py``
stays about what a tensor is and each op lives in exactly one module.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from . import _compat_methods
from ._tensor import Tensor
from .ops import (
    composite,
    creation,
    indexing,
    linalg,
    pointwise,
    reduction,
    scatter_gather,
    shape,
    sorting,
    special,
)
from .ops.inplace import inplace

P = pointwise

# Ops that are methods under the same name (x.exp() == pybigml.exp(x)).
_POINTWISE_METHODS = (
    "add sub mul div floor_divide true_divide remainder fmod pow float_power exp expm1 log log1p "
    "log2 log10 sqrt rsqrt sin cos tan tanh asin acos atan sinh cosh reciprocal sigmoid abs neg "
    "negative sign sgn floor ceil trunc fix round frac relu clamp clip clamp_min clamp_max "
    "maximum minimum fmax fmin lerp addcmul addcdiv square xlogy eq ne lt le gt ge greater "
    "greater_equal less less_equal not_equal logical_and logical_or logical_xor logical_not "
    "bitwise_and bitwise_or bitwise_xor bitwise_not equal allclose isclose isnan isinf "
    "isfinite nan_to_num erf"
).split()

_SHAPE_METHODS = (
    "reshape view view_as reshape_as flatten unflatten ravel squeeze unsqueeze permute "
    "transpose swapaxes swapdims t movedim moveaxis expand expand_as broadcast_to contiguous "
    "clone flip fliplr flipud roll narrow select split tensor_split chunk unbind repeat tile "
    "repeat_interleave tril triu diagonal diag"
).split()

# In-place forms computed from the out-of-place op (``x.add_(y)``).
_INPLACE = (
    "add sub mul div floor_divide remainder fmod pow exp expm1 log log1p log2 sqrt rsqrt sin "
    "cos tanh sigmoid abs neg sign floor ceil trunc round frac relu clamp clamp_min clamp_max "
    "lerp addcmul addcdiv reciprocal square logical_not nan_to_num tril triu atan2 arctan2 hypot "
    "logit exp2 sinc deg2rad rad2deg erfinv lgamma digamma acos asin atan acosh asinh atanh "
    "arccos arcsin arctan arccosh arcsinh arctanh cosh sinh tan log10 erf copysign gcd lcm ldexp "
    "heaviside xlogy float_power bitwise_and bitwise_or bitwise_xor bitwise_not logical_and "
    "logical_or logical_xor eq ne lt le gt ge greater greater_equal less less_equal not_equal "
    "cumsum cumprod sgn fix clip negative true_divide multiply subtract divide absolute "
    "masked_scatter erfc"
).split()

# Names a module exports that are functions only, never methods.
_NOT_METHODS = {
    "cat",
    "concat",
    "concatenate",
    "stack",
    "hstack",
    "vstack",
    "einsum",
    "broadcast_tensors",
    "broadcast_shapes",
    "atleast_1d",
    "atleast_2d",
    "return_types",
    "tensordot",
    "var_mean",
    "std_mean",
    "bucketize",
    "searchsorted",
    "cdist",
    "meshgrid",
    "cartesian_prod",
    "combinations",
    "block_diag",
    "tril_indices",
    "triu_indices",
    "trapezoid",
    "trapz",
    "atleast_3d",
    "column_stack",
    "dstack",
    "row_stack",
    "isin",
    "unravel_index",
    "vander",
}


def _bind(name: str, fn: Any) -> None:
    if name in _NOT_METHODS or name in Tensor.__dict__:
        return
    setattr(Tensor, name, fn)


for _name in _POINTWISE_METHODS:
    _bind(_name, getattr(P, _name))
for _name in _SHAPE_METHODS:
    _bind(_name, getattr(shape, _name))
for _module in (reduction, scatter_gather, linalg, sorting, special, composite):
    for _name in _module.__all__:
        _bind(_name, getattr(_module, _name))
for _name in _INPLACE:
    _source = getattr(Tensor, _name)
    setattr(Tensor, _name + "_", inplace(_source, _name + "_"))

for _name in (
    "fill_",
    "zero_",
    "uniform_",
    "normal_",
    "bernoulli_",
    "exponential_",
    "random_",
    "copy_",
    "log_normal_",
    "cauchy_",
    "geometric_",
):
    setattr(Tensor, _name, getattr(creation, _name))

for _name, _fn in _compat_methods.METHODS.items():
    setattr(Tensor, _name, _fn)


def _where_method(self: Tensor, condition: Tensor, other: Any) -> Tensor:
    return P.where(condition, self, other)


Tensor.where = _where_method
Tensor.bernoulli = creation.bernoulli
Tensor.multinomial = creation.multinomial
Tensor.index_put = indexing.index_put
Tensor.index_put_ = indexing.index_put_
Tensor.T = property(lambda self: shape.permute(self, tuple(range(self._data.ndim - 1, -1, -1))))
Tensor.mT = property(shape._matrix_transpose)
Tensor.H = property(lambda self: shape.t(self) if self._data.ndim == 2 else self)
Tensor.mH = Tensor.mT

# ----------------------------------------------------------------------------- operators
_UFUNC_OPS = {
    np.add: P.add,
    np.subtract: P.sub,
    np.multiply: P.mul,
    np.true_divide: P.div,
    np.floor_divide: P.floor_divide,
    np.remainder: P.remainder,
    np.power: P.pow,
    np.matmul: linalg.matmul,
    np.equal: P.eq,
    np.not_equal: P.ne,
    np.less: P.lt,
    np.less_equal: P.le,
    np.greater: P.gt,
    np.greater_equal: P.ge,
    np.maximum: P.maximum,
    np.minimum: P.minimum,
    np.negative: P.neg,
    np.absolute: P.abs,
    np.exp: P.exp,
    np.log: P.log,
    np.sqrt: P.sqrt,
    np.sin: P.sin,
    np.cos: P.cos,
    np.tanh: P.tanh,
}


def _array_ufunc(self: Tensor, ufunc: Any, method: str, *inputs: Any, **kwargs: Any) -> Any:
    """numpy meets a Tensor: ``ndarray + tensor`` and ``np.exp(tensor)`` give tensors.

    Ufuncs pybigml has an op for go through it (so autograd sees them); any other ufunc
    runs in numpy on the tensors' arrays and its array results are wrapped as tensors.
    """
    op = _UFUNC_OPS.get(ufunc)
    if op is not None and method == "__call__" and not kwargs:
        return op(*(Tensor._make(x) if isinstance(x, np.ndarray) else x for x in inputs))
    arrays = [x._data if isinstance(x, Tensor) else x for x in inputs]
    result = getattr(ufunc, method)(*arrays, **kwargs)
    if isinstance(result, tuple):
        return tuple(Tensor._make(r) if isinstance(r, np.ndarray) else r for r in result)
    return Tensor._make(result) if isinstance(result, np.ndarray) else result


Tensor.__array_ufunc__ = _array_ufunc


def _reflected(fn: Any) -> Any:
    def method(self: Tensor, other: Any) -> Any:
        if not isinstance(other, _OPERANDS):
            if not isinstance(other, np.ndarray):
                return NotImplemented
            other = Tensor._make(other)
        return fn(other, self)

    return method


def _forward(fn: Any) -> Any:
    def method(self: Tensor, other: Any) -> Any:
        if not isinstance(other, _OPERANDS):
            if not isinstance(other, np.ndarray):
                return NotImplemented
            other = Tensor._make(other)
        return fn(self, other)

    return method


_OPERANDS = (Tensor, int, float, bool, np.generic)


def _add(self: Tensor, other: Any) -> Any:
    # the hottest operators get a direct path to their Function
    if isinstance(other, _OPERANDS):
        return P.Add.apply(self, other)
    return P.add(self, Tensor._make(other)) if isinstance(other, np.ndarray) else NotImplemented


def _mul(self: Tensor, other: Any) -> Any:
    if isinstance(other, _OPERANDS):
        return P.Mul.apply(self, other)
    return P.mul(self, Tensor._make(other)) if isinstance(other, np.ndarray) else NotImplemented


for _op, _fn in (
    ("add", P.add),
    ("sub", P.sub),
    ("mul", P.mul),
    ("truediv", P.div),
    ("floordiv", P.floor_divide),
    ("mod", P.remainder),
    ("pow", P.pow),
    ("and", P.bitwise_and),
    ("or", P.bitwise_or),
    ("xor", P.bitwise_xor),
):
    setattr(Tensor, f"__{_op}__", _forward(_fn))
    setattr(Tensor, f"__r{_op}__", _reflected(_fn))
for _op, _fn in (
    ("eq", P.eq),
    ("ne", P.ne),
    ("lt", P.lt),
    ("le", P.le),
    ("gt", P.gt),
    ("ge", P.ge),
):
    setattr(Tensor, f"__{_op}__", _forward(_fn))
for _op, _name in (
    ("add", "add_"),
    ("sub", "sub_"),
    ("mul", "mul_"),
    ("truediv", "div_"),
    ("floordiv", "floor_divide_"),
    ("mod", "remainder_"),
    ("pow", "pow_"),
):
    setattr(Tensor, f"__i{_op}__", getattr(Tensor, _name))


Tensor.__iand__ = inplace(P.bitwise_and, "bitwise_and_")
Tensor.__ior__ = inplace(P.bitwise_or, "bitwise_or_")
Tensor.__ixor__ = inplace(P.bitwise_xor, "bitwise_xor_")
Tensor.__add__ = Tensor.__radd__ = _add
Tensor.__mul__ = Tensor.__rmul__ = _mul
Tensor.__matmul__ = _forward(linalg.matmul)
Tensor.__rmatmul__ = _reflected(linalg.matmul)
Tensor.__neg__ = P.neg
Tensor.__pos__ = lambda self: self
Tensor.__abs__ = P.abs
Tensor.__invert__ = lambda self: (
    P.logical_not(self) if self._data.dtype == np.bool_ else P.bitwise_not(self)
)
Tensor.__getitem__ = indexing.getitem
Tensor.__setitem__ = indexing.setitem
Tensor.__hash__ = object.__hash__
