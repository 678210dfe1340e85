"""Matrix decompositions, solves and the functions built on them: the ops behind
``pybigml.linalg`` (PyTorch's ``torch.linalg`` for real matrices, batched over leading dims)
and behind ``torch.inverse``, ``torch.det`` ... (:data:`TENSOR_METHODS`).

Decompositions and solves run in numpy's LAPACK; every backward is written with tensor ops
(matmul, solve, ...), so gradients differentiate again. The formulas, for ``A`` (n x n) and an
incoming gradient ``G``:

    inv:      X = A^-1              dA = -X^T G X^T
    det:      d = det A             dA = G d A^-T
    slogdet:  l = log|det A|        dA = G A^-T
    solve:    X = A^-1 B            dB = A^-T G,  dA = -dB X^T
    cholesky: A = L L^T             dA = sym(L^-T Phi(L^T G) L^-1) / ... (see Cholesky)
    eigh:     A = V diag(w) V^T     dA = V (diag(Gw) + F o skew(V^T GV)) V^T, F_ij = 1/(w_j - w_i)
    svd:      A = U diag(s) V^T     (see Svd)

Singular or non-positive-definite inputs raise PyTorch's errors.
"""

from __future__ import annotations

import math
from collections import namedtuple
from collections.abc import Sequence
from typing import Any

import numpy as np

from .._tensor import Tensor
from ..autograd.function import Function
from . import composite
from .creation import eye
from .linalg import matmul
from .reduction import vector_norm
from .shape import diagonal

__all__ = [
    "cholesky",
    "cholesky_ex",
    "cond",
    "cross",
    "det",
    "eigh",
    "eigvalsh",
    "inv",
    "inv_ex",
    "inverse",
    "is_positive_definite",
    "is_positive_semidefinite",
    "logdet",
    "lstsq",
    "matrix_exp",
    "matrix_norm",
    "matrix_power",
    "matrix_rank",
    "multi_dot",
    "norm",
    "pinv",
    "pinverse",
    "qr",
    "slogdet",
    "solve",
    "solve_ex",
    "solve_triangular",
    "svd",
    "svdvals",
    "trace",
    "vander",
    "vecdot",
]

_make = Tensor._make
_slogdet_result = namedtuple("slogdet", ("sign", "logabsdet"))
_eigh_result = namedtuple("eigh", ("eigenvalues", "eigenvectors"))
_svd_result = namedtuple("svd", ("U", "S", "Vh"))


def _mT(x: Tensor) -> Tensor:
    return x.transpose(-2, -1)


def _diag_embed(v: Tensor) -> Tensor:
    """(..., n) -> (..., n, n) with ``v`` on the diagonal."""
    n = v.shape[-1]
    return v.unsqueeze(-1) * eye(n, dtype=v.dtype)


def _check_square(op: str, A: Tensor) -> None:
    if A.ndim < 2 or A.shape[-1] != A.shape[-2]:
        raise RuntimeError(
            f"linalg.{op}: A must be batches of square matrices, but they are "
            f"{A.shape[-2] if A.ndim >= 2 else 1} by {A.shape[-1] if A.ndim else 1} matrices"
        )
    if not A.is_floating_point():
        raise RuntimeError(f"linalg.{op}: Expected a floating point tensor as input. Got {A.dtype}")


def _lapack(op: str, fn: Any, *arrays: np.ndarray) -> Any:
    try:
        return fn(*arrays)
    except np.linalg.LinAlgError as error:
        raise RuntimeError(f"linalg.{op}: {error}") from None


def _lapack_tensor(op: str, fn: Any, A: Tensor) -> Tensor:
    """``fn(A)`` (one array result) as a tensor of ``A``'s dtype."""
    x = A._data
    return _make(_lapack(op, fn, x).astype(x.dtype, copy=False))


# ----------------------------------------------------------------------------- inverse, solve
class Inv(Function):
    @staticmethod
    def forward(ctx, A):
        out = _lapack_tensor("inv", np.linalg.inv, A)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        (X,) = ctx.saved_tensors
        Xt = _mT(X)
        return -matmul(matmul(Xt, grad), Xt)


def inv(A: Tensor) -> Tensor:
    """The inverse of each square matrix; RuntimeError if one is singular."""
    _check_square("inv", A)
    if A.numel() and np.any(np.linalg.matrix_rank(A._data) < A.shape[-1]):
        raise RuntimeError(
            "linalg.inv: The diagonal element 1 is zero, the inversion could not be completed "
            "because the input matrix is singular."
        )
    return Inv.apply(A)


class Solve(Function):
    @staticmethod
    def forward(ctx, A, B, vector):
        a, b = A._data, B._data
        rhs = b[..., None] if vector else b
        x = _lapack("solve", np.linalg.solve, a, rhs)
        x = x[..., 0] if vector else x
        out = _make(x.astype(np.result_type(a, b), copy=False))
        ctx.vector = vector
        ctx.save_for_backward(A, out)
        return out

    @staticmethod
    def backward(ctx, grad):
        A, X = ctx.saved_tensors
        gB = solve(_mT(A), grad)
        gA = None
        if ctx.needs_input_grad[0]:
            if ctx.vector:
                gA = -gB.unsqueeze(-1) * X.unsqueeze(-2)
            else:
                gA = -matmul(gB, _mT(X))
        return gA, gB, None


def solve(A: Tensor, B: Tensor, *, left: bool = True) -> Tensor:
    """The solution ``X`` of ``A X = B`` (``X A = B`` when ``left`` is False). ``B`` is a
    batch of vectors when it has one dim fewer than ``A`` and matches it, else of matrices."""
    _check_square("solve", A)
    if not left:
        return _mT(solve(_mT(A), _mT(B)))
    vector = B.ndim == 1 or (B.ndim == A.ndim - 1 and B.shape == A.shape[:-1])
    rows = B.shape[-1] if vector else B.shape[-2] if B.ndim >= 2 else None
    if rows != A.shape[-1]:
        raise RuntimeError(
            f"linalg.solve: Incompatible shapes of A and B for the equation AX = B "
            f"({A.shape[-2]}x{A.shape[-1]} and {tuple(B.shape)})"
        )
    if A.numel() and np.any(np.linalg.matrix_rank(A._data) < A.shape[-1]):
        raise RuntimeError("linalg.solve: The solver failed because the input matrix is singular.")
    return Solve.apply(A, B, vector)


# ----------------------------------------------------------------------------- determinants
class SlogDet(Function):
    @staticmethod
    def forward(ctx, A):
        sign, logabs = _lapack("slogdet", np.linalg.slogdet, A._data)
        dtype = A._data.dtype
        ctx.save_for_backward(A)
        # The sign is piecewise constant: its gradient is 0 (it stays in the graph, as in torch).
        return _make(np.asarray(sign, dtype=dtype)), _make(np.asarray(logabs, dtype=dtype))

    @staticmethod
    def backward(ctx, grad_sign, grad_logabs):
        (A,) = ctx.saved_tensors
        return grad_logabs.unsqueeze(-1).unsqueeze(-1) * _mT(inv(A))


def slogdet(A: Tensor) -> tuple[Tensor, Tensor]:
    """``(sign, log|det A|)`` of each square matrix; stable where ``det`` would overflow."""
    _check_square("slogdet", A)
    return _slogdet_result(*SlogDet.apply(A))


def det(A: Tensor) -> Tensor:
    """The determinant of each square matrix (``sign * exp(logabsdet)``)."""
    _check_square("det", A)
    return Det.apply(A)


class Det(Function):
    @staticmethod
    def forward(ctx, A):
        x = A._data
        out = _make(np.asarray(_lapack("det", np.linalg.det, x), dtype=x.dtype))
        ctx.save_for_backward(A, out)
        return out

    @staticmethod
    def backward(ctx, grad):
        A, d = ctx.saved_tensors
        # d det/dA = det A * A^-T = adj(A)^T; computed through a solve so it needs det != 0.
        return (grad * d).unsqueeze(-1).unsqueeze(-1) * _mT(inv(A))


# ----------------------------------------------------------------------------- cholesky
def _phi(x: Tensor) -> Tensor:
    """The lower triangle of ``x`` with its diagonal halved."""
    return x.tril() - 0.5 * _diag_embed(diagonal(x, 0, -2, -1))


class Cholesky(Function):
    """A = L L^T.  With P = Phi(L^T G) (lower triangle, diagonal halved):
    dA = sym(L^-T P L^-1), sym(X) = (X + X^T) / 2."""

    @staticmethod
    def forward(ctx, A):
        out = _lapack_tensor("cholesky", np.linalg.cholesky, A)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        (L,) = ctx.saved_tensors
        P = _phi(matmul(_mT(L), grad))
        Linv = inv(L)
        S = matmul(matmul(_mT(Linv), P), Linv)
        return 0.5 * (S + _mT(S))


def cholesky(A: Tensor, *, upper: bool = False) -> Tensor:
    """The Cholesky factor ``L`` (lower; ``L^T`` when ``upper``) of symmetric positive-definite
    matrices, reading only the lower triangle."""
    _check_square("cholesky", A)
    try:
        np.linalg.cholesky(A._data)
    except np.linalg.LinAlgError:
        raise RuntimeError(
            "linalg.cholesky: The factorization could not be completed because the input is not "
            "positive-definite."
        ) from None
    L = Cholesky.apply(A)  # LAPACK reads the lower triangle; the gradient is symmetric
    return _mT(L) if upper else L


def _has_cholesky(m: np.ndarray) -> bool:
    try:
        np.linalg.cholesky(m)
    except np.linalg.LinAlgError:
        return False
    return True


def is_positive_definite(A: Tensor) -> Tensor:
    """Whether each matrix of the batch has a Cholesky factor (is positive-definite, reading
    its lower triangle): a bool tensor of the batch shape, without a graph."""
    x = A._data
    batch = x.reshape((-1,) + x.shape[-2:])
    return _make(np.array([_has_cholesky(m) for m in batch], dtype=bool).reshape(x.shape[:-2]))


# ----------------------------------------------------------------------------- qr
class Qr(Function):
    """A = Q R (reduced, m >= n). With M = R gR^T - gQ^T Q and copyltu(M) = tril(M) +
    tril(M, -1)^T (M's lower triangle mirrored):

        dA = (gQ + Q copyltu(M)) R^-T
    """

    @staticmethod
    def forward(ctx, A, mode):
        x = A._data
        Q, R = _lapack("qr", np.linalg.qr, x, mode)
        Q_t, R_t = _make(Q.astype(x.dtype, copy=False)), _make(R.astype(x.dtype, copy=False))
        ctx.save_for_backward(Q_t, R_t)
        return Q_t, R_t

    @staticmethod
    def backward(ctx, gQ, gR):
        Q, R = ctx.saved_tensors
        if Q.shape[-2] < Q.shape[-1] or Q.shape[-1] != R.shape[-2]:
            raise RuntimeError(
                "linalg.qr: the derivative is implemented for mode='reduced' with m >= n only"
            )
        gQ = Q * 0 if gQ is None else gQ
        gR = R * 0 if gR is None else gR
        M = matmul(R, _mT(gR)) - matmul(_mT(gQ), Q)
        copyltu = M.tril() + _mT(M.tril(-1))
        rhs = gQ + matmul(Q, copyltu)
        return _mT(solve(R, _mT(rhs))), None


_qr_result = namedtuple("qr", ("Q", "R"))


def qr(A: Tensor, mode: str = "reduced") -> tuple[Tensor, Tensor]:
    """``Q, R`` with ``A = Q R``, ``Q`` orthonormal columns, ``R`` upper triangular;
    ``mode`` 'reduced' (k = min(m, n) columns) or 'complete'. ('r' returns an empty Q.)"""
    if A.ndim < 2:
        raise RuntimeError("linalg.qr: The input tensor A must have at least 2 dimensions.")
    if mode not in ("reduced", "complete", "r"):
        raise RuntimeError(
            f"qr received unrecognized mode '{mode}' but expected one of 'reduced' (default), "
            "'r', or 'complete'"
        )
    if mode == "r":
        Q, R = Qr.apply(A, "reduced")
        return _qr_result(_make(np.zeros((0,), A._data.dtype)), R)
    return _qr_result(*Qr.apply(A, mode))


# ----------------------------------------------------------------------------- eigh, svd
def _gap_matrix(values: Tensor, square: bool) -> Tensor:
    """F_ij = 1 / (v_j - v_i) off the diagonal (of the squares when ``square``), 0 on it."""
    v = values * values if square else values
    gap = v.unsqueeze(-2) - v.unsqueeze(-1)
    n = values.shape[-1]
    off = _make(~np.eye(n, dtype=bool))
    safe = gap.masked_fill(~off, 1.0)
    return (1.0 / safe).masked_fill(~off, 0.0)


class Eigh(Function):
    @staticmethod
    def forward(ctx, A, lower):
        x = A._data
        w, V = _lapack("eigh", np.linalg.eigh, x, "L" if lower else "U")
        w_t, V_t = _make(w.astype(x.dtype, copy=False)), _make(V.astype(x.dtype, copy=False))
        ctx.save_for_backward(w_t, V_t)
        return w_t, V_t

    @staticmethod
    def backward(ctx, gw, gV):
        w, V = ctx.saved_tensors
        inner = _diag_embed(gw) if gw is not None else 0.0
        if gV is not None:
            # Only the skew-symmetric part of V^T gV moves a symmetric A: the gradient is
            # symmetric, the same for both triangles.
            VtgV = matmul(_mT(V), gV)
            inner = inner + _gap_matrix(w, False) * (0.5 * (VtgV - _mT(VtgV)))
        gA = matmul(matmul(V, inner), _mT(V))
        return gA, None


def eigh(A: Tensor, UPLO: str = "L") -> tuple[Tensor, Tensor]:
    """Eigenvalues (ascending) and orthonormal eigenvectors of symmetric matrices."""
    _check_square("eigh", A)
    if UPLO not in ("L", "U"):
        raise RuntimeError(f"linalg.eigh: UPLO must be 'L' or 'U', got {UPLO!r}")
    return _eigh_result(*Eigh.apply(A, UPLO == "L"))


def eigvalsh(A: Tensor, UPLO: str = "L") -> Tensor:
    """The eigenvalues (ascending) of symmetric matrices."""
    return eigh(A, UPLO).eigenvalues


def is_positive_semidefinite(A: Tensor) -> Tensor:
    """Whether each symmetric matrix of the batch has no negative eigenvalue (LAPACK's
    eigenvalues-only routine, reading the lower triangle): a bool tensor of the batch shape,
    without a graph."""
    return _make(np.asarray(np.all(np.linalg.eigvalsh(A._data) >= 0, axis=-1)))


class Svd(Function):
    """Reduced SVD A = U diag(s) V^T (k = min(m, n)). With F_ij = 1/(s_j^2 - s_i^2),
    J = F o (U^T gU), K = F o (V^T gV):

        dA = U [ (J + J^T) S + diag(gS) + S (K + K^T) ] V^T
             + (I - U U^T) gU S^-1 V^T + U S^-1 gV^T (I - V V^T)
    """

    @staticmethod
    def forward(ctx, A):
        x = A._data
        U, s, Vh = _lapack("svd", np.linalg.svd, x, False)
        U_t, s_t, Vh_t = (_make(a.astype(x.dtype, copy=False)) for a in (U, s, Vh))
        ctx.save_for_backward(U_t, s_t, Vh_t)
        return U_t, s_t, Vh_t

    @staticmethod
    def backward(ctx, gU, gS, gVh):
        U, s, Vh = ctx.saved_tensors
        V = _mT(Vh)
        inner = _diag_embed(gS) if gS is not None else 0.0
        extra = 0.0
        F = _gap_matrix(s, True)
        S = _diag_embed(s)
        if gU is not None:
            J = F * matmul(_mT(U), gU)
            inner = inner + matmul(J + _mT(J), S)
            m = U.shape[-2]
            proj = eye(m, dtype=U.dtype) - matmul(U, _mT(U))
            extra = extra + matmul(matmul(proj, gU) / s.unsqueeze(-2), Vh)
        if gVh is not None:
            gV = _mT(gVh)
            K = F * matmul(_mT(V), gV)
            inner = inner + matmul(S, K + _mT(K))
            n = V.shape[-2]
            proj = eye(n, dtype=V.dtype) - matmul(V, _mT(V))
            extra = extra + matmul(U / s.unsqueeze(-2), matmul(_mT(gV), proj))
        return matmul(matmul(U, inner), Vh) + extra


def svd(A: Tensor, full_matrices: bool = True, *, driver: str | None = None) -> tuple:
    """``U, S, Vh`` with ``A = U diag(S) Vh``, singular values descending. Gradients are
    defined for the reduced form (``full_matrices=False``) with distinct singular values."""
    if A.ndim < 2:
        raise RuntimeError("linalg.svd: The input tensor A must have at least 2 dimensions.")
    if full_matrices and A.shape[-1] != A.shape[-2]:
        U, s, Vh = np.linalg.svd(A._data, full_matrices=True)
        if A.requires_grad:
            raise RuntimeError(
                "linalg.svd: gradients need full_matrices=False for non-square inputs"
            )
        return _svd_result(*(_make(a.astype(A._data.dtype, copy=False)) for a in (U, s, Vh)))
    return _svd_result(*Svd.apply(A))


def svdvals(A: Tensor, *, driver: str | None = None) -> Tensor:
    """The singular values, descending."""
    return svd(A, full_matrices=False).S


def _significant(A: Tensor, s: Tensor, atol: float | None, rtol: float | None) -> Tensor:
    """Which singular values ``s`` of ``A`` exceed ``max(atol, rtol * s_max)``; ``rtol``
    defaults to eps * max(m, n), or to 0 when a positive ``atol`` is given."""
    if rtol is None:
        positive_atol = atol is not None and atol > 0
        rtol = 0.0 if positive_atol else np.finfo(A._data.dtype).eps * max(A.shape[-2:])
    smax = s.amax(-1, keepdim=True) if s.shape[-1] else s
    return s > (smax * rtol).clamp_min(atol or 0.0)


def pinv(
    A: Tensor, *, atol: float | None = None, rtol: float | None = None, hermitian: bool = False
) -> Tensor:
    """The Moore-Penrose pseudo-inverse, from the SVD with singular values below
    ``max(atol, rtol * s_max)`` treated as zero (rtol defaults to eps * max(m, n))."""
    U, s, Vh = svd(A, full_matrices=False)
    keep = _significant(A, s, atol, rtol)
    s_inv = (1.0 / s.masked_fill(~keep, 1.0)).masked_fill(~keep, 0.0)
    return matmul(_mT(Vh) * s_inv.unsqueeze(-2), _mT(U))


# ----------------------------------------------------------------------------- norms, products
def matrix_norm(
    A: Tensor, ord: Any = "fro", dim: Sequence[int] = (-2, -1), keepdim: bool = False
) -> Tensor:
    """'fro', 'nuc', inf, -inf, 1, -1, 2, -2 norms of matrices over ``dim``."""
    d0, d1 = (d % A.ndim for d in dim)
    if ord == "fro":
        return vector_norm(A, 2, dim=(d0, d1), keepdim=keepdim)
    if ord in ("nuc", 2, -2):
        moved = A.movedim((d0, d1), (-2, -1))
        s = svdvals(moved)
        out = s.sum(-1) if ord == "nuc" else s.amax(-1) if ord == 2 else s.amin(-1)
        if keepdim:
            out = out.unsqueeze(min(d0, d1)).unsqueeze(max(d0, d1))
        return out
    if ord in (1, -1, math.inf, -math.inf):
        # 1: the largest column sum of |A|; inf: the largest row sum
        along, across = (d0, d1) if ord in (1, -1) else (d1, d0)
        sums = A.abs().sum(along, keepdim=True)
        pick = sums.amax if ord > 0 else sums.amin
        out = pick(across, keepdim=True)
        return out if keepdim else out.squeeze((d0, d1))
    raise RuntimeError(f"linalg.matrix_norm: Order {ord} not supported.")


def norm(
    A: Tensor, ord: Any = None, dim: Any = None, keepdim: bool = False, *, dtype: Any = None
) -> Tensor:
    """A vector norm (``dim`` an int, or ``A`` 1-D with ``dim`` None) or a matrix norm
    (``dim`` a pair, or ``A`` 2-D); ``ord=None`` is the 2-norm / Frobenius norm."""
    if dtype is not None:
        A = A.to(dtype)
    if isinstance(dim, int) or (dim is None and A.ndim == 1) or (dim is None and ord is None):
        return vector_norm(A, 2 if ord is None else ord, dim=dim, keepdim=keepdim)
    return matrix_norm(A, "fro" if ord is None else ord, (-2, -1) if dim is None else dim, keepdim)


def matrix_power(A: Tensor, n: int) -> Tensor:
    """``A`` multiplied by itself ``n`` times (by squaring); ``n < 0`` uses the inverse."""
    _check_square("matrix_power", A)
    if n < 0:
        A, n = inv(A), -n
    result = None
    base = A
    while n:
        if n & 1:
            result = base if result is None else matmul(result, base)
        n >>= 1
        if n:
            base = matmul(base, base)
    if result is None:  # n = 0: the identity, kept in A's graph with a zero gradient as in torch
        return A * 0 + eye(A.shape[-1], dtype=A.dtype)
    return result


def multi_dot(tensors: Sequence[Tensor]) -> Tensor:
    """The product of a chain of matrices (1-D ends act as row/column vectors)."""
    if len(tensors) < 2:
        raise RuntimeError(f"multi_dot(): expected at least 2 tensors but got {len(tensors)}")
    result = tensors[0]
    for t in tensors[1:]:
        result = matmul(result, t)
    return result


def cross(input: Tensor, other: Tensor, *, dim: int = -1) -> Tensor:
    """The cross product of 3-vectors along ``dim`` (the last by default)."""
    return composite.cross(input, other, dim)


def vecdot(x: Tensor, y: Tensor, *, dim: int = -1) -> Tensor:
    """The dot product of vectors along ``dim`` (broadcasting the rest)."""
    return (x * y).sum(dim)


# ----------------------------------------------------------------------------- more solvers
def solve_triangular(
    A: Tensor, B: Tensor, *, upper: bool, left: bool = True, unitriangular: bool = False
) -> Tensor:
    """The solution of ``A X = B`` (``X A = B`` when not ``left``) reading only the upper or
    lower triangle of ``A`` (with a unit diagonal when ``unitriangular``)."""
    T = A.triu() if upper else A.tril()
    if unitriangular:
        T = T - _diag_embed(diagonal(T, 0, -2, -1)) + eye(A.shape[-1], dtype=A.dtype)
    return solve(T, B, left=left)


def matrix_rank(
    A: Tensor, *, atol: float | None = None, rtol: float | None = None, hermitian: bool = False
) -> Tensor:
    """The number of singular values above ``max(atol, rtol * s_max)`` (rtol defaults to
    eps * max(m, n))."""
    return _significant(A, svdvals(A).detach(), atol, rtol).sum(-1)


def cond(A: Tensor, p: Any = None) -> Tensor:
    """The condition number ``||A|| ||A^-1||`` (for ``p`` None or 2: ``s_max / s_min``)."""
    if p is None or p in (2, -2):
        s = svdvals(A)
        big, small = s.amax(-1), s.amin(-1)
        return small / big if p == -2 else big / small
    return matrix_norm(A, p) * matrix_norm(inv(A), p)


_lstsq_result = namedtuple("lstsq", ("solution", "residuals", "rank", "singular_values"))


def lstsq(A: Tensor, B: Tensor, rcond: float | None = None, *, driver: str | None = None) -> tuple:
    """The least-squares solution ``X`` minimising ``||A X - B||`` (through the
    pseudo-inverse, so it is differentiable); ``residuals``, ``rank`` and ``singular_values``
    come back empty, as PyTorch's default CPU driver returns them."""
    vector = B.ndim == A.ndim - 1
    rhs = B.unsqueeze(-1) if vector else B
    X = matmul(pinv(A, rtol=rcond), rhs)
    X = X.squeeze(-1) if vector else X
    empty = _make(np.zeros((0,), dtype=A._data.dtype))
    return _lstsq_result(X, empty, _make(np.zeros((0,), dtype=np.int64)), empty)


_inv_ex = namedtuple("inv_ex", ("inverse", "info"))
_cholesky_ex = namedtuple("cholesky_ex", ("L", "info"))
_solve_ex = namedtuple("solve_ex", ("result", "info"))


def _info(A: Tensor) -> Tensor:
    return _make(np.zeros(A.shape[:-2], dtype=np.int32))


def inv_ex(A: Tensor, *, check_errors: bool = False) -> tuple[Tensor, Tensor]:
    """``(inv(A), info)``; pybigml raises on a singular matrix, so ``info`` is 0."""
    return _inv_ex(inv(A), _info(A))


def cholesky_ex(A: Tensor, *, upper: bool = False, check_errors: bool = False) -> tuple:
    """``(cholesky(A), info)``; pybigml raises on a non-positive-definite matrix."""
    return _cholesky_ex(cholesky(A, upper=upper), _info(A))


def solve_ex(A: Tensor, B: Tensor, *, left: bool = True, check_errors: bool = False) -> tuple:
    """``(solve(A, B), info)``; pybigml raises on a singular matrix."""
    return _solve_ex(solve(A, B, left=left), _info(A))


def vander(x: Tensor, *, N: int | None = None) -> Tensor:
    """The Vandermonde matrix with increasing powers ``x^0, x^1, ..., x^(N-1)`` along the
    last dim."""
    n = x.shape[-1] if N is None else N
    powers = _make(np.arange(n).astype(x._data.dtype))
    return x.unsqueeze(-1) ** powers


def matrix_exp(A: Tensor) -> Tensor:
    """``exp(A)`` of square matrices: scale A by 2^-s so its norm is below 1/2, sum the Taylor
    series to 18 terms (error below eps there), square s times. Written with matmuls, so it
    differentiates."""
    _check_square("matrix_exp", A)
    norm = float(np.max(np.abs(A._data).sum(-1))) if A.numel() else 0.0
    s = max(0, int(math.ceil(math.log2(norm / 0.5)))) if norm > 0.5 else 0
    X = A / (2.0**s)
    result = eye(A.shape[-1], dtype=A.dtype) + X * 0
    term = result
    for k in range(1, 19):
        term = matmul(term, X) / k
        result = result + term
    for _ in range(s):
        result = matmul(result, result)
    return result


# ----------------------------------------------------------------------------- top-level names
# ``torch.inverse``, ``torch.det`` ... and the matching Tensor methods.
def inverse(input: Tensor) -> Tensor:
    """``linalg.inv``."""
    return inv(input)


def logdet(input: Tensor) -> Tensor:
    """``log det A``: NaN where the determinant is negative, -inf where it is 0."""
    sign, logabs = slogdet(input)
    return logabs + (sign < 0).to(logabs.dtype).masked_fill(sign < 0, math.nan).masked_fill(
        sign >= 0, 0.0
    )


def pinverse(input: Tensor, rcond: float = 1e-15) -> Tensor:
    """``linalg.pinv`` with a relative cutoff ``rcond``."""
    return pinv(input, rtol=rcond)


def trace(input: Tensor) -> Tensor:
    """The sum of a matrix's main diagonal."""
    if input.ndim != 2:
        raise RuntimeError(f"trace: expected a matrix, but got tensor with dim {input.ndim}")
    return diagonal(input).sum()


# ------------------------------------------------------------------ the pre-linalg forms
def legacy_svd(
    input: Tensor, some: bool = True, compute_uv: bool = True
) -> tuple[Tensor, Tensor, Tensor]:
    """``torch.svd``: ``(U, S, V)`` with ``input = U diag(S) V^T`` (note V, not Vh)."""
    U, S, Vh = svd(input, full_matrices=not some)
    if not compute_uv:
        return U * 0, S, Vh.mT * 0
    return U, S, Vh.mT


def legacy_cholesky(input: Tensor, upper: bool = False) -> Tensor:
    """``torch.cholesky`` (``linalg.cholesky`` with the old keyword)."""
    return cholesky(input, upper=upper)


def legacy_qr(input: Tensor, some: bool = True) -> tuple[Tensor, Tensor]:
    """``torch.qr``: ``some=True`` is ``linalg.qr``'s "reduced" mode, else "complete"."""
    return qr(input, "reduced" if some else "complete")


TENSOR_METHODS = {
    "matrix_exp": matrix_exp,
    "inverse": inverse,
    "det": det,
    "logdet": logdet,
    "slogdet": slogdet,
    "matrix_power": matrix_power,
    "pinverse": pinverse,
    "trace": trace,
    "svd": legacy_svd,
    "cholesky": legacy_cholesky,
    "qr": legacy_qr,
}
"""The functions PyTorch also exposes as ``torch.<name>`` and ``Tensor.<name>``."""
