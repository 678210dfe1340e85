"""``pybigml.special``: PyTorch's ``torch.special`` names for the special functions pybigml has.

Most are the top-level ops under their SciPy-style names (``expit`` is ``sigmoid``,
``gammaln`` is ``lgamma``, ``psi`` is ``digamma``); ``ndtr``, ``ndtri``, ``log_ndtr``,
``entr`` and ``xlog1py`` are written here from those ops, so they differentiate too.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ._tensor import Tensor
from .autograd.function import Function
from .ops.pointwise import erf, exp, expm1, log1p, round, sigmoid, where, xlogy
from .ops.reduction import log_softmax, logsumexp, softmax
from .ops.special import digamma, erfc, erfinv, exp2, lgamma, logit, sinc

__all__ = [
    "erfc",
    "round",
    "digamma",
    "entr",
    "erf",
    "erfinv",
    "exp2",
    "expit",
    "expm1",
    "gammaln",
    "log1p",
    "log_ndtr",
    "log_softmax",
    "logit",
    "logsumexp",
    "ndtr",
    "ndtri",
    "psi",
    "sinc",
    "softmax",
    "xlog1py",
    "xlogy",
]

expit = sigmoid
gammaln = lgamma
psi = digamma
_SQRT2 = math.sqrt(2.0)


_erfc = np.frompyfunc(math.erfc, 1, 1)


def _ndtr_np(x: np.ndarray) -> np.ndarray:
    # erfc(-x / sqrt 2) / 2 keeps full relative precision in the lower tail, where
    # (1 + erf) / 2 would cancel to 0.
    return (np.asarray(_erfc(-x.astype(np.float64) / _SQRT2), dtype=np.float64) / 2).astype(x.dtype)


class _LogNdtr(Function):
    """log Phi(x);  derivative phi(x) / Phi(x) = exp(-x^2/2 - log Phi(x)) / sqrt(2 pi)."""

    @staticmethod
    def forward(ctx, a):
        x = a._data if a._data.dtype.kind == "f" else a._data.astype(np.float32)
        with np.errstate(divide="ignore"):
            # log1p(-Phi(-x)) above 0, where Phi(x) rounds to 1 but its distance to 1 does not
            upper = np.log1p(-_ndtr_np(-np.abs(x)))
            out = Tensor._make(np.where(x > 0, upper, np.log(_ndtr_np(x))).astype(x.dtype))
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


def entr(input: Tensor) -> Tensor:
    """``-x log x`` (0 at 0, -inf for x < 0)."""
    out = where(input == 0, input * 0.0, -xlogy(input, input))  # +0 at 0, as in torch
    return where(input < 0, input * 0.0 - math.inf, out)


def xlog1py(input: Tensor, other: Any) -> Tensor:
    """``x * log1p(y)``, 0 where x = 0."""
    y = other if isinstance(other, Tensor) else input.new_full((), other)
    return where(input == 0, input * 0.0, input * log1p(y))
