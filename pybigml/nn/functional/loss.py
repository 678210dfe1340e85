"""Loss functions: regression, classification, ranking and likelihood losses.

Each is a composition of tensor ops whose docstring states the formula; autograd takes its
derivative. Two are ops of their own (``pybigml.ops.loss``): class-index ``cross_entropy``
runs fused on the native kernel where the backend has one for the dtype, and
``binary_cross_entropy``'s backward is PyTorch's formula rather than the derivative of the
clamped logs.

``reduction`` is ``'none'`` | ``'mean'`` | ``'sum'`` throughout; the deprecated
``size_average``/``reduce`` flags still choose it (with PyTorch's warning).
"""

from __future__ import annotations

import math
import warnings
from typing import Any

from ..._dtype import int64, uint8
from ..._tensor import Tensor
from ...autograd.grad_mode import no_grad
from ...ops import pointwise
from ...ops.creation import arange, ones_like
from ...ops.loss import (
    BinaryCrossEntropy,
    fused_cross_entropy,
    fuses_cross_entropy,
    multilabel_target_pairs,
)
from ...ops.pointwise import minimum, where, xlogy
from ...ops.shape import broadcast_shapes
from .activation import logsigmoid
from .distance import pairwise_distance

_REDUCTIONS = ("none", "mean", "sum")


def _resolve_reduction(size_average: bool | None, reduce: bool | None, reduction: str) -> str:
    """The reduction to apply, honouring the deprecated ``size_average``/``reduce`` flags."""
    if size_average is not None or reduce is not None:
        size_average = True if size_average is None else size_average
        reduce = True if reduce is None else reduce
        reduction = ("mean" if size_average else "sum") if reduce else "none"
        warnings.warn(
            "size_average and reduce args will be deprecated, please use "
            f"reduction='{reduction}' instead.",
            stacklevel=3,
        )
    if reduction not in _REDUCTIONS:
        raise ValueError(f"{reduction} is not a valid value for reduction")
    return reduction


def _reduce(loss: Tensor, reduction: str) -> Tensor:
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    return loss


def _warn_if_sizes_differ(input: Tensor, target: Tensor) -> None:
    """The element-wise losses broadcast ``target`` against ``input``, as PyTorch does, but
    warn: a ``(N, 1)`` prediction against an ``(N,)`` target is almost always a mistake."""
    if target.shape != input.shape:
        warnings.warn(
            f"Using a target size ({target.shape}) that is different to the input size "
            f"({input.shape}). This will likely lead to incorrect results due to "
            "broadcasting. Please ensure they have the same size.",
            stacklevel=3,
        )


def _reduce_weighted(loss: Tensor, input: Tensor, weight: Tensor | None, reduction: str) -> Tensor:
    """Reduce ``loss``; with an element-wise ``weight`` (the shape of ``input``), ``w * loss``
    whose ``'mean'`` divides by ``sum(w)`` (the ``weight`` of ``mse_loss``/``l1_loss``)."""
    if weight is None:
        return _reduce(loss, reduction)
    if weight.shape != input.shape:
        raise ValueError("Weights and input must have the same size.")
    weighted = loss * weight
    return weighted.sum() / weight.sum() if reduction == "mean" else _reduce(weighted, reduction)


# --------------------------------------------------------------------------- regression
def mse_loss(
    input: Tensor,
    target: Tensor,
    size_average: bool | None = None,
    reduce: bool | None = None,
    reduction: str = "mean",
    weight: Tensor | None = None,
) -> Tensor:
    """Mean squared error ``(x - y)^2``, reduced; with ``weight``, ``w (x - y)^2`` and the
    ``'mean'`` divides by ``sum(w)``."""
    _warn_if_sizes_differ(input, target)
    reduction = _resolve_reduction(size_average, reduce, reduction)
    diff = input - target
    return _reduce_weighted(diff * diff, input, weight, reduction)


def l1_loss(
    input: Tensor,
    target: Tensor,
    size_average: bool | None = None,
    reduce: bool | None = None,
    reduction: str = "mean",
    weight: Tensor | None = None,
) -> Tensor:
    """Mean absolute error ``|x - y|``; its derivative is ``sign(x - y)`` (0 where equal).

    With ``weight`` (shaped like ``input``) the loss is ``w |x - y|`` and ``'mean'`` divides
    by ``sum(w)``.
    """
    _warn_if_sizes_differ(input, target)
    reduction = _resolve_reduction(size_average, reduce, reduction)
    return _reduce_weighted((input - target).abs(), input, weight, reduction)


def smooth_l1_loss(
    input: Tensor,
    target: Tensor,
    size_average: bool | None = None,
    reduce: bool | None = None,
    reduction: str = "mean",
    beta: float = 1.0,
) -> Tensor:
    """``0.5 d^2 / beta`` where ``|d| < beta``, else ``|d| - 0.5 beta`` (``d = x - y``).

    Quadratic near 0 and linear beyond ``beta``; both pieces and their slopes meet at
    ``|d| = beta``. ``beta = 0`` is exactly ``l1_loss``.
    """
    _warn_if_sizes_differ(input, target)
    reduction = _resolve_reduction(size_average, reduce, reduction)
    if beta < 0:
        raise RuntimeError("smooth_l1_loss does not support negative values for beta.")
    if beta == 0.0:  # the quadratic piece would divide by zero
        return l1_loss(input, target, reduction=reduction)
    diff = input - target
    abs_diff = diff.abs()
    loss = where(abs_diff < beta, diff * diff * (0.5 / beta), abs_diff - 0.5 * beta)
    return _reduce(loss, reduction)


def huber_loss(
    input: Tensor,
    target: Tensor,
    reduction: str = "mean",
    delta: float = 1.0,
    weight: Tensor | None = None,
) -> Tensor:
    """``0.5 d^2`` where ``|d| < delta``, else ``delta (|d| - 0.5 delta)`` (``d = x - y``).

    ``huber_loss = delta * smooth_l1_loss(beta=delta)``. With ``weight`` (shaped like
    ``input``) each element is multiplied by its weight and ``'mean'`` is a plain mean.
    """
    _warn_if_sizes_differ(input, target)
    reduction = _resolve_reduction(None, None, reduction)
    if delta <= 0:
        raise RuntimeError("huber_loss does not support non-positive values for delta.")
    diff = input - target
    abs_diff = diff.abs()
    loss = where(abs_diff < delta, diff * diff * 0.5, (abs_diff - 0.5 * delta) * delta)
    if weight is not None:
        if weight.shape != input.shape:
            raise ValueError("Weights and input must have the same size.")
        loss = loss * weight
    return _reduce(loss, reduction)


def poisson_nll_loss(
    input: Tensor,
    target: Tensor,
    log_input: bool = True,
    full: bool = False,
    size_average: bool | None = None,
    eps: float = 1e-8,
    reduce: bool | None = None,
    reduction: str = "mean",
) -> Tensor:
    """Negative log-likelihood of a Poisson-distributed ``target`` with rate ``exp(x)``
    (``log_input``: ``exp(x) - y x``) or ``x`` (``x - y log(x + eps)``).

    ``full`` adds the Stirling approximation of ``log(y!)``, ``y log y - y + log(2 pi y) / 2``,
    where ``y > 1``.
    """
    reduction = _resolve_reduction(size_average, reduce, reduction)
    if log_input:
        loss = input.exp() - target * input
    else:
        loss = input - target * (input + eps).log()
    if full:
        # Evaluated on a stand-in target of 2 where the term is masked, so no log(0) arises.
        counted = target > 1
        safe = where(counted, target, 2.0)
        stirling = safe * safe.log() - safe + 0.5 * (2 * math.pi * safe).log()
        loss = loss + stirling.masked_fill(~counted, 0)
    return _reduce(loss, reduction)


def gaussian_nll_loss(
    input: Tensor,
    target: Tensor,
    var: Tensor | float,
    full: bool = False,
    eps: float = 1e-6,
    reduction: str = "mean",
) -> Tensor:
    """Negative log-likelihood of ``target`` under ``N(input, var)``:
    ``(log(max(var, eps)) + (x - y)^2 / max(var, eps)) / 2`` (+ ``log(2 pi) / 2`` if ``full``).

    ``var`` has the input's shape, or one dim fewer (one variance per sample), or a single
    mismatched dim of size 1, or is a float. The ``eps`` clamp is applied outside the graph,
    as in PyTorch: the gradient reaches ``var`` as if unclamped.
    """
    if isinstance(var, (int, float)):
        if var < 0:
            raise ValueError("var has negative entry/entries")
        var = var * ones_like(input)
    elif bool((var < 0).any()):
        raise ValueError("var has negative entry/entries")
    if var.shape != input.shape:
        if tuple(input.shape[:-1]) == tuple(var.shape):
            var = var.unsqueeze(-1)
        elif not (
            input.ndim == var.ndim and sum(v for i, v in zip(input.shape, var.shape) if i != v) == 1
        ):
            raise ValueError("var is of incorrect size")
    if reduction not in _REDUCTIONS:
        raise ValueError(reduction + " is not valid")
    var = var.clone()
    with no_grad():
        var.clamp_min_(eps)
    diff = input - target
    loss = 0.5 * (var.log() + diff * diff / var)
    if full:
        loss = loss + 0.5 * math.log(2 * math.pi)
    return _reduce(loss, reduction)


# --------------------------------------------------------------------------- class indices
def _class_dim(input: Tensor, target: Tensor) -> int:
    """Check the shapes of class scores against class-index targets; return the class dim.

    ``(C)`` with a 0-d target, ``(N, C)`` with ``(N)``, ``(N, C, d1, ...)`` with
    ``(N, d1, ...)``.
    """
    if input.ndim < 1:
        raise ValueError(f"Expected 1 or more dimensions (got {input.ndim})")
    if target.dtype not in (int64, uint8):
        raise RuntimeError(f"expected target dtype to be Long or Byte, but got {target.dtype}")
    if input.ndim == 1:
        if target.ndim != 0:
            raise RuntimeError(
                f"0D target tensor expected for 1D input, got target of shape {tuple(target.shape)}"
            )
        return 0
    if target.ndim >= 1 and input.shape[0] != target.shape[0]:
        raise ValueError(
            f"Expected input batch_size ({input.shape[0]}) to match target batch_size "
            f"({target.shape[0]})."
        )
    expected = (input.shape[0], *input.shape[2:])
    if tuple(target.shape) != expected:
        if input.ndim == 2:
            raise RuntimeError("0D or 1D target tensor expected, multi-target not supported")
        raise RuntimeError(
            f"size mismatch (got input: {list(input.shape)} , target: {list(target.shape)}"
        )
    return 1


class _ClassTargets:
    """Class-index targets made safe to gather with, and the weight of each element.

    ``index`` is the target with ignored entries replaced by class 0 (a valid index whose
    pick is then multiplied by 0); ``weights`` is ``weight[target]`` with 0 at ignored
    entries, or ``None`` when every element counts 1 (no weight, nothing ignored).
    """

    def __init__(
        self,
        input: Tensor,
        target: Tensor,
        weight: Tensor | None,
        ignore_index: int,
        class_dim: int,
    ) -> None:
        n_classes = input.shape[class_dim]
        if weight is not None and tuple(weight.shape) != (n_classes,):
            raise RuntimeError(
                f"weight tensor should be defined either for all {n_classes} classes or no "
                f"classes but got weight tensor of shape: {list(weight.shape)}"
            )
        target = target.to(int64)
        ignored = target == ignore_index
        self.any_ignored = bool(ignored.any())
        self.index = target.masked_fill(ignored, 0) if self.any_ignored else target
        if self.index.numel():
            low, high = int(self.index.min()), int(self.index.max())
            if low < 0 or high >= n_classes:
                raise IndexError(f"Target {low if low < 0 else high} is out of bounds.")
        self.keep = (~ignored).to(input.dtype) if self.any_ignored else None
        if weight is None:
            self.weights = self.keep
        else:
            picked = weight.detach().to(input.dtype)[self.index]
            self.weights = picked if self.keep is None else picked * self.keep

    def mean(self, losses: Tensor) -> Tensor:
        """The ``'mean'`` reduction: ``sum(losses) / sum(weights)``.

        When every element is ignored (total weight 0) the result is NaN, as in PyTorch, and
        the gradient is zero (NaN is added, not divided by, so no ``0 / 0`` reaches it).
        """
        if self.weights is None:
            return losses.mean()
        total = float(self.weights.sum())
        return losses.sum() + math.nan if total == 0 else losses.sum() / total


def nll_loss(
    input: Tensor,
    target: Tensor,
    weight: Tensor | None = None,
    size_average: bool | None = None,
    ignore_index: int = -100,
    reduce: bool | None = None,
    reduction: str = "mean",
) -> Tensor:
    """Negative log-likelihood of class-index targets given log-probabilities.

    ``loss_i = -w[y_i] * input[i, y_i]`` (0 where ``y_i == ignore_index``); ``'mean'``
    divides the sum by ``sum_i w[y_i]`` over the elements not ignored.

    Args:
        input: log-probabilities ``(N, C)``, ``(C)`` or ``(N, C, d1, ...)``.
        target: int64 class indices ``(N)``, ``()`` or ``(N, d1, ...)``.
        weight: per-class weight ``(C)``.
        ignore_index: target value that contributes neither loss nor gradient.
        reduction: ``'none'`` | ``'mean'`` | ``'sum'``.
    """
    reduction = _resolve_reduction(size_average, reduce, reduction)
    class_dim = _class_dim(input, target)
    targets = _ClassTargets(input, target, weight, ignore_index, class_dim)
    return _nll(input, targets, class_dim, reduction)


def _nll(log_probs: Tensor, targets: _ClassTargets, class_dim: int, reduction: str) -> Tensor:
    picked = log_probs.gather(class_dim, targets.index.unsqueeze(class_dim)).squeeze(class_dim)
    losses = -picked if targets.weights is None else -picked * targets.weights
    return targets.mean(losses) if reduction == "mean" else _reduce(losses, reduction)


def cross_entropy(
    input: Tensor,
    target: Tensor,
    weight: Tensor | None = None,
    size_average: bool | None = None,
    ignore_index: int = -100,
    reduce: bool | None = None,
    reduction: str = "mean",
    label_smoothing: float = 0.0,
) -> Tensor:
    """Cross-entropy between the softmax of ``input`` (unnormalised scores) and ``target``.

    With class indices this is ``nll_loss(log_softmax(input), target)``; with label
    smoothing ``eps`` it becomes ``(1 - eps) * nll + eps / C * sum_c -w_c log p_c``, the
    second term reduced like the first. With class probabilities (``target`` float, the
    shape of ``input``) it is ``-sum_c w_c t_c log p_c`` per element, smoothed as
    ``t (1 - eps) + eps / C``; its ``'mean'`` divides by the number of elements.

    The gradient with respect to the scores is ``softmax(input) - target`` (times the
    weights). float32/float64 scores with class-index targets run fused on the native kernel
    (log-softmax and NLL in one pass over the scores, see ``ops.loss.CrossEntropy``); probability
    targets and other dtypes go through ``log_softmax`` and autograd.

    Args:
        input: scores ``(N, C)``, ``(C)`` or ``(N, C, d1, ...)``.
        target: int64 class indices ``(N)``/``()``/``(N, d1, ...)``, or float probabilities
            shaped like ``input``.
        weight: per-class weight ``(C)``.
        ignore_index: class-index target value to ignore.
        reduction: ``'none'`` | ``'mean'`` | ``'sum'``.
        label_smoothing: ``eps`` in ``[0, 1]``.
    """
    reduction = _resolve_reduction(size_average, reduce, reduction)
    if not 0.0 <= label_smoothing <= 1.0:
        raise RuntimeError(f"label_smoothing must be between 0.0 and 1.0. Got: {label_smoothing}")
    if input.ndim < 1:
        raise ValueError(f"Expected 1 or more dimensions (got {input.ndim})")
    class_dim = 0 if input.ndim == 1 else 1
    if target.shape == input.shape:
        if not target.is_floating_point():
            raise RuntimeError(
                "Expected floating point type for target with class probabilities, "
                f"got {target.dtype}"
            )
        return _soft_cross_entropy(input, target, weight, reduction, label_smoothing, class_dim)
    class_dim = _class_dim(input, target)
    if fuses_cross_entropy(input, weight):
        return fused_cross_entropy(
            input, target, weight, ignore_index, reduction, label_smoothing, class_dim
        )
    log_probs = input.log_softmax(class_dim)
    targets = _ClassTargets(input, target, weight, ignore_index, class_dim)
    loss = _nll(log_probs, targets, class_dim, reduction)
    if label_smoothing == 0.0:
        return loss
    n_classes = input.shape[class_dim]
    weighted = log_probs if weight is None else log_probs * _class_weights(weight, input, class_dim)
    smooth = -weighted.sum(class_dim)
    if targets.keep is not None:
        smooth = smooth * targets.keep
    smooth = targets.mean(smooth) if reduction == "mean" else _reduce(smooth, reduction)
    return loss * (1.0 - label_smoothing) + smooth * (label_smoothing / n_classes)


def _class_weights(weight: Tensor, input: Tensor, class_dim: int) -> Tensor:
    """Per-class weights shaped to broadcast along ``class_dim`` of ``input``."""
    shape = [1] * input.ndim
    shape[class_dim] = input.shape[class_dim]
    return weight.detach().to(input.dtype).reshape(shape)


def _soft_cross_entropy(
    input: Tensor,
    target: Tensor,
    weight: Tensor | None,
    reduction: str,
    label_smoothing: float,
    class_dim: int,
) -> Tensor:
    """Cross-entropy against class probabilities (see ``cross_entropy``)."""
    n_classes = input.shape[class_dim]
    if label_smoothing > 0.0:
        target = target * (1.0 - label_smoothing) + label_smoothing / n_classes
    terms = input.log_softmax(class_dim) * target
    if weight is not None:
        terms = terms * _class_weights(weight, input, class_dim)
    if reduction == "none":
        return -terms.sum(class_dim)
    if reduction == "sum":
        return -terms.sum()
    count = input.numel() // n_classes if n_classes else 0
    return -terms.sum() / count if count else -terms.sum() * math.nan


def kl_div(
    input: Tensor,
    target: Tensor,
    size_average: bool | None = None,
    reduce: bool | None = None,
    reduction: str = "mean",
    log_target: bool = False,
) -> Tensor:
    """Kullback-Leibler divergence ``KL(target || exp(input))`` with ``input`` log-probabilities.

    Per element ``t (log t - x)`` (0 where ``t = 0``), or with ``log_target=True``
    ``exp(t) (t - x)``. ``'batchmean'`` divides the sum by the batch size ``input.size(0)``,
    which is the divergence per sample; ``'mean'`` divides by the number of elements.
    """
    if size_average is not None or reduce is not None:
        reduction = _resolve_reduction(size_average, reduce, reduction)
    elif reduction == "mean":
        warnings.warn(
            "reduction: 'mean' divides the total loss by both the batch size and the support "
            "size.'batchmean' divides only by the batch size, and aligns with the KL div math "
            "definition.'mean' will be changed to behave the same as 'batchmean' in the next "
            "major release.",
            stacklevel=2,
        )
    elif reduction != "batchmean":
        reduction = _resolve_reduction(None, None, reduction)
    if log_target:
        loss = target.exp() * (target - input)
    else:
        loss = xlogy(target, target) - target * input
    if reduction == "batchmean":
        return loss.sum() / input.shape[0] if input.ndim else loss.sum()
    return _reduce(loss, reduction)


# --------------------------------------------------------------------------- binary
def _check_probability_target(op: str, input: Tensor, target: Tensor, message: str) -> None:
    """The binary cross-entropies take a floating target of the input's exact shape."""
    if target.shape != input.shape:
        raise ValueError(message)
    if target.dtype != input.dtype:
        raise RuntimeError(
            f"{op}: expected target of the input's dtype {input.dtype}, but got {target.dtype}"
        )


def binary_cross_entropy(
    input: Tensor,
    target: Tensor,
    weight: Tensor | None = None,
    size_average: bool | None = None,
    reduce: bool | None = None,
    reduction: str = "mean",
) -> Tensor:
    """Binary cross-entropy ``-w (y log x + (1 - y) log(1 - x))`` of probabilities ``x``.

    Each log is clamped at -100 so that ``x = 0`` or ``1`` gives a finite loss; see
    ``ops.loss.BinaryCrossEntropy`` for the gradient. Prefer ``binary_cross_entropy_with_logits``
    on scores: it never needs the clamp.

    Args:
        input: probabilities in ``[0, 1]``, any shape.
        target: same shape and dtype as ``input`` (values in ``[0, 1]``).
        weight: rescaling weight broadcast to ``input``'s shape.
        reduction: ``'none'`` | ``'mean'`` | ``'sum'``.

    Example::

        >>> F.binary_cross_entropy(pybigml.tensor([0.9, 0.2]), pybigml.tensor([1.0, 0.0]))
        tensor(0.1643)
    """
    reduction = _resolve_reduction(size_average, reduce, reduction)
    _check_probability_target(
        "binary_cross_entropy",
        input,
        target,
        f"Using a target size ({target.shape}) that is different to the input size "
        f"({input.shape}) is deprecated. Please ensure they have the same size.",
    )
    if input.numel() and not bool(((input >= 0) & (input <= 1)).all()):
        raise RuntimeError("all elements of input should be between 0 and 1")
    loss = BinaryCrossEntropy.apply(input, target)
    if weight is not None:
        loss = loss * weight.expand(broadcast_shapes(target.shape, weight.shape))
    return _reduce(loss, reduction)


def binary_cross_entropy_with_logits(
    input: Tensor,
    target: Tensor,
    weight: Tensor | None = None,
    size_average: bool | None = None,
    reduce: bool | None = None,
    reduction: str = "mean",
    pos_weight: Tensor | None = None,
) -> Tensor:
    """Binary cross-entropy of ``sigmoid(input)``, computed from the scores stably.

    With ``p = 1 + (pos_weight - 1) y`` (1 without ``pos_weight``)::

        loss = -w (p y log sigmoid(x) + (1 - y) log(1 - sigmoid(x)))
             = w ((1 - y) x + p softplus(-x))

    since ``log(1 - sigmoid(x)) = -x + log sigmoid(x)`` and ``-log sigmoid(x) = softplus(-x)
    = log(1 + e^-x)``, which is evaluated as ``logaddexp(0, -x)``: no overflow for any ``x``.
    Its derivative is ``w ((1 - y) - p sigmoid(-x))``, ``w (sigmoid(x) - y)`` without
    ``pos_weight``.

    Args:
        input: unnormalised scores (logits), any shape.
        target: same shape and dtype as ``input``, values in ``[0, 1]``.
        weight: rescaling weight broadcast to ``input``'s shape.
        reduction: ``'none'`` | ``'mean'`` | ``'sum'``.
        pos_weight: weight of the positive term, broadcast against ``target`` (per class
            along the last dim: ``(C,)``).
    """
    reduction = _resolve_reduction(size_average, reduce, reduction)
    _check_probability_target(
        "binary_cross_entropy_with_logits",
        input,
        target,
        f"Target size ({target.shape}) must be the same as input size ({input.shape})",
    )
    # softplus with an infinite threshold: always the exact log(1 + e^-x), never its
    # linear asymptote.
    neg_log_sigmoid = pointwise.softplus(-input, 1.0, math.inf)
    if pos_weight is not None:
        neg_log_sigmoid = neg_log_sigmoid * ((pos_weight - 1) * target + 1)
    loss = (1 - target) * input + neg_log_sigmoid
    if weight is not None:
        loss = loss * weight
    return _reduce(loss, reduction)


def soft_margin_loss(
    input: Tensor,
    target: Tensor,
    size_average: bool | None = None,
    reduce: bool | None = None,
    reduction: str = "mean",
) -> Tensor:
    """Two-class logistic loss ``log(1 + exp(-y x))`` for labels ``y`` in ``{1, -1}``."""
    reduction = _resolve_reduction(size_average, reduce, reduction)
    return _reduce((-input * target).exp().log1p(), reduction)


def multilabel_soft_margin_loss(
    input: Tensor,
    target: Tensor,
    weight: Tensor | None = None,
    size_average: bool | None = None,
    reduce: bool | None = None,
    reduction: str = "mean",
) -> Tensor:
    """Per-class binary logistic loss averaged over the classes (the last dim):
    ``-mean_c w_c (y_c log sigmoid(x_c) + (1 - y_c) log sigmoid(-x_c))``."""
    if size_average is not None or reduce is not None:
        reduction = _resolve_reduction(size_average, reduce, reduction)
    if reduction not in _REDUCTIONS:
        raise ValueError(reduction + " is not valid")
    loss = -(target * logsigmoid(input) + (1 - target) * logsigmoid(-input))
    if weight is not None:
        loss = loss * weight
    class_dim = input.ndim - 1
    return _reduce(loss.sum(class_dim) / input.shape[class_dim], reduction)


# --------------------------------------------------------------------------- margins
def margin_ranking_loss(
    input1: Tensor,
    input2: Tensor,
    target: Tensor,
    margin: float = 0,
    size_average: bool | None = None,
    reduce: bool | None = None,
    reduction: str = "mean",
) -> Tensor:
    """``max(0, -y (x1 - x2) + margin)``: ``y = 1`` asks ``x1`` to rank above ``x2`` by
    ``margin``, ``y = -1`` the opposite."""
    reduction = _resolve_reduction(size_average, reduce, reduction)
    if not input1.ndim == input2.ndim == target.ndim:
        raise RuntimeError(
            "margin_ranking_loss : All input tensors should have same dimension but got sizes: "
            f"input1: {input1.shape}, input2: {input2.shape}, target: {target.shape} "
        )
    loss = (-target * (input1 - input2) + margin).clamp_min(0)
    return _reduce(loss, reduction)


def hinge_embedding_loss(
    input: Tensor,
    target: Tensor,
    margin: float = 1.0,
    size_average: bool | None = None,
    reduce: bool | None = None,
    reduction: str = "mean",
) -> Tensor:
    """``x`` where ``y = 1``, ``max(0, margin - x)`` where ``y = -1`` (``x`` a distance)."""
    reduction = _resolve_reduction(size_average, reduce, reduction)
    zero = input.new_zeros(())
    margin_term = where(target != 1, (margin - input).clamp_min(0), zero)
    self_term = where(target != -1, input, zero)
    return _reduce(margin_term + self_term, reduction)


def cosine_embedding_loss(
    input1: Tensor,
    input2: Tensor,
    target: Tensor,
    margin: float = 0,
    size_average: bool | None = None,
    reduce: bool | None = None,
    reduction: str = "mean",
) -> Tensor:
    """``1 - cos(x1, x2)`` where ``y = 1``, ``max(0, cos(x1, x2) - margin)`` where ``y = -1``
    (0 for any other label).

    ``cos = x1 . x2 / sqrt((|x1|^2 + 1e-12) (|x2|^2 + 1e-12))`` along the last dim: the
    1e-12 keeps a zero vector finite.

    Args:
        input1, input2: ``(N, D)`` with a ``(N,)`` target, or ``(D,)`` with a 0-d target.
        target: labels 1 or -1.
    """
    reduction = _resolve_reduction(size_average, reduce, reduction)
    if target.ndim not in (0, 1):
        raise RuntimeError("0D or 1D target tensor expected, multi-target not supported")
    expected = target.ndim + 1
    if input1.ndim != expected or input2.ndim != expected:
        raise RuntimeError(
            f"{target.ndim}D target tensor expects {expected}D input tensors, but found inputs "
            f"with sizes {list(input1.shape)} and {list(input2.shape)}."
        )
    dim = target.ndim
    squared_norms = ((input1 * input1).sum(dim) + 1e-12) * ((input2 * input2).sum(dim) + 1e-12)
    cos = (input1 * input2).sum(dim) / squared_norms.sqrt()
    zero = cos.new_zeros(())
    loss = where(target == 1, 1 - cos, zero) + where(
        target == -1, (cos - margin).clamp_min(0), zero
    )
    return _reduce(loss, reduction)


def _margin_loss_rows(input: Tensor, target: Tensor) -> tuple[int, int]:
    """``(samples, classes)`` of the margin losses' ``(N, C)``, ``(C)`` or 0-d input, whose
    ``target`` holds int64 class indices."""
    if target.dtype != int64:
        raise RuntimeError(f"expected scalar type Long but found {target.dtype}")
    if input.ndim > 2 or (input.ndim >= 1 and input.shape[-1] == 0):
        raise RuntimeError(
            "Expected non-empty vector or matrix with optional 0-dim batch size, but got: "
            f"{list(input.shape)}"
        )
    if input.ndim <= 1:
        return 1, max(input.numel(), 1)
    return input.shape[0], input.shape[1]


def multi_margin_loss(
    input: Tensor,
    target: Tensor,
    p: int = 1,
    margin: float = 1.0,
    weight: Tensor | None = None,
    size_average: bool | None = None,
    reduce: bool | None = None,
    reduction: str = "mean",
) -> Tensor:
    """Multi-class hinge loss: ``sum_{i != y} max(0, margin - x_y + x_i)^p / C`` per sample
    (each term times ``weight[y]`` if given), ``p`` 1 or 2.

    Args:
        input: ``(N, C)`` scores, or ``(C)`` / 0-d for one sample.
        target: int64 class indices ``(N)`` (one element for one sample).
    """
    reduction = _resolve_reduction(size_average, reduce, reduction)
    if p not in (1, 2):
        raise ValueError("only p == 1 and p == 2 supported")
    if weight is not None and weight.ndim != 1:
        raise ValueError("weight must be one-dimensional")
    samples, classes = _margin_loss_rows(input, target)
    if input.ndim == 2 and (target.ndim != 1 or target.shape[0] != samples):
        raise RuntimeError(
            "multi_margin_loss: target tensor should be 1-D with size equal to the number of "
            f"input samples (batch size). Expected target size [{samples}], but got "
            f"{list(target.shape)}. Input has shape {list(input.shape)}."
        )
    if input.ndim < 2 and (target.ndim > 1 or target.numel() != 1):
        raise RuntimeError(f"inconsistent target size, expected 1 but got {list(target.shape)}")
    if weight is not None and weight.numel() != classes:
        raise RuntimeError(
            f"inconsistent weight size, expected {classes} but got {list(weight.shape)}"
        )
    labels = target.reshape(samples, 1)
    if labels.numel() and (int(labels.min()) < 0 or int(labels.max()) >= classes):
        raise RuntimeError("target out of range")
    scores = input.reshape(samples, classes)
    hinge = (scores - scores.gather(1, labels) + margin).clamp_min(0)
    if p == 2:
        hinge = hinge * hinge
    if weight is not None:
        hinge = hinge * weight.to(input.dtype)[labels]
    others = arange(classes) != labels  # the target's own term is left out
    loss = (hinge * others).sum(1) / classes
    if reduction == "mean" and samples == 0:
        return loss.sum()  # PyTorch's mean over no samples is 0 here, not NaN
    return _reduce(loss if input.ndim else loss.reshape(()), reduction)


def multilabel_margin_loss(
    input: Tensor,
    target: Tensor,
    size_average: bool | None = None,
    reduce: bool | None = None,
    reduction: str = "mean",
) -> Tensor:
    """Multi-label hinge loss: ``sum_{j in Y} sum_{i not in Y} max(0, 1 - (x_j - x_i)) / C``.

    ``target`` (int64, the shape of ``input``) lists each sample's classes ``Y``, ended by the
    first -1. The target positions are data, not differentiable: they become a ``(N, C, C)``
    mask of the (target, non-target) pairs (``ops.loss.multilabel_target_pairs``).
    """
    reduction = _resolve_reduction(size_average, reduce, reduction)
    samples, classes = _margin_loss_rows(input, target)
    if target.shape != input.shape:
        raise RuntimeError(
            f"inconsistent target size: {list(target.shape)} for input of size: {list(input.shape)}"
        )
    labels, pairs = multilabel_target_pairs(target, samples, classes)
    scores = input.reshape(samples, classes)
    picked = scores.gather(1, labels)
    hinge = (1 - picked.unsqueeze(2) + scores.unsqueeze(1)).clamp_min(0)
    loss = (hinge * pairs).sum((1, 2)) / classes
    return _reduce(loss if input.ndim == 2 else loss.reshape(()), reduction)


def _triplet_loss(
    anchor: Tensor,
    positive: Tensor,
    negative: Tensor,
    distance: Any,
    margin: float,
    swap: bool,
    reduction: str,
) -> Tensor:
    """``max(d(a, p) - d(a, n) + margin, 0)``, with ``min(d(a, n), d(p, n))`` for ``d(a, n)``
    when ``swap`` (the harder of the two negatives)."""
    if not anchor.ndim == positive.ndim == negative.ndim:
        raise RuntimeError(
            "The anchor, positive, and negative tensors are expected to have the same number of "
            f"dimensions, but got: anchor {anchor.ndim}D, positive {positive.ndim}D, and "
            f"negative {negative.ndim}D inputs"
        )
    dist_pos = distance(anchor, positive)
    dist_neg = distance(anchor, negative)
    if swap:
        dist_neg = minimum(dist_neg, distance(positive, negative))
    return _reduce((dist_pos - dist_neg + margin).clamp_min(0), reduction)


def triplet_margin_loss(
    anchor: Tensor,
    positive: Tensor,
    negative: Tensor,
    margin: float = 1.0,
    p: float = 2,
    eps: float = 1e-6,
    swap: bool = False,
    size_average: bool | None = None,
    reduce: bool | None = None,
    reduction: str = "mean",
) -> Tensor:
    """``max(d(a, p) - d(a, n) + margin, 0)`` with ``d`` the ``pairwise_distance`` (p-norm
    over the last dim); with ``swap``, ``d(a, n)`` is replaced by ``min(d(a, n), d(p, n))``.
    """
    reduction = _resolve_reduction(size_average, reduce, reduction)
    if margin <= 0:
        raise ValueError(f"margin must be greater than 0, got {margin}")

    def distance(x1: Tensor, x2: Tensor) -> Tensor:
        return pairwise_distance(x1, x2, p, eps)

    return _triplet_loss(anchor, positive, negative, distance, margin, swap, reduction)


def triplet_margin_with_distance_loss(
    anchor: Tensor,
    positive: Tensor,
    negative: Tensor,
    *,
    distance_function: Any = None,
    margin: float = 1.0,
    swap: bool = False,
    reduction: str = "mean",
) -> Tensor:
    """``triplet_margin_loss`` with any ``distance_function(x1, x2)`` (default:
    ``pairwise_distance``)."""
    if reduction not in _REDUCTIONS:
        raise ValueError(f"{reduction} is not a valid value for reduction")
    if margin <= 0:
        raise ValueError(f"margin must be greater than 0, got {margin}")
    distance = pairwise_distance if distance_function is None else distance_function
    return _triplet_loss(anchor, positive, negative, distance, margin, swap, reduction)
