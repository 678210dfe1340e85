"""The categorical distribution over ``{0, ..., K-1}``."""

from __future__ import annotations

import math
from typing import Any

from .._dtype import int64
from .._info import finfo
from .._tensor import Size, Tensor
from ..ops.creation import arange, full, rand
from ..ops.shape import broadcast_tensors
from . import constraints
from .distribution import Distribution
from .utils import check_probs_or_logits, lazy_property, logits_to_probs, probs_to_logits


class Categorical(Distribution):
    """Categorical distribution over the last dimension of ``probs`` or ``logits``.

    ``probs`` need not sum to 1 (they are normalised); ``logits`` are unnormalised log
    probabilities. Samples are int64 category indices.

    Args:
        probs: event probabilities, at least one-dimensional.
        logits: event log-probabilities (exactly one of ``probs`` and ``logits``).
        validate_args: check the parameters and ``log_prob`` values.
    """

    arg_constraints = {
        "probs": constraints.simplex,
        "logits": constraints.real_vector,
    }
    has_enumerate_support = True

    def __init__(
        self,
        probs: Tensor | None = None,
        logits: Tensor | None = None,
        validate_args: bool | None = None,
    ) -> None:
        check_probs_or_logits(probs, logits)
        if probs is not None:
            if probs.dim() < 1:
                raise ValueError("`probs` parameter must be at least one-dimensional.")
            self.probs = probs / probs.sum(-1, keepdim=True)
        else:
            if logits.dim() < 1:
                raise ValueError("`logits` parameter must be at least one-dimensional.")
            self.logits = logits - logits.logsumexp(dim=-1, keepdim=True)
        self._param = self.probs if probs is not None else self.logits
        self._num_events = self._param.size()[-1]
        batch_shape = self._param.size()[:-1] if self._param.dim() > 1 else Size()
        super().__init__(batch_shape, validate_args=validate_args)

    def expand(self, batch_shape: Any, _instance: Any = None) -> Categorical:
        new = self._get_checked_instance(Categorical, _instance)
        new = self._expand_params(new, batch_shape, ("probs", "logits"))
        new._param = new.__dict__.get("probs", new.__dict__.get("logits"))
        new._num_events = self._num_events
        return new

    @constraints.dependent_property(is_discrete=True, event_dim=0)
    def support(self) -> constraints.Constraint:
        return constraints.integer_interval(0, self._num_events - 1)

    @lazy_property
    def logits(self) -> Tensor:
        return probs_to_logits(self.probs)

    @lazy_property
    def probs(self) -> Tensor:
        return logits_to_probs(self.logits)

    @property
    def param_shape(self) -> Size:
        return self._param.size()

    @property
    def mean(self) -> Tensor:
        return full(self._extended_shape(), math.nan, dtype=self.probs.dtype)

    @property
    def mode(self) -> Tensor:
        return self.probs.argmax(-1)

    @property
    def variance(self) -> Tensor:
        return full(self._extended_shape(), math.nan, dtype=self.probs.dtype)

    def sample(self, sample_shape: Any = ()) -> Tensor:
        """Inverse-CDF sampling: the number of cumulative probabilities below ``u ~ U[0, 1)``."""
        shape = self._extended_shape(sample_shape)
        probs = self.probs.detach().expand(tuple(shape) + (self._num_events,))
        cdf = probs.cumsum(-1)
        u = rand(tuple(shape) + (1,), dtype=probs.dtype) * cdf[..., -1:]
        index = (cdf <= u).sum(-1)
        return index.clamp(max=self._num_events - 1).to(int64)

    def log_prob(self, value: Tensor) -> Tensor:
        if self._validate_args:
            self._validate_sample(value)
        value = value.long().unsqueeze(-1)
        value, log_pmf = broadcast_tensors(value, self.logits)
        return log_pmf.gather(-1, value[..., :1]).squeeze(-1)

    def entropy(self) -> Tensor:
        # -inf logits (zero probabilities) are clamped so that 0 * logit is 0, not NaN.
        logits = self.logits.clamp(min=finfo(self.logits.dtype).min)
        return -(logits * self.probs).sum(-1)

    def enumerate_support(self, expand: bool = True) -> Tensor:
        values = arange(self._num_events, dtype=int64)
        values = values.view((-1,) + (1,) * len(self._batch_shape))
        return values.expand((-1,) + tuple(self._batch_shape)) if expand else values


class _CategoricalView:
    """``probs``, ``logits`` and ``param_shape`` of a distribution built on the
    :class:`Categorical` it keeps as ``_categorical`` (OneHotCategorical, Multinomial,
    ExpRelaxedCategorical)."""

    _categorical: Categorical

    @property
    def probs(self) -> Tensor:
        return self._categorical.probs

    @property
    def logits(self) -> Tensor:
        return self._categorical.logits

    @property
    def param_shape(self) -> Size:
        return self._categorical.param_shape
