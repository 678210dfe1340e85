"""Element-wise operations: arithmetic, math functions, activations, comparisons.

Each differentiable op is a ``Function`` whose ``backward`` is written with tensor ops, so
``create_graph=True`` differentiates it again. Broadcasting needs no code here: the engine
sums each gradient back to its input's shape.

Operands are numpy arrays (or Python numbers) already cast to PyTorch's result dtype by
``_operands``; numpy then computes in that dtype.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .. import _dtype
from .._dtype import FLOATING, result_type
from .._tensor import Tensor
from ..autograd.function import Function

_make = Tensor._make


def _quiet() -> np.errstate:
    """inf and nan are results, as in PyTorch, not warnings."""
    return np.errstate(all="ignore")


_SCALARS = (int, float, bool)


def _scalar(x: Any) -> Any:
    """A Python number from a number-like (numpy scalars act as Python numbers, as in torch)."""
    if isinstance(x, np.generic):
        return x.item()
    if isinstance(x, _SCALARS):
        return x
    raise TypeError(f"expected a Tensor or a number, got {type(x).__name__}")


def _operands(a: Any, b: Any) -> tuple:
    """Arrays/numbers for ``a`` and ``b`` in PyTorch's result dtype of the pair."""
    if isinstance(a, Tensor) and isinstance(b, Tensor):
        x, y = a._data, b._data
        if x.dtype == y.dtype:
            return x, y
        rt = result_type(a, b)._np
        return x.astype(rt, copy=False), y.astype(rt, copy=False)
    if isinstance(a, Tensor):
        b = _scalar(b)
        x = a._data
        if _dtype.scalar_category(b) > _category(x.dtype):
            x = x.astype(result_type(a, b)._np)
        return x, b
    a = _scalar(a)
    y = b._data
    if _dtype.scalar_category(a) > _category(y.dtype):
        y = y.astype(result_type(a, b)._np)
    return a, y


def _is_bool(x: Any) -> bool:
    if isinstance(x, Tensor):
        return x._data.dtype == np.bool_
    return isinstance(x, (bool, np.bool_))


def _check_integer_divisor(x: Any, y: Any, op: str) -> None:
    """Integer division by zero is an error in PyTorch (not 0 as in numpy)."""
    if (
        np.asarray(x).dtype.kind in "iub"
        and np.asarray(y).dtype.kind in "iub"
        and np.any(np.asarray(y) == 0)
    ):
        raise RuntimeError(f"{op}: ZeroDivisionError (integer division by zero)")


def _category(np_dtype: np.dtype) -> int:
    k = np_dtype.kind
    return FLOATING if k == "f" else 0 if k == "b" else 1


def _float_operands(a: Any, b: Any) -> tuple:
    """Like ``_operands`` but integer/bool results promote to the default float (true division)."""
    x, y = _operands(a, b)
    probe = x if isinstance(x, np.ndarray) else y
    if probe.dtype.kind != "f":
        f = _dtype.get_default_dtype()._np
        x = x.astype(f) if isinstance(x, np.ndarray) else x
        y = y.astype(f) if isinstance(y, np.ndarray) else y
    return x, y


def _scalar_like(value: float, like: Tensor) -> Tensor:
    """A 0-d tensor holding ``value`` in ``like``'s dtype (no rounding through float32)."""
    return _make(np.asarray(value, dtype=like._data.dtype))


def _as_tensor(x: Any, like: Tensor) -> Tensor:
    if isinstance(x, Tensor):
        return x
    return _make(np.asarray(x, dtype=result_type(like, _scalar(x))._np))


# ----------------------------------------------------------------------------- arithmetic
class Add(Function):
    """z = a + b;  dz/da = 1, dz/db = 1."""

    @staticmethod
    def forward(ctx, a, b):
        x, y = _operands(a, b)
        return _make(x + y)

    @staticmethod
    def backward(ctx, grad):
        return grad, grad


class Sub(Function):
    """z = a - b;  dz/da = 1, dz/db = -1."""

    @staticmethod
    def forward(ctx, a, b):
        if _is_bool(a) or _is_bool(b):
            raise RuntimeError(
                "Subtraction, the `-` operator, with a bool tensor is not supported. "
                "If you are trying to invert a mask, use the `~` or `logical_not()` operator instead."
            )
        x, y = _operands(a, b)
        return _make(x - y)

    @staticmethod
    def backward(ctx, grad):
        return grad, -grad if ctx.needs_input_grad[1] else None


class Mul(Function):
    """z = a * b;  dz/da = b, dz/db = a."""

    @staticmethod
    def forward(ctx, a, b):
        x, y = _operands(a, b)
        ctx.save_for_backward(
            a if isinstance(a, Tensor) else None, b if isinstance(b, Tensor) else None
        )
        ctx.scalars = (a, b)
        return _make(x * y)

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        sa, sb = ctx.scalars
        ga = grad * (b if b is not None else sb) if ctx.needs_input_grad[0] else None
        gb = grad * (a if a is not None else sa) if ctx.needs_input_grad[1] else None
        return ga, gb


class Div(Function):
    """z = a / b;  dz/da = 1/b, dz/db = -a/b^2 = -z/b."""

    @staticmethod
    def forward(ctx, a, b):
        x, y = _float_operands(a, b)
        with _quiet():
            out = x / y
        ctx.save_for_backward(
            a if isinstance(a, Tensor) else None, b if isinstance(b, Tensor) else None
        )
        ctx.scalars = (a, b)
        return _make(out)

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        sa, sb = ctx.scalars
        denominator = b if b is not None else sb
        ga = grad / denominator if ctx.needs_input_grad[0] else None
        gb = None
        if ctx.needs_input_grad[1]:
            numerator = a if a is not None else sa
            gb = -grad * numerator / (b * b)
        return ga, gb


class Pow(Function):
    """z = a ** b;  dz/da = b a^(b-1),  dz/db = a^b log a (0 where a = 0 and b >= 0)."""

    @staticmethod
    def forward(ctx, a, b):
        x, y = _operands(a, b)
        if isinstance(b, Tensor) and _is_bool(a) and _is_bool(b):
            raise NotImplementedError("\"pow\" not implemented for 'Bool'")
        if isinstance(x, np.ndarray) and x.dtype.kind in "iu" and np.any(np.asarray(y) < 0):
            raise RuntimeError("Integers to negative integer powers are not allowed.")
        with _quiet():
            out = np.power(x, y)
        if np.asarray(x).dtype == np.bool_ and np.asarray(y).dtype == np.bool_:
            out = np.logical_or(x, np.logical_not(y))  # bool ** bool stays bool: x or not y
        ctx.save_for_backward(
            a if isinstance(a, Tensor) else None, b if isinstance(b, Tensor) else None
        )
        ctx.scalars = (a, b)
        return _make(np.asarray(out))

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        sa, sb = ctx.scalars
        ga = gb = None
        if ctx.needs_input_grad[0]:
            if b is None:
                ga = grad * sb * a ** (sb - 1) if sb != 0 else grad * 0
            else:
                ga = grad * b * a ** (b - 1)
        if ctx.needs_input_grad[1]:
            base = a if a is not None else sa
            if a is None:
                gb = grad * base**b * math.log(base) if base > 0 else grad * 0 * b
            else:
                zero = (a == 0) & (b >= 0)
                gb = where(zero, 0.0, grad * base**b * log(base))
        return ga, gb


def add(input: Any, other: Any, *, alpha: Any = 1, out: Tensor | None = None) -> Tensor:
    """``input + alpha * other`` with broadcasting and type promotion."""
    if alpha != 1:
        other = mul(other, alpha) if isinstance(other, Tensor) else other * alpha
    return _out(Add.apply(input, other), out)


def sub(input: Any, other: Any, *, alpha: Any = 1, out: Tensor | None = None) -> Tensor:
    """``input - alpha * other``."""
    if alpha != 1:
        other = mul(other, alpha) if isinstance(other, Tensor) else other * alpha
    return _out(Sub.apply(input, other), out)


def rsub(input: Tensor, other: Any, alpha: Any = 1) -> Tensor:
    return sub(other, input, alpha=alpha)


def mul(input: Any, other: Any, *, out: Tensor | None = None) -> Tensor:
    return _out(Mul.apply(input, other), out)


class RoundingDiv(Function):
    """floor(a / b) or trunc(a / b): piecewise constant, so its gradient is zero."""

    @staticmethod
    def forward(ctx, a, b, mode):
        if _is_bool(a) and _is_bool(b):
            raise NotImplementedError("\"div_floor_cpu\" not implemented for 'Bool'")
        x, y = _operands(a, b)
        _check_integer_divisor(x, y, "div")
        result_dtype = (x if isinstance(x, np.ndarray) else y).dtype  # _operands promoted it
        integer = result_dtype.kind in "iub"
        with _quiet():
            if mode == "floor":
                r = np.floor_divide(x, y) if integer else np.floor(x / y)
            else:
                r = np.trunc(np.true_divide(x, y))
                if integer:
                    r = r.astype(result_dtype)
        return _make(np.asarray(r))

    @staticmethod
    def backward(ctx, grad):
        zero = grad * 0
        return zero, zero, None


def div(
    input: Any, other: Any, *, rounding_mode: str | None = None, out: Tensor | None = None
) -> Tensor:
    """True division; ``rounding_mode`` "trunc" or "floor" gives integer-valued results."""
    if rounding_mode is None:
        return _out(Div.apply(input, other), out)
    if rounding_mode not in ("floor", "trunc"):
        raise ValueError(
            "div expected rounding_mode to be one of None, 'trunc', or 'floor' but found "
            f"'{rounding_mode}'"
        )
    return _out(RoundingDiv.apply(input, other, rounding_mode), out)


def floor_divide(input: Any, other: Any, *, out: Tensor | None = None) -> Tensor:
    return div(input, other, rounding_mode="floor", out=out)


def true_divide(input: Any, other: Any) -> Tensor:
    return Div.apply(input, other)


class Remainder(Function):
    """z = a - floor(a/b) b (sign of b, like Python);  dz/da = 1, dz/db = -floor(a/b)."""

    @staticmethod
    def forward(ctx, a, b):
        if _is_bool(a) and _is_bool(b):
            raise NotImplementedError("\"remainder_cpu\" not implemented for 'Bool'")
        x, y = _operands(a, b)
        _check_integer_divisor(x, y, "remainder")
        with _quiet():
            out = np.mod(x, y)
        ctx.save_for_backward(
            a if isinstance(a, Tensor) else None, b if isinstance(b, Tensor) else None
        )
        ctx.scalars = (a, b)
        return _make(np.asarray(out))

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        gb = None
        if ctx.needs_input_grad[1]:
            sa = a if a is not None else ctx.scalars[0]
            gb = -grad * floor_divide(sa, b)
        return grad, gb


def remainder(input: Any, other: Any) -> Tensor:
    return Remainder.apply(input, other)


def fmod(input: Any, other: Any) -> Tensor:
    x, y = _operands(input, other)
    with _quiet():
        return _make(np.asarray(np.fmod(x, y)))


def pow(input: Any, exponent: Any) -> Tensor:  # noqa: A001 - PyTorch's name
    """``input ** exponent`` (either may be a number)."""
    return Pow.apply(input, exponent)


def float_power(input: Any, exponent: Any) -> Tensor:
    a = input.double() if isinstance(input, Tensor) else input
    b = exponent.double() if isinstance(exponent, Tensor) else exponent
    return Pow.apply(a, b)


# ----------------------------------------------------------------------------- unary math
def _unary(
    name: str, forward: Any, derivative: Any, *, save: str = "input", float_only: bool = True
) -> tuple:
    """Build a unary op from its numpy forward and its derivative written with tensor ops.

    ``derivative(x, y, grad)`` gets the input ``x`` and/or output ``y`` (``save`` says which
    are kept: "input", "output" or "both") and returns ``grad * dy/dx``.
    """

    def fwd(ctx, a):
        x = a._data
        if float_only and x.dtype.kind != "f":
            x = x.astype(_dtype.get_default_dtype()._np)
        with _quiet():
            out = _make(np.asarray(forward(x)))
        if save == "input":
            ctx.save_for_backward(a)
        elif save == "output":
            ctx.save_for_backward(out)
        else:
            ctx.save_for_backward(a, out)
        return out

    def bwd(ctx, grad):
        saved = ctx.saved_tensors
        if save == "input":
            return derivative(saved[0], None, grad)
        if save == "output":
            return derivative(None, saved[0], grad)
        return derivative(saved[0], saved[1], grad)

    cls = type(
        name.capitalize(),
        (Function,),
        {"forward": staticmethod(fwd), "backward": staticmethod(bwd)},
    )
    cls.__doc__ = f"Element-wise {name} (forward in numpy, derivative with tensor ops)."

    def op(input: Tensor) -> Tensor:
        return cls.apply(input)

    op.__name__ = name
    op.__doc__ = f"Element-wise ``{name}``."
    return cls, op


Exp, exp = _unary("exp", np.exp, lambda x, y, g: g * y, save="output")
Expm1, expm1 = _unary("expm1", np.expm1, lambda x, y, g: g * (y + 1), save="output")
Log, log = _unary("log", np.log, lambda x, y, g: g / x)
Log1p, log1p = _unary("log1p", np.log1p, lambda x, y, g: g / (x + 1))
Log2, log2 = _unary("log2", np.log2, lambda x, y, g: g / (x * math.log(2.0)))
Log10, log10 = _unary("log10", np.log10, lambda x, y, g: g / (x * math.log(10.0)))
Sqrt, sqrt = _unary("sqrt", np.sqrt, lambda x, y, g: g / (2 * y), save="output")
Rsqrt, rsqrt = _unary(
    "rsqrt", lambda x: 1 / np.sqrt(x), lambda x, y, g: g * -0.5 * y * y * y, save="output"
)
Sin, sin = _unary("sin", np.sin, lambda x, y, g: g * cos(x))
Cos, cos = _unary("cos", np.cos, lambda x, y, g: -g * sin(x))
Tan, tan = _unary("tan", np.tan, lambda x, y, g: g * (1 + y * y), save="output")
Tanh, tanh = _unary("tanh", np.tanh, lambda x, y, g: g * (1 - y * y), save="output")
Asin, asin = _unary("asin", np.arcsin, lambda x, y, g: g * rsqrt(1 - x * x))
Acos, acos = _unary("acos", np.arccos, lambda x, y, g: -g * rsqrt(1 - x * x))
Atan, atan = _unary("atan", np.arctan, lambda x, y, g: g / (1 + x * x))
Sinh, sinh = _unary("sinh", np.sinh, lambda x, y, g: g * cosh(x))
Cosh, cosh = _unary("cosh", np.cosh, lambda x, y, g: g * sinh(x))
Reciprocal, reciprocal = _unary(
    "reciprocal", np.reciprocal, lambda x, y, g: -g * y * y, save="output"
)


def _sigmoid_np(x: np.ndarray) -> np.ndarray:
    # exp(-|x|) never overflows: sigmoid(x) = 1/(1+e^-x) for x >= 0, e^x/(1+e^x) otherwise
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1 / (1 + e), e / (1 + e)).astype(x.dtype, copy=False)


Sigmoid, sigmoid = _unary("sigmoid", _sigmoid_np, lambda x, y, g: g * y * (1 - y), save="output")
Abs, abs = _unary("abs", np.abs, lambda x, y, g: g * sign(x), float_only=False)  # noqa: A001
Neg, neg = _unary("neg", np.negative, lambda x, y, g: -g, save="none", float_only=False)
negative = neg


def _softplus_np(x: np.ndarray) -> np.ndarray:
    return np.logaddexp(0, x).astype(x.dtype, copy=False)


def _silu_np(x: np.ndarray) -> np.ndarray:
    return x * _sigmoid_np(x)


Silu, silu = _unary("silu", _silu_np, lambda x, y, g: g * sigmoid(x) * (1 + x * (1 - sigmoid(x))))


def sign(input: Tensor) -> Tensor:
    """-1, 0 or 1; its gradient is zero everywhere it exists."""
    return _sign(input)


sgn = sign


def _zero_grad_op(name: str, fn: Any) -> Any:
    """Piecewise-constant ops (floor, ceil, round, trunc): derivative 0 almost everywhere."""

    class ZeroGrad(Function):
        @staticmethod
        def forward(ctx, a, *args):
            return _make(np.asarray(fn(a._data, *args)))

        @staticmethod
        def backward(ctx, grad):
            return (grad * 0,) + (None,) * 3

    ZeroGrad.__name__ = name.capitalize()

    def op(input: Tensor, *args: Any) -> Tensor:
        return ZeroGrad.apply(input, *args)

    op.__name__ = name
    return op


_sign = _zero_grad_op("sign", lambda x: x.copy() if x.dtype == np.bool_ else np.sign(x))
floor = _zero_grad_op("floor", np.floor)
ceil = _zero_grad_op("ceil", np.ceil)
trunc = _zero_grad_op("trunc", np.trunc)
fix = trunc


def round(input: Tensor, *, decimals: int = 0) -> Tensor:  # noqa: A001
    """Round half to even, as PyTorch does."""
    return _round(input, decimals)


_round = _zero_grad_op("round", lambda x, d: np.round(x, d))


def frac(input: Tensor) -> Tensor:
    return input - trunc(input)


# ----------------------------------------------------------------------------- activations
class Relu(Function):
    """relu(x) = max(x, 0);  derivative 1 where x > 0, else 0."""

    @staticmethod
    def forward(ctx, a):
        out = _make(np.maximum(a._data, 0))
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        (y,) = ctx.saved_tensors
        return grad * _make((y._data > 0).astype(grad._data.dtype))  # the 0/1 derivative


def relu(input: Tensor) -> Tensor:
    return Relu.apply(input)


class LeakyRelu(Function):
    """x for x > 0, slope*x otherwise."""

    @staticmethod
    def forward(ctx, a, slope):
        x = a._data
        ctx.save_for_backward(a)
        ctx.slope = slope
        return _make(np.where(x > 0, x, x * x.dtype.type(slope)))

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * where(x > 0, _scalar_like(1.0, x), _scalar_like(ctx.slope, x)), None


def leaky_relu(input: Tensor, negative_slope: float = 0.01) -> Tensor:
    return LeakyRelu.apply(input, negative_slope)


class Elu(Function):
    """x for x > 0, alpha (e^x - 1) otherwise; derivative 1 or alpha e^x = y + alpha."""

    @staticmethod
    def forward(ctx, a, alpha):
        x = a._data
        with _quiet():
            out = _make(np.where(x > 0, x, alpha * np.expm1(np.minimum(x, 0))).astype(x.dtype))
        ctx.save_for_backward(a)
        ctx.alpha = alpha
        return out

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * where(x > 0, _scalar_like(1.0, x), ctx.alpha * exp(clamp(x, max=0))), None


def elu(input: Tensor, alpha: float = 1.0) -> Tensor:
    return Elu.apply(input, alpha)


class Softplus(Function):
    """log(1 + e^(beta x)) / beta, linear above ``threshold``; derivative sigmoid(beta x)."""

    @staticmethod
    def forward(ctx, a, beta, threshold):
        x = a._data
        bx = x * x.dtype.type(beta)
        with _quiet():
            out = np.where(bx > threshold, x, _softplus_np(bx) / x.dtype.type(beta))
        ctx.save_for_backward(a)
        ctx.beta, ctx.threshold = beta, threshold
        return _make(out.astype(x.dtype, copy=False))

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        bx = x * ctx.beta
        return grad * where(bx > ctx.threshold, _scalar_like(1.0, x), sigmoid(bx)), None, None


def softplus(input: Tensor, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
    return Softplus.apply(input, beta, threshold)


_SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)
_INV_SQRT_2 = 1.0 / math.sqrt(2.0)


_erf_exact = np.frompyfunc(math.erf, 1, 1)


def _erf_np(x: np.ndarray) -> np.ndarray:
    """erf: exact (libm, one call per element) in float64; in float32 and float16 a fit
    with |error| < 1.2e-7 (Numerical Recipes' erfc Chebyshev fit) evaluated in float64."""
    if x.dtype == np.float64:
        return np.asarray(_erf_exact(x), dtype=np.float64)
    z = np.abs(x.astype(np.float64))
    t = 1.0 / (1.0 + 0.5 * z)
    poly = (
        -z * z
        - 1.26551223
        + t
        * (
            1.00002368
            + t
            * (
                0.37409196
                + t
                * (
                    0.09678418
                    + t
                    * (
                        -0.18628806
                        + t
                        * (
                            0.27886807
                            + t
                            * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))
                        )
                    )
                )
            )
        )
    )
    erfc = t * np.exp(poly)
    return np.where(x >= 0, 1.0 - erfc, erfc - 1.0)


class Erf(Function):
    """erf(x);  derivative 2/sqrt(pi) e^(-x^2)."""

    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        x = a._data if a._data.dtype.kind == "f" else a._data.astype(np.float32)
        return _make(_erf_np(x).astype(x.dtype))

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * (2.0 / math.sqrt(math.pi)) * exp(-x * x)


def erf(input: Tensor) -> Tensor:
    return Erf.apply(input)


def gelu(input: Tensor, approximate: str = "none") -> Tensor:
    """x Φ(x) (``approximate="none"``) or its tanh approximation (``"tanh"``).

    Written with differentiable tensor ops, so any order of derivative works.
    """
    if approximate == "none":
        return input * 0.5 * (1.0 + erf(input * _INV_SQRT_2))
    if approximate == "tanh":
        inner = _SQRT_2_OVER_PI * (input + 0.044715 * input * input * input)
        return 0.5 * input * (1.0 + tanh(inner))
    raise RuntimeError(f"gelu: approximate must be 'none' or 'tanh', got '{approximate}'")


def hardtanh(input: Tensor, min_val: float = -1.0, max_val: float = 1.0) -> Tensor:
    return clamp(input, min_val, max_val)


def relu6(input: Tensor) -> Tensor:
    return clamp(input, 0.0, 6.0)


def logsigmoid(input: Tensor) -> Tensor:
    return -softplus(-input)


def mish(input: Tensor) -> Tensor:
    return input * tanh(softplus(input))


# ----------------------------------------------------------------------------- clamp, min/max
class Clamp(Function):
    """clamp(x, lo, hi);  derivative 1 where lo <= x <= hi, else 0."""

    @staticmethod
    def forward(ctx, a, lo, hi):
        x = a._data
        lo_v = lo._data if isinstance(lo, Tensor) else lo
        hi_v = hi._data if isinstance(hi, Tensor) else hi
        out = x
        if lo_v is not None:
            out = np.maximum(out, lo_v)
        if hi_v is not None:
            out = np.minimum(out, hi_v)
        if out is x:
            out = x.copy()
        rt = result_type(*(v for v in (a, lo, hi) if v is not None))._np
        ctx.save_for_backward(a)
        ctx.bounds = (lo, hi)
        return _make(np.asarray(out).astype(rt, copy=False))

    @staticmethod
    def backward(ctx, grad):
        # clamp = min(max(x, lo), hi): the gradient goes to whichever of x, lo, hi is the
        # result (x on ties), which stays right when lo > hi (the result is then hi)
        (x,) = ctx.saved_tensors
        lo, hi = ctx.bounds
        below = x < lo if lo is not None else None
        lifted = where(below, lo, x) if below is not None else x
        above = lifted > hi if hi is not None else None
        gx = grad
        if below is not None:
            gx = gx * ~below
        if above is not None:
            gx = gx * ~above
        glo = ghi = None
        if isinstance(lo, Tensor) and ctx.needs_input_grad[1]:
            glo = grad * below if above is None else grad * (below & ~above)
        if isinstance(hi, Tensor) and ctx.needs_input_grad[2]:
            ghi = grad * above
        return gx, glo, ghi


def clamp(input: Tensor, min: Any = None, max: Any = None) -> Tensor:  # noqa: A002
    if min is None and max is None:
        raise RuntimeError("clamp: At least one of 'min' or 'max' must not be None")
    return Clamp.apply(input, min, max)


clip = clamp


def clamp_min(input: Tensor, min: Any) -> Tensor:  # noqa: A002
    return clamp(input, min=min)


def clamp_max(input: Tensor, max: Any) -> Tensor:  # noqa: A002
    return clamp(input, max=max)


class _Extremum(Function):
    """maximum/minimum: the gradient goes to the chosen input, split in half on ties."""

    @staticmethod
    def forward(ctx, a, b):
        x, y = _operands(a, b)
        ctx.save_for_backward(a, b)
        return _make(np.asarray(ctx._pick(x, y)))

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        share = ctx._first_wins(a, b).to(grad.dtype) + (a == b).to(grad.dtype) * 0.5
        return grad * share, grad * (1 - share)


class Maximum(_Extremum):
    @staticmethod
    def _pick(x, y):
        return np.maximum(x, y)

    @staticmethod
    def _first_wins(a, b):
        return a > b


class Minimum(_Extremum):
    @staticmethod
    def _pick(x, y):
        return np.minimum(x, y)

    @staticmethod
    def _first_wins(a, b):
        return a < b


def maximum(input: Tensor, other: Tensor) -> Tensor:
    return Maximum.apply(input, other)


def minimum(input: Tensor, other: Tensor) -> Tensor:
    return Minimum.apply(input, other)


fmax = maximum
fmin = minimum


# ----------------------------------------------------------------------------- where, lerp
class Where(Function):
    """where(c, a, b);  the gradient flows to a where c holds and to b elsewhere."""

    @staticmethod
    def forward(ctx, cond, a, b):
        c = cond._data if isinstance(cond, Tensor) else np.asarray(cond)
        if c.dtype != np.bool_:
            raise RuntimeError(f"where: expected condition to be a bool tensor, got {c.dtype}")
        if isinstance(a, Tensor) or isinstance(b, Tensor):
            x, y = _operands(a, b)
        else:
            rt = result_type(_scalar(a), _scalar(b))._np
            x, y = np.asarray(a, rt), np.asarray(b, rt)
        ctx.save_for_backward(cond)
        return _make(np.where(c, x, y))

    @staticmethod
    def backward(ctx, grad):
        (cond,) = ctx.saved_tensors
        zero = grad * 0
        ga = where(cond, grad, zero) if ctx.needs_input_grad[1] else None
        gb = where(cond, zero, grad) if ctx.needs_input_grad[2] else None
        return None, ga, gb


def where(condition: Tensor, input: Any = None, other: Any = None) -> Any:
    """``input`` where ``condition`` holds, else ``other``; ``where(c)`` is ``nonzero(c, as_tuple=True)``."""
    if input is None and other is None:
        return tuple(_make(i) for i in np.nonzero(condition._data))
    return Where.apply(condition, input, other)


def _where_method(self: Tensor, condition: Tensor, other: Any) -> Tensor:
    """``x.where(condition, y)``: ``where(condition, x, y)``."""
    return where(condition, self, other)


def lerp(input: Tensor, end: Tensor, weight: Any) -> Tensor:
    """input + weight * (end - input)."""
    return input + weight * (end - input)


def addcmul(input: Tensor, tensor1: Tensor, tensor2: Tensor, *, value: Any = 1) -> Tensor:
    return input + value * tensor1 * tensor2


def addcdiv(input: Tensor, tensor1: Tensor, tensor2: Tensor, *, value: Any = 1) -> Tensor:
    return input + value * tensor1 / tensor2


def square(input: Tensor) -> Tensor:
    return input * input


class Xlogy(Function):
    """x log y, defined as 0 where x = 0 (even for y = 0);  d/dx = log y, d/dy = x / y."""

    @staticmethod
    def forward(ctx, a, b):
        x, y = _float_operands(a, b)
        with _quiet():
            out = np.where(np.asarray(x) == 0, 0, x * np.log(y))
        ctx.save_for_backward(a, b)
        return _make(np.asarray(out, dtype=np.result_type(x, y)))

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        ga = gb = None
        if ctx.needs_input_grad[0]:
            ga = grad * where(a == 0, _scalar_like(0.0, grad), log(b))
        if ctx.needs_input_grad[1]:
            gb = grad * a / b
        return ga, gb


def xlogy(input: Tensor, other: Any) -> Tensor:
    other = other if isinstance(other, Tensor) else _as_tensor(other, input)
    return Xlogy.apply(input, other)


# ----------------------------------------------------------------------------- comparisons
def _compare(ufunc: Any) -> Any:
    def op(input: Any, other: Any) -> Tensor:
        x, y = _operands(input, other)
        return _make(np.asarray(ufunc(x, y)))

    op.__name__ = ufunc.__name__
    return op


eq = _compare(np.equal)
ne = _compare(np.not_equal)
lt = _compare(np.less)
le = _compare(np.less_equal)
gt = _compare(np.greater)
ge = _compare(np.greater_equal)
greater, greater_equal, less, less_equal, not_equal = gt, ge, lt, le, ne


def _logical(ufunc: Any) -> Any:
    def op(input: Tensor, other: Any) -> Tensor:
        return _make(
            np.asarray(ufunc(input._data, other._data if isinstance(other, Tensor) else other))
        )

    op.__name__ = ufunc.__name__
    return op


logical_and = _logical(np.logical_and)
logical_or = _logical(np.logical_or)
logical_xor = _logical(np.logical_xor)


def logical_not(input: Tensor) -> Tensor:
    return _make(np.logical_not(input._data))


def _bitwise(ufunc: Any, name: str) -> Any:
    def op(input: Any, other: Any) -> Tensor:
        x, y = _operands(input, other)
        if np.asarray(x).dtype.kind == "f":
            raise RuntimeError(f'"{name}" not implemented for floating-point tensors')
        return _make(np.asarray(ufunc(x, y)))

    op.__name__ = name
    return op


bitwise_and = _bitwise(np.bitwise_and, "bitwise_and")
bitwise_or = _bitwise(np.bitwise_or, "bitwise_or")
bitwise_xor = _bitwise(np.bitwise_xor, "bitwise_xor")


def bitwise_not(input: Tensor) -> Tensor:
    if input._data.dtype.kind == "f":
        raise RuntimeError('"bitwise_not" not implemented for floating-point tensors')
    return _make(np.invert(input._data))


def equal(input: Tensor, other: Tensor) -> bool:
    return input._data.shape == other._data.shape and bool(np.array_equal(input._data, other._data))


def allclose(
    input: Tensor, other: Tensor, rtol: float = 1e-5, atol: float = 1e-8, equal_nan: bool = False
) -> bool:
    return bool(np.allclose(input._data, other._data, rtol=rtol, atol=atol, equal_nan=equal_nan))


def isclose(
    input: Tensor, other: Any, rtol: float = 1e-5, atol: float = 1e-8, equal_nan: bool = False
) -> Tensor:
    y = other._data if isinstance(other, Tensor) else other
    return _make(np.isclose(input._data, y, rtol=rtol, atol=atol, equal_nan=equal_nan))


def isnan(input: Tensor) -> Tensor:
    return _make(np.isnan(input._data))


def isinf(input: Tensor) -> Tensor:
    return _make(np.isinf(input._data))


def isfinite(input: Tensor) -> Tensor:
    return _make(np.isfinite(input._data))


def nan_to_num(
    input: Tensor, nan: float = 0.0, posinf: float | None = None, neginf: float | None = None
) -> Tensor:
    return _make(np.nan_to_num(input._data, nan=nan, posinf=posinf, neginf=neginf))


def nextafter(input: Tensor, other: Tensor) -> Tensor:
    """The next representable number after ``input`` towards ``other``."""
    return _make(np.nextafter(input._data, other._data))


# ----------------------------------------------------------------------------- Python functions
def apply_(self: Tensor, callable: Any) -> Tensor:
    """Replace each element ``x`` by ``callable(x)`` (a Python function; slow, CPU only)."""
    if self.requires_grad:
        raise RuntimeError("apply_ is only implemented on CPU tensors that don't require grad")
    values = np.vectorize(callable, otypes=[self._data.dtype])(self._data)
    self._data[...] = values
    self._vc[0] += 1
    return self


def map_(self: Tensor, tensor: Tensor, callable: Any) -> Tensor:
    """Replace each element ``x`` by ``callable(x, y)`` with ``y`` from ``tensor``."""
    values = np.vectorize(callable, otypes=[self._data.dtype])(self._data, tensor._data)
    self._data[...] = values
    self._vc[0] += 1
    return self


# ----------------------------------------------------------------------------- dtype cast
class Cast(Function):
    """Change dtype; the gradient is cast back (only float-to-float is differentiable)."""

    @staticmethod
    def forward(ctx, a, dtype):
        ctx.src = a.dtype
        return _make(a._data.astype(dtype._np))

    @staticmethod
    def backward(ctx, grad):
        return grad.to(ctx.src), None


def cast(input: Tensor, dtype: _dtype.dtype) -> Tensor:
    return Cast.apply(input, dtype)


def _out(result: Tensor, out: Tensor | None) -> Tensor:
    """Write ``result`` into a user-given ``out`` tensor (resized like PyTorch)."""
    if out is None:
        return result
    out._data = result._data.astype(out._data.dtype, copy=False)
    out._vc[0] += 1
    return out


__all__ = [
    "abs",
    "acos",
    "add",
    "addcdiv",
    "addcmul",
    "allclose",
    "asin",
    "atan",
    "bitwise_and",
    "bitwise_not",
    "bitwise_or",
    "bitwise_xor",
    "ceil",
    "clamp",
    "clamp_max",
    "clamp_min",
    "clip",
    "cos",
    "cosh",
    "div",
    "elu",
    "eq",
    "equal",
    "erf",
    "exp",
    "expm1",
    "fix",
    "float_power",
    "floor",
    "floor_divide",
    "fmax",
    "fmin",
    "fmod",
    "frac",
    "ge",
    "gelu",
    "greater",
    "greater_equal",
    "gt",
    "hardtanh",
    "isclose",
    "isfinite",
    "isinf",
    "isnan",
    "le",
    "leaky_relu",
    "lerp",
    "less",
    "less_equal",
    "log",
    "log10",
    "log1p",
    "log2",
    "logical_and",
    "logical_not",
    "logical_or",
    "logical_xor",
    "logsigmoid",
    "lt",
    "maximum",
    "minimum",
    "mish",
    "mul",
    "nan_to_num",
    "ne",
    "neg",
    "negative",
    "nextafter",
    "not_equal",
    "pow",
    "reciprocal",
    "relu",
    "relu6",
    "remainder",
    "round",
    "rsqrt",
    "sgn",
    "sigmoid",
    "sign",
    "silu",
    "sin",
    "sinh",
    "softplus",
    "sqrt",
    "square",
    "sub",
    "tan",
    "tanh",
    "true_divide",
    "trunc",
    "where",
    "xlogy",
]
