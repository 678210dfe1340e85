"""The relaxed (Concrete / Gumbel-sigmoid) Bernoulli distribution and its logit."""

from __future__ import annotations

from typing import Any

from .._tensor import Tensor
from ..ops.creation import rand
from ..ops.pointwise import log, log1p
from . import constraints
from .distribution import Distribution
from .transformed_distribution import TransformedDistribution
from .transforms import SigmoidTransform
from .utils import _BinaryProbsLogits, broadcast_all, clamp_probs


class LogitRelaxedBernoulli(_BinaryProbsLogits, Distribution):
    """The logit of a :class:`RelaxedBernoulli` sample: ``(logit(u) + logit(p)) / temperature``
    with ``u ~ U(0, 1)`` (Maddison et al., 2017; Jang et al., 2017).

    Args:
        temperature: the relaxation temperature (> 0; samples approach 0/1 as it goes to 0).
        probs: the probability of 1 (exactly one of ``probs`` and ``logits``).
        logits: the log-odds of 1.
        validate_args: check the parameters and ``log_prob`` values.
    """

    arg_constraints = {"probs": constraints.unit_interval, "logits": constraints.real}
    support = constraints.real
    has_rsample = True

    def __init__(
        self,
        temperature: Tensor,
        probs: Any = None,
        logits: Any = None,
        validate_args: bool | None = None,
    ) -> None:
        self.temperature = temperature
        self._set_probs_or_logits(probs, logits)
        self._param = self.probs if probs is not None else self.logits
        super().__init__(self._param.size(), validate_args=validate_args)

    def expand(self, batch_shape: Any, _instance: Any = None) -> LogitRelaxedBernoulli:
        new = self._get_checked_instance(LogitRelaxedBernoulli, _instance)
        new.temperature = self.temperature
        new = self._expand_params(new, batch_shape, ("probs", "logits"))
        new._param = new.__dict__.get("probs", new.__dict__.get("logits"))
        return new

    @property
    def param_shape(self) -> Any:
        return self._param.size()

    def rsample(self, sample_shape: Any = ()) -> Tensor:
        shape = self._extended_shape(sample_shape)
        probs = clamp_probs(self.probs.expand(shape))
        u = clamp_probs(rand(shape, dtype=probs.dtype))
        return (log(u) - log1p(-u) + log(probs) - log1p(-probs)) / self.temperature

    def log_prob(self, value: Tensor) -> Tensor:
        """``log t + d - 2 log(1 + e^d)`` with ``d = logits - t * value``."""
        if self._validate_args:
            self._validate_sample(value)
        logits, value = broadcast_all(self.logits, value)
        diff = logits - value * self.temperature
        return log(self.temperature) + diff - 2 * log1p(diff.exp())


class RelaxedBernoulli(TransformedDistribution):
    """A continuous relaxation of :class:`Bernoulli` on (0, 1) with reparameterised samples:
    the sigmoid of a :class:`LogitRelaxedBernoulli`.

    Args:
        temperature: the relaxation temperature (> 0).
        probs: the probability of 1 (exactly one of ``probs`` and ``logits``).
        logits: the log-odds of 1.
        validate_args: check the parameters and ``log_prob`` values.
    """

    arg_constraints = {"probs": constraints.unit_interval, "logits": constraints.real}
    support = constraints.unit_interval
    has_rsample = True

    def __init__(
        self,
        temperature: Tensor,
        probs: Any = None,
        logits: Any = None,
        validate_args: bool | None = None,
    ) -> None:
        base_dist = LogitRelaxedBernoulli(temperature, probs, logits)
        super().__init__(base_dist, SigmoidTransform(), validate_args=validate_args)

    def expand(self, batch_shape: Any, _instance: Any = None) -> RelaxedBernoulli:
        new = self._get_checked_instance(RelaxedBernoulli, _instance)
        return super().expand(batch_shape, _instance=new)

    @property
    def temperature(self) -> Tensor:
        return self.base_dist.temperature

    @property
    def logits(self) -> Tensor:
        return self.base_dist.logits

    @property
    def probs(self) -> Tensor:
        return self.base_dist.probs
