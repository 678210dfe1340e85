"""Flatten parameters into one vector and back (for second-order methods, line searches,
or any algorithm that sees a model as a point in R^n)."""

from __future__ import annotations

from collections.abc import Iterable

from ..._tensor import Tensor
from ...ops.shape import cat


def _check_same_device(params: list[Tensor]) -> None:
    if len({p.device for p in params}) > 1:
        raise TypeError(
            "Found two parameters on different devices, this is currently not supported."
        )


def parameters_to_vector(parameters: Iterable[Tensor]) -> Tensor:
    """Concatenate the parameters, each flattened, into one vector (differentiable).

    Example::

        >>> nn.utils.parameters_to_vector(nn.Linear(3, 2).parameters()).shape
        pybigml.Size([8])
    """
    params = list(parameters)
    _check_same_device(params)
    return cat([p.view(-1) for p in params])


def vector_to_parameters(vec: Tensor, parameters: Iterable[Tensor]) -> None:
    """Set the parameters' data to consecutive slices of ``vec`` (the inverse of
    ``parameters_to_vector``). The parameters then share ``vec``'s memory.

    Args:
        vec: a 1-d tensor with as many elements as the parameters together.
        parameters: the parameters to overwrite, in the order they were flattened.
    """
    if not isinstance(vec, Tensor):
        raise TypeError(f"expected pybigml.Tensor, but got: {type(vec).__name__}")
    params = list(parameters)
    _check_same_device(params)
    start = 0
    for param in params:
        count = param.numel()
        param.data = vec[start : start + count].view_as(param).data
        start += count
