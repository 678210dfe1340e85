"""Bijective transforms for :class:`TransformedDistribution`.

A transform maps ``x`` to ``y = f(x)``; it knows its inverse and ``log |det df/dx|``, which
is what the change-of-variables formula ``log p_Y(y) = log p_X(x) - log |det J|`` needs.
"""

from __future__ import annotations

import math
from typing import Any

from .._info import finfo
from .._tensor import Tensor
from ..ops.pointwise import exp, log, log1p, sigmoid, softplus
from . import constraints
from .utils import sum_rightmost

__all__ = ["AbsTransform", "AffineTransform", "ExpTransform", "SigmoidTransform", "Transform"]


class Transform:
    """An invertible map with a tractable log-Jacobian.

    Subclasses define ``_call`` (x to y), ``_inverse`` (y to x) and
    ``log_abs_det_jacobian(x, y)``, plus ``domain``, ``codomain`` and ``sign`` (+1 where f
    increases, -1 where it decreases).
    """

    bijective = True
    domain: constraints.Constraint = constraints.real
    codomain: constraints.Constraint = constraints.real
    sign: Any = 1

    @property
    def event_dim(self) -> int:
        return max(self.domain.event_dim, self.codomain.event_dim)

    @property
    def inv(self) -> Transform:
        """The inverse transform, ``y -> x``."""
        return _InverseTransform(self)

    def __call__(self, x: Tensor) -> Tensor:
        return self._call(x)

    def _call(self, x: Tensor) -> Tensor:
        raise NotImplementedError

    def _inverse(self, y: Tensor) -> Tensor:
        raise NotImplementedError

    def log_abs_det_jacobian(self, x: Tensor, y: Tensor) -> Tensor:
        """``log |det dy/dx|`` at the pair ``(x, y = f(x))``."""
        raise NotImplementedError

    def __eq__(self, other: object) -> bool:
        return type(self) is type(other)

    def __hash__(self) -> int:
        return hash(type(self))

    def __repr__(self) -> str:
        return self.__class__.__name__ + "()"


class _InverseTransform(Transform):
    """``f^{-1}`` of a transform ``f``."""

    def __init__(self, transform: Transform) -> None:
        self._inv = transform

    @property
    def domain(self) -> constraints.Constraint:  # type: ignore[override]
        return self._inv.codomain

    @property
    def codomain(self) -> constraints.Constraint:  # type: ignore[override]
        return self._inv.domain

    @property
    def sign(self) -> Any:  # type: ignore[override]
        return self._inv.sign

    @property
    def inv(self) -> Transform:
        return self._inv

    def _call(self, x: Tensor) -> Tensor:
        return self._inv._inverse(x)

    def _inverse(self, y: Tensor) -> Tensor:
        return self._inv._call(y)

    def log_abs_det_jacobian(self, x: Tensor, y: Tensor) -> Tensor:
        return -self._inv.log_abs_det_jacobian(y, x)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _InverseTransform) and self._inv == other._inv

    def __hash__(self) -> int:
        return hash((_InverseTransform, self._inv))


class ExpTransform(Transform):
    """``y = exp(x)``;  log |dy/dx| = x."""

    codomain = constraints.positive

    def _call(self, x: Tensor) -> Tensor:
        return exp(x)

    def _inverse(self, y: Tensor) -> Tensor:
        return log(y)

    def log_abs_det_jacobian(self, x: Tensor, y: Tensor) -> Tensor:
        return x


class AbsTransform(Transform):
    """``y = |x|``: not injective, so only its ``sign`` and the forward map are meaningful;
    ``inv`` returns ``y`` itself (the non-negative preimage) as torch's does."""

    bijective = False
    codomain = constraints.positive

    def _call(self, x: Tensor) -> Tensor:
        return x.abs()

    def _inverse(self, y: Tensor) -> Tensor:
        return y


class SigmoidTransform(Transform):
    """``y = 1 / (1 + exp(-x))``;  log |dy/dx| = -softplus(-x) - softplus(x).

    ``y`` is clipped into [tiny, 1 - eps] so that its inverse and logs stay finite.
    """

    codomain = constraints.unit_interval

    def _call(self, x: Tensor) -> Tensor:
        info = finfo(x.dtype)
        return sigmoid(x).clamp(min=info.tiny, max=1.0 - info.eps)

    def _inverse(self, y: Tensor) -> Tensor:
        info = finfo(y.dtype)
        y = y.clamp(min=info.tiny, max=1.0 - info.eps)
        return log(y) - log1p(-y)

    def log_abs_det_jacobian(self, x: Tensor, y: Tensor) -> Tensor:
        return -softplus(-x) - softplus(x)


class AffineTransform(Transform):
    """``y = loc + scale * x`` (``scale`` non-zero);  log |dy/dx| = log |scale|.

    Args:
        loc: the shift (a tensor or number).
        scale: the factor (a tensor or number).
        event_dim: how many rightmost dims form one event (their log-Jacobians are summed).
    """

    def __init__(self, loc: Any, scale: Any, event_dim: int = 0) -> None:
        self.loc, self.scale = loc, scale
        self._event_dim = event_dim

    @property
    def domain(self) -> constraints.Constraint:  # type: ignore[override]
        return constraints.independent(constraints.real, self._event_dim)

    @property
    def codomain(self) -> constraints.Constraint:  # type: ignore[override]
        return constraints.independent(constraints.real, self._event_dim)

    @property
    def sign(self) -> Any:  # type: ignore[override]
        if isinstance(self.scale, (int, float)):
            return 1 if self.scale > 0 else -1 if self.scale < 0 else 0
        return self.scale.sign()

    def _call(self, x: Tensor) -> Tensor:
        return self.loc + self.scale * x

    def _inverse(self, y: Tensor) -> Tensor:
        return (y - self.loc) / self.scale

    def log_abs_det_jacobian(self, x: Tensor, y: Tensor) -> Tensor:
        if isinstance(self.scale, (int, float)):
            result = x.new_full(x.shape, math.log(abs(self.scale)))
        else:
            result = self.scale.abs().log().expand(x.shape)
        return sum_rightmost(result, self._event_dim)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, AffineTransform):
            return False
        same = [
            a == b
            if isinstance(a, (int, float)) and isinstance(b, (int, float))
            else isinstance(a, Tensor) and isinstance(b, Tensor) and bool((a == b).all())
            for a, b in ((self.loc, other.loc), (self.scale, other.scale))
        ]
        return all(same) and self._event_dim == other._event_dim

    def __hash__(self) -> int:
        return hash((AffineTransform, self._event_dim))
