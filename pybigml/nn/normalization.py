"""Normalisation layers: ``BatchNorm1d/2d/3d``, ``LayerNorm``, ``GroupNorm``, ``RMSNorm``.

Each standardises activations, ``(x - mean) / sqrt(var + eps)``, and then applies a learnt
per-feature scale (``weight``, initialised to 1) and shift (``bias``, initialised to 0).
They differ in which values share a mean and variance (formulas in ``nn.functional``):

* batch norm: one channel across the batch and all positions, ``(N, C, *)`` over N and *;
* layer norm: one sample across its trailing ``normalized_shape`` dims;
* group norm: one sample across a group of channels and all positions;
* RMS norm: like layer norm, dividing by the root mean square without centring.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .._dtype import int64
from .._tensor import Tensor
from ..ops.creation import empty, ones, tensor, zeros
from . import functional as F
from . import init
from .functional.normalization import _as_shape
from .module import Module
from .parameter import Parameter


def _affine_parameters(
    module: Module, shape: tuple[int, ...], weight: bool, bias: bool, device: Any, dtype: Any
) -> None:
    """Register ``weight`` (and ``bias`` if asked) of ``shape``, or ``None`` placeholders."""
    for name, wanted in (("weight", weight), ("bias", weight and bias)):
        if wanted:
            setattr(module, name, Parameter(empty(shape, device=device, dtype=dtype)))
        else:
            module.register_parameter(name, None)


def _reset_affine(module: Module) -> None:
    """Scale 1 and shift 0: the layer starts as a pure standardisation."""
    weight, bias = module._parameters.get("weight"), module._parameters.get("bias")
    if weight is not None:
        init.ones_(weight)
    if bias is not None:
        init.zeros_(bias)


class _BatchNorm(Module):
    """What ``BatchNorm1d/2d/3d`` share; they differ only in the input ranks they accept.

    Training mode normalises with the batch's statistics and updates ``running_mean`` and
    ``running_var`` (unbiased) by ``running = (1 - momentum) running + momentum batch``;
    ``momentum=None`` makes it the cumulative average of all batches so far (factor
    ``1 / num_batches_tracked``). Eval mode normalises with the running statistics, unless
    ``track_running_stats=False``, in which case there are none and batch statistics are used
    in both modes.

    Args:
        num_features: ``C``, the channel count.
        eps: added to the variance.
        momentum: weight of each new batch in the running statistics, or ``None``.
        affine: learn a per-channel ``weight`` and ``bias``.
        track_running_stats: keep running statistics (buffers) for eval mode.
        bias: with ``affine``, whether to learn the shift too.
    """

    _accepted_ranks: tuple[int, ...] = ()

    def __init__(
        self,
        num_features: int,
        eps: float = 1e-5,
        momentum: float | None = 0.1,
        affine: bool = True,
        track_running_stats: bool = True,
        device: Any = None,
        dtype: Any = None,
        *,
        bias: bool = True,
    ) -> None:
        super().__init__()
        self.num_features = num_features
        self.eps = eps
        self.momentum = momentum
        self.affine = affine
        self.track_running_stats = track_running_stats
        _affine_parameters(self, (num_features,), affine, bias, device, dtype)
        if track_running_stats:
            self.register_buffer("running_mean", zeros(num_features, device=device, dtype=dtype))
            self.register_buffer("running_var", ones(num_features, device=device, dtype=dtype))
            self.register_buffer("num_batches_tracked", tensor(0, dtype=int64, device=device))
        else:
            for name in ("running_mean", "running_var", "num_batches_tracked"):
                self.register_buffer(name, None)
        self.reset_parameters()

    def reset_running_stats(self) -> None:
        """Running mean 0, running variance 1, no batches seen."""
        if self.track_running_stats:
            self.running_mean.zero_()
            self.running_var.fill_(1)
            self.num_batches_tracked.zero_()

    def reset_parameters(self) -> None:
        """Reset the running statistics and the affine parameters."""
        self.reset_running_stats()
        _reset_affine(self)

    def _check_input_dim(self, input: Tensor) -> None:
        if input.ndim not in self._accepted_ranks:
            expected = " or ".join(f"{rank}D" for rank in self._accepted_ranks)
            raise ValueError(f"expected {expected} input (got {input.ndim}D input)")

    def forward(self, input: Tensor) -> Tensor:
        self._check_input_dim(input)
        factor = 0.0 if self.momentum is None else self.momentum
        if self.training and self.track_running_stats:
            self.num_batches_tracked.add_(1)
            if self.momentum is None:
                factor = 1.0 / float(self.num_batches_tracked)
        # Eval mode without running statistics still normalises with the batch's.
        use_batch_stats = self.training or self.running_mean is None
        track = not self.training or self.track_running_stats
        return F.batch_norm(
            input,
            self.running_mean if track else None,
            self.running_var if track else None,
            self.weight,
            self.bias,
            use_batch_stats,
            factor,
            self.eps,
        )

    def extra_repr(self) -> str:
        return (
            f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, "
            f"affine={self.affine}, bias={self.bias is not None}, "
            f"track_running_stats={self.track_running_stats}"
        )


class BatchNorm1d(_BatchNorm):
    """Batch normalisation of ``(N, C)`` or ``(N, C, L)`` input (see ``_BatchNorm``).

    Example::

        >>> bn = nn.BatchNorm1d(4)
        >>> y = bn(pybigml.randn(8, 4))          # training: batch statistics
        >>> bn.running_mean.shape, int(bn.num_batches_tracked)
        (pybigml.Size([4]), 1)
    """

    _accepted_ranks = (2, 3)


class BatchNorm2d(_BatchNorm):
    """Batch normalisation of ``(N, C, H, W)`` input, per channel (see ``_BatchNorm``).

    Example::

        >>> nn.BatchNorm2d(3)(pybigml.randn(2, 3, 5, 5)).shape
        pybigml.Size([2, 3, 5, 5])
    """

    _accepted_ranks = (4,)


class BatchNorm3d(_BatchNorm):
    """Batch normalisation of ``(N, C, D, H, W)`` input, per channel (see ``_BatchNorm``)."""

    _accepted_ranks = (5,)


class LayerNorm(Module):
    """Normalise each sample over its trailing ``normalized_shape`` dims.

    Args:
        normalized_shape: the trailing shape, an int for the last dim only.
        eps: added to the variance.
        elementwise_affine: learn ``weight`` and ``bias`` of ``normalized_shape``.
        bias: with ``elementwise_affine``, whether to learn the shift too.

    Example::

        >>> ln = nn.LayerNorm(16)
        >>> y = ln(pybigml.randn(2, 10, 16))     # each of the 20 rows: mean 0, variance 1
    """

    def __init__(
        self,
        normalized_shape: int | Sequence[int],
        eps: float = 1e-5,
        elementwise_affine: bool = True,
        bias: bool = True,
        device: Any = None,
        dtype: Any = None,
    ) -> None:
        super().__init__()
        self.normalized_shape = _as_shape(normalized_shape)
        self.eps = eps
        self.elementwise_affine = elementwise_affine
        _affine_parameters(self, self.normalized_shape, elementwise_affine, bias, device, dtype)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Scale 1, shift 0."""
        _reset_affine(self)

    def forward(self, input: Tensor) -> Tensor:
        return F.layer_norm(input, self.normalized_shape, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        return (
            f"{self.normalized_shape}, eps={self.eps}, "
            f"elementwise_affine={self.elementwise_affine}, bias={self.bias is not None}"
        )


class GroupNorm(Module):
    """Normalise groups of channels of ``(N, C, *)`` input, per sample.

    Args:
        num_groups: how many groups the ``num_channels`` channels form (must divide them).
        num_channels: ``C``.
        eps: added to the variance.
        affine: learn a per-channel ``weight`` and ``bias``.
        bias: with ``affine``, whether to learn the shift too.
    """

    def __init__(
        self,
        num_groups: int,
        num_channels: int,
        eps: float = 1e-5,
        affine: bool = True,
        device: Any = None,
        dtype: Any = None,
        *,
        bias: bool = True,
    ) -> None:
        super().__init__()
        if num_channels % num_groups != 0:
            raise ValueError(
                f"num_channels ({num_channels}) must be divisible by num_groups ({num_groups})"
            )
        self.num_groups = num_groups
        self.num_channels = num_channels
        self.eps = eps
        self.affine = affine
        _affine_parameters(self, (num_channels,), affine, bias, device, dtype)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Scale 1, shift 0."""
        _reset_affine(self)

    def forward(self, input: Tensor) -> Tensor:
        return F.group_norm(input, self.num_groups, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        return (
            f"{self.num_groups}, {self.num_channels}, eps={self.eps}, affine={self.affine}, "
            f"bias={self.bias is not None}"
        )


class RMSNorm(Module):
    """Divide each sample by its root mean square over ``normalized_shape``, then scale.

    Args:
        normalized_shape: the trailing shape, an int for the last dim only.
        eps: added to the mean square; ``None`` uses the dtype's machine epsilon.
        elementwise_affine: learn a ``weight`` of ``normalized_shape``.
    """

    def __init__(
        self,
        normalized_shape: int | Sequence[int],
        eps: float | None = None,
        elementwise_affine: bool = True,
        device: Any = None,
        dtype: Any = None,
    ) -> None:
        super().__init__()
        self.normalized_shape = _as_shape(normalized_shape)
        self.eps = eps
        self.elementwise_affine = elementwise_affine
        if elementwise_affine:
            self.weight = Parameter(empty(self.normalized_shape, device=device, dtype=dtype))
        else:
            self.register_parameter("weight", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Scale 1."""
        _reset_affine(self)

    def forward(self, input: Tensor) -> Tensor:
        return F.rms_norm(input, self.normalized_shape, self.weight, self.eps)

    def extra_repr(self) -> str:
        return (
            f"{self.normalized_shape}, eps={self.eps}, elementwise_affine={self.elementwise_affine}"
        )


class LocalResponseNorm(Module):
    """Divide each value by ``(k + alpha / size * sum of squares over size neighbouring
    channels)^beta`` (AlexNet's cross-channel normalisation) on ``(N, C, *)`` input.

    Example::

        >>> nn.LocalResponseNorm(2)(pybigml.randn(1, 4, 3, 3)).shape
        pybigml.Size([1, 4, 3, 3])
    """

    def __init__(self, size: int, alpha: float = 1e-4, beta: float = 0.75, k: float = 1.0) -> None:
        super().__init__()
        self.size = size
        self.alpha = alpha
        self.beta = beta
        self.k = k

    def forward(self, input: Tensor) -> Tensor:
        return F.local_response_norm(input, self.size, self.alpha, self.beta, self.k)

    def extra_repr(self) -> str:
        return f"{self.size}, alpha={self.alpha}, beta={self.beta}, k={self.k}"
