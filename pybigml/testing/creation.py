"""``make_tensor``: tensors of random values for tests, like ``torch.testing.make_tensor``."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .._dtype import dtype, float64
from .._tensor import Tensor
from ..ops.creation import empty, from_numpy, rand, randint

__all__ = ["make_tensor"]


def make_tensor(
    *shape: int | tuple[int, ...] | list[int],
    dtype: dtype,
    device: Any = None,
    low: float | None = None,
    high: float | None = None,
    requires_grad: bool = False,
    noncontiguous: bool = False,
    exclude_zero: bool = False,
    memory_format: Any = None,
) -> Tensor:
    """A tensor of ``shape`` filled with random values from ``[low, high)``.

    As ``torch.testing.make_tensor``: the range defaults to ``[-9, 9)`` for floating dtypes and
    ``[-9, 10)`` for integers (clamped to what the dtype holds); bools are True or False at
    random. Values come from pybigml's global generator (seed it with ``pybigml.manual_seed``).

    Args:
        *shape: the sizes, as ints or one sequence.
        dtype: the dtype of the tensor.
        device: where to put it (None: the CPU).
        low: inclusive lower bound of the values.
        high: exclusive upper bound (inclusive for floats, up to rounding).
        requires_grad: make a leaf that requires grad (floating dtypes only).
        noncontiguous: store the tensor non-contiguously (every other element of a larger one).
        exclude_zero: replace zeros by the smallest positive value (floats) or 1 (integers).
        memory_format: accepted for compatibility; must be None.

    Returns:
        A new tensor.

    Example:
        >>> x = make_tensor(2, 3, dtype=pybigml.float64, low=-1, high=1, noncontiguous=True)
        >>> x.is_contiguous()
        False
    """
    if memory_format is not None:
        raise NotImplementedError("make_tensor: memory_format is not supported")
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    if low is not None and high is not None and low > high:
        raise ValueError(f"make_tensor: low ({low}) must not be greater than high ({high})")
    np_dtype = empty(0, dtype=dtype).numpy().dtype
    if np_dtype == np.bool_:
        values = randint(0, 2, shape).numpy().astype(bool)
    elif np_dtype.kind in "iu":
        info = np.iinfo(np_dtype)
        low = max(-9 if low is None else math.ceil(low), int(info.min))
        high = min(10 if high is None else math.ceil(high), int(info.max))
        values = randint(low, max(high, low + 1), shape).numpy().astype(np_dtype)
        if exclude_zero:
            values[values == 0] = 1
    else:
        low = -9.0 if low is None else low
        high = 9.0 if high is None else high
        unit = rand(shape, dtype=float64).numpy()
        values = (low + (high - low) * unit).astype(np_dtype)
        if exclude_zero:
            values[values == 0] = np.finfo(np_dtype).tiny
    if noncontiguous and values.size > 1:
        storage = np.repeat(values, 2, axis=-1)
        result = from_numpy(storage)[..., ::2]
    else:
        result = from_numpy(np.array(values, order="C"))
    if device is not None:
        result = result.to(device)
    return result.requires_grad_(requires_grad) if requires_grad else result
