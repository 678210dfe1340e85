"""The loss functions' own ops: fused class-index cross-entropy and binary cross-entropy.

``nn.functional``'s losses are compositions of tensor ops, differentiated by autograd; these
are the ones that are not:

* :class:`CrossEntropy`: log-softmax and NLL of score rows in one pass on the native kernel
  (the backend's ``cross_entropy_forward`` / ``cross_entropy_backward``), for the dtypes the
  backend computes natively (:func:`fuses_cross_entropy`). :class:`ClassRows` brings scores
  ``(C)`` or ``(N, C, d1, ...)`` into the ``(M, C)`` rows it takes.
* :class:`BinaryCrossEntropy`: its backward is PyTorch's formula, not the derivative of its
  clamped logs.

Also here: :func:`multilabel_target_pairs`, the index bookkeeping of
``multilabel_margin_loss``'s targets.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .. import backend
from .._tensor import Tensor
from ..autograd.function import Function
from ..autograd.grad_mode import GRAD_STATE
from .reduction import softmax

_make = Tensor._make


# ----------------------------------------------------------------------------- cross-entropy
def fuses_cross_entropy(scores: Tensor, weight: Tensor | None) -> bool:
    """Whether :func:`fused_cross_entropy` computes these scores: there are some, and they (and
    ``weight``) have one dtype the backend's cross-entropy kernel computes in."""
    x = scores._data
    if weight is not None and weight._data.dtype != x.dtype:
        return False
    return x.size > 0 and backend.of(x).native("cross_entropy", x.dtype)


class CrossEntropy(Function):
    """Class-index cross-entropy of score rows ``(M, C)`` (the class dim moved last), fused.

    Forward: the backend's ``cross_entropy_forward`` gives each row's loss
    ``(1 - eps) w[y] (-log p[y]) + eps / C sum_c w[c] (-log p[c])`` (0 where ignored) and its
    log-sum-exp; 'sum' adds the rows, 'mean' divides that by ``sum of w[y]`` over the rows
    not ignored (PyTorch's weighted mean, also for the smoothing term).

    Backward: each row's gradient is ``scale (A p - t)`` with ``t = (1 - eps) w[y] onehot(y)
    + eps / C w`` and ``A = sum(t)``, where ``scale`` is the incoming gradient of that row
    (divided by the mean's denominator). The backend's ``cross_entropy_backward`` computes
    it; under ``create_graph=True`` ``_cross_entropy_gradient`` records it as tensor ops.
    """

    @staticmethod
    def forward(ctx, scores, target, weight, ignore_index, label_smoothing, reduction):
        be = backend.of(scores._data, target, weight)
        rows = be.xp.ascontiguousarray(scores._data)
        loss, ctx.lse = be.cross_entropy_forward(
            rows, target, weight, ignore_index, label_smoothing
        )
        ctx.save_for_backward(scores)
        ctx.rows, ctx.target, ctx.weight = rows, target, weight
        ctx.ignore_index, ctx.label_smoothing, ctx.reduction = (
            ignore_index,
            label_smoothing,
            reduction,
        )
        ctx.denominator = 1.0
        if reduction == "none":
            return _make(loss)
        total = loss.sum(dtype=np.float64)
        if reduction == "mean":
            kept = target != ignore_index
            picked = weight[target[kept]] if weight is not None else kept
            ctx.denominator = float(picked.sum(dtype=np.float64))
            total = total / ctx.denominator if ctx.denominator else math.nan
        return _make(be.xp.asarray(total, dtype=rows.dtype))

    @staticmethod
    def backward(ctx, grad):
        if ctx.reduction == "none":
            scale = grad
        else:  # 'sum', or 'mean' (all ignored: the rows' gradients are 0 whatever the scale)
            scale = (grad / ctx.denominator if ctx.denominator else grad).reshape(1)
        if GRAD_STATE.enabled or scale._data.dtype != ctx.rows.dtype:
            return _cross_entropy_gradient(ctx, scale), None, None, None, None, None
        be = backend.of(ctx.rows, scale._data)
        grad_rows = be.cross_entropy_backward(
            ctx.rows,
            ctx.target,
            ctx.weight,
            ctx.lse,
            be.xp.ascontiguousarray(scale._data),
            ctx.ignore_index,
            ctx.label_smoothing,
        )
        return _make(grad_rows), None, None, None, None, None


def _cross_entropy_gradient(ctx: Any, scale: Tensor) -> Tensor:
    """``scale (A softmax(rows) - t)`` (see ``CrossEntropy``) as tensor ops: the softmax and
    the scale stay differentiable, ``A`` and ``t`` are constants of the targets."""
    rows, target, weight = ctx.rows, ctx.target, ctx.weight
    xp = backend.of(rows).xp
    n_rows, n_classes = rows.shape
    eps = ctx.label_smoothing
    kept = (target != ctx.ignore_index).astype(rows.dtype)
    safe = xp.where(kept > 0, target, 0)
    w = xp.ones(n_classes, rows.dtype) if weight is None else weight
    target_weight = (1.0 - eps) * w[safe] * kept
    smoothing = xp.outer(kept, w * (eps / n_classes)).astype(rows.dtype)
    onehot = xp.zeros_like(rows)
    onehot[xp.arange(n_rows), safe] = target_weight
    t = _make(onehot + smoothing)
    a = _make((target_weight + kept * (eps / n_classes) * w.sum()).astype(rows.dtype))
    (scores,) = ctx.saved_tensors
    probs = softmax(scores, 1)
    return (scale * a).unsqueeze(1) * probs - scale.unsqueeze(1) * t


class ClassRows(Function):
    """Scores ``(C)`` or ``(N, C, d1, ...)`` as contiguous rows ``(N d1 ..., C)``: the class
    dim moved last; the backward moves the rows' gradient back."""

    @staticmethod
    def forward(ctx, input, class_dim):
        ctx.shape, ctx.class_dim = input.shape, class_dim
        xp = backend.of(input._data).xp
        moved = xp.moveaxis(input._data, class_dim, -1)
        return _make(xp.ascontiguousarray(moved).reshape(-1, input.shape[class_dim]))

    @staticmethod
    def backward(ctx, grad):
        moved = list(ctx.shape)
        moved.append(moved.pop(ctx.class_dim))
        return grad.reshape(moved).movedim(-1, ctx.class_dim), None


def fused_cross_entropy(
    input: Tensor,
    target: Tensor,
    weight: Tensor | None,
    ignore_index: int,
    reduction: str,
    label_smoothing: float,
    class_dim: int,
) -> Tensor:
    """Class-index cross-entropy on the native kernel: scores ``(N, C)`` are its rows already;
    ``(C)`` and ``(N, C, d1, ...)`` become rows ``(N d1 ..., C)`` (the class dim moved last),
    and their gradient moves back. The caller checked the shapes and that the kernel takes
    the scores (:func:`fuses_cross_entropy`)."""
    n_classes = input.shape[class_dim]
    xp = backend.of(input._data).xp
    flat_target = xp.ascontiguousarray(target._data.reshape(-1), dtype=np.int64)
    weights = None if weight is None else xp.ascontiguousarray(weight.detach()._data)
    if weight is not None and weights.shape != (n_classes,):
        raise RuntimeError(
            f"weight tensor should be defined either for all {n_classes} classes or no "
            f"classes but got weight tensor of shape: {list(weight.shape)}"
        )
    loss = CrossEntropy.apply(
        input if input.ndim == 2 else ClassRows.apply(input, class_dim),
        flat_target,
        weights,
        ignore_index,
        label_smoothing,
        reduction,
    )
    return loss.reshape(target.shape) if reduction == "none" else loss


# ----------------------------------------------------------------------------- binary
# The floor of x (1 - x) in the gradient; PyTorch stores 1e-12 as a C float, hence the rounding.
_BCE_GRAD_FLOOR = float(np.float32(1e-12))


class BinaryCrossEntropy(Function):
    """Element-wise ``-(y log x + (1 - y) log(1 - x))``, each log clamped below at -100.

    The derivatives are PyTorch's formulas, not those of the clamped logs (which a composite of
    ``log`` and ``clamp`` would give, with ``0 * inf = nan`` at a saturated ``x`` of exactly 0
    or 1):

        dL/dx = (x - y) / max(x (1 - x), 1e-12)        dL/dy = log(1 - x) - log(x)

    Both are written with tensor ops, so they differentiate again.
    """

    @staticmethod
    def forward(ctx, input, target):
        x, y = input._data, target._data
        xp = backend.of(x, y).xp
        with np.errstate(divide="ignore"):
            log_x = xp.maximum(xp.log(x), -100)
            log_not_x = xp.maximum(xp.log1p(-x), -100)
        ctx.save_for_backward(input, target)
        return _make((y - 1) * log_not_x - y * log_x)

    @staticmethod
    def backward(ctx, grad):
        x, y = ctx.saved_tensors
        grad_input = grad_target = None
        if ctx.needs_input_grad[0]:
            grad_input = grad * (x - y) / (x * (1 - x)).clamp_min(_BCE_GRAD_FLOOR)
        if ctx.needs_input_grad[1]:
            grad_target = grad * ((-x).log1p() - x.log())
        return grad_input, grad_target


# ----------------------------------------------------------------------------- multilabel
def multilabel_target_pairs(target: Tensor, samples: int, classes: int) -> tuple[Tensor, Tensor]:
    """The (target, non-target) class pairs of ``multilabel_margin_loss``'s targets.

    Each row of ``target`` (int64, ``(samples, classes)`` elements) lists a sample's classes
    ``Y``, ended by the first -1. The positions are data, not differentiable, so they are
    resolved here on the array.

    Returns:
        ``(labels, pairs)``: ``(samples, classes)`` int64, the listed classes with 0 after the
        end (a valid index to gather with), and the ``(samples, classes, classes)`` bool mask
        of ``(listed position j, class i)`` with ``i`` not in ``Y``.

    Raises:
        RuntimeError: a listed class is ``>= classes``.
    """
    xp = backend.of(target._data).xp
    labels = target._data.reshape(samples, classes)
    listed = xp.cumprod(labels >= 0, axis=1).astype(bool)  # positions before the first -1
    if xp.any(labels[listed] >= classes):
        raise RuntimeError("argument #2 'target' is out of range")
    listed_labels = xp.where(listed, labels, 0)
    is_target = xp.zeros((samples, classes), dtype=bool)
    rows, positions = xp.nonzero(listed)
    is_target[rows, labels[rows, positions]] = True
    pairs = listed[:, :, None] & ~is_target[:, None, :]
    return _make(listed_labels), _make(pairs)
