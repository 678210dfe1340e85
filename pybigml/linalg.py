"""``pybigml.linalg``: PyTorch's ``torch.linalg`` for real matrices (batched over leading dims).

A façade: the decompositions, solves and norms, with their gradients, live in
:mod:`pybigml.ops.decomposition`; ``matmul``, ``vector_norm`` and ``diagonal`` in the op
families they belong to.
"""

from __future__ import annotations

from .ops.decomposition import (
    cholesky,
    cholesky_ex,
    cond,
    cross,
    det,
    eigh,
    eigvalsh,
    inv,
    inv_ex,
    lstsq,
    matrix_exp,
    matrix_norm,
    matrix_power,
    matrix_rank,
    multi_dot,
    norm,
    pinv,
    qr,
    slogdet,
    solve,
    solve_ex,
    solve_triangular,
    svd,
    svdvals,
    vander,
    vecdot,
)
from .ops.linalg import matmul
from .ops.reduction import vector_norm
from .ops.shape import diagonal

__all__ = [
    "cholesky_ex",
    "cond",
    "inv_ex",
    "lstsq",
    "matrix_exp",
    "matrix_rank",
    "solve_ex",
    "solve_triangular",
    "vander",
    "qr",
    "cholesky",
    "cross",
    "det",
    "diagonal",
    "eigh",
    "eigvalsh",
    "inv",
    "matmul",
    "matrix_norm",
    "matrix_power",
    "multi_dot",
    "norm",
    "pinv",
    "slogdet",
    "solve",
    "svd",
    "svdvals",
    "vecdot",
    "vector_norm",
]
