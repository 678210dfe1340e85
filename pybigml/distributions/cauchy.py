"""The Cauchy (Lorentz) distribution."""

from __future__ import annotations

import math
from typing import Any

from .._tensor import Tensor
from ..ops.creation import full, rand
from ..ops.pointwise import atan, log, log1p, tan
from . import constraints
from .distribution import Distribution
from .utils import broadcast_all


class Cauchy(Distribution):
    """Cauchy distribution with median ``loc`` and half-width ``scale``; it has no mean and
    infinite variance.

    Args:
        loc: the median (and mode).
        scale: the half width at half maximum (> 0).
        validate_args: check the parameters and ``log_prob`` values.
    """

    arg_constraints = {"loc": constraints.real, "scale": constraints.positive}
    support = constraints.real
    has_rsample = True

    def __init__(self, loc: Any, scale: Any, validate_args: bool | None = None) -> None:
        self.loc, self.scale = broadcast_all(loc, scale)
        super().__init__(self.loc.size(), validate_args=validate_args)

    def expand(self, batch_shape: Any, _instance: Any = None) -> Cauchy:
        new = self._get_checked_instance(Cauchy, _instance)
        return self._expand_params(new, batch_shape, ("loc", "scale"))

    @property
    def mean(self) -> Tensor:
        return full(self._extended_shape(), math.nan, dtype=self.loc.dtype)

    @property
    def mode(self) -> Tensor:
        return self.loc

    @property
    def variance(self) -> Tensor:
        return full(self._extended_shape(), math.inf, dtype=self.loc.dtype)

    def rsample(self, sample_shape: Any = ()) -> Tensor:
        """``loc + scale tan(pi (u - 1/2))`` with ``u ~ U[0, 1)`` (the inverse CDF)."""
        u = rand(self._extended_shape(sample_shape), dtype=self.loc.dtype)
        return self.loc + tan(math.pi * (u - 0.5)) * self.scale

    def log_prob(self, value: Tensor) -> Tensor:
        if self._validate_args:
            self._validate_sample(value)
        return -math.log(math.pi) - log(self.scale) - log1p(((value - self.loc) / self.scale) ** 2)

    def cdf(self, value: Tensor) -> Tensor:
        if self._validate_args:
            self._validate_sample(value)
        return atan((value - self.loc) / self.scale) / math.pi + 0.5

    def icdf(self, value: Tensor) -> Tensor:
        return tan(math.pi * (value - 0.5)) * self.scale + self.loc

    def entropy(self) -> Tensor:
        return math.log(4 * math.pi) + log(self.scale)
