"""``pybigml.special``: PyTorch's ``torch.special`` names for the special functions pybigml has.

A façade over the ops: most are the top-level ops under their SciPy-style names (``expit`` is
``sigmoid``, ``gammaln`` is ``lgamma``, ``psi`` is ``digamma``); ``ndtr``, ``ndtri``,
``log_ndtr``, ``entr`` and ``xlog1py`` are ``torch.special`` names only, defined with their
gradients in :mod:`pybigml.ops.special`.
"""

from __future__ import annotations

from .ops.pointwise import erf, expm1, log1p, round, sigmoid, xlogy
from .ops.reduction import log_softmax, logsumexp, softmax
from .ops.special import (
    digamma,
    entr,
    erfc,
    erfinv,
    exp2,
    lgamma,
    log_ndtr,
    logit,
    ndtr,
    ndtri,
    sinc,
    xlog1py,
)

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
