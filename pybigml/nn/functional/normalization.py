"""Normalisation: layer, RMS, group, batch and instance norms, and local response norm.

Each standardises, ``(x - mean) / sqrt(var + eps)`` (biased variance), over the values that
share statistics, then applies an optional affine ``weight``/``bias``. ``layer_norm`` runs
on the native kernel where the backend has one for the dtype
(``pybigml.ops.normalization.LayerNorm``); the rest are compositions of tensor ops.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence

from ..._info import finfo
from ..._tensor import Tensor
from ...autograd.grad_mode import no_grad
from ...ops.normalization import LayerNorm, fuses_layer_norm, standardize
from ...ops.padding import pad


def _as_shape(shape: int | Sequence[int]) -> tuple[int, ...]:
    return (int(shape),) if isinstance(shape, numbers.Integral) else tuple(int(s) for s in shape)


def _check_normalized_shape(
    input: Tensor, shape: tuple[int, ...], weight: Tensor | None, bias: Tensor | None
) -> None:
    """``input`` must end in ``shape``, and an affine ``weight``/``bias`` must be ``shape``."""
    if input.ndim < len(shape) or tuple(input.shape[input.ndim - len(shape) :]) != shape:
        raise RuntimeError(
            f"Given normalized_shape={list(shape)}, expected input with shape "
            f"[*, {', '.join(map(str, shape))}], but got input of size{list(input.shape)}"
        )
    for name, param in (("weight", weight), ("bias", bias)):
        if param is not None and tuple(param.shape) != shape:
            raise RuntimeError(
                f"Expected {name} to be of same shape as normalized_shape, but got {name} of "
                f"shape {list(param.shape)} and normalized_shape = {list(shape)}"
            )


def _affine(x: Tensor, weight: Tensor | None, bias: Tensor | None) -> Tensor:
    if weight is not None:
        x = x * weight
    return x if bias is None else x + bias


def _channel_shape(input: Tensor) -> tuple[int, ...]:
    """``(1, C, 1, ..., 1)``: a per-channel ``(C,)`` tensor reshaped to broadcast over
    ``(N, C, *)``."""
    return (1, input.shape[1]) + (1,) * (input.ndim - 2)


def _per_channel(param: Tensor | None, shape: tuple[int, ...]) -> Tensor | None:
    return None if param is None else param.reshape(shape)


# --------------------------------------------------------------------------- per sample
def layer_norm(
    input: Tensor,
    normalized_shape: int | Sequence[int],
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    eps: float = 1e-5,
) -> Tensor:
    """Normalise over the last ``len(normalized_shape)`` dims, then scale and shift.

    ``y = (x - E[x]) / sqrt(Var[x] + eps) * weight + bias``, the statistics taken per sample
    over the normalised dims (biased variance). The input gradient is
    ``rstd (g - mean(g) - x_hat mean(g x_hat))`` with ``g = dy * weight``. float32/float64
    inputs run on the native kernels; other dtypes and empty inputs differentiate the
    composite of tensor ops.

    Args:
        input: ``(*, *normalized_shape)``.
        normalized_shape: the trailing shape to normalise over.
        weight, bias: ``normalized_shape``-shaped affine parameters, or ``None``.
        eps: added to the variance.

    Returns:
        A tensor of ``input``'s shape. Example:
        ``F.layer_norm(pybigml.tensor([[1., 3.]]), (2,))`` is ``tensor([[-1.0000, 1.0000]])``.
    """
    shape = _as_shape(normalized_shape)
    _check_normalized_shape(input, shape, weight, bias)
    dims = tuple(range(-len(shape), 0))
    if fuses_layer_norm(input, weight, bias):
        return LayerNorm.apply(input, weight, bias, dims, eps)
    normalized = standardize(input, dims, eps)
    return _affine(normalized, weight, bias)


def rms_norm(
    input: Tensor,
    normalized_shape: int | Sequence[int],
    weight: Tensor | None = None,
    eps: float | None = None,
) -> Tensor:
    """``y = x / sqrt(mean(x^2) + eps) * weight`` over the last ``len(normalized_shape)`` dims.

    ``eps=None`` uses the machine epsilon of ``input``'s dtype.
    """
    shape = _as_shape(normalized_shape)
    _check_normalized_shape(input, shape, weight, None)
    if eps is None:
        eps = finfo(input.dtype).eps
    mean_square = (input * input).mean(tuple(range(-len(shape), 0)), keepdim=True)
    return _affine(input * (mean_square + eps).rsqrt(), weight, None)


def group_norm(
    input: Tensor,
    num_groups: int,
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    eps: float = 1e-5,
) -> Tensor:
    """Split the ``C`` channels of ``(N, C, *)`` into ``num_groups`` groups and standardise each
    group of each sample (over its channels and positions), then scale and shift per channel.
    """
    if input.ndim < 2 or input.shape[1] % num_groups:
        raise RuntimeError(
            "Expected number of channels in input to be divisible by num_groups, but got "
            f"input of shape {list(input.shape)} and num_groups={num_groups}"
        )
    grouped = input.reshape(input.shape[0], num_groups, -1)
    normalized = standardize(grouped, (-1,), eps).reshape(input.shape)
    shape = _channel_shape(input)
    return _affine(normalized, _per_channel(weight, shape), _per_channel(bias, shape))


# --------------------------------------------------------------------------- per channel
def batch_norm(
    input: Tensor,
    running_mean: Tensor | None,
    running_var: Tensor | None,
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    training: bool = False,
    momentum: float = 0.1,
    eps: float = 1e-5,
) -> Tensor:
    """Normalise each channel of ``(N, C, *)`` over the batch and positions.

    ``y = (x - mean) / sqrt(var + eps) * weight + bias`` per channel. When ``training``, mean
    and (biased) variance are the batch's, and the running statistics given are updated in
    place: ``running = (1 - momentum) running + momentum stat``, with the *unbiased* variance
    (times ``n / (n - 1)``, n values per channel). Otherwise the running statistics are used.

    Args:
        input: ``(N, C)`` or ``(N, C, *)``.
        running_mean, running_var: ``(C,)`` buffers, or ``None``.
        weight, bias: ``(C,)`` affine parameters, or ``None``.
        training: use (and track) the batch statistics.
        momentum: weight of the new statistics in the running average.
        eps: added to the variance.
    """
    if input.ndim < 2:
        raise RuntimeError(
            f"batch_norm: expected input of shape (N, C, *), got {list(input.shape)}"
        )
    if training:
        per_channel = input.numel() // input.shape[1]
        if per_channel == 1:
            raise ValueError(
                "Expected more than 1 value per channel when training, got input size "
                f"{input.shape}"
            )
        if eps <= 0.0:
            raise ValueError(f"batch_norm eps must be positive during training, but got {eps}")
    elif eps < 0.0:
        raise ValueError(f"batch_norm eps must be non-negative, but got {eps}")
    channels = input.shape[1]
    for name, param in (
        ("running_mean", running_mean),
        ("running_var", running_var),
        ("weight", weight),
        ("bias", bias),
    ):
        if param is not None and param.numel() != channels:
            raise RuntimeError(f"{name} should contain {channels} elements not {param.numel()}")
    shape = _channel_shape(input)
    if training or running_mean is None or running_var is None:
        dims = (0, *range(2, input.ndim))
        mean = input.mean(dims, keepdim=True)
        var = input.var(dims, correction=0, keepdim=True)
        if training:
            _update_running_stats(running_mean, running_var, mean, var, momentum, per_channel)
    else:
        mean, var = running_mean.reshape(shape), running_var.reshape(shape)
    # Scale on the (C,)-sized statistics, so the (N, C, *) input is touched three times.
    scale = (var + eps).rsqrt()
    if weight is not None:
        scale = scale * weight.reshape(shape)
    return _affine((input - mean) * scale, None, _per_channel(bias, shape))


def instance_norm(
    input: Tensor,
    running_mean: Tensor | None = None,
    running_var: Tensor | None = None,
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    use_input_stats: bool = True,
    momentum: float = 0.1,
    eps: float = 1e-5,
) -> Tensor:
    """Normalise each channel of each sample of ``(N, C, *)`` over its positions, then scale
    and shift per channel.

    With ``use_input_stats`` the statistics are each instance's own, and given running
    statistics are updated in place with their mean over the batch (the variance unbiased);
    otherwise the running statistics normalise.

    Args:
        input: ``(N, C, *)`` with at least 2 positions per channel when using input stats.
        running_mean, running_var: ``(C,)`` buffers, or ``None``.
        weight, bias: ``(C,)`` affine parameters, or ``None``.
        use_input_stats: normalise with each instance's statistics.
        momentum: weight of the new statistics in the running average.
        eps: added to the variance.
    """
    positions = math.prod(input.shape[2:])
    if use_input_stats and positions == 1:
        raise ValueError(
            f"Expected more than 1 spatial element when training, got input size {input.shape}"
        )
    shape = _channel_shape(input)
    if use_input_stats:
        dims = tuple(range(2, input.ndim))
        mean = input.mean(dims, keepdim=True)
        var = input.var(dims, correction=0, keepdim=True)
        _update_running_stats(
            running_mean, running_var, mean.mean(0), var.mean(0), momentum, positions
        )
    else:
        if running_mean is None or running_var is None:
            raise RuntimeError(
                "Expected running_mean and running_var to be defined when use_input_stats is false"
            )
        mean, var = running_mean.reshape(shape), running_var.reshape(shape)
    normalized = (input - mean) * (var + eps).rsqrt()
    return _affine(normalized, _per_channel(weight, shape), _per_channel(bias, shape))


def _update_running_stats(
    running_mean: Tensor | None,
    running_var: Tensor | None,
    mean: Tensor,
    var: Tensor,
    momentum: float,
    count: int,
) -> None:
    """Exponential moving averages of the batch statistics, in place and off the graph."""
    with no_grad():
        if running_mean is not None:
            running_mean.mul_(1 - momentum).add_(mean.reshape(-1) * momentum)
        if running_var is not None:
            unbiased = var.reshape(-1) * (count / (count - 1))
            running_var.mul_(1 - momentum).add_(unbiased * momentum)


def local_response_norm(
    input: Tensor, size: int, alpha: float = 1e-4, beta: float = 0.75, k: float = 1.0
) -> Tensor:
    """Divide each value by ``(k + alpha / size * sum of squares over a window of size
    channels around it)^beta`` (AlexNet's normalisation across channels; the window is
    zero-padded at the edges, ``size // 2`` channels before and ``(size - 1) // 2`` after).

    Args:
        input: ``(N, C, *)`` with at least one position dim.
        size: channels in the window.
    """
    if input.ndim < 3:
        raise ValueError(
            f"Expected 3D or higher dimensionality input (got {input.ndim} dimensions)"
        )
    if input.numel() == 0:
        return input
    channels = input.shape[1]
    pad_channels = [0, 0] * (input.ndim - 2) + [size // 2, (size - 1) // 2]
    squares = pad(input * input, pad_channels)
    window = squares.narrow(1, 0, channels)
    for offset in range(1, size):
        window = window + squares.narrow(1, offset, channels)
    return input / (window * (alpha / size) + k).pow(beta)
