"""More element-wise math: atan2, hypot, logaddexp(2), logit, exp2, sinc, deg2rad/rad2deg,
erfc, erfinv, the normal CDF (ndtr, log_ndtr, ndtri), entr, xlog1py, the gamma family (lgamma,
digamma, the regularised incomplete gamma function) and the gamma sampler behind the gamma,
beta and Dirichlet distributions.

Forwards run in numpy; backwards are tensor ops, so they differentiate again, except
``digamma``'s, whose derivative (the trigamma function) is computed in numpy and is the end of
the chain: a second derivative through ``lgamma`` works, a third raises. The incomplete gamma
function and the gamma sampler are once-differentiable too.

``__all__`` lists the names the package face and ``Tensor`` carry; ``ndtr``, ``log_ndtr``,
``ndtri``, ``entr`` and ``xlog1py`` are ``torch.special`` names only (``pybigml.special``), and
``regularized_gamma_p``, ``standard_gamma`` and ``numpy_sample`` serve the distributions.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .. import _dtype
from .._tensor import Tensor
from ..autograd.function import Function, once_differentiable
from ..random import _rng
from .creation import as_tensor
from .pointwise import (
    _as_tensor,
    _float_operands,
    _operands,
    _quiet,
    _scalar_like,
    _unary,
    abs,
    acos,
    asin,
    atan,
    clamp,
    div,
    exp,
    log,
    log1p,
    mul,
    rsqrt,
    sigmoid,
    sin,
    sub,
    where,
    xlogy,
)

__all__ = [
    "absolute",
    "divide",
    "multiply",
    "positive",
    "subtract",
    "acosh",
    "angle",
    "arccos",
    "arccosh",
    "arcsin",
    "arcsinh",
    "arctan",
    "arctanh",
    "asinh",
    "atanh",
    "copysign",
    "erfc",
    "frexp",
    "gcd",
    "heaviside",
    "isneginf",
    "isposinf",
    "isreal",
    "lcm",
    "ldexp",
    "signbit",
    "arctan2",
    "atan2",
    "deg2rad",
    "digamma",
    "erfinv",
    "exp2",
    "hypot",
    "lgamma",
    "logaddexp",
    "logaddexp2",
    "logit",
    "rad2deg",
    "sinc",
]

_make = Tensor._make
_LN2 = math.log(2.0)
_SQRT2 = math.sqrt(2.0)


def _pair(input: Tensor, other: Any) -> tuple[Tensor, Tensor]:
    return input, other if isinstance(other, Tensor) else _as_tensor(other, input)


def _binary_float(x: Tensor, y: Tensor, fn: Any) -> Tensor:
    xa, ya = _float_operands(x, y)
    with _quiet():
        out = fn(xa, ya)
    return _make(np.asarray(out, dtype=np.result_type(xa, ya)))


class Atan2(Function):
    """atan2(y, x), the angle of the point (x, y);  d/dy = x / r^2, d/dx = -y / r^2."""

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return _binary_float(a, b, np.arctan2)

    @staticmethod
    def backward(ctx, grad):
        y, x = ctx.saved_tensors
        r2 = x * x + y * y
        return grad * x / r2, grad * -y / r2


def atan2(input: Tensor, other: Any) -> Tensor:
    """Element-wise ``atan2(input, other)`` in radians, quadrant-aware."""
    return Atan2.apply(*_pair(input, other))


arctan2 = atan2


class Hypot(Function):
    """sqrt(a^2 + b^2) without overflow;  d/da = a / out, d/db = b / out."""

    @staticmethod
    def forward(ctx, a, b):
        out = _binary_float(a, b, np.hypot)
        ctx.save_for_backward(a, b, out)
        return out

    @staticmethod
    def backward(ctx, grad):
        a, b, out = ctx.saved_tensors
        return grad * a / out, grad * b / out


def hypot(input: Tensor, other: Any) -> Tensor:
    """Element-wise ``sqrt(input^2 + other^2)``."""
    return Hypot.apply(*_pair(input, other))


class LogAddExp(Function):
    """log(e^a + e^b) (base 2 when ``base2``);  d/da = sigmoid(a - b), d/db = sigmoid(b - a)
    (times ln 2 inside the sigmoid for base 2)."""

    @staticmethod
    def forward(ctx, a, b, base2):
        ctx.save_for_backward(a, b)
        ctx.scale = _LN2 if base2 else 1.0
        return _binary_float(a, b, np.logaddexp2 if base2 else np.logaddexp)

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        d = (a - b) * ctx.scale
        return grad * sigmoid(d), grad * sigmoid(-d), None


def logaddexp(input: Tensor, other: Any) -> Tensor:
    """Element-wise ``log(exp(input) + exp(other))``, computed without overflow."""
    return LogAddExp.apply(*_pair(input, other), False)


def logaddexp2(input: Tensor, other: Any) -> Tensor:
    """Element-wise ``log2(2**input + 2**other)``, computed without overflow."""
    return LogAddExp.apply(*_pair(input, other), True)


def _as_float(input: Tensor) -> Tensor:
    return input if input.is_floating_point() else input.float()


def logit(input: Tensor, eps: float | None = None) -> Tensor:
    """``log(p / (1 - p))``, with ``p`` clamped to ``[eps, 1 - eps]`` when ``eps`` is given
    (the gradient is then 0 outside that range)."""
    p = _as_float(input)
    if eps is not None:
        p = clamp(p, eps, 1.0 - eps)
    return log(p) - log1p(-p)


def exp2(input: Tensor) -> Tensor:
    """Element-wise ``2 ** input``."""
    return exp(_as_float(input) * _LN2)


def deg2rad(input: Tensor) -> Tensor:
    """Degrees to radians."""
    return _as_float(input) * (math.pi / 180.0)


def rad2deg(input: Tensor) -> Tensor:
    """Radians to degrees."""
    return _as_float(input) * (180.0 / math.pi)


def sinc(input: Tensor) -> Tensor:
    """The normalised sinc, ``sin(pi x) / (pi x)``, 1 at 0 (where its derivative is 0)."""
    x = _as_float(input)
    zero = x == 0
    # At 0 divide by 1 instead of 0, then overwrite: both branches stay finite, so the
    # gradient (0 at x = 0 from the where) never meets 0/0.
    px = where(zero, _scalar_like(1.0, x), x) * math.pi
    return where(zero, _scalar_like(1.0, x), sin(px) / px)


# ----------------------------------------------------------------------------- erfinv
_erf = np.frompyfunc(math.erf, 1, 1)


def _erfinv_np(y: np.ndarray) -> np.ndarray:
    """erf^-1 in float64: a rational first guess refined by Newton steps on erf (libm's), which
    converge quadratically; three bring the float64 error to rounding level."""
    y64 = np.asarray(y, dtype=np.float64)
    with _quiet():
        # Start from the inverse of erf(x) ~ sign(x) sqrt(1 - exp(-x^2 (4/pi + a x^2)/(1 + a x^2)))
        a = 0.147
        ln = np.log1p(-y64 * y64)
        t = 2.0 / (math.pi * a) + ln / 2.0
        x = np.sign(y64) * np.sqrt(np.sqrt(t * t - ln / a) - t)
        interior = np.abs(y64) < 1
        for _ in range(3):
            step = (np.asarray(_erf(x), dtype=np.float64) - y64) / (
                2.0 / math.sqrt(math.pi) * np.exp(-x * x)
            )
            x = np.where(interior, x - step, x)
        x = np.where(np.abs(y64) == 1, np.sign(y64) * np.inf, x)
    return np.where(np.abs(y64) > 1, np.nan, x)


_erfc_exact = np.frompyfunc(math.erfc, 1, 1)


class Erfc(Function):
    """erfc(x) = 1 - erf(x), from libm (no cancellation where erf is near 1);
    derivative -2/sqrt(pi) e^(-x^2)."""

    @staticmethod
    def forward(ctx, a):
        x = a._data if a._data.dtype.kind == "f" else a._data.astype(np.float32)
        ctx.save_for_backward(a)
        return _make(
            np.asarray(_erfc_exact(x.astype(np.float64)), dtype=np.float64).astype(x.dtype)
        )

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * (-2.0 / math.sqrt(math.pi)) * exp(-x * x)


def erfc(input: Tensor) -> Tensor:
    """``1 - erf(x)``, accurate where erf is near 1 (through libm's erfc)."""
    return Erfc.apply(input)


class Erfinv(Function):
    """erfinv(y);  derivative sqrt(pi)/2 exp(erfinv(y)^2)."""

    @staticmethod
    def forward(ctx, a):
        x = a._data if a._data.dtype.kind == "f" else a._data.astype(np.float32)
        out = _make(_erfinv_np(x).astype(x.dtype))
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        (out,) = ctx.saved_tensors
        return grad * (math.sqrt(math.pi) / 2.0) * exp(out * out)


def erfinv(input: Tensor) -> Tensor:
    """The inverse error function on (-1, 1) (±inf at ±1, NaN outside)."""
    return Erfinv.apply(input)


# ----------------------------------------------------------------------------- normal CDF
def _ndtr_np(x: np.ndarray) -> np.ndarray:
    # erfc(-x / sqrt 2) / 2 keeps full relative precision in the lower tail, where
    # (1 + erf) / 2 would cancel to 0.
    upper_tail = np.asarray(_erfc_exact(-x.astype(np.float64) / _SQRT2), dtype=np.float64)
    return (upper_tail / 2).astype(x.dtype)


class _LogNdtr(Function):
    """log Phi(x);  derivative phi(x) / Phi(x) = exp(-x^2/2 - log Phi(x)) / sqrt(2 pi)."""

    @staticmethod
    def forward(ctx, a):
        x = a._data if a._data.dtype.kind == "f" else a._data.astype(np.float32)
        with np.errstate(divide="ignore"):
            # log1p(-Phi(-x)) above 0, where Phi(x) rounds to 1 but its distance to 1 does not
            upper = np.log1p(-_ndtr_np(-np.abs(x)))
            out = _make(np.where(x > 0, upper, np.log(_ndtr_np(x))).astype(x.dtype))
        ctx.save_for_backward(a, out)
        return out

    @staticmethod
    def backward(ctx, grad):
        x, out = ctx.saved_tensors
        return grad * exp(-0.5 * x * x - out) / math.sqrt(2 * math.pi)


def ndtr(input: Tensor) -> Tensor:
    """The standard normal CDF, ``(1 + erf(x / sqrt 2)) / 2``."""
    return exp(log_ndtr(input))


def ndtri(input: Tensor) -> Tensor:
    """The inverse of :func:`ndtr`, ``sqrt 2 * erfinv(2p - 1)``."""
    return erfinv(2.0 * input - 1.0) * _SQRT2


def log_ndtr(input: Tensor) -> Tensor:
    """``log(ndtr(x))``, accurate far into the lower tail (through erfc)."""
    return _LogNdtr.apply(input)


# ----------------------------------------------------------------------------- entropy terms
def entr(input: Tensor) -> Tensor:
    """``-x log x`` (0 at 0, -inf for x < 0)."""
    out = where(input == 0, input * 0.0, -xlogy(input, input))  # +0 at 0, as in torch
    return where(input < 0, input * 0.0 - math.inf, out)


def xlog1py(input: Tensor, other: Any) -> Tensor:
    """``x * log1p(y)``, 0 where x = 0."""
    y = other if isinstance(other, Tensor) else input.new_full((), other)
    return where(input == 0, input * 0.0, input * log1p(y))


# ----------------------------------------------------------------------------- gamma family
_lgamma = np.frompyfunc(math.lgamma, 1, 1)


def _lgamma_np(x: np.ndarray) -> np.ndarray:
    out = np.empty(x.shape, dtype=np.float64)
    finite = np.isfinite(x) & ~((x <= 0) & (x == np.floor(x)))
    out[finite] = np.asarray(_lgamma(x[finite].astype(np.float64)), dtype=np.float64)
    out[~finite] = np.where(np.isnan(x[~finite]), np.nan, np.inf)
    return out


def _polygamma_np(order: int, x: np.ndarray) -> np.ndarray:
    """digamma (order 0) or trigamma (order 1) in float64.

    Shift x up by the recurrences psi(x) = psi(x+1) - 1/x, psi'(x) = psi'(x+1) + 1/x^2 until
    x >= 20, then use the asymptotic series (the first omitted term is below 1e-15 relative there). Negative x goes through
    the reflection formulas; the poles (0, -1, -2, ...) give NaN for digamma as in PyTorch's
    convention of -inf/nan there, and +inf for trigamma.
    """
    x = np.asarray(x, dtype=np.float64)
    out = np.full(x.shape, np.nan)
    pole = (x <= 0) & (x == np.floor(x))
    neg = (x < 0) & ~pole
    z = np.where(neg, 1.0 - x, x)
    z = np.where(pole | ~np.isfinite(z), 20.0, z)
    acc = np.zeros_like(z)
    while True:
        small = z < 20
        if not small.any():
            break
        acc = np.where(small, acc + (1.0 / z if order == 0 else 1.0 / (z * z)), acc)
        z = np.where(small, z + 1.0, z)
    inv2 = 1.0 / (z * z)
    if order == 0:
        series = (
            np.log(z) - 0.5 / z - inv2 * (1 / 12 - inv2 * (1 / 120 - inv2 * (1 / 252 - inv2 / 240)))
        )
        value = series - acc
    else:
        series = (
            1 / z
            + 0.5 * inv2
            + (1 / z) * inv2 * (1 / 6 - inv2 * (1 / 30 - inv2 * (1 / 42 - inv2 / 30)))
        )
        value = series + acc
    with _quiet():
        if order == 0:  # psi(x) = psi(1 - x) - pi cot(pi x)
            value = np.where(neg, value - math.pi / np.tan(math.pi * x), value)
        else:  # psi'(x) = -psi'(1 - x) + pi^2 / sin^2(pi x)
            value = np.where(neg, -value + (math.pi / np.sin(math.pi * x)) ** 2, value)
    finite_in = np.isfinite(x) & ~pole
    out[finite_in] = value[finite_in]
    if order == 0:
        out[x == np.inf] = np.inf
        out[pole] = np.nan
        out[x == 0] = -np.inf  # PyTorch's value at 0 (the other poles give NaN)
    else:
        out[x == np.inf] = 0.0
        out[pole] = np.inf
    return out


class Lgamma(Function):
    """log |Gamma(x)|;  derivative digamma(x)."""

    @staticmethod
    def forward(ctx, a):
        x = a._data if a._data.dtype.kind == "f" else a._data.astype(np.float32)
        ctx.save_for_backward(a)
        return _make(_lgamma_np(x).astype(x.dtype))

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * digamma(x)


class Digamma(Function):
    """psi(x) = d/dx log Gamma(x);  derivative the trigamma function, computed in numpy."""

    @staticmethod
    def forward(ctx, a):
        x = a._data if a._data.dtype.kind == "f" else a._data.astype(np.float32)
        ctx.save_for_backward(a)
        return _make(_polygamma_np(0, x).astype(x.dtype))

    @staticmethod
    @once_differentiable
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        trigamma = _polygamma_np(1, x._data).astype(grad._data.dtype)
        return _make(grad._data * trigamma)


def lgamma(input: Tensor) -> Tensor:
    """``log |Gamma(input)|`` element-wise."""
    return Lgamma.apply(input)


def digamma(input: Tensor) -> Tensor:
    """The digamma function ``d/dx log Gamma(x)`` element-wise."""
    return Digamma.apply(input)


# ----------------------------------------------------------------------------- incomplete gamma
def _lower_gamma_series(alpha: np.ndarray, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The regularised lower incomplete gamma function P(alpha, x) and its derivative in alpha.

    P(alpha, x) = sum_n T_n with T_n = x^(alpha+n) e^(-x) / Gamma(alpha+n+1), so
    dP/dalpha = sum_n T_n (log x - psi(alpha+n+1)). The terms are built by the recurrences
    T_n = T_(n-1) x / (alpha+n) and psi(alpha+n+1) = psi(alpha+n) + 1/(alpha+n); they peak near
    n = x - alpha and fall off like a Gaussian of width sqrt(x), which bounds the term count.
    Computed in float64; P = 0 and dP/dalpha = 0 for x <= 0.
    """
    a = alpha.astype(np.float64)
    positive = x > 0
    x = np.where(positive, x, 1.0).astype(np.float64)
    log_x = np.log(x)
    log_term = a * log_x - x - _lgamma_np(a + 1)
    psi = _polygamma_np(0, a + 1)
    p = np.zeros_like(x)
    dp_dalpha = np.zeros_like(x)
    n_terms = int(np.ceil(np.max(np.maximum(x - a, 0) + 12 * np.sqrt(x) + 50, initial=0)))
    for n in range(1, n_terms + 1):
        term = np.exp(log_term)
        p += term
        dp_dalpha += term * (log_x - psi)
        log_term += log_x - np.log(a + n)
        psi += 1 / (a + n)
    return np.where(positive, p, 0.0), np.where(positive, dp_dalpha, 0.0)


def _log_density(alpha: np.ndarray, x: np.ndarray) -> np.ndarray:
    """log of the Gamma(alpha, 1) density at x > 0."""
    return (alpha - 1) * np.log(x) - x - _lgamma_np(alpha)


def _standard_gamma_grad(alpha: np.ndarray, x: np.ndarray) -> np.ndarray:
    """d x / d alpha for x ~ Gamma(alpha, 1) held at a fixed CDF level (implicit
    reparameterisation): ``-(dP/dalpha)(alpha, x) / p(x; alpha)``, p the density."""
    _, dp_dalpha = _lower_gamma_series(alpha, x)
    a, x64 = alpha.astype(np.float64), x.astype(np.float64)
    return (-dp_dalpha * np.exp(-_log_density(a, x64))).astype(alpha.dtype)


class _RegularizedGammaP(Function):
    """P(alpha, x);  dP/dx = the Gamma(alpha, 1) density, dP/dalpha by the series."""

    @staticmethod
    def forward(ctx, alpha, x):
        p, dp_dalpha = _lower_gamma_series(alpha._data, x._data)
        ctx.save_for_backward(alpha, x)
        ctx.dp_dalpha = dp_dalpha
        return _make(p.astype(x._data.dtype))

    @staticmethod
    @once_differentiable
    def backward(ctx, grad):
        alpha, x = ctx.saved_tensors
        a, x64 = alpha._data.astype(np.float64), x._data.astype(np.float64)
        with np.errstate(divide="ignore"):
            density = np.where(x64 > 0, np.exp(_log_density(a, np.maximum(x64, 1e-300))), 0.0)
        dtype = grad._data.dtype
        return (
            _make((grad._data * ctx.dp_dalpha).astype(dtype)),
            _make((grad._data * density).astype(dtype)),
        )


def regularized_gamma_p(alpha: Tensor, x: Tensor) -> Tensor:
    """The regularised lower incomplete gamma function ``P(alpha, x)`` of two tensors of one
    shape (the Gamma(alpha, 1) CDF at ``x``), differentiable once in both."""
    return _RegularizedGammaP.apply(alpha, x)


# ----------------------------------------------------------------------------- samplers
class _StandardGamma(Function):
    """x ~ Gamma(alpha, 1), differentiable in alpha by implicit reparameterisation."""

    @staticmethod
    def forward(ctx, alpha):
        draws = _rng(None).standard_gamma(alpha._data).astype(alpha._data.dtype)
        x = _make(np.maximum(draws, np.finfo(draws.dtype).tiny))
        ctx.save_for_backward(alpha, x)
        return x

    @staticmethod
    @once_differentiable
    def backward(ctx, grad):
        alpha, x = ctx.saved_tensors
        return _make(grad._data * _standard_gamma_grad(alpha._data, x._data))


def standard_gamma(concentration: Tensor) -> Tensor:
    """Gamma(concentration, 1) samples of the concentration's shape, differentiable in the
    concentration; clamped away from 0 (a tiny concentration can underflow to 0)."""
    return _StandardGamma.apply(concentration)


def numpy_sample(draw: str, shape: Any, dtype: Any, *params: Tensor) -> Tensor:
    """Samples from the default generator's numpy method ``draw`` (``"standard_gamma"``,
    ``"poisson"``, ``"binomial"`` ...) with the parameters broadcast to ``shape``, so that
    ``pybigml.manual_seed`` makes them reproducible.

    Args:
        draw: the name of a ``numpy.random.Generator`` method.
        shape: the output shape.
        dtype: the output dtype.
        params: the method's parameters, broadcastable to ``shape``.
    Returns:
        A tensor without a graph.
    """
    shape = tuple(shape)
    arrays = [np.broadcast_to(p._data, shape) for p in params]
    out = getattr(_rng(None), draw)(*arrays, size=shape)
    return as_tensor(np.asarray(out), dtype=dtype)


# ----------------------------------------------------------------------------- inverse hyperbolic
Acosh, acosh = _unary("acosh", np.arccosh, lambda x, y, g: g * rsqrt(x * x - 1))
Asinh, asinh = _unary("asinh", np.arcsinh, lambda x, y, g: g * rsqrt(x * x + 1))
Atanh, atanh = _unary("atanh", np.arctanh, lambda x, y, g: g / (1 - x * x))
arccos, arcsin, arctan = acos, asin, atan
arccosh, arcsinh, arctanh = acosh, asinh, atanh


# ----------------------------------------------------------------------------- sign bits, tests
def signbit(input: Tensor) -> Tensor:
    """True where the sign bit is set (negative numbers, -0.0, NaN with the bit set)."""
    return _make(np.signbit(input._data))


def copysign(input: Tensor, other: Any) -> Tensor:
    """``|input|`` with the sign of ``other`` (its sign bit, so -0.0 counts as negative).
    The gradient reaches ``input`` only (0 at ``input = 0``), as in PyTorch."""
    other_t = other if isinstance(other, Tensor) else _as_tensor(float(other), _as_float(input))
    negative = _make(np.signbit(other_t._data))
    magnitude = _as_float(input).abs()
    if magnitude.dtype != other_t.dtype and other_t.is_floating_point():
        magnitude = magnitude.to(_dtype.promote_types(magnitude.dtype, other_t.dtype))
    return where(negative, -magnitude, magnitude)


def heaviside(input: Tensor, values: Tensor) -> Tensor:
    """1 where ``input > 0``, ``values`` where it is 0, else 0 (NaN too); not differentiable."""
    x, v = _operands(input, values)
    return _make(np.asarray(np.where(x == 0, v, x > 0).astype(np.result_type(x, v))))


def isposinf(input: Tensor) -> Tensor:
    return _make(np.isposinf(input._data))


def isneginf(input: Tensor) -> Tensor:
    return _make(np.isneginf(input._data))


def isreal(input: Tensor) -> Tensor:
    """True everywhere: pybigml's tensors are real."""
    return _make(np.ones(input._data.shape, dtype=bool))


def angle(input: Tensor) -> Tensor:
    """The argument of a real number: 0 for x >= 0, pi for x < 0, NaN for NaN."""
    x = _as_float(input)._data
    with _quiet():
        out = np.where(x < 0, np.pi, 0.0).astype(x.dtype)
    out[np.isnan(x)] = np.nan
    return _make(out)


def _integers(op: str, input: Tensor, other: Tensor) -> tuple[np.ndarray, np.ndarray]:
    x, y = _operands(input, other)
    if np.asarray(x).dtype.kind not in "iu" or np.asarray(y).dtype.kind not in "iu":
        raise RuntimeError(f"\"{op}_cpu\" not implemented for '{input.dtype}'")
    return x, y


def gcd(input: Tensor, other: Tensor) -> Tensor:
    """The greatest common divisor of integers, element-wise."""
    return _make(np.asarray(np.gcd(*_integers("gcd", input, other))))


def lcm(input: Tensor, other: Tensor) -> Tensor:
    """The least common multiple of integers, element-wise."""
    return _make(np.asarray(np.lcm(*_integers("lcm", input, other))))


def ldexp(input: Tensor, other: Tensor) -> Tensor:
    """``input * 2 ** other``."""
    return _as_float(input) * exp2(other)


def frexp(input: Tensor) -> tuple[Tensor, Tensor]:
    """``(mantissa, exponent)`` with ``input = mantissa * 2 ** exponent``, |mantissa| in [0.5, 1)."""
    if not input.is_floating_point():
        raise RuntimeError(
            f"torch.frexp() only supports floating-point dtypes, but got {input.dtype}"
        )
    mantissa, exponent = np.frexp(input._data)
    return _make(mantissa), _make(exponent.astype(np.int32))


# ----------------------------------------------------------------------------- aliases
absolute, multiply, subtract, divide = abs, mul, sub, div


def positive(input: Tensor) -> Tensor:
    """``input`` itself (unary plus)."""
    if input.dtype == _dtype.bool_:
        raise TypeError("The `+` operator, on a bool tensor is not supported.")
    return input
