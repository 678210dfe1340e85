"""The binomial distribution: successes in ``total_count`` Bernoulli trials."""

from __future__ import annotations

from typing import Any

from .._tensor import Tensor
from ..ops.creation import arange
from ..ops.pointwise import exp, log1p
from ..ops.special import lgamma, numpy_sample
from . import constraints
from .distribution import Distribution
from .utils import _BinaryProbsLogits


def _clamp_by_zero(x: Tensor) -> Tensor:
    """``max(x, 0)`` with gradient 1/2 at 0 (the mean of the two one-sided slopes)."""
    return (x.clamp(min=0) + x - x.clamp(max=0)) / 2


class Binomial(_BinaryProbsLogits, Distribution):
    """Binomial distribution: the number of successes in ``total_count`` trials.

    Args:
        total_count: number of trials (a non-negative integer, may be a tensor).
        probs: success probability (exactly one of ``probs`` and ``logits``).
        logits: success log-odds.
        validate_args: check the parameters and ``log_prob`` values.
    """

    arg_constraints = {
        "total_count": constraints.nonnegative_integer,
        "probs": constraints.unit_interval,
        "logits": constraints.real,
    }
    has_enumerate_support = True

    def __init__(
        self,
        total_count: Any = 1,
        probs: Any = None,
        logits: Any = None,
        validate_args: bool | None = None,
    ) -> None:
        (total_count,) = self._set_probs_or_logits(probs, logits, total_count)
        self._param = self.probs if probs is not None else self.logits
        self.total_count = total_count.type_as(self._param)
        super().__init__(self._param.size(), validate_args=validate_args)

    def expand(self, batch_shape: Any, _instance: Any = None) -> Binomial:
        new = self._get_checked_instance(Binomial, _instance)
        new = self._expand_params(new, batch_shape, ("total_count", "probs", "logits"))
        new._param = new.__dict__.get("probs", new.__dict__.get("logits"))
        return new

    @constraints.dependent_property(is_discrete=True, event_dim=0)
    def support(self) -> constraints.Constraint:
        return constraints.integer_interval(0, self.total_count)

    @property
    def param_shape(self) -> Any:
        return self._param.size()

    @property
    def mean(self) -> Tensor:
        return self.total_count * self.probs

    @property
    def mode(self) -> Tensor:
        return ((self.total_count + 1) * self.probs).floor().clamp(max=self.total_count)

    @property
    def variance(self) -> Tensor:
        return self.total_count * self.probs * (1 - self.probs)

    def sample(self, sample_shape: Any = ()) -> Tensor:
        shape = self._extended_shape(sample_shape)
        n = self.total_count.detach().long()
        return numpy_sample("binomial", shape, self.probs.dtype, n, self.probs.detach())

    def log_prob(self, value: Tensor) -> Tensor:
        """``log C(n, k) + k logit - n log(1 + e^logit)``, the last term written stably."""
        if self._validate_args:
            self._validate_sample(value)
        n, logits = self.total_count, self.logits
        log_factorial_n = lgamma(n + 1)
        log_factorial_k = lgamma(value + 1)
        log_factorial_nmk = lgamma(n - value + 1)
        normalizer = n * _clamp_by_zero(logits) + n * log1p(exp(-logits.abs())) - log_factorial_n
        return value * logits - log_factorial_k - log_factorial_nmk - normalizer

    def entropy(self) -> Tensor:
        """The sum over the support of ``-p log p`` (needs one ``total_count`` for all)."""
        total_count = int(self.total_count.max())
        if not self.total_count.min() == total_count:
            raise NotImplementedError("Inhomogeneous total count not supported by `entropy`.")
        log_prob = self.log_prob(self.enumerate_support(False))
        return -(exp(log_prob) * log_prob).sum(0)

    def enumerate_support(self, expand: bool = True) -> Tensor:
        total_count = int(self.total_count.max())
        if not self.total_count.min() == total_count:
            raise NotImplementedError(
                "Inhomogeneous total count not supported by `enumerate_support`."
            )
        values = arange(1 + total_count, dtype=self._param.dtype)
        values = values.view((-1,) + (1,) * len(self._batch_shape))
        return values.expand((-1,) + tuple(self._batch_shape)) if expand else values
