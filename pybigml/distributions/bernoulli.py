"""The Bernoulli distribution, parameterised by ``probs`` or ``logits``."""

from __future__ import annotations

import math
from typing import Any

from .._tensor import Tensor
from ..ops.creation import arange, rand
from ..ops.pointwise import exp, log1p, where
from . import constraints
from .distribution import Distribution
from .utils import _BinaryProbsLogits, broadcast_all


def bce_with_logits(logits: Tensor, target: Tensor) -> Tensor:
    """Element-wise ``-[z log sigmoid(x) + (1 - z) log(1 - sigmoid(x))]``, computed as
    ``max(x, 0) - x z + log(1 + exp(-|x|))`` so that no exp overflows."""
    return logits.clamp(min=0) - logits * target + log1p(exp(-logits.abs()))


class Bernoulli(_BinaryProbsLogits, Distribution):
    """Bernoulli distribution: 1 with probability ``probs``, else 0.

    Args:
        probs: the probability of 1 (exactly one of ``probs`` and ``logits``).
        logits: the log-odds of 1.
        validate_args: check the parameters and ``log_prob`` values.
    """

    arg_constraints = {"probs": constraints.unit_interval, "logits": constraints.real}
    support = constraints.boolean
    has_enumerate_support = True

    def __init__(
        self, probs: Any = None, logits: Any = None, validate_args: bool | None = None
    ) -> None:
        self._set_probs_or_logits(probs, logits)
        self._param = self.probs if probs is not None else self.logits
        super().__init__(self._param.size(), validate_args=validate_args)

    def expand(self, batch_shape: Any, _instance: Any = None) -> Bernoulli:
        new = self._get_checked_instance(Bernoulli, _instance)
        new = self._expand_params(new, batch_shape, ("probs", "logits"))
        new._param = new.__dict__.get("probs", new.__dict__.get("logits"))
        return new

    @property
    def param_shape(self) -> Any:
        return self._param.size()

    @property
    def mean(self) -> Tensor:
        return self.probs

    @property
    def mode(self) -> Tensor:
        mode = (self.probs >= 0.5).to(self.probs.dtype)
        return where(self.probs == 0.5, math.nan, mode)

    @property
    def variance(self) -> Tensor:
        return self.probs * (1 - self.probs)

    def sample(self, sample_shape: Any = ()) -> Tensor:
        shape = self._extended_shape(sample_shape)
        probs = self.probs.detach()
        return (rand(shape, dtype=probs.dtype) < probs).to(probs.dtype)

    def log_prob(self, value: Tensor) -> Tensor:
        if self._validate_args:
            self._validate_sample(value)
        logits, value = broadcast_all(self.logits, value)
        return -bce_with_logits(logits, value)

    def entropy(self) -> Tensor:
        return bce_with_logits(self.logits, self.probs)

    def enumerate_support(self, expand: bool = True) -> Tensor:
        values = arange(2, dtype=self._param.dtype)
        values = values.view((-1,) + (1,) * len(self._batch_shape))
        return values.expand((-1,) + tuple(self._batch_shape)) if expand else values
