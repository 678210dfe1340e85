"""``bilinear``: the bilinear map ``y = x1^T A x2 + b``.

``F.linear`` is ``pybigml.ops.linalg.linear`` itself (one graph node, no wrapper).
"""

from __future__ import annotations

from ..._tensor import Tensor
from ...ops.linalg import einsum


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
    out = einsum("...i,oij,...j->...o", input1, weight, input2)
    return out if bias is None else out + bias
