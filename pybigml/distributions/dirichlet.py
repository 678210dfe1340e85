"""The Dirichlet distribution over the probability simplex."""

from __future__ import annotations

from typing import Any

from .._tensor import Tensor
from ..ops.embedding import one_hot
from ..ops.pointwise import where, xlogy
from ..ops.special import digamma, lgamma, standard_gamma
from . import constraints
from .distribution import Distribution


class Dirichlet(Distribution):
    """Dirichlet distribution with concentration vector ``alpha`` (the last dimension).

    Density ``Gamma(sum alpha) / prod Gamma(alpha_i) * prod x_i^(alpha_i - 1)`` on the simplex.

    Args:
        concentration: ``alpha`` (> 0), at least one-dimensional; the last dimension is the event.
        validate_args: check the parameters and ``log_prob`` values.
    """

    arg_constraints = {"concentration": constraints.independent(constraints.positive, 1)}
    support = constraints.simplex
    has_rsample = True

    def __init__(self, concentration: Tensor, validate_args: bool | None = None) -> None:
        if concentration.dim() < 1:
            raise ValueError("`concentration` parameter must be at least one-dimensional.")
        self.concentration = concentration
        batch_shape, event_shape = concentration.shape[:-1], concentration.shape[-1:]
        super().__init__(batch_shape, event_shape, validate_args=validate_args)

    def expand(self, batch_shape: Any, _instance: Any = None) -> Dirichlet:
        new = self._get_checked_instance(Dirichlet, _instance)
        return self._expand_params(new, batch_shape, ("concentration",))

    def rsample(self, sample_shape: Any = ()) -> Tensor:
        """Independent Gamma(alpha_i, 1) draws, normalised to sum to 1 (differentiable)."""
        gammas = standard_gamma(self.concentration.expand(self._extended_shape(sample_shape)))
        return gammas / gammas.sum(-1, keepdim=True)

    def log_prob(self, value: Tensor) -> Tensor:
        if self._validate_args:
            self._validate_sample(value)
        alpha = self.concentration
        return xlogy(alpha - 1.0, value).sum(-1) + lgamma(alpha.sum(-1)) - lgamma(alpha).sum(-1)

    @property
    def mean(self) -> Tensor:
        return self.concentration / self.concentration.sum(-1, keepdim=True)

    @property
    def mode(self) -> Tensor:
        """``(alpha - 1) / sum(alpha - 1)`` with alpha - 1 clamped at 0; where every alpha < 1
        the density peaks at the vertex of the largest alpha - 1."""
        alpha_m1 = (self.concentration - 1).clamp(min=0.0)
        mode = alpha_m1 / alpha_m1.sum(-1, keepdim=True)
        vertex = one_hot(mode.argmax(-1), alpha_m1.shape[-1]).to(mode.dtype)
        all_below_one = (self.concentration < 1).all(-1, keepdim=True)
        return where(all_below_one, vertex, mode)

    @property
    def variance(self) -> Tensor:
        alpha = self.concentration
        total = alpha.sum(-1, keepdim=True)
        return alpha * (total - alpha) / (total.pow(2) * (total + 1))

    def entropy(self) -> Tensor:
        alpha = self.concentration
        k = alpha.size(-1)
        total = alpha.sum(-1)
        return (
            lgamma(alpha).sum(-1)
            - lgamma(total)
            - (k - total) * digamma(total)
            - ((alpha - 1.0) * digamma(alpha)).sum(-1)
        )
