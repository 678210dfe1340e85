"""Gradient clipping: rescale (``clip_grad_norm_``) or clamp (``clip_grad_value_``) the
gradients of parameters in place, between ``backward()`` and the optimizer step.

The total norm treats all gradients as one long vector: ``||(||g_1||_p, ..., ||g_k||_p)||_p``
equals ``||concat(g_1, ..., g_k)||_p`` for every p (and the max for p = inf).
"""

from __future__ import annotations

import types
import warnings
from collections.abc import Iterable

from ..._tensor import Tensor
from ...autograd.grad_mode import no_grad
from ...ops.creation import tensor
from ...ops.shape import stack

TensorOrTensors = Tensor | Iterable[Tensor]


def _as_list(tensors: TensorOrTensors) -> list[Tensor]:
    return [tensors] if isinstance(tensors, Tensor) else list(tensors)


def _check_foreach(foreach: bool | None) -> None:
    # pybigml has no fused multi-tensor kernels: each gradient is processed in turn.
    if foreach:
        raise RuntimeError("foreach=True was passed, but can't use the foreach API on cpu tensors")


@no_grad()
def get_total_norm(
    tensors: TensorOrTensors,
    norm_type: float = 2.0,
    error_if_nonfinite: bool = False,
    foreach: bool | None = None,
) -> Tensor:
    """The ``norm_type``-norm of all ``tensors`` together, as if concatenated.

    Args:
        tensors: a tensor or an iterable of them (typically gradients).
        norm_type: p of the norm, ``inf`` for the largest absolute value.
        error_if_nonfinite: raise if the norm is NaN or infinite.
        foreach: only ``None``/``False`` (no fused kernels).

    Returns:
        A 0-d tensor (``tensor(0.)`` for no tensors).
    """
    _check_foreach(foreach)
    tensors = _as_list(tensors)
    norm_type = float(norm_type)
    if not tensors:
        return tensor(0.0)
    norms = [t.norm(norm_type) for t in tensors]
    total = stack(norms).norm(norm_type)
    if error_if_nonfinite and not bool(total.isfinite()):
        raise RuntimeError(
            f"The total norm of order {norm_type} for gradients from `parameters` is "
            "non-finite, so it cannot be clipped. To disable this error and scale the "
            "gradients by the non-finite norm anyway, set `error_if_nonfinite=False`"
        )
    return total


@no_grad()
def clip_grads_with_norm_(
    parameters: TensorOrTensors,
    max_norm: float,
    total_norm: Tensor,
    foreach: bool | None = None,
) -> None:
    """Multiply every gradient by ``min(1, max_norm / (total_norm + 1e-6))``, in place.

    The 1e-6 keeps a zero norm finite; the factor is applied even when it is 1, so the
    gradients stay in the same (NaN-propagating) arithmetic either way.
    """
    _check_foreach(foreach)
    grads = [p.grad for p in _as_list(parameters) if p.grad is not None]
    if not grads:
        return
    coef = (float(max_norm) / (total_norm + 1e-6)).clamp(max=1.0)
    for grad in grads:
        grad.mul_(coef.to(grad.dtype))


@no_grad()
def clip_grad_norm_(
    parameters: TensorOrTensors,
    max_norm: float,
    norm_type: float = 2.0,
    error_if_nonfinite: bool = False,
    foreach: bool | None = None,
) -> Tensor:
    """Rescale the gradients so that their total norm is at most ``max_norm``, in place.

    Args:
        parameters: a tensor or an iterable of them whose ``.grad`` is clipped.
        max_norm: the largest total norm allowed.
        norm_type: p of the norm, ``inf`` for the largest absolute value.
        error_if_nonfinite: raise if the total norm is NaN or infinite.
        foreach: only ``None``/``False`` (no fused kernels).

    Returns:
        The total norm of the gradients before clipping (a 0-d tensor).

    Example::

        >>> loss.backward()
        >>> nn.utils.clip_grad_norm_(model.parameters(), max_norm=1.0)
        >>> optimizer.step()
    """
    is_generator = isinstance(parameters, types.GeneratorType)
    parameters = _as_list(parameters)
    if is_generator and not parameters:
        warnings.warn(
            "`parameters` is an empty generator, no gradient clipping will occur.", stacklevel=3
        )
    grads = [p.grad for p in parameters if p.grad is not None]
    total_norm = get_total_norm(grads, norm_type, error_if_nonfinite, foreach)
    clip_grads_with_norm_(parameters, max_norm, total_norm, foreach)
    return total_norm


def clip_grad_norm(
    parameters: TensorOrTensors,
    max_norm: float,
    norm_type: float = 2.0,
    error_if_nonfinite: bool = False,
    foreach: bool | None = None,
) -> Tensor:
    """Deprecated spelling of :func:`clip_grad_norm_`."""
    warnings.warn(
        "`torch.nn.utils.clip_grad_norm` is now deprecated in favor of "
        "`torch.nn.utils.clip_grad_norm_`.",
        FutureWarning,
        stacklevel=2,
    )
    return clip_grad_norm_(parameters, max_norm, norm_type, error_if_nonfinite, foreach)


@no_grad()
def clip_grad_value_(
    parameters: TensorOrTensors, clip_value: float, foreach: bool | None = None
) -> None:
    """Clamp every gradient element into ``[-clip_value, clip_value]``, in place.

    Args:
        parameters: a tensor or an iterable of them whose ``.grad`` is clipped.
        clip_value: the bound.
        foreach: only ``None``/``False`` (no fused kernels).
    """
    _check_foreach(foreach)
    clip_value = float(clip_value)
    for p in _as_list(parameters):
        if p.grad is not None:
            p.grad.clamp_(min=-clip_value, max=clip_value)
