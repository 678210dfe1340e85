"""The Tensor method table: which function ``x.name(...)`` calls, for every name.

``METHODS`` maps each method, property and operator name to the function that implements
it; importing this module binds them all onto ``Tensor`` (the package face does, after the
ops are loaded). Each op is written once, in its family's module (``ops/pointwise.py``,
``ops/shape.py`` ...), as a function whose first argument is the tensor, so ``x.exp()`` and
``pybigml.exp(x)`` are the same function; this table is the one place that says so.

Besides the ops, three kinds of entry are made here:

* in-place forms: ``inplace(op, "op_")`` computes ``op`` and writes the result into ``self``
  (``ops/inplace.py``); ``inplace_shape`` does the same for shape-only changes (``squeeze_``);
* operators (``__add__``, ``__matmul__``, ``__radd__`` ...): each a function named
  ``Tensor.<name>`` (so a traceback through ``a @ b`` reads ``in Tensor.__matmul__``) that
  turns a numpy operand into a tensor and answers ``NotImplemented`` to anything else;
* methods that only read metadata (``is_signed``, ``conj`` of a real tensor ...).

``pybigml/_tensor.pyi`` lists the result, with signatures; regenerate it with
``python -m pybigml.ops.tensor_stub`` after changing this table.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from .._tensor import Tensor, tensor_method
from ..autograd import tensor_methods as autograd_methods
from . import (
    composite,
    conversion,
    creation,
    decomposition,
    indexing,
    linalg,
    pointwise,
    reduction,
    scatter_gather,
    shape,
    sorting,
    special,
)
from .inplace import inplace, inplace_shape

_make = Tensor._make


# ----------------------------------------------------------------------------- metadata
# PyTorch's wider API (complex numbers, pinned and shared memory) meets real CPU tensors.
def _identity(input: Tensor) -> Tensor:
    return input


def _false(input: Tensor) -> bool:
    return False


def imag(input: Tensor) -> Tensor:
    raise RuntimeError("imag is not implemented for tensors with non-complex dtypes.")


def is_signed(input: Tensor) -> bool:
    return input.dtype.is_signed


def is_nonzero(input: Tensor) -> bool:
    """The truth of a one-element tensor."""
    if input.numel() != 1:
        raise RuntimeError(
            "Boolean value of Tensor with no values is ambiguous"
            if input.numel() == 0
            else "Boolean value of Tensor with more than one value is ambiguous"
        )
    return bool(input._data.reshape(()))


def is_same_size(input: Tensor, other: Tensor) -> bool:
    return tuple(input.shape) == tuple(other.shape)


def get_device(input: Tensor) -> int:
    """-1: the CPU."""
    return -1


def dim_order(input: Tensor) -> tuple[int, ...]:
    """The dims from outermost to innermost in memory (by decreasing stride)."""
    strides = input._data.strides
    return tuple(sorted(range(input.ndim), key=lambda d: (-abs(strides[d]), d)))


# ----------------------------------------------------------------------------- operators
# A Tensor, a Python number or a numpy scalar is an operand as it is; a numpy array becomes
# a tensor; anything else gets NotImplemented, so Python asks the other operand.
_OPERANDS = (Tensor, int, float, bool, np.generic)


def _binary_operator(name: str, op: Callable) -> Callable:
    """``Tensor.<name>(self, other)``: ``op(self, other)``."""

    def operator(self: Tensor, other: Any) -> Any:
        if not isinstance(other, _OPERANDS):
            if not isinstance(other, np.ndarray):
                return NotImplemented
            other = _make(other)
        return op(self, other)

    return tensor_method(operator, name)


def _reflected_operator(name: str, op: Callable) -> Callable:
    """``Tensor.<name>(self, other)`` for ``other <op> self``: ``op(other, self)``."""

    def operator(self: Tensor, other: Any) -> Any:
        if not isinstance(other, _OPERANDS):
            if not isinstance(other, np.ndarray):
                return NotImplemented
            other = _make(other)
        return op(other, self)

    return tensor_method(operator, name)


def _direct_operator(name: str, function: type, op: Callable) -> Callable:
    """A hot, commutative operator (``+``, ``*``): straight to its ``Function`` for the usual
    operands, skipping the op's keyword handling (``alpha``, ``out``)."""
    apply = function.apply

    def operator(self: Tensor, other: Any) -> Any:
        if isinstance(other, _OPERANDS):
            return apply(self, other)
        return op(self, _make(other)) if isinstance(other, np.ndarray) else NotImplemented

    return tensor_method(operator, name)


def _unary_operator(name: str, function: type) -> Callable:
    """``Tensor.<name>(self)``: the ``Function`` applied to ``self``."""
    apply = function.apply

    def operator(self: Tensor) -> Tensor:
        return apply(self)

    return tensor_method(operator, name)


def _inplace_operator(name: str, op: Callable, method: str) -> Callable:
    """``Tensor.<name>`` (``x += y``): ``op`` in place, as the method ``method`` (``add_``)."""
    return tensor_method(inplace(op, method), name)


def _positive(self: Tensor) -> Tensor:
    return self


def _invert(self: Tensor) -> Tensor:
    """``~x``: logical not of a bool tensor, bitwise not of an integer one."""
    if self._data.dtype == np.bool_:
        return pointwise.logical_not(self)
    return pointwise.bitwise_not(self)


_UFUNC_OPS = {
    np.add: pointwise.add,
    np.subtract: pointwise.sub,
    np.multiply: pointwise.mul,
    np.true_divide: pointwise.div,
    np.floor_divide: pointwise.floor_divide,
    np.remainder: pointwise.remainder,
    np.power: pointwise.pow,
    np.matmul: linalg.matmul,
    np.equal: pointwise.eq,
    np.not_equal: pointwise.ne,
    np.less: pointwise.lt,
    np.less_equal: pointwise.le,
    np.greater: pointwise.gt,
    np.greater_equal: pointwise.ge,
    np.maximum: pointwise.maximum,
    np.minimum: pointwise.minimum,
    np.negative: pointwise.neg,
    np.absolute: pointwise.abs,
    np.exp: pointwise.exp,
    np.log: pointwise.log,
    np.sqrt: pointwise.sqrt,
    np.sin: pointwise.sin,
    np.cos: pointwise.cos,
    np.tanh: pointwise.tanh,
}


def _array_ufunc(self: Tensor, ufunc: Any, method: str, *inputs: Any, **kwargs: Any) -> Any:
    """numpy meets a Tensor: ``ndarray + tensor`` and ``np.exp(tensor)`` give tensors.

    Ufuncs pybigml has an op for go through it (so autograd sees them); any other ufunc
    runs in numpy on the tensors' arrays and its array results are wrapped as tensors.
    """
    op = _UFUNC_OPS.get(ufunc)
    if op is not None and method == "__call__" and not kwargs:
        return op(*(_make(x) if isinstance(x, np.ndarray) else x for x in inputs))
    arrays = [x._data if isinstance(x, Tensor) else x for x in inputs]
    result = getattr(ufunc, method)(*arrays, **kwargs)
    if isinstance(result, tuple):
        return tuple(_make(r) if isinstance(r, np.ndarray) else r for r in result)
    return _make(result) if isinstance(result, np.ndarray) else result


# ----------------------------------------------------------------------------- the table
METHODS: dict[str, Any] = {
    # ---------- linear algebra PyTorch has as Tensor methods (det, inverse, svd, ...)
    **decomposition.TENSOR_METHODS,
    # ---------- answers from the tensor's metadata (defined above)
    "conj": _identity,
    "conj_physical": _identity,
    "dim_order": dim_order,
    "get_device": get_device,
    "imag": property(imag),
    "is_conj": _false,
    "is_inference": _false,
    "is_neg": _false,
    "is_nonzero": is_nonzero,
    "is_pinned": _false,
    "is_same_size": is_same_size,
    "is_shared": _false,
    "is_signed": is_signed,
    "pin_memory": _identity,
    "real": property(_identity),
    "resolve_conj": _identity,
    "resolve_neg": _identity,
    "share_memory_": _identity,
    # ---------- autograd: backward and hooks (autograd/tensor_methods.py)
    "backward": autograd_methods.backward,
    "register_hook": autograd_methods.register_hook,
    "register_post_accumulate_grad_hook": autograd_methods.register_post_accumulate_grad_hook,
    "retain_grad": autograd_methods.retain_grad,
    "retains_grad": property(autograd_methods.retains_grad),
    # ---------- dtype and device conversions (ops/conversion.py)
    "bool": conversion.to_bool,
    "byte": conversion.to_uint8,
    "char": conversion.to_int8,
    "cpu": conversion.cpu,
    "cuda": conversion.cuda,
    "double": conversion.to_float64,
    "float": conversion.to_float32,
    "half": conversion.to_float16,
    "int": conversion.to_int32,
    "long": conversion.to_int64,
    "short": conversion.to_int16,
    "to": conversion.to,
    "type": conversion.type_name_or_cast,
    "type_as": conversion.type_as,
    # ---------- new tensors like this one; in-place fills and random draws (ops/creation.py)
    "bernoulli": creation.bernoulli,
    "bernoulli_": creation.bernoulli_,
    "cauchy_": creation.cauchy_,
    "copy_": creation.copy_,
    "exponential_": creation.exponential_,
    "fill_": creation.fill_,
    "fill_diagonal_": creation.fill_diagonal_,
    "geometric_": creation.geometric_,
    "log_normal_": creation.log_normal_,
    "multinomial": creation.multinomial,
    "new": creation.new,
    "new_empty": creation.new_empty,
    "new_full": creation.new_full,
    "new_ones": creation.new_ones,
    "new_tensor": creation.new_tensor,
    "new_zeros": creation.new_zeros,
    "normal_": creation.normal_,
    "random_": creation.random_,
    "uniform_": creation.uniform_,
    "zero_": creation.zero_,
    # ---------- element-wise math and comparisons (ops/pointwise.py)
    "abs": pointwise.abs,
    "abs_": inplace(pointwise.abs, "abs_"),
    "acos": pointwise.acos,
    "acos_": inplace(pointwise.acos, "acos_"),
    "add": pointwise.add,
    "add_": inplace(pointwise.add, "add_"),
    "addcdiv": pointwise.addcdiv,
    "addcdiv_": inplace(pointwise.addcdiv, "addcdiv_"),
    "addcmul": pointwise.addcmul,
    "addcmul_": inplace(pointwise.addcmul, "addcmul_"),
    "allclose": pointwise.allclose,
    "apply_": pointwise.apply_,
    "asin": pointwise.asin,
    "asin_": inplace(pointwise.asin, "asin_"),
    "atan": pointwise.atan,
    "atan_": inplace(pointwise.atan, "atan_"),
    "bitwise_and": pointwise.bitwise_and,
    "bitwise_and_": inplace(pointwise.bitwise_and, "bitwise_and_"),
    "bitwise_not": pointwise.bitwise_not,
    "bitwise_not_": inplace(pointwise.bitwise_not, "bitwise_not_"),
    "bitwise_or": pointwise.bitwise_or,
    "bitwise_or_": inplace(pointwise.bitwise_or, "bitwise_or_"),
    "bitwise_xor": pointwise.bitwise_xor,
    "bitwise_xor_": inplace(pointwise.bitwise_xor, "bitwise_xor_"),
    "ceil": pointwise.ceil,
    "ceil_": inplace(pointwise.ceil, "ceil_"),
    "clamp": pointwise.clamp,
    "clamp_": inplace(pointwise.clamp, "clamp_"),
    "clamp_max": pointwise.clamp_max,
    "clamp_max_": inplace(pointwise.clamp_max, "clamp_max_"),
    "clamp_min": pointwise.clamp_min,
    "clamp_min_": inplace(pointwise.clamp_min, "clamp_min_"),
    "clip": pointwise.clip,
    "clip_": inplace(pointwise.clip, "clip_"),
    "cos": pointwise.cos,
    "cos_": inplace(pointwise.cos, "cos_"),
    "cosh": pointwise.cosh,
    "cosh_": inplace(pointwise.cosh, "cosh_"),
    "div": pointwise.div,
    "div_": inplace(pointwise.div, "div_"),
    "eq": pointwise.eq,
    "eq_": inplace(pointwise.eq, "eq_"),
    "equal": pointwise.equal,
    "erf": pointwise.erf,
    "erf_": inplace(pointwise.erf, "erf_"),
    "exp": pointwise.exp,
    "exp_": inplace(pointwise.exp, "exp_"),
    "expm1": pointwise.expm1,
    "expm1_": inplace(pointwise.expm1, "expm1_"),
    "fix": pointwise.fix,
    "fix_": inplace(pointwise.fix, "fix_"),
    "float_power": pointwise.float_power,
    "float_power_": inplace(pointwise.float_power, "float_power_"),
    "floor": pointwise.floor,
    "floor_": inplace(pointwise.floor, "floor_"),
    "floor_divide": pointwise.floor_divide,
    "floor_divide_": inplace(pointwise.floor_divide, "floor_divide_"),
    "fmax": pointwise.fmax,
    "fmin": pointwise.fmin,
    "fmod": pointwise.fmod,
    "fmod_": inplace(pointwise.fmod, "fmod_"),
    "frac": pointwise.frac,
    "frac_": inplace(pointwise.frac, "frac_"),
    "ge": pointwise.ge,
    "ge_": inplace(pointwise.ge, "ge_"),
    "greater": pointwise.greater,
    "greater_": inplace(pointwise.greater, "greater_"),
    "greater_equal": pointwise.greater_equal,
    "greater_equal_": inplace(pointwise.greater_equal, "greater_equal_"),
    "gt": pointwise.gt,
    "gt_": inplace(pointwise.gt, "gt_"),
    "isclose": pointwise.isclose,
    "isfinite": pointwise.isfinite,
    "isinf": pointwise.isinf,
    "isnan": pointwise.isnan,
    "le": pointwise.le,
    "le_": inplace(pointwise.le, "le_"),
    "lerp": pointwise.lerp,
    "lerp_": inplace(pointwise.lerp, "lerp_"),
    "less": pointwise.less,
    "less_": inplace(pointwise.less, "less_"),
    "less_equal": pointwise.less_equal,
    "less_equal_": inplace(pointwise.less_equal, "less_equal_"),
    "log": pointwise.log,
    "log10": pointwise.log10,
    "log10_": inplace(pointwise.log10, "log10_"),
    "log1p": pointwise.log1p,
    "log1p_": inplace(pointwise.log1p, "log1p_"),
    "log2": pointwise.log2,
    "log2_": inplace(pointwise.log2, "log2_"),
    "log_": inplace(pointwise.log, "log_"),
    "logical_and": pointwise.logical_and,
    "logical_and_": inplace(pointwise.logical_and, "logical_and_"),
    "logical_not": pointwise.logical_not,
    "logical_not_": inplace(pointwise.logical_not, "logical_not_"),
    "logical_or": pointwise.logical_or,
    "logical_or_": inplace(pointwise.logical_or, "logical_or_"),
    "logical_xor": pointwise.logical_xor,
    "logical_xor_": inplace(pointwise.logical_xor, "logical_xor_"),
    "lt": pointwise.lt,
    "lt_": inplace(pointwise.lt, "lt_"),
    "map_": pointwise.map_,
    "maximum": pointwise.maximum,
    "minimum": pointwise.minimum,
    "mul": pointwise.mul,
    "mul_": inplace(pointwise.mul, "mul_"),
    "nan_to_num": pointwise.nan_to_num,
    "nan_to_num_": inplace(pointwise.nan_to_num, "nan_to_num_"),
    "ne": pointwise.ne,
    "ne_": inplace(pointwise.ne, "ne_"),
    "neg": pointwise.neg,
    "neg_": inplace(pointwise.neg, "neg_"),
    "negative": pointwise.negative,
    "negative_": inplace(pointwise.negative, "negative_"),
    "nextafter": pointwise.nextafter,
    "nextafter_": inplace(pointwise.nextafter, "nextafter_"),
    "not_equal": pointwise.not_equal,
    "not_equal_": inplace(pointwise.not_equal, "not_equal_"),
    "pow": pointwise.pow,
    "pow_": inplace(pointwise.pow, "pow_"),
    "reciprocal": pointwise.reciprocal,
    "reciprocal_": inplace(pointwise.reciprocal, "reciprocal_"),
    "relu": pointwise.relu,
    "relu_": inplace(pointwise.relu, "relu_"),
    "remainder": pointwise.remainder,
    "remainder_": inplace(pointwise.remainder, "remainder_"),
    "round": pointwise.round,
    "round_": inplace(pointwise.round, "round_"),
    "rsqrt": pointwise.rsqrt,
    "rsqrt_": inplace(pointwise.rsqrt, "rsqrt_"),
    "sgn": pointwise.sgn,
    "sgn_": inplace(pointwise.sgn, "sgn_"),
    "sigmoid": pointwise.sigmoid,
    "sigmoid_": inplace(pointwise.sigmoid, "sigmoid_"),
    "sign": pointwise.sign,
    "sign_": inplace(pointwise.sign, "sign_"),
    "sin": pointwise.sin,
    "sin_": inplace(pointwise.sin, "sin_"),
    "sinh": pointwise.sinh,
    "sinh_": inplace(pointwise.sinh, "sinh_"),
    "sqrt": pointwise.sqrt,
    "sqrt_": inplace(pointwise.sqrt, "sqrt_"),
    "square": pointwise.square,
    "square_": inplace(pointwise.square, "square_"),
    "sub": pointwise.sub,
    "sub_": inplace(pointwise.sub, "sub_"),
    "tan": pointwise.tan,
    "tan_": inplace(pointwise.tan, "tan_"),
    "tanh": pointwise.tanh,
    "tanh_": inplace(pointwise.tanh, "tanh_"),
    "true_divide": pointwise.true_divide,
    "true_divide_": inplace(pointwise.true_divide, "true_divide_"),
    "trunc": pointwise.trunc,
    "trunc_": inplace(pointwise.trunc, "trunc_"),
    "where": pointwise._where_method,
    "xlogy": pointwise.xlogy,
    "xlogy_": inplace(pointwise.xlogy, "xlogy_"),
    # ---------- more element-wise functions (ops/special.py)
    "absolute": special.absolute,
    "absolute_": inplace(special.absolute, "absolute_"),
    "acosh": special.acosh,
    "acosh_": inplace(special.acosh, "acosh_"),
    "angle": special.angle,
    "arccos": special.arccos,
    "arccos_": inplace(special.arccos, "arccos_"),
    "arccosh": special.arccosh,
    "arccosh_": inplace(special.arccosh, "arccosh_"),
    "arcsin": special.arcsin,
    "arcsin_": inplace(special.arcsin, "arcsin_"),
    "arcsinh": special.arcsinh,
    "arcsinh_": inplace(special.arcsinh, "arcsinh_"),
    "arctan": special.arctan,
    "arctan2": special.arctan2,
    "arctan2_": inplace(special.arctan2, "arctan2_"),
    "arctan_": inplace(special.arctan, "arctan_"),
    "arctanh": special.arctanh,
    "arctanh_": inplace(special.arctanh, "arctanh_"),
    "asinh": special.asinh,
    "asinh_": inplace(special.asinh, "asinh_"),
    "atan2": special.atan2,
    "atan2_": inplace(special.atan2, "atan2_"),
    "atanh": special.atanh,
    "atanh_": inplace(special.atanh, "atanh_"),
    "copysign": special.copysign,
    "copysign_": inplace(special.copysign, "copysign_"),
    "deg2rad": special.deg2rad,
    "deg2rad_": inplace(special.deg2rad, "deg2rad_"),
    "digamma": special.digamma,
    "digamma_": inplace(special.digamma, "digamma_"),
    "divide": special.divide,
    "divide_": inplace(special.divide, "divide_"),
    "erfc": special.erfc,
    "erfc_": inplace(special.erfc, "erfc_"),
    "erfinv": special.erfinv,
    "erfinv_": inplace(special.erfinv, "erfinv_"),
    "exp2": special.exp2,
    "exp2_": inplace(special.exp2, "exp2_"),
    "frexp": special.frexp,
    "gcd": special.gcd,
    "gcd_": inplace(special.gcd, "gcd_"),
    "heaviside": special.heaviside,
    "heaviside_": inplace(special.heaviside, "heaviside_"),
    "hypot": special.hypot,
    "hypot_": inplace(special.hypot, "hypot_"),
    "isneginf": special.isneginf,
    "isposinf": special.isposinf,
    "isreal": special.isreal,
    "lcm": special.lcm,
    "lcm_": inplace(special.lcm, "lcm_"),
    "ldexp": special.ldexp,
    "ldexp_": inplace(special.ldexp, "ldexp_"),
    "lgamma": special.lgamma,
    "lgamma_": inplace(special.lgamma, "lgamma_"),
    "logaddexp": special.logaddexp,
    "logaddexp2": special.logaddexp2,
    "logit": special.logit,
    "logit_": inplace(special.logit, "logit_"),
    "multiply": special.multiply,
    "multiply_": inplace(special.multiply, "multiply_"),
    "positive": special.positive,
    "rad2deg": special.rad2deg,
    "rad2deg_": inplace(special.rad2deg, "rad2deg_"),
    "signbit": special.signbit,
    "sinc": special.sinc,
    "sinc_": inplace(special.sinc, "sinc_"),
    "subtract": special.subtract,
    "subtract_": inplace(special.subtract, "subtract_"),
    # ---------- shapes and views (ops/shape.py)
    "H": property(shape._adjoint),
    "T": property(shape._reversed_dims),
    "broadcast_to": shape.broadcast_to,
    "chunk": shape.chunk,
    "clone": shape.clone,
    "contiguous": shape.contiguous,
    "diag": shape.diag,
    "diagonal": shape.diagonal,
    "expand": shape.expand,
    "expand_as": shape.expand_as,
    "flatten": shape.flatten,
    "flip": shape.flip,
    "fliplr": shape.fliplr,
    "flipud": shape.flipud,
    "mH": property(shape._matrix_transpose),
    "mT": property(shape._matrix_transpose),
    "moveaxis": shape.moveaxis,
    "movedim": shape.movedim,
    "narrow": shape.narrow,
    "narrow_copy": shape.narrow_copy,
    "permute": shape.permute,
    "ravel": shape.ravel,
    "repeat": shape.repeat,
    "repeat_interleave": shape.repeat_interleave,
    "reshape": shape.reshape,
    "reshape_as": shape.reshape_as,
    "resize_": shape.resize_,
    "resize_as_": shape.resize_as_,
    "roll": shape.roll,
    "select": shape.select,
    "split": shape.split,
    "squeeze": shape.squeeze,
    "squeeze_": inplace_shape(shape.squeeze, "squeeze_"),
    "swapaxes": shape.swapaxes,
    "swapaxes_": inplace_shape(shape.transpose, "swapaxes_"),
    "swapdims": shape.swapdims,
    "swapdims_": inplace_shape(shape.transpose, "swapdims_"),
    "t": shape.t,
    "t_": inplace_shape(shape.t, "t_"),
    "tensor_split": shape.tensor_split,
    "tile": shape.tile,
    "transpose": shape.transpose,
    "transpose_": inplace_shape(shape.transpose, "transpose_"),
    "tril": shape.tril,
    "tril_": inplace(shape.tril, "tril_"),
    "triu": shape.triu,
    "triu_": inplace(shape.triu, "triu_"),
    "unbind": shape.unbind,
    "unflatten": shape.unflatten,
    "unsafe_chunk": shape.chunk,
    "unsafe_split": shape.unsafe_split,
    "unsqueeze": shape.unsqueeze,
    "unsqueeze_": inplace_shape(shape.unsqueeze, "unsqueeze_"),
    "view": shape.view,
    "view_as": shape.view_as,
    # ---------- indexing (ops/indexing.py); x[key] is an operator, below
    "index_put": indexing.index_put,
    "index_put_": indexing.index_put_,
    # ---------- gathers, scatters and masks (ops/scatter_gather.py)
    "argwhere": scatter_gather.argwhere,
    "diagonal_scatter": scatter_gather.diagonal_scatter,
    "gather": scatter_gather.gather,
    "index_add": scatter_gather.index_add,
    "index_add_": scatter_gather.index_add_,
    "index_copy": scatter_gather.index_copy,
    "index_copy_": scatter_gather.index_copy_,
    "index_fill": scatter_gather.index_fill,
    "index_fill_": scatter_gather.index_fill_,
    "index_select": scatter_gather.index_select,
    "masked_fill": scatter_gather.masked_fill,
    "masked_fill_": scatter_gather.masked_fill_,
    "masked_select": scatter_gather.masked_select,
    "nonzero": scatter_gather.nonzero,
    "put": scatter_gather.put,
    "put_": inplace(scatter_gather.put, "put_"),
    "scatter": scatter_gather.scatter,
    "scatter_": scatter_gather.scatter_,
    "scatter_add": scatter_gather.scatter_add,
    "scatter_add_": scatter_gather.scatter_add_,
    "scatter_reduce": scatter_gather.scatter_reduce,
    "scatter_reduce_": scatter_gather.scatter_reduce_,
    "select_scatter": scatter_gather.select_scatter,
    "slice_scatter": scatter_gather.slice_scatter,
    "take": scatter_gather.take,
    "take_along_dim": scatter_gather.take_along_dim,
    # ---------- reductions (ops/reduction.py)
    "all": reduction.all,
    "amax": reduction.amax,
    "amin": reduction.amin,
    "any": reduction.any,
    "argmax": reduction.argmax,
    "argmin": reduction.argmin,
    "count_nonzero": reduction.count_nonzero,
    "cumprod": reduction.cumprod,
    "cumprod_": inplace(reduction.cumprod, "cumprod_"),
    "cumsum": reduction.cumsum,
    "cumsum_": inplace(reduction.cumsum, "cumsum_"),
    "log_softmax": reduction.log_softmax,
    "logsumexp": reduction.logsumexp,
    "max": reduction.max,
    "mean": reduction.mean,
    "median": reduction.median,
    "min": reduction.min,
    "norm": reduction.norm,
    "prod": reduction.prod,
    "softmax": reduction.softmax,
    "std": reduction.std,
    "sum": reduction.sum,
    "var": reduction.var,
    # ---------- sorting, selection and counting (ops/sorting.py)
    "argsort": sorting.argsort,
    "histc": sorting.histc,
    "histogram": sorting.histogram,
    "kthvalue": sorting.kthvalue,
    "msort": sorting.msort,
    "sort": sorting.sort,
    "topk": sorting.topk,
    "unique": sorting.unique,
    "unique_consecutive": sorting.unique_consecutive,
    # ---------- products of matrices and vectors (ops/linalg.py)
    "addbmm": linalg.addbmm,
    "addbmm_": inplace(linalg.addbmm, "addbmm_"),
    "addmm": linalg.addmm,
    "addmm_": inplace(linalg.addmm, "addmm_"),
    "addmv": linalg.addmv,
    "addmv_": inplace(linalg.addmv, "addmv_"),
    "addr": linalg.addr,
    "addr_": inplace(linalg.addr, "addr_"),
    "baddbmm": linalg.baddbmm,
    "baddbmm_": inplace(linalg.baddbmm, "baddbmm_"),
    "bmm": linalg.bmm,
    "dot": linalg.dot,
    "ger": linalg.ger,
    "inner": linalg.inner,
    "matmul": linalg.matmul,
    "mm": linalg.mm,
    "mv": linalg.mv,
    "outer": linalg.outer,
    "vdot": linalg.vdot,
    # ---------- ops built from other ops (ops/composite.py)
    "aminmax": composite.aminmax,
    "bincount": composite.bincount,
    "corrcoef": composite.corrcoef,
    "cov": composite.cov,
    "cross": composite.cross,
    "cummax": composite.cummax,
    "cummin": composite.cummin,
    "diag_embed": composite.diag_embed,
    "diagflat": composite.diagflat,
    "diff": composite.diff,
    "dist": composite.dist,
    "dsplit": composite.dsplit,
    "hsplit": composite.hsplit,
    "kron": composite.kron,
    "logcumsumexp": composite.logcumsumexp,
    "masked_scatter": composite.masked_scatter,
    "masked_scatter_": inplace(composite.masked_scatter, "masked_scatter_"),
    "nanmean": composite.nanmean,
    "nanmedian": composite.nanmedian,
    "nanquantile": composite.nanquantile,
    "nansum": composite.nansum,
    "quantile": composite.quantile,
    "renorm": composite.renorm,
    "renorm_": inplace(composite.renorm, "renorm_"),
    "rot90": composite.rot90,
    "split_with_sizes": composite.split_with_sizes,
    "sum_to_size": composite.sum_to_size,
    "unfold": composite.unfold,
    "unsafe_split_with_sizes": composite.unsafe_split_with_sizes,
    "vsplit": composite.vsplit,
    # ---------- operators (defined above); in-place ones write like the ``_`` methods
    "__abs__": _unary_operator("__abs__", pointwise.Abs),
    "__add__": _direct_operator("__add__", pointwise.Add, pointwise.add),
    "__and__": _binary_operator("__and__", pointwise.bitwise_and),
    "__array_ufunc__": tensor_method(_array_ufunc, "__array_ufunc__"),
    "__eq__": _binary_operator("__eq__", pointwise.eq),
    "__floordiv__": _binary_operator("__floordiv__", pointwise.floor_divide),
    "__ge__": _binary_operator("__ge__", pointwise.ge),
    "__getitem__": tensor_method(indexing.getitem, "__getitem__"),
    "__gt__": _binary_operator("__gt__", pointwise.gt),
    "__iadd__": _inplace_operator("__iadd__", pointwise.add, "add_"),
    "__iand__": _inplace_operator("__iand__", pointwise.bitwise_and, "bitwise_and_"),
    "__ifloordiv__": _inplace_operator("__ifloordiv__", pointwise.floor_divide, "floor_divide_"),
    "__imod__": _inplace_operator("__imod__", pointwise.remainder, "remainder_"),
    "__imul__": _inplace_operator("__imul__", pointwise.mul, "mul_"),
    "__invert__": tensor_method(_invert, "__invert__"),
    "__ior__": _inplace_operator("__ior__", pointwise.bitwise_or, "bitwise_or_"),
    "__ipow__": _inplace_operator("__ipow__", pointwise.pow, "pow_"),
    "__isub__": _inplace_operator("__isub__", pointwise.sub, "sub_"),
    "__itruediv__": _inplace_operator("__itruediv__", pointwise.div, "div_"),
    "__ixor__": _inplace_operator("__ixor__", pointwise.bitwise_xor, "bitwise_xor_"),
    "__le__": _binary_operator("__le__", pointwise.le),
    "__lt__": _binary_operator("__lt__", pointwise.lt),
    "__matmul__": _binary_operator("__matmul__", linalg.matmul),
    "__mod__": _binary_operator("__mod__", pointwise.remainder),
    "__mul__": _direct_operator("__mul__", pointwise.Mul, pointwise.mul),
    "__ne__": _binary_operator("__ne__", pointwise.ne),
    "__neg__": _unary_operator("__neg__", pointwise.Neg),
    "__or__": _binary_operator("__or__", pointwise.bitwise_or),
    "__pos__": tensor_method(_positive, "__pos__"),
    "__pow__": _binary_operator("__pow__", pointwise.pow),
    "__radd__": _direct_operator("__radd__", pointwise.Add, pointwise.add),
    "__rand__": _reflected_operator("__rand__", pointwise.bitwise_and),
    "__rfloordiv__": _reflected_operator("__rfloordiv__", pointwise.floor_divide),
    "__rmatmul__": _reflected_operator("__rmatmul__", linalg.matmul),
    "__rmod__": _reflected_operator("__rmod__", pointwise.remainder),
    "__rmul__": _direct_operator("__rmul__", pointwise.Mul, pointwise.mul),
    "__ror__": _reflected_operator("__ror__", pointwise.bitwise_or),
    "__rpow__": _reflected_operator("__rpow__", pointwise.pow),
    "__rsub__": _reflected_operator("__rsub__", pointwise.sub),
    "__rtruediv__": _reflected_operator("__rtruediv__", pointwise.div),
    "__rxor__": _reflected_operator("__rxor__", pointwise.bitwise_xor),
    "__setitem__": tensor_method(indexing.setitem, "__setitem__"),
    "__sub__": _binary_operator("__sub__", pointwise.sub),
    "__truediv__": _binary_operator("__truediv__", pointwise.div),
    "__xor__": _binary_operator("__xor__", pointwise.bitwise_xor),
}
"""Method, property and operator name -> what ``Tensor.<name>`` is."""

TOP_LEVEL = {
    "conj": _identity,
    "imag": imag,
    "is_complex": _false,
    "is_conj": _false,
    "is_inference": _false,
    "is_nonzero": is_nonzero,
    "is_same_size": is_same_size,
    "is_signed": is_signed,
    "real": _identity,
    "resolve_conj": _identity,
    "resolve_neg": _identity,
    **decomposition.TENSOR_METHODS,
}
"""The methods PyTorch also has as ``torch.<name>(input)``, beyond the ops' own modules."""

for _name, _method in METHODS.items():
    setattr(Tensor, _name, _method)
del _name, _method
