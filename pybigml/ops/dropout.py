"""Dropout: zero random elements (or whole channels) in training, keeping the expectation.

Each kept element is drawn Bernoulli(1 - p) from pybigml's generator
(``rand(shape) >= p``). :func:`dropout` is PyTorch's ``F.dropout``; :func:`noise_dropout`
is the mask math of its variants (per-channel masks, and alpha dropout's affine correction),
whose argument checks are ``nn.functional``'s.
"""

from __future__ import annotations

import math
from collections.abc import Callable

from .._tensor import Tensor
from .creation import rand


def check_probability(p: float) -> None:
    """A dropout probability lies in ``[0, 1]``."""
    if p < 0.0 or p > 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")


def dropout(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:
    """Zero each element with probability ``p`` and scale the rest by ``1 / (1 - p)`` so the
    expected value is unchanged; the identity when not ``training``.

    Example::

        >>> F.dropout(pybigml.ones(4), p=0.5, training=False)
        tensor([1., 1., 1., 1.])
    """
    check_probability(p)
    if not training or p == 0.0:
        return input
    keep = rand(input.shape, dtype=input.dtype) >= p
    scale = 0.0 if p == 1.0 else 1.0 / (1.0 - p)
    mask = keep.to(input.dtype) * scale
    return input.mul_(mask) if inplace else input * mask


def channel_mask_shape(input: Tensor, batched: bool = True) -> tuple[int, ...]:
    """The shape of a per-channel dropout mask: ``(N, C, 1, ...)`` for batched ``(N, C, *)``
    input, ``(C, 1, ...)`` for unbatched ``(C, *)``."""
    leading = 2 if batched else 1
    if input.ndim < leading:
        raise RuntimeError("Feature dropout requires at least 2 dimensions in the input")
    return (*input.shape[:leading], *(1,) * (input.ndim - leading))


def noise_dropout(
    input: Tensor,
    p: float,
    training: bool,
    inplace: bool,
    mask_shape: Callable[[], tuple[int, ...]] | None,
    saturation: float | None,
) -> Tensor:
    """Dropout with one Bernoulli(1 - p) keep-draw per element (``mask_shape`` ``None``), or
    per entry of a ``mask_shape()`` mask broadcast over the input (whole channels).

    Without ``saturation`` the kept values are scaled by ``1 / (1 - p)``. With
    ``saturation = alpha'`` it is alpha dropout (for SELU networks, whose activations
    saturate at ``-alpha'``): dropped values are set to ``-alpha'`` and then ``a x + b`` is
    applied with ``a = ((1 - p)(1 + p alpha'^2))^(-1/2)`` and ``b = a alpha' p``, which keeps
    zero mean and unit variance: ``out = a (keep x + (1 - keep)(-alpha')) + b``.

    ``mask_shape`` is called only when a mask is drawn, so its checks pass in eval mode.
    """
    if not training or p == 0.0 or input.numel() == 0:
        return input
    if p == 1.0:
        return input.mul_(0) if inplace else input * 0
    shape = input.shape if mask_shape is None else mask_shape()
    keep = (rand(shape, dtype=input.dtype) >= p).to(input.dtype)
    if saturation is None:
        scale = keep / (1.0 - p)
        return input.mul_(scale) if inplace else input * scale
    a = 1.0 / math.sqrt((saturation**2 * p + 1) * (1 - p))
    shift = (keep - 1) * (saturation * a) + saturation * a * p
    scale = keep * a
    return input.mul_(scale).add_(shift) if inplace else input * scale + shift
