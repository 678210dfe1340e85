"""The geometric distribution: failures before the first success."""

from __future__ import annotations

from typing import Any

from .._info import finfo
from .._tensor import Tensor
from ..ops.creation import rand, zeros_like
from ..ops.pointwise import log, log1p, where
from . import constraints
from .bernoulli import bce_with_logits
from .distribution import Distribution
from .utils import _BinaryProbsLogits, broadcast_all


class Geometric(_BinaryProbsLogits, Distribution):
    """Geometric distribution: ``P(k) = (1 - p)^k p`` for k = 0, 1, 2, ...

    Args:
        probs: the success probability of each trial, in (0, 1] (exactly one of ``probs`` and
            ``logits``).
        logits: the log-odds of success.
        validate_args: check the parameters and ``log_prob`` values.
    """

    arg_constraints = {"probs": constraints.unit_interval, "logits": constraints.real}
    support = constraints.nonnegative_integer

    def __init__(
        self, probs: Any = None, logits: Any = None, validate_args: bool | None = None
    ) -> None:
        self._set_probs_or_logits(probs, logits)
        param = self.probs if probs is not None else self.logits
        super().__init__(param.size(), validate_args=validate_args)
        if self._validate_args and probs is not None:
            valid = self.probs > 0
            if not bool(valid.all()):
                raise ValueError(
                    "Expected parameter probs "
                    f"({type(self.probs).__name__} of shape {tuple(self.probs.shape)}) "
                    f"of distribution {self!r} "
                    f"to be positive but found invalid values:\n{self.probs[~valid]}"
                )

    def expand(self, batch_shape: Any, _instance: Any = None) -> Geometric:
        new = self._get_checked_instance(Geometric, _instance)
        return self._expand_params(new, batch_shape, ("probs", "logits"))

    @property
    def mean(self) -> Tensor:
        return 1.0 / self.probs - 1.0

    @property
    def mode(self) -> Tensor:
        return zeros_like(self.probs)

    @property
    def variance(self) -> Tensor:
        return (1.0 / self.probs - 1.0) / self.probs

    def sample(self, sample_shape: Any = ()) -> Tensor:
        """``floor(log u / log(1 - p))`` with ``u ~ U(tiny, 1)`` (the inverse CDF)."""
        shape = self._extended_shape(sample_shape)
        probs = self.probs.detach()
        u = rand(shape, dtype=probs.dtype).clamp(min=finfo(probs.dtype).tiny)
        return (log(u) / log1p(-probs)).floor()

    def log_prob(self, value: Tensor) -> Tensor:
        if self._validate_args:
            self._validate_sample(value)
        value, probs = broadcast_all(value, self.probs)
        # p = 1 puts all mass on k = 0, where k * log(1 - p) is 0 * -inf: take it as 0.
        probs = where((probs == 1) & (value == 0), 0.0, probs)
        return value * log1p(-probs) + log(self.probs)

    def entropy(self) -> Tensor:
        return bce_with_logits(self.logits, self.probs) / self.probs
