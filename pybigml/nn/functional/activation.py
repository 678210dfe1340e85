"""Activation functions: ``relu`` and its relatives, the gated and shrinking units, and the
softmax family.

The element-wise activations that have a derivative of their own are ops of
``pybigml.ops.pointwise`` (forward and derivative side by side there); the rest are
compositions of tensor ops, so autograd differentiates them to any order. Where PyTorch's
derivative differs from the composite's at a kink, the composite is arranged to agree:
``_hardtanh`` passes the gradient strictly inside its bounds only, as ``hardtanh_backward``.
Each in-place form (``relu_``, ...) comes from ``ops.inplace``, which writes the result into
the input's memory and keeps the graph correct.
"""

from __future__ import annotations

import warnings
from typing import Any

from ..._tensor import Tensor
from ...ops import pointwise
from ...ops.creation import empty_like, zeros_like
from ...ops.inplace import inplace as _inplace_form
from ...ops.pointwise import where
from ...ops.reduction import log_softmax as _log_softmax
from ...ops.reduction import softmax as _softmax
from .normalization import _channel_shape

_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946

relu_ = _inplace_form(pointwise.relu, "relu_")
leaky_relu_ = _inplace_form(pointwise.leaky_relu, "leaky_relu_")
elu_ = _inplace_form(pointwise.elu, "elu_")
_silu_ = _inplace_form(pointwise.silu, "silu_")
_mish_ = _inplace_form(pointwise.mish, "mish_")


# --------------------------------------------------------------------------- element-wise ops
def relu(input: Tensor, inplace: bool = False) -> Tensor:
    """``max(x, 0)``."""
    return relu_(input) if inplace else pointwise.relu(input)


def leaky_relu(input: Tensor, negative_slope: float = 0.01, inplace: bool = False) -> Tensor:
    """``x`` where ``x > 0``, ``negative_slope * x`` elsewhere."""
    if inplace:
        return leaky_relu_(input, negative_slope)
    return pointwise.leaky_relu(input, negative_slope)


def gelu(input: Tensor, approximate: str = "none") -> Tensor:
    """``x * Phi(x)`` with ``Phi`` the standard normal CDF (``approximate="tanh"``: the tanh
    approximation)."""
    if approximate not in ("none", "tanh"):
        raise RuntimeError("approximate argument must be either none or tanh.")
    return pointwise.gelu(input, approximate=approximate)


def silu(input: Tensor, inplace: bool = False) -> Tensor:
    """``x * sigmoid(x)`` (also called swish)."""
    return _silu_(input) if inplace else pointwise.silu(input)


def tanh(input: Tensor) -> Tensor:
    """``tanh(x)``."""
    return pointwise.tanh(input)


def sigmoid(input: Tensor) -> Tensor:
    """``1 / (1 + exp(-x))``."""
    return pointwise.sigmoid(input)


def softplus(input: Tensor, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
    """``log(1 + exp(beta x)) / beta``, and ``x`` itself where ``beta x > threshold``."""
    return pointwise.softplus(input, beta, threshold)


def elu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """``x`` where ``x > 0``, ``alpha (exp(x) - 1)`` elsewhere."""
    return elu_(input, alpha) if inplace else pointwise.elu(input, alpha)


def mish(input: Tensor, inplace: bool = False) -> Tensor:
    """``x tanh(softplus(x))``."""
    return _mish_(input) if inplace else pointwise.mish(input)


def logsigmoid(input: Tensor) -> Tensor:
    """``log(sigmoid(x)) = -softplus(-x)``, finite for any ``x``."""
    return pointwise.logsigmoid(input)


# --------------------------------------------------------------------------- compositions
def _hardtanh(input: Tensor, min_val: float = -1.0, max_val: float = 1.0) -> Tensor:
    """``clamp(x, min_val, max_val)`` with derivative 1 on the open interval, 0 elsewhere."""
    inside = (input > min_val) & (input < max_val)
    return where(inside, input, input.detach().clamp(min_val, max_val))


hardtanh_ = _inplace_form(_hardtanh, "hardtanh_")


def hardtanh(
    input: Tensor, min_val: float = -1.0, max_val: float = 1.0, inplace: bool = False
) -> Tensor:
    """``clamp(x, min_val, max_val)``; the gradient is 0 at and beyond the bounds."""
    if min_val > max_val:
        raise ValueError("min_val cannot be greater than max_val")
    return hardtanh_(input, min_val, max_val) if inplace else _hardtanh(input, min_val, max_val)


def relu6(input: Tensor, inplace: bool = False) -> Tensor:
    """``min(max(x, 0), 6)``: ``hardtanh`` on ``[0, 6]``."""
    return hardtanh(input, 0.0, 6.0, inplace)


def prelu(input: Tensor, weight: Tensor) -> Tensor:
    """``x`` where ``x > 0``, ``a x`` elsewhere, with a learnt slope ``a`` per channel.

    Args:
        input: ``(N, C, *)``; with fewer than 2 dims there is one channel.
        weight: one slope (0-d or 1 element) or ``C`` slopes, for dim 1 of ``input``.
    """
    if weight.ndim > 1:
        raise RuntimeError(
            f"prelu: Expected `weight` to be a scalar or 1D tensor, but got: ndim = {weight.ndim}"
        )
    channels = input.shape[1] if input.ndim >= 2 else 1
    if weight.numel() != 1 and weight.numel() != channels:
        raise RuntimeError(
            "Mismatch of parameter numbers and input channel size. Found parameter numbers = "
            f"{weight.numel()} and channel size = {channels}."
        )
    slope = weight.reshape(()) if weight.numel() == 1 else weight.reshape(_channel_shape(input))
    return where(input > 0, input, slope * input)


def softsign(input: Tensor) -> Tensor:
    """``x / (1 + |x|)``."""
    return input / (input.abs() + 1)


def _hardsigmoid(input: Tensor) -> Tensor:
    return _hardtanh(input + 3, 0.0, 6.0) / 6


def _hardswish(input: Tensor) -> Tensor:
    # Derivative: x / 3 + 1/2 strictly inside (-3, 3), 0 below, 1 above (and at the ends).
    return input * _hardtanh(input + 3, 0.0, 6.0) / 6


_hardsigmoid_ = _inplace_form(_hardsigmoid, "hardsigmoid_")


_hardswish_ = _inplace_form(_hardswish, "hardswish_")


def hardsigmoid(input: Tensor, inplace: bool = False) -> Tensor:
    """``relu6(x + 3) / 6``: 0 below -3, 1 above 3, linear between."""
    return _hardsigmoid_(input) if inplace else _hardsigmoid(input)


def hardswish(input: Tensor, inplace: bool = False) -> Tensor:
    """``x relu6(x + 3) / 6``."""
    return _hardswish_(input) if inplace else _hardswish(input)


def _threshold(input: Tensor, threshold: float, value: float) -> Tensor:
    # ``x <= threshold`` (not ``x > threshold``) so that NaN passes through, as in PyTorch.
    return where(input <= threshold, value, input)


threshold_ = _inplace_form(_threshold, "threshold_")


def threshold(input: Tensor, threshold: float, value: float, inplace: bool = False) -> Tensor:
    """``x`` where ``x > threshold``, ``value`` elsewhere."""
    return threshold_(input, threshold, value) if inplace else _threshold(input, threshold, value)


def glu(input: Tensor, dim: int = -1) -> Tensor:
    """Gated linear unit: split ``input`` in halves ``a, b`` along ``dim``; ``a sigmoid(b)``."""
    if input.ndim == 0:
        raise RuntimeError("glu does not support scalars because halving size must be even")
    if not -input.ndim <= dim < input.ndim:
        raise IndexError(
            f"Dimension out of range (expected to be in range of [{-input.ndim}, "
            f"{input.ndim - 1}], but got {dim})"
        )
    dim %= input.ndim
    size = input.shape[dim]
    if size % 2:
        raise RuntimeError(f"Halving dimension must be even, but dimension {dim} is size {size}")
    a, b = input.chunk(2, dim)
    return a * b.sigmoid()


def _elu_family(input: Tensor, alpha: float, scale: float, input_scale: float) -> Tensor:
    """``scale x`` where ``x > 0``, ``scale alpha (exp(input_scale x) - 1)`` elsewhere.

    The exponential only sees ``min(x, 0)``, so a large positive ``x`` can't overflow it (an
    ``inf`` there would turn the masked gradient into ``0 * inf = nan``).
    """
    negative = (input.clamp_max(0) * input_scale).expm1() * (scale * alpha)
    return where(input > 0, input * scale if scale != 1 else input, negative)


def _celu(input: Tensor, alpha: float = 1.0) -> Tensor:
    if alpha == 0:
        raise RuntimeError("ZeroDivisionError: alpha cannot be 0 for CELU")
    return _elu_family(input, alpha, 1.0, 1.0 / alpha)


def _selu(input: Tensor) -> Tensor:
    return _elu_family(input, _SELU_ALPHA, _SELU_SCALE, 1.0)


celu_ = _inplace_form(_celu, "celu_")


selu_ = _inplace_form(_selu, "selu_")


def celu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """``max(0, x) + min(0, alpha (exp(x / alpha) - 1))``."""
    return celu_(input, alpha) if inplace else _celu(input, alpha)


def selu(input: Tensor, inplace: bool = False) -> Tensor:
    """``scale (max(0, x) + min(0, alpha (exp(x) - 1)))`` with the self-normalising constants
    ``alpha = 1.6733``, ``scale = 1.0507``."""
    return selu_(input) if inplace else _selu(input)


def tanhshrink(input: Tensor) -> Tensor:
    """``x - tanh(x)``."""
    return input - input.tanh()


def softshrink(input: Tensor, lambd: float = 0.5) -> Tensor:
    """``x - lambd`` above ``lambd``, ``x + lambd`` below ``-lambd``, 0 between:
    ``x - clamp(x, -lambd, lambd)``, whose derivative is 0 on the closed interval."""
    if lambd < 0:
        raise RuntimeError(f"lambda must be greater or equal to 0, but found to be {lambd}.")
    return input - input.clamp(-lambd, lambd)


def hardshrink(input: Tensor, lambd: float = 0.5) -> Tensor:
    """``x`` where ``|x| > lambd``, 0 elsewhere."""
    return where((input >= -lambd) & (input <= lambd), 0, input)


def _rrelu(
    input: Tensor, lower: float = 1.0 / 8, upper: float = 1.0 / 3, training: bool = False
) -> Tensor:
    if lower > upper:
        raise RuntimeError("Lower bound should be less than or equal to the upper bound")
    if not training:
        return pointwise.leaky_relu(input, (lower + upper) / 2)
    slopes = empty_like(input).uniform_(lower, upper)
    return where(input > 0, input, input * slopes)


rrelu_ = _inplace_form(_rrelu, "rrelu_")


def rrelu(
    input: Tensor,
    lower: float = 1.0 / 8,
    upper: float = 1.0 / 3,
    training: bool = False,
    inplace: bool = False,
) -> Tensor:
    """Randomised leaky ReLU: ``x`` where ``x > 0``, ``a x`` elsewhere.

    In training each element draws its slope ``a ~ U(lower, upper)``; otherwise ``a`` is the
    fixed ``(lower + upper) / 2``.
    """
    if inplace:
        return rrelu_(input, lower, upper, training)
    return _rrelu(input, lower, upper, training)


# --------------------------------------------------------------------------- softmax family
def _softmax_dim(name: str, ndim: int, dim: int | None) -> int:
    """PyTorch's legacy rule when ``dim`` is omitted: dim 0 for 0-, 1- and 3-d input, else 1."""
    if dim is not None:
        return dim
    warnings.warn(
        f"Implicit dimension choice for {name} has been deprecated. "
        "Change the call to include dim=X as an argument.",
        stacklevel=3,
    )
    return 0 if ndim in (0, 1, 3) else 1


def softmax(
    input: Tensor, dim: int | None = None, _stacklevel: int = 3, dtype: Any = None
) -> Tensor:
    """``exp(x_i) / sum_j exp(x_j)`` along ``dim`` (input cast to ``dtype`` first if given)."""
    return _softmax(input, _softmax_dim("softmax", input.ndim, dim), dtype=dtype)


def log_softmax(
    input: Tensor, dim: int | None = None, _stacklevel: int = 3, dtype: Any = None
) -> Tensor:
    """``x_i - log sum_j exp(x_j)`` along ``dim``, computed stably."""
    return _log_softmax(input, _softmax_dim("log_softmax", input.ndim, dim), dtype=dtype)


def softmin(
    input: Tensor, dim: int | None = None, _stacklevel: int = 3, dtype: Any = None
) -> Tensor:
    """``softmax(-x)`` along ``dim``."""
    return _softmax(-input, _softmax_dim("softmin", input.ndim, dim), dtype=dtype)


def gumbel_softmax(
    logits: Tensor, tau: float = 1, hard: bool = False, eps: float = 1e-10, dim: int = -1
) -> Tensor:
    """A sample of the Gumbel-softmax (concrete) distribution: ``softmax((logits + g) / tau)``
    with ``g = -log(E)``, ``E ~ Exp(1)`` (Gumbel noise).

    With ``hard=True`` the sample is the one-hot vector of its argmax along ``dim``, while the
    gradient is that of the soft sample (straight-through: ``y_hard - y_soft.detach() +
    y_soft``).

    Args:
        logits: unnormalised log-probabilities ``(..., num_features)``.
        tau: temperature (> 0); lower is closer to one-hot.
        hard: return one-hot samples.
        eps: deprecated, unused.
        dim: the dimension of the categories.
    """
    if eps != 1e-10:
        warnings.warn("`eps` parameter is deprecated and has no effect.", stacklevel=2)
    if not logits.is_floating_point():
        raise RuntimeError(
            "Exponential distribution is a continuous probability distribution. dtype must be a "
            f"floating point but you specified {logits.dtype}"
        )
    gumbels = -empty_like(logits).exponential_().log()
    y_soft = ((logits + gumbels) / tau).softmax(dim)
    if not hard:
        return y_soft
    index = y_soft.max(dim, keepdim=True)[1]
    y_hard = zeros_like(logits).scatter_(dim, index, 1.0)
    return y_hard - y_soft.detach() + y_soft
