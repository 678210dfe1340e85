"""Helpers shared by the distributions: parameter broadcasting, probs <-> logits, lazy attributes."""

from __future__ import annotations

from numbers import Number
from typing import Any

from .._dtype import get_default_dtype
from .._info import finfo
from .._tensor import Tensor
from ..autograd.grad_mode import enable_grad
from ..ops.creation import as_tensor
from ..ops.pointwise import clamp, log, log1p, sigmoid
from ..ops.reduction import softmax
from ..ops.shape import broadcast_tensors

__all__ = [
    "broadcast_all",
    "clamp_probs",
    "lazy_property",
    "logits_to_probs",
    "probs_to_logits",
    "sum_rightmost",
]


def broadcast_all(*values: Any) -> tuple[Tensor, ...]:
    """Broadcast tensors and numbers together; numbers take the dtype of the first tensor
    (the default dtype when there is none).

    Args:
        values: tensors or Python numbers.
    Returns:
        A tuple of tensors of one broadcast shape.
    """
    if not all(isinstance(v, (Tensor, Number)) for v in values):
        raise ValueError(
            "Input arguments must all be instances of Number, "
            "torch.Tensor or objects implementing __torch_function__."
        )
    dtype = next((v.dtype for v in values if isinstance(v, Tensor)), get_default_dtype())
    tensors = [v if isinstance(v, Tensor) else as_tensor(v, dtype=dtype) for v in values]
    return tuple(broadcast_tensors(*tensors))


def sum_rightmost(value: Tensor, dim: int) -> Tensor:
    """Sum out the ``dim`` rightmost dimensions of ``value``."""
    if dim == 0:
        return value
    return value.reshape(tuple(value.shape[: value.dim() - dim]) + (-1,)).sum(-1)


def clamp_probs(probs: Tensor) -> Tensor:
    """Clamp probabilities into [eps, 1 - eps] so that their logs stay finite."""
    eps = finfo(probs.dtype).eps
    return clamp(probs, min=eps, max=1 - eps)


def logits_to_probs(logits: Tensor, is_binary: bool = False) -> Tensor:
    """Sigmoid of binary logits, or a softmax over the last dimension of categorical ones."""
    return sigmoid(logits) if is_binary else softmax(logits, dim=-1)


def probs_to_logits(probs: Tensor, is_binary: bool = False) -> Tensor:
    """``log p - log(1 - p)`` for binary probabilities, ``log p`` for categorical ones."""
    ps = clamp_probs(probs)
    return log(ps) - log1p(-ps) if is_binary else log(ps)


class lazy_property:
    """An attribute computed on first access and then stored on the instance (with grad on,
    so that ``probs`` built from ``logits`` stays differentiable)."""

    def __init__(self, wrapped: Any) -> None:
        self.wrapped = wrapped
        self.__doc__ = wrapped.__doc__

    def __get__(self, instance: Any, obj_type: Any = None) -> Any:
        if instance is None:
            return self
        with enable_grad():
            value = self.wrapped(instance)
        setattr(instance, self.wrapped.__name__, value)
        return value


def check_probs_or_logits(probs: Any, logits: Any) -> None:
    """Raise PyTorch's ``ValueError`` unless exactly one of ``probs`` and ``logits`` is given."""
    if (probs is None) == (logits is None):
        raise ValueError("Either `probs` or `logits` must be specified, but not both.")


class _BinaryProbsLogits:
    """The ``probs``/``logits`` pair of a distribution over one success probability per
    batch element (Bernoulli, Binomial, Geometric, LogitRelaxedBernoulli): the one given is
    stored, the other is computed from it on first use."""

    def _set_probs_or_logits(self, probs: Any, logits: Any, *others: Any) -> tuple[Tensor, ...]:
        """Store ``probs`` or ``logits`` (exactly one must be given), broadcast with
        ``others``; return ``others`` broadcast, in their order."""
        check_probs_or_logits(probs, logits)
        *others_b, param = broadcast_all(*others, probs if probs is not None else logits)
        setattr(self, "probs" if probs is not None else "logits", param)
        return tuple(others_b)

    @lazy_property
    def logits(self) -> Tensor:
        return probs_to_logits(self.probs, is_binary=True)

    @lazy_property
    def probs(self) -> Tensor:
        return logits_to_probs(self.logits, is_binary=True)
