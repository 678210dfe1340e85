"""The Poisson distribution."""

from __future__ import annotations

from typing import Any

from .._tensor import Tensor
from ..ops.pointwise import xlogy
from ..ops.special import lgamma, numpy_sample
from . import constraints
from .distribution import Distribution
from .utils import broadcast_all


class Poisson(Distribution):
    """Poisson distribution: ``P(k) = rate^k exp(-rate) / k!`` on the non-negative integers.

    Args:
        rate: the mean (>= 0).
        validate_args: check the parameters and ``log_prob`` values.
    """

    arg_constraints = {"rate": constraints.nonnegative}
    support = constraints.nonnegative_integer

    def __init__(self, rate: Any, validate_args: bool | None = None) -> None:
        (self.rate,) = broadcast_all(rate)
        super().__init__(self.rate.size(), validate_args=validate_args)

    def expand(self, batch_shape: Any, _instance: Any = None) -> Poisson:
        new = self._get_checked_instance(Poisson, _instance)
        return self._expand_params(new, batch_shape, ("rate",))

    @property
    def mean(self) -> Tensor:
        return self.rate

    @property
    def mode(self) -> Tensor:
        return self.rate.floor()

    @property
    def variance(self) -> Tensor:
        return self.rate

    def sample(self, sample_shape: Any = ()) -> Tensor:
        return numpy_sample(
            "poisson", self._extended_shape(sample_shape), self.rate.dtype, self.rate
        )

    def log_prob(self, value: Tensor) -> Tensor:
        if self._validate_args:
            self._validate_sample(value)
        rate, value = broadcast_all(self.rate, value)
        return xlogy(value, rate) - rate - lgamma(value + 1)
