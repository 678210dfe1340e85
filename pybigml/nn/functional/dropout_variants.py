"""Dropout's variants: whole channels (``dropout1d/2d/3d``) and SELU's ``alpha_dropout``.

Plain ``dropout`` and the mask math of these (``noise_dropout``) are
``pybigml.ops.dropout``'s; here are PyTorch's argument checks and warnings.
"""

from __future__ import annotations

import warnings

from ..._tensor import Tensor
from ...ops.dropout import channel_mask_shape, check_probability, noise_dropout
from .activation import _SELU_ALPHA, _SELU_SCALE

_SELU_NEGATIVE_SATURATION = _SELU_ALPHA * _SELU_SCALE  # -selu(-inf)


def _feature_dropout(
    input: Tensor, p: float, training: bool, inplace: bool, batched: bool = True
) -> Tensor:
    return noise_dropout(
        input, p, training, inplace, lambda: channel_mask_shape(input, batched), None
    )


def dropout1d(
    input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False
) -> Tensor:
    """Zero whole channels of ``(N, C, L)`` or ``(C, L)`` input with probability ``p``, scaling
    the rest by ``1 / (1 - p)``."""
    check_probability(p)
    if input.ndim not in (2, 3):
        raise RuntimeError(
            f"dropout1d: Expected 2D or 3D input, but received a {input.ndim}D input. Note that "
            "dropout1d exists to provide channel-wise dropout on inputs with 1 spatial "
            "dimension, a channel dimension, and an optional batch dimension (i.e. 2D or 3D "
            "inputs)."
        )
    return _feature_dropout(input, p, training, inplace, batched=input.ndim == 3)


def dropout2d(
    input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False
) -> Tensor:
    """Zero whole channels of ``(N, C, H, W)`` input with probability ``p``, scaling the rest
    by ``1 / (1 - p)``. As in PyTorch, a 3-d input is read as ``(N, C, L)``."""
    check_probability(p)
    if input.ndim not in (3, 4):
        warnings.warn(
            f"dropout2d: Received a {input.ndim}-D input to dropout2d, which is deprecated and "
            "will result in an error in a future release. To retain the behavior and silence "
            "this warning, please use dropout instead. Note that dropout2d exists to provide "
            "channel-wise dropout on inputs with 2 spatial dimensions, a channel dimension, and "
            "an optional batch dimension (i.e. 3D or 4D inputs).",
            stacklevel=2,
        )
    if input.ndim == 3:
        warnings.warn(
            "dropout2d: Received a 3D input to dropout2d and assuming that channel-wise 1D "
            "dropout behavior is desired - input is interpreted as shape (N, C, L), where C is "
            "the channel dim. This behavior will change in a future release to interpret the "
            "input as one without a batch dimension, i.e. shape (C, H, W). To maintain the 1D "
            "channel-wise dropout behavior, please switch to using dropout1d instead.",
            stacklevel=2,
        )
    return _feature_dropout(input, p, training, inplace)


def dropout3d(
    input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False
) -> Tensor:
    """Zero whole channels of ``(N, C, D, H, W)`` or ``(C, D, H, W)`` input with probability
    ``p``, scaling the rest by ``1 / (1 - p)``."""
    check_probability(p)
    if input.ndim not in (4, 5):
        warnings.warn(
            f"dropout3d: Received a {input.ndim}-D input to dropout3d, which is deprecated and "
            "will result in an error in a future release. To retain the behavior and silence "
            "this warning, please use dropout instead. Note that dropout3d exists to provide "
            "channel-wise dropout on inputs with 3 spatial dimensions, a channel dimension, and "
            "an optional batch dimension (i.e. 4D or 5D inputs).",
            stacklevel=2,
        )
    return _feature_dropout(input, p, training, inplace, batched=input.ndim == 5)


def alpha_dropout(
    input: Tensor, p: float = 0.5, training: bool = False, inplace: bool = False
) -> Tensor:
    """Dropout for SELU networks: dropped elements take SELU's negative saturation value and
    the result is affinely rescaled to keep zero mean and unit variance."""
    check_probability(p)
    return noise_dropout(input, p, training, inplace, None, _SELU_NEGATIVE_SATURATION)


def feature_alpha_dropout(
    input: Tensor, p: float = 0.5, training: bool = False, inplace: bool = False
) -> Tensor:
    """``alpha_dropout`` of whole channels of ``(N, C, *)`` input."""
    check_probability(p)
    return noise_dropout(
        input, p, training, inplace, lambda: channel_mask_shape(input), _SELU_NEGATIVE_SATURATION
    )
