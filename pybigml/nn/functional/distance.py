"""Distances and similarities: ``normalize``, ``cosine_similarity``, ``pairwise_distance``
and ``pdist``, compositions of tensor ops (norms along a dim)."""

from __future__ import annotations

from ..._dtype import result_type
from ..._tensor import Tensor
from ...autograd.grad_mode import no_grad
from ...ops.composite import triu_indices
from ...ops.shape import broadcast_tensors


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
    common = result_type(x1, x2)
    if not common.is_floating_point:
        raise RuntimeError(
            f"expected common dtype to be floating point, yet common dtype is {common}"
        )
    x1, x2 = broadcast_tensors(x1.to(common), x2.to(common))
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
    first, second = triu_indices(input.shape[0], input.shape[0], 1)
    rows_i = input.index_select(0, first)
    rows_j = input.index_select(0, second)
    return (rows_i - rows_j).norm(p, 1)
