"""The gamma distribution."""

from __future__ import annotations

from typing import Any

import numpy as np

from .._info import finfo
from .._tensor import Tensor
from ..autograd.function import Function, once_differentiable
from ..ops.pointwise import log, xlogy
from ..ops.special import _lgamma_np, _polygamma_np, digamma, lgamma
from ..random import _rng
from . import constraints
from .distribution import Distribution
from .utils import broadcast_all


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
        return Tensor._make(p.astype(x._data.dtype))

    @staticmethod
    @once_differentiable
    def backward(ctx, grad):
        alpha, x = ctx.saved_tensors
        a, x64 = alpha._data.astype(np.float64), x._data.astype(np.float64)
        with np.errstate(divide="ignore"):
            density = np.where(x64 > 0, np.exp(_log_density(a, np.maximum(x64, 1e-300))), 0.0)
        dtype = grad._data.dtype
        return (
            Tensor._make((grad._data * ctx.dp_dalpha).astype(dtype)),
            Tensor._make((grad._data * density).astype(dtype)),
        )


class _StandardGamma(Function):
    """x ~ Gamma(alpha, 1), differentiable in alpha by implicit reparameterisation."""

    @staticmethod
    def forward(ctx, alpha):
        draws = _rng(None).standard_gamma(alpha._data).astype(alpha._data.dtype)
        x = Tensor._make(np.maximum(draws, np.finfo(draws.dtype).tiny))
        ctx.save_for_backward(alpha, x)
        return x

    @staticmethod
    @once_differentiable
    def backward(ctx, grad):
        alpha, x = ctx.saved_tensors
        return Tensor._make(grad._data * _standard_gamma_grad(alpha._data, x._data))


def standard_gamma(concentration: Tensor) -> Tensor:
    """Gamma(concentration, 1) samples of the concentration's shape, differentiable in the
    concentration; clamped away from 0 (a tiny concentration can underflow to 0)."""
    return _StandardGamma.apply(concentration)


class Gamma(Distribution):
    """Gamma distribution with density ``rate^a x^(a-1) exp(-rate x) / Gamma(a)``, a = concentration.

    Args:
        concentration: the shape parameter ``a`` (> 0).
        rate: the inverse scale (> 0).
        validate_args: check the parameters and ``log_prob`` values.
    """

    arg_constraints = {"concentration": constraints.positive, "rate": constraints.positive}
    support = constraints.nonnegative
    has_rsample = True

    def __init__(self, concentration: Any, rate: Any, validate_args: bool | None = None) -> None:
        self.concentration, self.rate = broadcast_all(concentration, rate)
        super().__init__(self.concentration.size(), validate_args=validate_args)

    def expand(self, batch_shape: Any, _instance: Any = None) -> Gamma:
        new = self._get_checked_instance(Gamma, _instance)
        return self._expand_params(new, batch_shape, ("concentration", "rate"))

    @property
    def mean(self) -> Tensor:
        return self.concentration / self.rate

    @property
    def mode(self) -> Tensor:
        return ((self.concentration - 1) / self.rate).clamp(min=0)

    @property
    def variance(self) -> Tensor:
        return self.concentration / self.rate.pow(2)

    def rsample(self, sample_shape: Any = ()) -> Tensor:
        """``standard_gamma(concentration) / rate``, differentiable in both parameters."""
        shape = self._extended_shape(sample_shape)
        value = standard_gamma(self.concentration.expand(shape)) / self.rate.expand(shape)
        return value.clamp(min=finfo(value.dtype).tiny)

    def log_prob(self, value: Tensor) -> Tensor:
        if self._validate_args:
            self._validate_sample(value)
        a, rate = self.concentration, self.rate
        return xlogy(a, rate) + xlogy(a - 1, value) - rate * value - lgamma(a)

    def cdf(self, value: Tensor) -> Tensor:
        """``P(concentration, rate * value)``, the regularised lower incomplete gamma function."""
        if self._validate_args:
            self._validate_sample(value)
        a, x = broadcast_all(self.concentration, self.rate * value)
        return _RegularizedGammaP.apply(a, x)

    def entropy(self) -> Tensor:
        a = self.concentration
        return a - log(self.rate) + lgamma(a) + (1.0 - a) * digamma(a)
