"""``pybigml.nn.functional``: the stateless layer functions (``import ... as F``).

Every function here is a Tensor operation or a composition of them, so autograd
differentiates it and ``create_graph=True`` gives higher derivatives. The losses are
written out here; each docstring states the formula, whose derivative autograd takes.
One exception: ``binary_cross_entropy`` is a ``Function`` of its own, whose backward (in
tensor ops, so still twice differentiable) is PyTorch's formula rather than the derivative
of the clamped logs.

Sections: linear maps, activations, losses, normalisation, embeddings, distances, padding.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np

import pybigml

from ..._tensor import Tensor
from ...autograd.function import Function
from ...autograd.grad_mode import no_grad
from ...ops import pointwise
from ...ops.attention import scaled_dot_product_attention as scaled_dot_product_attention
from ...ops.conv import conv1d as conv1d
from ...ops.conv import conv2d as conv2d
from ...ops.conv import conv_transpose1d as conv_transpose1d
from ...ops.conv import conv_transpose2d as conv_transpose2d
from ...ops.inplace import inplace as _inplace_form
from ...ops.linalg import linear as _linear
from ...ops.pool import adaptive_avg_pool1d as adaptive_avg_pool1d
from ...ops.pool import adaptive_avg_pool2d as adaptive_avg_pool2d
from ...ops.pool import adaptive_max_pool1d as adaptive_max_pool1d
from ...ops.pool import adaptive_max_pool2d as adaptive_max_pool2d
from ...ops.pool import avg_pool1d as avg_pool1d
from ...ops.pool import avg_pool2d as avg_pool2d
from ...ops.pool import interpolate as interpolate
from ...ops.pool import max_pool1d as max_pool1d
from ...ops.pool import max_pool2d as max_pool2d
from ...ops.pool import max_unpool1d as max_unpool1d
from ...ops.pool import max_unpool2d as max_unpool2d
from ...ops.pool import upsample as upsample

_REDUCTIONS = ("none", "mean", "sum")


# --------------------------------------------------------------------------- helpers
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


def _softmax_dim(name: str, ndim: int, dim: int | None) -> int:
    """PyTorch's legacy rule when ``dim`` is omitted: dim 0 for 0-, 1- and 3-d input, else 1."""
    if dim is not None:
        return dim
    warnings.warn(
        f"Implicit dimension choice for {name} has been deprecated. "
        "Change the call to include dim=X as an argument.",
        stacklevel=3,
    )
    return 0 if ndim in (0, 1, 3) else 1


# --------------------------------------------------------------------------- linear
def linear(input: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """``y = x W^T + b`` over the last dimension of ``x``, one graph node.

    Args:
        input: ``(*, in_features)``.
        weight: ``(out_features, in_features)``.
        bias: ``(out_features,)`` or ``None``.

    Returns:
        ``(*, out_features)``.
    """
    return _linear(input, weight, bias)


def bilinear(input1: Tensor, input2: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """``y_o = x1^T A_o x2 + b_o`` for each output feature ``o``, over the last dimension.

    Args:
        input1: ``(*, in1_features)``.
        input2: ``(*, in2_features)`` with the same leading dims.
        weight: ``A``, ``(out_features, in1_features, in2_features)``.
        bias: ``(out_features,)`` or ``None``.

    Returns:
        ``(*, out_features)``: one einsum, contracted pairwise through BLAS.
    """
    if input1.ndim != input2.ndim:
        raise RuntimeError(
            f"bilinear(): input dimensions do not match: got {input1.ndim} and {input2.ndim}"
        )
    for i in range(input1.ndim - 1):
        if input1.shape[i] != input2.shape[i]:
            raise RuntimeError(
                f"bilinear(): input batch dimensions do not match at dim {i}: got "
                f"{input1.shape[i]} and {input2.shape[i]}"
            )
    for name, x, dim in (("input1", input1, 1), ("input2", input2, 2)):
        if x.shape[-1] != weight.shape[dim]:
            raise RuntimeError(
                f"bilinear(): {name} size does not match weight size: got {x.shape[-1]} but "
                f"expected {weight.shape[dim]}"
            )
    if bias is not None and bias.shape[0] != weight.shape[0]:
        raise RuntimeError(
            f"bilinear(): bias size does not match weight size: got {bias.shape[0]} but "
            f"expected {weight.shape[0]}"
        )
    out = pybigml.einsum("...i,oij,...j->...o", input1, weight, input2)
    return out if bias is None else out + bias


# --------------------------------------------------------------------------- activations
# The element-wise activations are ops of ``pybigml.ops.pointwise`` (forward and derivative
# side by side there); their in-place forms come from ``ops.inplace``, which writes the
# result into the input's memory and keeps the graph correct.
relu_ = _inplace_form(pointwise.relu, "relu_")
leaky_relu_ = _inplace_form(pointwise.leaky_relu, "leaky_relu_")
elu_ = _inplace_form(pointwise.elu, "elu_")
_silu_ = _inplace_form(pointwise.silu, "silu_")


def relu(input: Tensor, inplace: bool = False) -> Tensor:
    """``max(x, 0)``."""
    return relu_(input) if inplace else pointwise.relu(input)


def leaky_relu(input: Tensor, negative_slope: float = 0.01, inplace: bool = False) -> Tensor:
    """``x`` where ``x > 0``, ``negative_slope * x`` elsewhere."""
    if inplace:
        return leaky_relu_(input, negative_slope)
    return pointwise.leaky_relu(input, negative_slope)


def gelu(input: Tensor, approximate: str = "none") -> Tensor:
    """``x * Phi(x)`` with ``Phi`` the standard normal CDF (``approximate="tanh"``: the tanh
    approximation)."""
    if approximate not in ("none", "tanh"):
        raise RuntimeError("approximate argument must be either none or tanh.")
    return pointwise.gelu(input, approximate=approximate)


def silu(input: Tensor, inplace: bool = False) -> Tensor:
    """``x * sigmoid(x)`` (also called swish)."""
    return _silu_(input) if inplace else pointwise.silu(input)


def tanh(input: Tensor) -> Tensor:
    """``tanh(x)``."""
    return pointwise.tanh(input)


def sigmoid(input: Tensor) -> Tensor:
    """``1 / (1 + exp(-x))``."""
    return pointwise.sigmoid(input)


def softplus(input: Tensor, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
    """``log(1 + exp(beta x)) / beta``, and ``x`` itself where ``beta x > threshold``."""
    return pointwise.softplus(input, beta, threshold)


def elu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """``x`` where ``x > 0``, ``alpha (exp(x) - 1)`` elsewhere."""
    return elu_(input, alpha) if inplace else pointwise.elu(input, alpha)


def softmax(
    input: Tensor, dim: int | None = None, _stacklevel: int = 3, dtype: Any = None
) -> Tensor:
    """``exp(x_i) / sum_j exp(x_j)`` along ``dim`` (input cast to ``dtype`` first if given)."""
    return pybigml.softmax(input, _softmax_dim("softmax", input.ndim, dim), dtype=dtype)


def log_softmax(
    input: Tensor, dim: int | None = None, _stacklevel: int = 3, dtype: Any = None
) -> Tensor:
    """``x_i - log sum_j exp(x_j)`` along ``dim``, computed stably."""
    return pybigml.log_softmax(input, _softmax_dim("log_softmax", input.ndim, dim), dtype=dtype)


def dropout(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:
    """Zero each element with probability ``p`` and scale the rest by ``1 / (1 - p)`` so the
    expected value is unchanged; the identity when not ``training``."""
    if p < 0.0 or p > 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    if not training or p == 0.0:
        return input
    keep = pybigml.rand(input.shape, dtype=input.dtype) >= p
    scale = 0.0 if p == 1.0 else 1.0 / (1.0 - p)
    mask = keep.to(input.dtype) * scale
    return input.mul_(mask) if inplace else input * mask


def one_hot(tensor: Tensor, num_classes: int = -1) -> Tensor:
    """``(*) -> (*, num_classes)`` int64 with a 1 at each index; ``num_classes=-1`` takes
    ``max + 1``."""
    if tensor.dtype != pybigml.int64:
        raise RuntimeError("one_hot is only applicable to index tensor of type LongTensor.")
    if num_classes == -1:
        if tensor.numel() == 0:
            raise RuntimeError("Can not infer total number of classes from empty tensor.")
        num_classes = int(tensor.max()) + 1
    if tensor.numel():
        if int(tensor.min()) < 0:
            raise RuntimeError("Class values must be non-negative.")
        if int(tensor.max()) >= num_classes:
            raise RuntimeError("Class values must be smaller than num_classes.")
    classes = pybigml.arange(num_classes, dtype=pybigml.int64)
    return (tensor.unsqueeze(-1) == classes).to(pybigml.int64)


# --------------------------------------------------------------------------- losses
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


def _class_dim(input: Tensor, target: Tensor) -> int:
    """Check the shapes of class scores against class-index targets; return the class dim.

    ``(C)`` with a 0-d target, ``(N, C)`` with ``(N)``, ``(N, C, d1, ...)`` with
    ``(N, d1, ...)``.
    """
    if input.ndim < 1:
        raise ValueError(f"Expected 1 or more dimensions (got {input.ndim})")
    if target.dtype not in (pybigml.int64, pybigml.uint8):
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
        target = target.to(pybigml.int64)
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
    (log-softmax and NLL in one pass over the scores, see ``_CrossEntropy``); probability
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
    if input.numel() and _kernel_arrays(input, weight):
        return _fused_cross_entropy(
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


class _CrossEntropy(Function):
    """Class-index cross-entropy of score rows ``(M, C)`` (the class dim moved last), fused.

    Forward: ``pybigml.backend.cpu.cross_entropy_forward`` gives each row's loss
    ``(1 - eps) w[y] (-log p[y]) + eps / C sum_c w[c] (-log p[c])`` (0 where ignored) and its
    log-sum-exp; 'sum' adds the rows, 'mean' divides that by ``sum of w[y]`` over the rows
    not ignored (PyTorch's weighted mean, also for the smoothing term).

    Backward: each row's gradient is ``scale (A p - t)`` with ``t = (1 - eps) w[y] onehot(y)
    + eps / C w`` and ``A = sum(t)``, where ``scale`` is the incoming gradient of that row
    (divided by the mean's denominator). ``pybigml.backend.cpu.cross_entropy_backward`` computes it; under
    ``create_graph=True`` ``_cross_entropy_gradient`` records it as tensor ops instead.
    """

    @staticmethod
    def forward(ctx, scores, target, weight, ignore_index, label_smoothing, reduction):
        rows = np.ascontiguousarray(scores._data)
        loss, ctx.lse = pybigml.backend.cpu.cross_entropy_forward(
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
            return Tensor._make(loss)
        total = loss.sum(dtype=np.float64)
        if reduction == "mean":
            kept = target != ignore_index
            picked = weight[target[kept]] if weight is not None else kept
            ctx.denominator = float(picked.sum(dtype=np.float64))
            total = total / ctx.denominator if ctx.denominator else math.nan
        return Tensor._make(np.asarray(total, dtype=rows.dtype))

    @staticmethod
    def backward(ctx, grad):
        if ctx.reduction == "none":
            scale = grad
        else:  # 'sum', or 'mean' (all ignored: the rows' gradients are 0 whatever the scale)
            scale = (grad / ctx.denominator if ctx.denominator else grad).reshape(1)
        if pybigml.is_grad_enabled() or scale._data.dtype != ctx.rows.dtype:
            return _cross_entropy_gradient(ctx, scale), None, None, None, None, None
        grad_rows = pybigml.backend.cpu.cross_entropy_backward(
            ctx.rows,
            ctx.target,
            ctx.weight,
            ctx.lse,
            np.ascontiguousarray(scale._data),
            ctx.ignore_index,
            ctx.label_smoothing,
        )
        return Tensor._make(grad_rows), None, None, None, None, None


def _cross_entropy_gradient(ctx: Any, scale: Tensor) -> Tensor:
    """``scale (A softmax(rows) - t)`` (see ``_CrossEntropy``) as tensor ops: the softmax and
    the scale stay differentiable, ``A`` and ``t`` are constants of the targets."""
    rows, target, weight = ctx.rows, ctx.target, ctx.weight
    n_rows, n_classes = rows.shape
    eps = ctx.label_smoothing
    kept = (target != ctx.ignore_index).astype(rows.dtype)
    safe = np.where(kept > 0, target, 0)
    w = np.ones(n_classes, rows.dtype) if weight is None else weight
    target_weight = (1.0 - eps) * w[safe] * kept
    smoothing = np.outer(kept, w * (eps / n_classes)).astype(rows.dtype)
    onehot = np.zeros_like(rows)
    onehot[np.arange(n_rows), safe] = target_weight
    t = Tensor._make(onehot + smoothing)
    a = Tensor._make((target_weight + kept * (eps / n_classes) * w.sum()).astype(rows.dtype))
    (scores,) = ctx.saved_tensors
    probs = pybigml.softmax(scores, 1)
    return (scale * a).unsqueeze(1) * probs - scale.unsqueeze(1) * t


def _fused_cross_entropy(
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
    and their gradient moves back."""
    n_classes = input.shape[class_dim]
    flat_target = np.ascontiguousarray(target._data.reshape(-1), dtype=np.int64)
    weights = None if weight is None else np.ascontiguousarray(weight.detach()._data)
    if weight is not None and weights.shape != (n_classes,):
        raise RuntimeError(
            f"weight tensor should be defined either for all {n_classes} classes or no "
            f"classes but got weight tensor of shape: {list(weight.shape)}"
        )
    loss = _CrossEntropy.apply(
        input if input.ndim == 2 else _ClassRows.apply(input, class_dim),
        flat_target,
        weights,
        ignore_index,
        label_smoothing,
        reduction,
    )
    return loss.reshape(target.shape) if reduction == "none" else loss


class _ClassRows(Function):
    """Scores ``(C)`` or ``(N, C, d1, ...)`` as contiguous rows ``(N d1 ..., C)``: the class
    dim moved last; the backward moves the rows' gradient back."""

    @staticmethod
    def forward(ctx, input, class_dim):
        ctx.shape, ctx.class_dim = input.shape, class_dim
        moved = np.moveaxis(input._data, class_dim, -1)
        return Tensor._make(np.ascontiguousarray(moved).reshape(-1, input.shape[class_dim]))

    @staticmethod
    def backward(ctx, grad):
        moved = list(ctx.shape)
        moved.append(moved.pop(ctx.class_dim))
        return grad.reshape(moved).movedim(-1, ctx.class_dim), None


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
    loss = pybigml.where(abs_diff < beta, diff * diff * (0.5 / beta), abs_diff - 0.5 * beta)
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
    loss = pybigml.where(abs_diff < delta, diff * diff * 0.5, (abs_diff - 0.5 * delta) * delta)
    if weight is not None:
        if weight.shape != input.shape:
            raise ValueError("Weights and input must have the same size.")
        loss = loss * weight
    return _reduce(loss, reduction)


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
        loss = pybigml.xlogy(target, target) - target * input
    if reduction == "batchmean":
        return loss.sum() / input.shape[0] if input.ndim else loss.sum()
    return _reduce(loss, reduction)


def _check_probability_target(op: str, input: Tensor, target: Tensor, message: str) -> None:
    """The binary cross-entropies take a floating target of the input's exact shape."""
    if target.shape != input.shape:
        raise ValueError(message)
    if target.dtype != input.dtype:
        raise RuntimeError(
            f"{op}: expected target of the input's dtype {input.dtype}, but got {target.dtype}"
        )


# The floor of x (1 - x) in the gradient; PyTorch stores 1e-12 as a C float, hence the rounding.
_BCE_GRAD_FLOOR = float(np.float32(1e-12))


class _BinaryCrossEntropy(Function):
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
        with np.errstate(divide="ignore"):
            log_x = np.maximum(np.log(x), -100)
            log_not_x = np.maximum(np.log1p(-x), -100)
        ctx.save_for_backward(input, target)
        return Tensor._make((y - 1) * log_not_x - y * log_x)

    @staticmethod
    def backward(ctx, grad):
        x, y = ctx.saved_tensors
        grad_input = grad_target = None
        if ctx.needs_input_grad[0]:
            grad_input = grad * (x - y) / (x * (1 - x)).clamp_min(_BCE_GRAD_FLOOR)
        if ctx.needs_input_grad[1]:
            grad_target = grad * ((-x).log1p() - x.log())
        return grad_input, grad_target


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
    ``_BinaryCrossEntropy`` for the gradient. Prefer ``binary_cross_entropy_with_logits``
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
    loss = _BinaryCrossEntropy.apply(input, target)
    if weight is not None:
        loss = loss * weight.expand(pybigml.broadcast_shapes(target.shape, weight.shape))
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
    loss = pybigml.where(target == 1, 1 - cos, zero) + pybigml.where(
        target == -1, (cos - margin).clamp_min(0), zero
    )
    return _reduce(loss, reduction)


# --------------------------------------------------------------------------- normalization
def _as_shape(shape: int | Sequence[int]) -> tuple[int, ...]:
    return (int(shape),) if isinstance(shape, (int, np.integer)) else tuple(int(s) for s in shape)


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


def _standardize(input: Tensor, dims: tuple[int, ...], eps: float) -> Tensor:
    """``(x - mean) / sqrt(var + eps)`` over ``dims``, with the biased variance (divide by n)."""
    mean = input.mean(dims, keepdim=True)
    var = input.var(dims, correction=0, keepdim=True)
    return (input - mean) * (var + eps).rsqrt()


_KERNEL_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))


def _kernel_arrays(*tensors: Tensor | None) -> bool:
    """Whether the given tensors (None skipped) share one dtype the native kernels compute in."""
    dtypes = {t._data.dtype for t in tensors if t is not None}
    return len(dtypes) == 1 and dtypes.pop() in _KERNEL_DTYPES


def _vector(t: Tensor | None, size: int) -> np.ndarray | None:
    """A parameter's array as a contiguous vector of ``size`` values (None stays None)."""
    return None if t is None else np.ascontiguousarray(t._data).reshape(size)


def _layer_norm_gradients(
    input: Tensor, weight: Tensor | None, grad: Tensor, dims: tuple[int, ...], eps: float
) -> tuple[Tensor, Tensor, Tensor]:
    """Layer norm's gradients as tensor ops (recorded under ``create_graph=True``):

    ``grad_x = rstd (g - mean(g) - x_hat mean(g x_hat))`` with ``g = grad * weight``,
    ``grad_weight = sum(grad * x_hat)`` and ``grad_bias = sum(grad)`` over the leading dims.
    """
    x_hat = _standardize(input, dims, eps)
    rstd = (input.var(dims, correction=0, keepdim=True) + eps).rsqrt()
    g = grad if weight is None else grad * weight
    grad_input = rstd * (
        g - g.mean(dims, keepdim=True) - x_hat * (g * x_hat).mean(dims, keepdim=True)
    )
    leading = tuple(range(input.ndim - len(dims)))
    grad_weight = (grad * x_hat).sum(leading) if leading else grad * x_hat
    grad_bias = grad.sum(leading) if leading else grad
    return grad_input, grad_weight, grad_bias


class _LayerNorm(Function):
    """``y = (x - mean) * rstd * weight + bias`` over the trailing ``dims`` on the native kernel
    (``pybigml.backend.cpu.layer_norm_forward``, which saves each row's mean and rstd for the backward).

    The backward runs ``pybigml.backend.cpu.layer_norm_backward``; under ``create_graph=True`` it records
    ``_layer_norm_gradients`` as tensor ops instead, so it differentiates again.
    """

    @staticmethod
    def forward(ctx, input, weight, bias, dims, eps):
        x = input._data
        cols = math.prod(x.shape[x.ndim - len(dims) :])
        rows = np.ascontiguousarray(x).reshape(-1, cols)
        y, ctx.mean, ctx.rstd = pybigml.backend.cpu.layer_norm_forward(
            rows, _vector(weight, cols), _vector(bias, cols), eps
        )
        ctx.dims, ctx.eps, ctx.cols = dims, eps, cols
        ctx.save_for_backward(input, weight, bias)
        return Tensor._make(y.reshape(x.shape))

    @staticmethod
    def backward(ctx, grad):
        input, weight, bias = ctx.saved_tensors
        need_input, need_weight, need_bias = ctx.needs_input_grad[:3]
        if pybigml.is_grad_enabled() or grad._data.dtype != input._data.dtype:
            grads = _layer_norm_gradients(input, weight, grad, ctx.dims, ctx.eps)
            grad_input, grad_weight, grad_bias = grads
        else:
            cols = ctx.cols
            grad_input, grad_weight, grad_bias = (
                None if g is None else Tensor._make(g)
                for g in pybigml.backend.cpu.layer_norm_backward(
                    np.ascontiguousarray(grad._data).reshape(-1, cols),
                    np.ascontiguousarray(input._data).reshape(-1, cols),
                    ctx.mean,
                    ctx.rstd,
                    _vector(weight, cols),
                    need_input,
                    need_weight,
                    need_bias,
                )
            )
        return (
            grad_input.reshape(input.shape) if need_input else None,
            grad_weight.reshape(weight.shape) if need_weight else None,
            grad_bias.reshape(bias.shape) if need_bias else None,
            None,
            None,
        )


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
    if input.numel() and _kernel_arrays(input, weight, bias):
        return _LayerNorm.apply(input, weight, bias, dims, eps)
    normalized = _standardize(input, dims, eps)
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
        eps = float(np.finfo(input.dtype._np).eps)
    mean_square = (input * input).mean(tuple(range(-len(shape), 0)), keepdim=True)
    return _affine(input * (mean_square + eps).rsqrt(), weight, None)


def _channel_shape(input: Tensor) -> tuple[int, ...]:
    """``(1, C, 1, ..., 1)``: a per-channel ``(C,)`` tensor reshaped to broadcast over
    ``(N, C, *)``."""
    return (1, input.shape[1]) + (1,) * (input.ndim - 2)


def _per_channel(param: Tensor | None, shape: tuple[int, ...]) -> Tensor | None:
    return None if param is None else param.reshape(shape)


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
    normalized = _standardize(grouped, (-1,), eps).reshape(input.shape)
    shape = _channel_shape(input)
    return _affine(normalized, _per_channel(weight, shape), _per_channel(bias, shape))


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


# --------------------------------------------------------------------------- embeddings
def _padding_row(padding_idx: int | None, num_embeddings: int, name: str = "Padding_idx") -> Any:
    """``padding_idx`` as a row number (a negative one counts from the end), checked."""
    if padding_idx is None:
        return None
    if not -num_embeddings <= padding_idx < num_embeddings:
        raise AssertionError(f"{name} must be within num_embeddings")
    return padding_idx % num_embeddings


def _check_indices(op: str, input: Tensor, num_embeddings: int) -> None:
    if input.dtype not in (pybigml.int64, pybigml.int32):
        raise RuntimeError(
            "Expected tensor for argument #1 'indices' to have one of the following scalar "
            f"types: Long, Int; but got {input.type()} instead (while checking arguments for "
            f"{op})"
        )
    if input.numel():
        low, high = int(input.min()), int(input.max())
        if low < 0 or high >= num_embeddings:
            bad = low if low < 0 else high
            raise IndexError(
                f"{op}: index {bad} is out of range for {num_embeddings} embeddings "
                "(index out of range in self)"
            )


def _renorm_rows_(weight: Tensor, input: Tensor, max_norm: float, norm_type: float) -> None:
    """Rescale, in place, the rows of ``weight`` that ``input`` looks up and whose
    ``norm_type``-norm exceeds ``max_norm``, to norm ``max_norm``."""
    with no_grad():
        rows = pybigml.from_numpy(np.unique(input.numpy()).astype(np.int64))
        selected = weight.index_select(0, rows)
        norms = selected.norm(norm_type, 1, keepdim=True)
        shrunk = pybigml.where(norms > max_norm, selected * (max_norm / (norms + 1e-7)), selected)
        weight.index_copy_(0, rows, shrunk)


def _row_gradient_scale(
    flat: Tensor, padding_idx: int | None, scale_grad_by_freq: bool, like: Tensor
) -> Tensor:
    """The factor on each looked-up row's gradient, ``(n, 1)``: 0 at ``padding_idx`` (that row
    is not trained), ``1 / count`` with ``scale_grad_by_freq`` (a word seen k times in the
    batch moves k times less per occurrence), else 1."""
    indices = flat.numpy()
    scale = np.ones(indices.shape, dtype=like.dtype._np)
    if scale_grad_by_freq:
        scale /= np.bincount(indices)[indices]
    if padding_idx is not None:
        scale[indices == padding_idx] = 0
    return pybigml.from_numpy(scale[:, None])


def embedding(
    input: Tensor,
    weight: Tensor,
    padding_idx: int | None = None,
    max_norm: float | None = None,
    norm_type: float = 2.0,
    scale_grad_by_freq: bool = False,
    sparse: bool = False,
) -> Tensor:
    """Look up rows of ``weight``: ``out[..., :] = weight[input[...], :]``.

    The gradient of ``weight`` is the output gradient scattered back (summed) into the rows
    it came from, with nothing for ``padding_idx`` and, with ``scale_grad_by_freq``, each
    row's share divided by how often it occurs in ``input``.

    Args:
        input: int64/int32 indices, any shape.
        weight: ``(num_embeddings, embedding_dim)``.
        padding_idx: a row that receives no gradient.
        max_norm: first rescale (in place) the looked-up rows longer than this.
        norm_type: the p of the norm compared with ``max_norm``.
        scale_grad_by_freq: divide gradients by the indices' frequency in ``input``.
        sparse: accepted for compatibility; the gradient is always a dense tensor.

    Returns:
        ``(*input.shape, embedding_dim)``.

    Example::

        >>> F.embedding(pybigml.tensor([[0, 2]]), pybigml.eye(3)).shape
        pybigml.Size([1, 2, 3])
    """
    if weight.ndim != 2:
        raise RuntimeError("'weight' must be 2-D")
    num_embeddings = weight.shape[0]
    padding_idx = _padding_row(padding_idx, num_embeddings)
    _check_indices("embedding", input, num_embeddings)
    if max_norm is not None:
        _renorm_rows_(weight, input, max_norm, norm_type)
    flat = input.reshape(-1).to(pybigml.int64)
    rows = _Embedding.apply(weight, flat, padding_idx, scale_grad_by_freq)
    return rows.reshape(*input.shape, weight.shape[1])


class _Embedding(Function):
    """``rows = weight[indices]``;  grad_weight = the rows' gradients summed into the rows they
    came from, times ``_row_gradient_scale`` (``_EmbeddingBackward``)."""

    @staticmethod
    def forward(ctx, weight, indices, padding_idx, scale_grad_by_freq):
        ctx.num_embeddings = weight.shape[0]
        ctx.indices, ctx.padding_idx, ctx.scale_grad_by_freq = (
            indices,
            padding_idx,
            scale_grad_by_freq,
        )
        return Tensor._make(np.take(weight._data, indices._data, axis=0))

    @staticmethod
    def backward(ctx, grad):
        grad_weight = _EmbeddingBackward.apply(
            grad, ctx.indices, ctx.num_embeddings, ctx.padding_idx, ctx.scale_grad_by_freq
        )
        return grad_weight, None, None, None


class _EmbeddingBackward(Function):
    """The index-add of the looked-up rows' gradient ``(n, dim)`` into ``(num_embeddings, dim)``,
    on ``pybigml.backend.cpu.embedding_backward`` for float32/float64 (``numpy.add.at`` otherwise).

    Its own backward looks the rows up again, with the padding rows zeroed and without the
    frequency scale: PyTorch's convention, where the first backward alone applies the scale.
    """

    @staticmethod
    def forward(ctx, grad, indices, num_embeddings, padding_idx, scale_grad_by_freq):
        ctx.indices, ctx.padding_idx = indices, padding_idx
        g, idx = grad._data, np.ascontiguousarray(indices._data)
        if g.dtype in _KERNEL_DTYPES:
            padding = -1 if padding_idx is None else padding_idx
            out = pybigml.backend.cpu.embedding_backward(
                np.ascontiguousarray(g), idx, num_embeddings, padding, scale_grad_by_freq
            )
        else:
            scale = _row_gradient_scale(indices, padding_idx, scale_grad_by_freq, grad)._data
            out = np.zeros((num_embeddings, g.shape[1]), g.dtype)
            np.add.at(out, idx, g * scale)
        return Tensor._make(out)

    @staticmethod
    def backward(ctx, grad_grad_weight):
        rows = grad_grad_weight.index_select(0, ctx.indices)
        if ctx.padding_idx is not None:
            rows = rows * (ctx.indices != ctx.padding_idx).unsqueeze(1).to(rows.dtype)
        return rows, None, None, None, None


_BAG_MODES = ("sum", "mean", "max")


def _bags_of_positions(offsets: Tensor, length: int, include_last_offset: bool) -> tuple:
    """For 1-d input with ``offsets`` (the start of each bag): the bag of each of the
    ``length`` positions (-1 past the last bag when ``include_last_offset``) and the bag count.
    """
    starts = offsets.numpy().astype(np.int64)
    if starts.size:
        if starts[0] != 0:
            raise RuntimeError(
                "offsets[0] has to be 0, i.e., the first sequence in the mini-batch has to "
                f"start from position 0. However, got {starts[0]}"
            )
        if starts[-1] > length:
            raise RuntimeError(
                f"offsets[-1] can not be greater than input's length {length} but got "
                f"offsets[-1] of {starts[-1]}"
            )
        if np.any(np.diff(starts) < 0):
            raise RuntimeError(f"embedding_bag: offsets must be non-decreasing, got {starts}")
    end = length
    if include_last_offset and starts.size:
        starts, end = starts[:-1], starts[-1]
    bag = np.searchsorted(starts, np.arange(length), side="right") - 1
    bag[end:] = -1
    return bag, starts.size


def embedding_bag(
    input: Tensor,
    weight: Tensor,
    offsets: Tensor | None = None,
    max_norm: float | None = None,
    norm_type: float = 2,
    scale_grad_by_freq: bool = False,
    mode: str = "mean",
    sparse: bool = False,
    per_sample_weights: Tensor | None = None,
    include_last_offset: bool = False,
    padding_idx: int | None = None,
) -> Tensor:
    """Sum, mean or max of bags of embeddings, without materialising ``(bags, len, dim)``.

    Bags are the rows of a 2-d ``input`` ``(B, L)``, or runs of a 1-d ``input`` that start at
    ``offsets`` (``offsets[0] == 0``; with ``include_last_offset`` the last offset ends the
    last bag). Positions equal to ``padding_idx`` are left out (a bag's mean counts only the
    rest); an empty bag gives zeros. ``per_sample_weights`` (``mode='sum'`` only) scales each
    looked-up row before the sum. The gradient flows through ``embedding`` and the
    ``index_add``/``scatter_reduce`` that pool the rows.

    Returns:
        ``(B, embedding_dim)``.
    """
    if per_sample_weights is not None and input.shape != per_sample_weights.shape:
        raise ValueError(
            f"embedding_bag: If per_sample_weights ({per_sample_weights.shape}) is not None, "
            f"then it must have the same shape as the input ({input.shape})"
        )
    if weight.ndim != 2:
        raise ValueError(f"weight has to be a 2D Tensor, but got Tensor of dimension {weight.ndim}")
    if input.ndim == 2:
        if offsets is not None:
            raise ValueError(
                "if input is 2D, then offsets has to be None, as input is treated is a "
                "mini-batch of fixed length sequences. However, found offsets of type "
                f"{type(offsets)}"
            )
        bags, bag_length = input.shape
        bag = np.repeat(np.arange(bags), bag_length)
    elif input.ndim == 1:
        if offsets is None:
            raise ValueError("offsets has to be a 1D Tensor but got None")
        if offsets.ndim != 1:
            raise ValueError("offsets has to be a 1D Tensor")
        bag, bags = _bags_of_positions(offsets, input.numel(), include_last_offset)
    else:
        raise ValueError(
            f"input has to be 1D or 2D Tensor, but got Tensor of dimension {input.ndim}"
        )
    if mode not in _BAG_MODES:
        raise ValueError("mode has to be one of sum, mean or max")
    if mode == "max" and scale_grad_by_freq:
        raise ValueError("max mode does not support scaling the gradient by the frequency")
    if mode == "max" and sparse:
        raise ValueError("max mode does not support sparse weights")
    if per_sample_weights is not None and mode != "sum":
        raise NotImplementedError(
            "embedding_bag: per_sample_weights was not None. per_sample_weights is only "
            f"supported for mode='sum' (got mode='{mode}'). Please open a feature request on "
            "GitHub."
        )
    padding_idx = _padding_row(padding_idx, weight.shape[0], "padding_idx")
    flat = input.reshape(-1)
    _check_indices("embedding_bag", flat, weight.shape[0])
    used = bag >= 0
    if padding_idx is not None:
        used &= flat.numpy() != padding_idx
    used_positions = pybigml.from_numpy(np.flatnonzero(used))
    rows = embedding(
        flat.index_select(0, used_positions),
        weight,
        max_norm=max_norm,
        norm_type=norm_type,
        scale_grad_by_freq=scale_grad_by_freq,
    )
    if per_sample_weights is not None:
        rows = rows * per_sample_weights.reshape(-1).index_select(0, used_positions).unsqueeze(1)
    row_bag = pybigml.from_numpy(bag[used])
    pooled = weight.new_zeros((bags, weight.shape[1]))
    if mode == "max":
        index = row_bag.unsqueeze(1).expand(-1, weight.shape[1])
        return pooled.scatter_reduce(0, index, rows, "amax", include_self=False)
    pooled = pooled.index_add(0, row_bag, rows)
    if mode == "mean":
        counts = np.maximum(np.bincount(bag[used], minlength=bags), 1)
        pooled = pooled / pybigml.from_numpy(counts.astype(weight.dtype._np)).unsqueeze(1)
    return pooled


# --------------------------------------------------------------------------- distances
def normalize(
    input: Tensor,
    p: float = 2.0,
    dim: int = 1,
    eps: float = 1e-12,
    out: Tensor | None = None,
) -> Tensor:
    """``x / max(||x||_p, eps)`` along ``dim`` (unit vectors; ``eps`` guards zero vectors).

    Example::

        >>> F.normalize(pybigml.tensor([[3.0, 4.0]]))
        tensor([[0.6000, 0.8000]])
    """
    result = input / input.norm(p, dim, keepdim=True).clamp_min(eps).expand_as(input)
    return result if out is None else out.copy_(result)


def cosine_similarity(x1: Tensor, x2: Tensor, dim: int = 1, eps: float = 1e-8) -> Tensor:
    """``x1 . x2 / (max(||x1||, eps) max(||x2||, eps))`` along ``dim`` (inputs broadcast).

    Each input is divided by its clamped norm before the dot product, which keeps the
    result in ``[-1, 1]``. As in PyTorch the clamp is applied outside the graph: the gradient
    flows through the norms as if unclamped.
    """
    common = pybigml.result_type(x1, x2)
    if not common.is_floating_point:
        raise RuntimeError(
            f"expected common dtype to be floating point, yet common dtype is {common}"
        )
    x1, x2 = pybigml.broadcast_tensors(x1.to(common), x2.to(common))
    norm1 = x1.norm(2, dim, keepdim=True).clone()
    norm2 = x2.norm(2, dim, keepdim=True).clone()
    with no_grad():
        norm1.clamp_min_(eps)
        norm2.clamp_min_(eps)
    return ((x1 / norm1) * (x2 / norm2)).sum(dim)


def pairwise_distance(
    x1: Tensor, x2: Tensor, p: float = 2.0, eps: float = 1e-6, keepdim: bool = False
) -> Tensor:
    """``||x1 - x2 + eps||_p`` over the last dim (inputs broadcast); ``eps`` keeps the
    gradient finite when ``x1 == x2``."""
    last = max(x1.ndim, x2.ndim) - 1
    return (x1 - x2 + eps).norm(p, last, keepdim)


# --------------------------------------------------------------------------- padding
_PAD_MODES = ("constant", "reflect", "replicate", "circular")


def _padded_size(size: int, before: int, after: int, dim: int) -> int:
    padded = size + before + after
    if padded < 0:
        raise RuntimeError(
            f"The input size {size}, plus negative padding {before} and {after} resulted in a "
            f"negative output size, which is invalid. Check dimension {dim} of your input."
        )
    return padded


def _constant_pad(input: Tensor, pad: Sequence[int], value: float) -> Tensor:
    """Write ``input`` (cropped where a pad is negative) into a ``value``-filled tensor."""
    shape = list(input.shape)
    source = [slice(None)] * input.ndim
    target = [slice(None)] * input.ndim
    for k in range(len(pad) // 2):
        dim = input.ndim - 1 - k
        before, after = pad[2 * k], pad[2 * k + 1]
        size = shape[dim]
        shape[dim] = _padded_size(size, before, after, dim)
        kept = slice(max(-before, 0), size - max(-after, 0))
        source[dim] = kept
        start = max(before, 0)
        target[dim] = slice(start, start + max(kept.stop - kept.start, 0))
    out = pybigml.full(shape, value, dtype=input.dtype)
    out[tuple(target)] = input[tuple(source)]
    return out


def _source_positions(mode: str, size: int, before: int, after: int) -> np.ndarray:
    """Which input position each output position copies along one padded dim.

    Output position ``i`` sits at input coordinate ``p = i - before``; ``reflect`` mirrors
    ``p`` about the edges without repeating them (period ``2 (size - 1)``), ``replicate``
    clamps it, ``circular`` wraps it.
    """
    p = np.arange(-before, size + after)
    if mode == "replicate":
        return np.clip(p, 0, size - 1)
    if mode == "circular":
        return p % size
    period = 2 * (size - 1)
    folded = np.abs(p) % period if period else np.zeros_like(p)
    return np.where(folded < size, folded, period - folded)


def pad(
    input: Tensor, pad: Sequence[int], mode: str = "constant", value: float | None = None
) -> Tensor:
    """Pad (or, with negative amounts, crop) the last ``len(pad) // 2`` dims.

    ``pad = (last_before, last_after, second_last_before, ...)``. ``'constant'`` fills with
    ``value`` (0 by default) and takes any number of dims; ``'reflect'`` (mirror without the
    edge), ``'replicate'`` (repeat the edge) and ``'circular'`` (wrap) pad the last 1, 2 or 3
    dims of a batched input. The non-constant modes are gathers, so their gradient sums the
    output gradient back into each source position.

    Example::

        >>> F.pad(pybigml.tensor([[1.0, 2.0, 3.0]]), (2, 1), mode="reflect")
        tensor([[3., 2., 1., 2., 3., 2.]])
    """
    pad = [int(p) for p in pad]
    if len(pad) % 2:
        raise RuntimeError("Padding length must be divisible by 2")
    if len(pad) > 2 * input.ndim:
        raise RuntimeError(
            "Padding length should be less than or equal to two times the input dimension but "
            f"got padding length {len(pad)} and input of dimension {input.ndim}"
        )
    if mode == "constant":
        return _constant_pad(input, pad, 0.0 if value is None else value)
    if mode not in _PAD_MODES:
        raise NotImplementedError(f"Unrecognised padding mode {mode}")
    if value is not None and value != 0:
        raise RuntimeError(f'Padding mode "{mode}" doesn\'t take in value argument')
    padded_dims = len(pad) // 2
    if not 1 <= padded_dims <= 3 or input.ndim not in (padded_dims + 1, padded_dims + 2):
        raise NotImplementedError(
            f"Padding size {len(pad)} is not supported for {input.ndim}D input tensor.\n"
            "Supported combinations for non-constant padding:\n"
            "  - 2D or 3D input: padding size = 2 (pads last dimension)\n"
            "  - 3D or 4D input: padding size = 4 (pads last 2 dimensions)\n"
            "  - 4D or 5D input: padding size = 6 (pads last 3 dimensions)"
        )
    out = input
    for k in range(padded_dims):
        dim = input.ndim - 1 - k
        before, after = pad[2 * k], pad[2 * k + 1]
        size = input.shape[dim]
        if mode == "reflect" and (before >= size or after >= size):
            raise RuntimeError(
                "Padding size should be less than the corresponding input dimension, but got: "
                f"padding ({before}, {after}) at dimension {dim} of input {list(input.shape)}"
            )
        if mode == "circular" and (before > size or after > size):
            raise RuntimeError("Padding value causes wrapping around more than once.")
        _padded_size(size, before, after, dim)
        positions = _source_positions(mode, size, before, after)
        out = out.index_select(dim, pybigml.from_numpy(positions))
    return out


# --------------------------------------------------------------------------- more activations
# Compositions of tensor ops (so autograd differentiates them to any order). Where PyTorch's
# derivative differs from the composite's at a kink, the composite is arranged to agree:
# ``_hardtanh`` passes the gradient strictly inside its bounds only, as ``hardtanh_backward``.
_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


def _hardtanh(input: Tensor, min_val: float = -1.0, max_val: float = 1.0) -> Tensor:
    """``clamp(x, min_val, max_val)`` with derivative 1 on the open interval, 0 elsewhere."""
    inside = (input > min_val) & (input < max_val)
    return pybigml.where(inside, input, input.detach().clamp(min_val, max_val))


hardtanh_ = _inplace_form(_hardtanh, "hardtanh_")


def hardtanh(
    input: Tensor, min_val: float = -1.0, max_val: float = 1.0, inplace: bool = False
) -> Tensor:
    """``clamp(x, min_val, max_val)``; the gradient is 0 at and beyond the bounds."""
    if min_val > max_val:
        raise ValueError("min_val cannot be greater than max_val")
    return hardtanh_(input, min_val, max_val) if inplace else _hardtanh(input, min_val, max_val)


def relu6(input: Tensor, inplace: bool = False) -> Tensor:
    """``min(max(x, 0), 6)``: ``hardtanh`` on ``[0, 6]``."""
    return hardtanh(input, 0.0, 6.0, inplace)


def prelu(input: Tensor, weight: Tensor) -> Tensor:
    """``x`` where ``x > 0``, ``a x`` elsewhere, with a learnt slope ``a`` per channel.

    Args:
        input: ``(N, C, *)``; with fewer than 2 dims there is one channel.
        weight: one slope (0-d or 1 element) or ``C`` slopes, for dim 1 of ``input``.
    """
    if weight.ndim > 1:
        raise RuntimeError(
            f"prelu: Expected `weight` to be a scalar or 1D tensor, but got: ndim = {weight.ndim}"
        )
    channels = input.shape[1] if input.ndim >= 2 else 1
    if weight.numel() != 1 and weight.numel() != channels:
        raise RuntimeError(
            "Mismatch of parameter numbers and input channel size. Found parameter numbers = "
            f"{weight.numel()} and channel size = {channels}."
        )
    slope = weight.reshape(()) if weight.numel() == 1 else weight.reshape(_channel_shape(input))
    return pybigml.where(input > 0, input, slope * input)


def softsign(input: Tensor) -> Tensor:
    """``x / (1 + |x|)``."""
    return input / (input.abs() + 1)


_mish_ = _inplace_form(pointwise.mish, "mish_")


def mish(input: Tensor, inplace: bool = False) -> Tensor:
    """``x tanh(softplus(x))``."""
    return _mish_(input) if inplace else pointwise.mish(input)


def _hardsigmoid(input: Tensor) -> Tensor:
    return _hardtanh(input + 3, 0.0, 6.0) / 6


def _hardswish(input: Tensor) -> Tensor:
    # Derivative: x / 3 + 1/2 strictly inside (-3, 3), 0 below, 1 above (and at the ends).
    return input * _hardtanh(input + 3, 0.0, 6.0) / 6


_hardsigmoid_ = _inplace_form(_hardsigmoid, "hardsigmoid_")
_hardswish_ = _inplace_form(_hardswish, "hardswish_")


def hardsigmoid(input: Tensor, inplace: bool = False) -> Tensor:
    """``relu6(x + 3) / 6``: 0 below -3, 1 above 3, linear between."""
    return _hardsigmoid_(input) if inplace else _hardsigmoid(input)


def hardswish(input: Tensor, inplace: bool = False) -> Tensor:
    """``x relu6(x + 3) / 6``."""
    return _hardswish_(input) if inplace else _hardswish(input)


def logsigmoid(input: Tensor) -> Tensor:
    """``log(sigmoid(x)) = -softplus(-x)``, finite for any ``x``."""
    return pointwise.logsigmoid(input)


def _threshold(input: Tensor, threshold: float, value: float) -> Tensor:
    # ``x <= threshold`` (not ``x > threshold``) so that NaN passes through, as in PyTorch.
    return pybigml.where(input <= threshold, value, input)


threshold_ = _inplace_form(_threshold, "threshold_")


def threshold(input: Tensor, threshold: float, value: float, inplace: bool = False) -> Tensor:
    """``x`` where ``x > threshold``, ``value`` elsewhere."""
    return threshold_(input, threshold, value) if inplace else _threshold(input, threshold, value)


def glu(input: Tensor, dim: int = -1) -> Tensor:
    """Gated linear unit: split ``input`` in halves ``a, b`` along ``dim``; ``a sigmoid(b)``."""
    if input.ndim == 0:
        raise RuntimeError("glu does not support scalars because halving size must be even")
    if not -input.ndim <= dim < input.ndim:
        raise IndexError(
            f"Dimension out of range (expected to be in range of [{-input.ndim}, "
            f"{input.ndim - 1}], but got {dim})"
        )
    dim %= input.ndim
    size = input.shape[dim]
    if size % 2:
        raise RuntimeError(f"Halving dimension must be even, but dimension {dim} is size {size}")
    a, b = input.chunk(2, dim)
    return a * b.sigmoid()


def softmin(
    input: Tensor, dim: int | None = None, _stacklevel: int = 3, dtype: Any = None
) -> Tensor:
    """``softmax(-x)`` along ``dim``."""
    return pybigml.softmax(-input, _softmax_dim("softmin", input.ndim, dim), dtype=dtype)


def _elu_family(input: Tensor, alpha: float, scale: float, input_scale: float) -> Tensor:
    """``scale x`` where ``x > 0``, ``scale alpha (exp(input_scale x) - 1)`` elsewhere.

    The exponential only sees ``min(x, 0)``, so a large positive ``x`` can't overflow it (an
    ``inf`` there would turn the masked gradient into ``0 * inf = nan``).
    """
    negative = (input.clamp_max(0) * input_scale).expm1() * (scale * alpha)
    return pybigml.where(input > 0, input * scale if scale != 1 else input, negative)


def _celu(input: Tensor, alpha: float = 1.0) -> Tensor:
    if alpha == 0:
        raise RuntimeError("ZeroDivisionError: alpha cannot be 0 for CELU")
    return _elu_family(input, alpha, 1.0, 1.0 / alpha)


def _selu(input: Tensor) -> Tensor:
    return _elu_family(input, _SELU_ALPHA, _SELU_SCALE, 1.0)


celu_ = _inplace_form(_celu, "celu_")
selu_ = _inplace_form(_selu, "selu_")


def celu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """``max(0, x) + min(0, alpha (exp(x / alpha) - 1))``."""
    return celu_(input, alpha) if inplace else _celu(input, alpha)


def selu(input: Tensor, inplace: bool = False) -> Tensor:
    """``scale (max(0, x) + min(0, alpha (exp(x) - 1)))`` with the self-normalising constants
    ``alpha = 1.6733``, ``scale = 1.0507``."""
    return selu_(input) if inplace else _selu(input)


def tanhshrink(input: Tensor) -> Tensor:
    """``x - tanh(x)``."""
    return input - input.tanh()


def softshrink(input: Tensor, lambd: float = 0.5) -> Tensor:
    """``x - lambd`` above ``lambd``, ``x + lambd`` below ``-lambd``, 0 between:
    ``x - clamp(x, -lambd, lambd)``, whose derivative is 0 on the closed interval."""
    if lambd < 0:
        raise RuntimeError(f"lambda must be greater or equal to 0, but found to be {lambd}.")
    return input - input.clamp(-lambd, lambd)


def hardshrink(input: Tensor, lambd: float = 0.5) -> Tensor:
    """``x`` where ``|x| > lambd``, 0 elsewhere."""
    return pybigml.where((input >= -lambd) & (input <= lambd), 0, input)


def _rrelu(
    input: Tensor, lower: float = 1.0 / 8, upper: float = 1.0 / 3, training: bool = False
) -> Tensor:
    if lower > upper:
        raise RuntimeError("Lower bound should be less than or equal to the upper bound")
    if not training:
        return pointwise.leaky_relu(input, (lower + upper) / 2)
    slopes = pybigml.empty_like(input).uniform_(lower, upper)
    return pybigml.where(input > 0, input, input * slopes)


rrelu_ = _inplace_form(_rrelu, "rrelu_")


def rrelu(
    input: Tensor,
    lower: float = 1.0 / 8,
    upper: float = 1.0 / 3,
    training: bool = False,
    inplace: bool = False,
) -> Tensor:
    """Randomised leaky ReLU: ``x`` where ``x > 0``, ``a x`` elsewhere.

    In training each element draws its slope ``a ~ U(lower, upper)``; otherwise ``a`` is the
    fixed ``(lower + upper) / 2``.
    """
    if inplace:
        return rrelu_(input, lower, upper, training)
    return _rrelu(input, lower, upper, training)


def gumbel_softmax(
    logits: Tensor, tau: float = 1, hard: bool = False, eps: float = 1e-10, dim: int = -1
) -> Tensor:
    """A sample of the Gumbel-softmax (concrete) distribution: ``softmax((logits + g) / tau)``
    with ``g = -log(E)``, ``E ~ Exp(1)`` (Gumbel noise).

    With ``hard=True`` the sample is the one-hot vector of its argmax along ``dim``, while the
    gradient is that of the soft sample (straight-through: ``y_hard - y_soft.detach() +
    y_soft``).

    Args:
        logits: unnormalised log-probabilities ``(..., num_features)``.
        tau: temperature (> 0); lower is closer to one-hot.
        hard: return one-hot samples.
        eps: deprecated, unused.
        dim: the dimension of the categories.
    """
    if eps != 1e-10:
        warnings.warn("`eps` parameter is deprecated and has no effect.", stacklevel=2)
    if not logits.is_floating_point():
        raise RuntimeError(
            "Exponential distribution is a continuous probability distribution. dtype must be a "
            f"floating point but you specified {logits.dtype}"
        )
    gumbels = -pybigml.empty_like(logits).exponential_().log()
    y_soft = ((logits + gumbels) / tau).softmax(dim)
    if not hard:
        return y_soft
    index = y_soft.max(dim, keepdim=True)[1]
    y_hard = pybigml.zeros_like(logits).scatter_(dim, index, 1.0)
    return y_hard - y_soft.detach() + y_soft


# --------------------------------------------------------------------------- more losses
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
        dist_neg = pybigml.minimum(dist_neg, distance(positive, negative))
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


def _margin_loss_rows(input: Tensor, target: Tensor) -> tuple[int, int]:
    """``(samples, classes)`` of the margin losses' ``(N, C)``, ``(C)`` or 0-d input, whose
    ``target`` holds int64 class indices."""
    if target.dtype != pybigml.int64:
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
    others = pybigml.arange(classes) != labels  # the target's own term is left out
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
    first -1. The target positions are data, not differentiable, so they are resolved in
    numpy into a ``(N, C, C)`` mask of the (target, non-target) pairs.
    """
    reduction = _resolve_reduction(size_average, reduce, reduction)
    samples, classes = _margin_loss_rows(input, target)
    if target.shape != input.shape:
        raise RuntimeError(
            f"inconsistent target size: {list(target.shape)} for input of size: {list(input.shape)}"
        )
    labels = target.numpy().reshape(samples, classes)
    listed = np.cumprod(labels >= 0, axis=1).astype(bool)  # positions before the first -1
    if np.any(labels[listed] >= classes):
        raise RuntimeError("argument #2 'target' is out of range")
    listed_labels = np.where(listed, labels, 0)
    is_target = np.zeros((samples, classes), dtype=bool)
    rows, positions = np.nonzero(listed)
    is_target[rows, labels[rows, positions]] = True
    pairs = listed[:, :, None] & ~is_target[:, None, :]
    scores = input.reshape(samples, classes)
    picked = scores.gather(1, pybigml.from_numpy(listed_labels))
    hinge = (1 - picked.unsqueeze(2) + scores.unsqueeze(1)).clamp_min(0)
    loss = (hinge * pybigml.from_numpy(pairs)).sum((1, 2)) / classes
    return _reduce(loss if input.ndim == 2 else loss.reshape(()), reduction)


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
        safe = pybigml.where(counted, target, 2.0)
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
        var = var * pybigml.ones_like(input)
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
    margin_term = pybigml.where(target != 1, (margin - input).clamp_min(0), zero)
    self_term = pybigml.where(target != -1, input, zero)
    return _reduce(margin_term + self_term, reduction)


# --------------------------------------------------------------------------- pdist
def pdist(input: Tensor, p: float = 2) -> Tensor:
    """The p-norm distance between every pair of rows of ``(N, M)`` input.

    Returns:
        ``(N (N - 1) / 2,)``: the distances ``||x_i - x_j||_p`` for ``i < j``, row by row
        (the upper triangle of the distance matrix). Pairs at distance 0 get gradient 0.
    """
    if input.ndim != 2:
        raise RuntimeError(f"pdist only supports 2D tensors, got: {input.ndim}D")
    if p < 0:
        raise RuntimeError("pdist only supports non-negative p values")
    first, second = np.triu_indices(input.shape[0], 1)
    rows_i = input.index_select(0, pybigml.from_numpy(first.astype(np.int64)))
    rows_j = input.index_select(0, pybigml.from_numpy(second.astype(np.int64)))
    return (rows_i - rows_j).norm(p, 1)


# --------------------------------------------------------------------------- dropout variants
_SELU_NEGATIVE_SATURATION = _SELU_ALPHA * _SELU_SCALE  # -selu(-inf)


def _check_dropout_probability(p: float) -> None:
    if p < 0.0 or p > 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")


def _channel_mask_shape(input: Tensor, batched: bool = True) -> tuple[int, ...]:
    """The shape of a per-channel dropout mask: ``(N, C, 1, ...)`` for batched ``(N, C, *)``
    input, ``(C, 1, ...)`` for unbatched ``(C, *)``."""
    leading = 2 if batched else 1
    if input.ndim < leading:
        raise RuntimeError("Feature dropout requires at least 2 dimensions in the input")
    return (*input.shape[:leading], *(1,) * (input.ndim - leading))


def _noise_dropout(
    input: Tensor,
    p: float,
    training: bool,
    inplace: bool,
    mask_shape: Any,
    alpha: bool,
) -> Tensor:
    """Dropout with one Bernoulli(1 - p) keep-draw per element (``mask_shape`` ``None``), or
    per entry of a ``mask_shape()`` mask broadcast over the input (whole channels).

    Plain dropout scales the kept values by ``1 / (1 - p)``. Alpha dropout (for SELU
    networks) sets dropped values to SELU's negative saturation ``-alpha'`` and then applies
    ``a x + b`` with ``a = ((1 - p)(1 + p alpha'^2))^(-1/2)`` and ``b = a alpha' p``, which
    keeps zero mean and unit variance: ``out = a (keep x + (1 - keep)(-alpha')) + b``.
    """
    if not training or p == 0.0 or input.numel() == 0:
        return input
    if p == 1.0:
        return input.mul_(0) if inplace else input * 0
    shape = input.shape if mask_shape is None else mask_shape()
    keep = (pybigml.rand(shape, dtype=input.dtype) >= p).to(input.dtype)
    if not alpha:
        scale = keep / (1.0 - p)
        return input.mul_(scale) if inplace else input * scale
    a = 1.0 / math.sqrt((_SELU_NEGATIVE_SATURATION**2 * p + 1) * (1 - p))
    shift = (keep - 1) * (_SELU_NEGATIVE_SATURATION * a) + _SELU_NEGATIVE_SATURATION * a * p
    scale = keep * a
    return input.mul_(scale).add_(shift) if inplace else input * scale + shift


def _feature_dropout(
    input: Tensor, p: float, training: bool, inplace: bool, batched: bool = True
) -> Tensor:
    return _noise_dropout(
        input, p, training, inplace, lambda: _channel_mask_shape(input, batched), alpha=False
    )


def dropout1d(
    input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False
) -> Tensor:
    """Zero whole channels of ``(N, C, L)`` or ``(C, L)`` input with probability ``p``, scaling
    the rest by ``1 / (1 - p)``."""
    _check_dropout_probability(p)
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
    _check_dropout_probability(p)
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
    _check_dropout_probability(p)
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
    _check_dropout_probability(p)
    return _noise_dropout(input, p, training, inplace, None, alpha=True)


def feature_alpha_dropout(
    input: Tensor, p: float = 0.5, training: bool = False, inplace: bool = False
) -> Tensor:
    """``alpha_dropout`` of whole channels of ``(N, C, *)`` input."""
    _check_dropout_probability(p)
    return _noise_dropout(
        input, p, training, inplace, lambda: _channel_mask_shape(input), alpha=True
    )


# --------------------------------------------------------------------------- instance / LRN
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


# --------------------------------------------------------------------------- pixel shuffles
def _check_rearrange_factor(op: str, input: Tensor, factor: int, name: str) -> None:
    if input.ndim < 3:
        raise RuntimeError(
            f"{op} expects input to have at least 3 dimensions, but got input with "
            f"{input.ndim} dimension(s)"
        )
    if factor <= 0:
        raise RuntimeError(f"{op} expects a positive {name}, but got {factor}")


def pixel_shuffle(input: Tensor, upscale_factor: int) -> Tensor:
    """``(*, C r^2, H, W) -> (*, C, H r, W r)``: each group of ``r^2`` channels becomes an
    ``r x r`` block of pixels (sub-pixel convolution upsampling).

    Example::

        >>> F.pixel_shuffle(pybigml.randn(1, 8, 3, 3), 2).shape
        pybigml.Size([1, 2, 6, 6])
    """
    r = upscale_factor
    _check_rearrange_factor("pixel_shuffle", input, r, "upscale_factor")
    *batch, channels, height, width = input.shape
    if channels % (r * r):
        raise RuntimeError(
            "pixel_shuffle expects its input's 'channel' dimension to be divisible by the square "
            f"of upscale_factor, but input.size(-3)={channels} is not divisible by {r * r}"
        )
    nb = len(batch)
    blocks = input.reshape(*batch, channels // (r * r), r, r, height, width)
    # (c, r_h, r_w, h, w) -> (c, h, r_h, w, r_w)
    order = [*range(nb), nb, nb + 3, nb + 1, nb + 4, nb + 2]
    return blocks.permute(order).reshape(*batch, channels // (r * r), height * r, width * r)


def pixel_unshuffle(input: Tensor, downscale_factor: int) -> Tensor:
    """``(*, C, H r, W r) -> (*, C r^2, H, W)``, the inverse of ``pixel_shuffle``."""
    r = downscale_factor
    _check_rearrange_factor("pixel_unshuffle", input, r, "downscale_factor")
    *batch, channels, height, width = input.shape
    for name, size, dim in (("height", height, -2), ("width", width, -1)):
        if size % r:
            raise RuntimeError(
                f"pixel_unshuffle expects {name} to be divisible by downscale_factor, but "
                f"input.size({dim})={size} is not divisible by {r}"
            )
    nb = len(batch)
    blocks = input.reshape(*batch, channels, height // r, r, width // r, r)
    # (c, h, r_h, w, r_w) -> (c, r_h, r_w, h, w)
    order = [*range(nb), nb, nb + 2, nb + 4, nb + 1, nb + 3]
    return blocks.permute(order).reshape(*batch, channels * r * r, height // r, width // r)


def channel_shuffle(input: Tensor, groups: int) -> Tensor:
    """Interleave the channels of ``(N, C, *)`` from ``groups`` groups (ShuffleNet):
    channel ``g * (C / groups) + i`` moves to ``i * groups + g``."""
    if input.ndim <= 2:
        raise RuntimeError(
            f"channel_shuffle expects input with > 2 dims, but got input with sizes "
            f"{list(input.shape)}"
        )
    if groups <= 0:
        raise RuntimeError(
            f"Number of groups to divide channels in must be positive. Value of groups:{groups}"
        )
    batch, channels, *rest = input.shape
    if channels % groups:
        raise RuntimeError(
            f"Number of channels must be divisible by groups. Got {channels} channels and "
            f"{groups} groups."
        )
    grouped = input.reshape(batch, groups, channels // groups, *rest)
    return grouped.transpose(1, 2).reshape(input.shape)


native_channel_shuffle = channel_shuffle


# --------------------------------------------------------------------------- unfold / fold
def _as_pair(value: int | Sequence[int]) -> tuple[int, int]:
    return (int(value), int(value)) if isinstance(value, (int, np.integer)) else tuple(value)


def _check_window(kernel: tuple, dilation: tuple, padding: tuple, stride: tuple) -> None:
    checks = (
        ("kernel size", "kernel", kernel),
        ("stride", "stride", stride),
        ("dilation", "dilation", dilation),
    )
    for what, name, (h, w) in checks:
        if h <= 0 or w <= 0:
            raise RuntimeError(
                f"{what} should be greater than zero, but got {name}_height: {h} {name}_width: {w}"
            )
    if padding[0] < 0 or padding[1] < 0:
        raise RuntimeError(
            f"padding should be non-negative, but got pad_height: {padding[0]} "
            f"pad_width: {padding[1]}"
        )


def _blocks(size: int, kernel: int, dilation: int, padding: int, stride: int) -> int:
    """How many windows fit along one spatial dim."""
    return (size + 2 * padding - dilation * (kernel - 1) - 1) // stride + 1


def _window_slice(offset: int, dilation: int, stride: int, blocks: int) -> slice:
    """The padded positions that kernel offset ``offset`` reads, one per window."""
    start = offset * dilation
    return slice(start, start + stride * (blocks - 1) + 1, stride)


class _Im2Col(Function):
    """``(N, C, H, W) -> (N, C kh kw, L)``: every sliding window, flattened into a column.

    Column ``l`` of row ``(c, i, j)`` holds ``x_padded[c, oh s_h + i d_h, ow s_w + j d_w]``
    with ``l = oh W_blocks + ow``. Forward copies one strided view per kernel offset
    ``(i, j)``; the map is linear, and its adjoint is ``_Col2Im`` (sum each column entry back
    into the position it was read from), which is therefore the backward, and vice versa.
    """

    @staticmethod
    def forward(ctx, input, kernel, dilation, padding, stride):
        x = input._data
        n, c, h, w = x.shape
        (kh, kw), (dh, dw), (ph, pw), (sh, sw) = kernel, dilation, padding, stride
        bh, bw = _blocks(h, kh, dh, ph, sh), _blocks(w, kw, dw, pw, sw)
        padded = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
        cols = np.empty((n, c, kh, kw, bh, bw), dtype=x.dtype)
        for i in range(kh):
            rows = _window_slice(i, dh, sh, bh)
            for j in range(kw):
                cols[:, :, i, j] = padded[:, :, rows, _window_slice(j, dw, sw, bw)]
        ctx.geometry = ((h, w), kernel, dilation, padding, stride)
        return Tensor._make(cols.reshape(n, c * kh * kw, bh * bw))

    @staticmethod
    def backward(ctx, grad):
        return (_Col2Im.apply(grad, *ctx.geometry), None, None, None, None)


class _Col2Im(Function):
    """``(N, C kh kw, L) -> (N, C, H, W)``: sum every column entry into the position of the
    window it belongs to (overlapping windows add up); the adjoint of ``_Im2Col``."""

    @staticmethod
    def forward(ctx, input, output_size, kernel, dilation, padding, stride):
        x = input._data
        (h, w), (kh, kw), (dh, dw), (ph, pw), (sh, sw) = (
            output_size,
            kernel,
            dilation,
            padding,
            stride,
        )
        bh, bw = _blocks(h, kh, dh, ph, sh), _blocks(w, kw, dw, pw, sw)
        n, c = x.shape[0], x.shape[1] // (kh * kw)
        cols = x.reshape(n, c, kh, kw, bh, bw)
        padded = np.zeros((n, c, h + 2 * ph, w + 2 * pw), dtype=x.dtype)
        for i in range(kh):
            rows = _window_slice(i, dh, sh, bh)
            for j in range(kw):
                padded[:, :, rows, _window_slice(j, dw, sw, bw)] += cols[:, :, i, j]
        ctx.geometry = (kernel, dilation, padding, stride)
        return Tensor._make(np.ascontiguousarray(padded[:, :, ph : ph + h, pw : pw + w]))

    @staticmethod
    def backward(ctx, grad):
        return (_Im2Col.apply(grad, *ctx.geometry), None, None, None, None, None)


def unfold(
    input: Tensor,
    kernel_size: int | Sequence[int],
    dilation: int | Sequence[int] = 1,
    padding: int | Sequence[int] = 0,
    stride: int | Sequence[int] = 1,
) -> Tensor:
    """im2col: extract sliding ``kernel_size`` windows of ``(N, C, H, W)`` (or ``(C, H, W)``)
    input as columns.

    Returns:
        ``(N, C * kh * kw, L)`` with ``L`` the number of windows, ``L = prod_d
        floor((size_d + 2 padding_d - dilation_d (kernel_d - 1) - 1) / stride_d + 1)``.

    Example::

        >>> F.unfold(pybigml.randn(1, 2, 4, 4), kernel_size=2).shape
        pybigml.Size([1, 8, 9])
    """
    kernel, dilation, padding, stride = map(_as_pair, (kernel_size, dilation, padding, stride))
    _check_window(kernel, dilation, padding, stride)
    if input.ndim not in (3, 4) or any(size == 0 for size in input.shape[1:]):
        raise RuntimeError(
            "Expected 3D or 4D (batch mode) tensor input with possible 0 batch size and non-zero "
            f"dimensions, but got: {list(input.shape)}"
        )
    h, w = input.shape[-2:]
    blocks = tuple(
        _blocks(size, *args) for size, *args in zip((h, w), kernel, dilation, padding, stride)
    )
    if blocks[0] < 1 or blocks[1] < 1:
        raise RuntimeError(
            f"Given input with spatial size ({h}, {w}), kernel_size={kernel}, "
            f"dilation={dilation}, padding={padding}, calculated shape of the array of sliding "
            f"blocks as {blocks}, but its components must be at least one."
        )
    if input.ndim == 3:
        return _Im2Col.apply(input.unsqueeze(0), kernel, dilation, padding, stride).squeeze(0)
    return _Im2Col.apply(input, kernel, dilation, padding, stride)


def fold(
    input: Tensor,
    output_size: int | Sequence[int],
    kernel_size: int | Sequence[int],
    dilation: int | Sequence[int] = 1,
    padding: int | Sequence[int] = 0,
    stride: int | Sequence[int] = 1,
) -> Tensor:
    """col2im: sum columns of sliding windows ``(N, C * kh * kw, L)`` (or unbatched) back into
    a ``(N, C, *output_size)`` image; overlapping windows add up. The adjoint of ``unfold``.
    """
    output_size = _as_pair(output_size)
    kernel, dilation, padding, stride = map(_as_pair, (kernel_size, dilation, padding, stride))
    _check_window(kernel, dilation, padding, stride)
    if input.ndim not in (2, 3) or any(size == 0 for size in input.shape[-2:]):
        raise RuntimeError(
            "Expected 2D or 3D (batch mode) tensor for input with possibly 0 batch size and "
            f"non-zero dimensions for input, but got: {list(input.shape)}"
        )
    columns, length = input.shape[-2:]
    if columns % (kernel[0] * kernel[1]):
        raise RuntimeError(
            "Expected size of input's dimension 1 to be divisible by the product of "
            f"kernel_size, but got input.size(1)={columns} and kernel_size={kernel}."
        )
    blocks = tuple(
        _blocks(size, *args) for size, *args in zip(output_size, kernel, dilation, padding, stride)
    )
    geometry = (
        f"Given output_size={output_size}, kernel_size={kernel}, dilation={dilation}, "
        f"padding={padding}, stride={stride}, "
    )
    if blocks[0] < 1 or blocks[1] < 1:
        raise RuntimeError(
            f"{geometry}calculated shape of the array of sliding blocks as {blocks}, which is "
            "too small (non-positive)."
        )
    if length != blocks[0] * blocks[1]:
        raise RuntimeError(
            f"{geometry}expected size of input's dimension 2 to match the calculated number of "
            f"sliding blocks {blocks[0]} * {blocks[1]} = {blocks[0] * blocks[1]}, but got "
            f"input.size(2)={length}."
        )
    if input.ndim == 2:
        return _Col2Im.apply(
            input.unsqueeze(0), output_size, kernel, dilation, padding, stride
        ).squeeze(0)
    return _Col2Im.apply(input, output_size, kernel, dilation, padding, stride)


from ..attention import multi_head_attention_forward as multi_head_attention_forward  # noqa: E402


# torch's other spellings of the pooling and upsampling functions
def max_pool1d_with_indices(*args: Any, **kwargs: Any) -> tuple[Tensor, Tensor]:
    """``max_pool1d(..., return_indices=True)``."""
    return max_pool1d(*args, **{**kwargs, "return_indices": True})


def max_pool2d_with_indices(*args: Any, **kwargs: Any) -> tuple[Tensor, Tensor]:
    """``max_pool2d(..., return_indices=True)``."""
    return max_pool2d(*args, **{**kwargs, "return_indices": True})


def adaptive_max_pool1d_with_indices(input: Tensor, output_size: Any) -> tuple[Tensor, Tensor]:
    """``adaptive_max_pool1d(..., return_indices=True)``."""
    return adaptive_max_pool1d(input, output_size, return_indices=True)


def adaptive_max_pool2d_with_indices(input: Tensor, output_size: Any) -> tuple[Tensor, Tensor]:
    """``adaptive_max_pool2d(..., return_indices=True)``."""
    return adaptive_max_pool2d(input, output_size, return_indices=True)


def upsample_nearest(input: Tensor, size: Any = None, scale_factor: Any = None) -> Tensor:
    """Deprecated: ``interpolate(mode="nearest")``."""
    warnings.warn(
        "`nn.functional.upsample_nearest` is deprecated. Use `nn.functional.interpolate` instead.",
        stacklevel=2,
    )
    return interpolate(input, size, scale_factor, mode="nearest")


def upsample_bilinear(input: Tensor, size: Any = None, scale_factor: Any = None) -> Tensor:
    """Deprecated: ``interpolate(mode="bilinear", align_corners=True)``."""
    warnings.warn(
        "`nn.functional.upsample_bilinear` is deprecated. Use `nn.functional.interpolate` instead.",
        stacklevel=2,
    )
    return interpolate(input, size, scale_factor, mode="bilinear", align_corners=True)
