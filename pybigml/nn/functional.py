"""``pybigml.nn.functional``: the stateless layer functions (``import ... as F``).

Every function here is a Tensor operation or a composition of them, so autograd
differentiates it and ``create_graph=True`` gives higher derivatives. The losses are
written out here; each docstring states the formula, whose derivative autograd takes.
"""

from __future__ import annotations

import math
import warnings
from typing import Any

import pybigml

from .._tensor import Tensor
from ..ops import pointwise
from ..ops.inplace import inplace as _inplace_form
from ..ops.linalg import linear as _linear

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
    if target.shape != input.shape:
        warnings.warn(
            f"Using a target size ({target.shape}) that is different to the input size "
            f"({input.shape}). This will likely lead to incorrect results due to "
            "broadcasting. Please ensure they have the same size.",
            stacklevel=2,
        )
    reduction = _resolve_reduction(size_average, reduce, reduction)
    diff = input - target
    squared = diff * diff
    if weight is None:
        return _reduce(squared, reduction)
    if weight.shape != input.shape:
        raise ValueError("Weights and input must have the same size.")
    weighted = squared * weight
    return weighted.sum() / weight.sum() if reduction == "mean" else _reduce(weighted, reduction)


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
    weights), obtained by autograd through ``log_softmax`` and ``gather``.

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
