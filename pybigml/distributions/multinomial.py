"""The multinomial distribution: category counts of ``total_count`` categorical draws."""

from __future__ import annotations

import math
from typing import Any

from .._tensor import Tensor
from ..ops.creation import arange, as_tensor
from ..ops.pointwise import exp, where
from ..ops.special import lgamma
from . import constraints
from .binomial import Binomial
from .categorical import Categorical, _CategoricalView
from .distribution import Distribution
from .utils import broadcast_all


class Multinomial(_CategoricalView, Distribution):
    """Multinomial distribution over count vectors summing to ``total_count``.

    Args:
        total_count: number of trials (an int shared by the whole batch).
        probs: event probabilities (exactly one of ``probs`` and ``logits``).
        logits: event log-probabilities.
        validate_args: check the parameters and ``log_prob`` values.
    """

    arg_constraints = {"probs": constraints.simplex, "logits": constraints.real_vector}

    def __init__(
        self,
        total_count: int = 1,
        probs: Tensor | None = None,
        logits: Tensor | None = None,
        validate_args: bool | None = None,
    ) -> None:
        if not isinstance(total_count, int):
            raise NotImplementedError("inhomogeneous total_count is not supported")
        self.total_count = total_count
        self._categorical = Categorical(probs=probs, logits=logits)
        self._binomial = Binomial(total_count=total_count, probs=self.probs)
        batch_shape = self._categorical.batch_shape
        event_shape = self._categorical.param_shape[-1:]
        super().__init__(batch_shape, event_shape, validate_args=validate_args)

    def expand(self, batch_shape: Any, _instance: Any = None) -> Multinomial:
        new = self._get_checked_instance(Multinomial, _instance)
        new.total_count = self.total_count
        new._categorical = self._categorical.expand(batch_shape)
        new._binomial = Binomial(total_count=self.total_count, probs=new._categorical.probs)
        return self._init_expanded(new, batch_shape)

    @constraints.dependent_property(is_discrete=True, event_dim=1)
    def support(self) -> constraints.Constraint:
        return constraints.multinomial(self.total_count)

    @property
    def mean(self) -> Tensor:
        return self.probs * self.total_count

    @property
    def variance(self) -> Tensor:
        return self.total_count * self.probs * (1 - self.probs)

    def sample(self, sample_shape: Any = ()) -> Tensor:
        """Count ``total_count`` categorical draws per event."""
        shape = self._extended_shape(sample_shape)
        k = self._event_shape[0]
        draws = self._categorical.sample((self.total_count,) + tuple(sample_shape))
        one_hot = draws.unsqueeze(-1) == arange(k)
        return one_hot.sum(0).reshape(tuple(shape)).to(self.probs.dtype)

    def log_prob(self, value: Tensor) -> Tensor:
        """``log n! - sum log x_i! + sum x_i log p_i`` (a zero count of a -inf logit adds 0)."""
        if self._validate_args:
            self._validate_sample(value)
        logits, value = broadcast_all(self.logits, value)
        log_factorial_n = lgamma(value.sum(-1) + 1)
        log_factorial_xs = lgamma(value + 1).sum(-1)
        logits = where((value == 0) & (logits == -math.inf), 0.0, logits)
        return log_factorial_n - log_factorial_xs + (logits * value).sum(-1)

    def entropy(self) -> Tensor:
        """``n H(cat) - log n! + sum_i E[log x_i!]``, with x_i ~ Binomial(n, p_i)."""
        n = as_tensor(float(self.total_count), dtype=self.probs.dtype)
        term1 = n * self._categorical.entropy() - lgamma(n + 1)
        support = self._binomial.enumerate_support(expand=False)[1:]
        binomial_probs = exp(self._binomial.log_prob(support))
        weights = lgamma(support + 1)
        return term1 + (binomial_probs * weights).sum((0, -1))
