"""matmul and its family, and einsum: values, gradients and double backward against PyTorch.

Values are compared in float64, where the only difference from PyTorch is the summation
order of the dot products (relative error ~ k * 2^-53 for k terms), so tolerances are tight;
float32 products are compared to numpy with float32's own tolerance.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import pybigml
from pybigml.backend import cpu as backend
from pybigml.testing import gradcheck, gradgradcheck

RTOL64, ATOL64 = 1e-10, 1e-12
MATMUL_SHAPES = hnp.mutually_broadcastable_shapes(
    signature=np.matmul.signature, max_dims=2, min_side=0, max_side=4
)
SMALL_MATMUL_SHAPES = hnp.mutually_broadcastable_shapes(
    signature=np.matmul.signature, max_dims=1, min_side=1, max_side=3
)


def _pair(x: np.ndarray, requires_grad: bool = True) -> tuple[pybigml.Tensor, torch.Tensor]:
    """The same float64 values as a pybigml leaf and a torch leaf."""
    p = pybigml.tensor(x, dtype=pybigml.float64, requires_grad=requires_grad)
    t = torch.tensor(x, dtype=torch.float64, requires_grad=requires_grad)
    return p, t


def _close(p: pybigml.Tensor, t: torch.Tensor, rtol: float = RTOL64, atol: float = ATOL64) -> None:
    assert tuple(p.shape) == tuple(t.shape)
    np.testing.assert_allclose(p.detach().numpy(), t.detach().numpy(), rtol=rtol, atol=atol)


def _compare_with_torch(p_fn, t_fn, *arrays: np.ndarray, seed: int = 0) -> None:
    """Forward values and the gradients of every input against torch (float64)."""
    pairs = [_pair(a) for a in arrays]
    p_out = p_fn(*(p for p, _ in pairs))
    t_out = t_fn(*(t for _, t in pairs))
    _close(p_out, t_out)
    g = np.random.default_rng(seed).standard_normal(tuple(t_out.shape))
    p_out.backward(pybigml.tensor(g, dtype=pybigml.float64))
    t_out.backward(torch.tensor(g, dtype=torch.float64))
    for p, t in pairs:
        _close(p.grad, t.grad)


def _arrays(shapes: tuple, seed: int) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    return [rng.standard_normal(s) for s in shapes]


# ----------------------------------------------------------------------------- matmul
@given(shapes=MATMUL_SHAPES, seed=st.integers(0, 2**16))
def test_matmul_values_and_grads_match_torch(shapes, seed):
    a, b = _arrays(shapes.input_shapes, seed)
    _compare_with_torch(pybigml.matmul, torch.matmul, a, b, seed=seed)


@given(shapes=MATMUL_SHAPES, seed=st.integers(0, 2**16))
def test_matmul_float32_matches_numpy(shapes, seed):
    a, b = (x.astype(np.float32) for x in _arrays(shapes.input_shapes, seed))
    out = pybigml.tensor(a) @ pybigml.tensor(b)
    assert out.dtype == pybigml.float32
    # float32 rounding of k <= 4 products: a few ulps of the largest term
    np.testing.assert_allclose(out.numpy(), np.matmul(a, b), rtol=1e-5, atol=1e-5)


@given(shapes=SMALL_MATMUL_SHAPES, seed=st.integers(0, 2**16))
def test_matmul_double_backward(shapes, seed):
    a, b = (_pair(x)[0] for x in _arrays(shapes.input_shapes, seed))
    assert gradcheck(pybigml.matmul, (a, b))
    assert gradgradcheck(pybigml.matmul, (a, b))


def test_matmul_all_products_go_through_the_backend(monkeypatch):
    calls = []

    def counting_matmul(a, b):
        calls.append((a.shape, b.shape))
        return np.matmul(a, b)

    monkeypatch.setattr(backend, "matmul", counting_matmul)
    a = pybigml.randn(2, 3, 4, requires_grad=True)
    b = pybigml.randn(4, 5, requires_grad=True)
    (a @ b).sum().backward()
    assert len(calls) == 3  # forward, grad_a = g @ b^T, grad_b = a^T @ g


def test_matmul_integer_and_bool_dtypes():
    a = pybigml.tensor([[1, 2], [3, 4]])
    out = a @ a
    assert out.dtype == pybigml.int64
    assert out.tolist() == [[7, 10], [15, 22]]
    with pytest.raises(NotImplementedError, match="Bool"):
        pybigml.matmul(a > 1, a > 1)


def test_matmul_methods_and_operators():
    a, b = pybigml.randn(3, 4), pybigml.randn(4, 2)
    expected = pybigml.matmul(a, b).numpy()
    for out in (a @ b, a.matmul(b), a.mm(b), pybigml.mm(a, b)):
        np.testing.assert_array_equal(out.numpy(), expected)


def test_matmul_out_argument():
    a, b = pybigml.randn(3, 4), pybigml.randn(4, 2)
    out = pybigml.empty(3, 2)
    assert pybigml.matmul(a, b, out=out) is out
    np.testing.assert_allclose(out.numpy(), a.numpy() @ b.numpy(), rtol=1e-6)


# ----------------------------------------------------------------------------- the family
FAMILY = [
    ("mm", (3, 4), (4, 2)),
    ("bmm", (2, 3, 4), (2, 4, 5)),
    ("mv", (3, 4), (4,)),
    ("dot", (5,), (5,)),
    ("vdot", (5,), (5,)),
    ("outer", (3,), (4,)),
    ("ger", (3,), (4,)),
    ("inner", (2, 3), (4, 3)),
    ("inner", (3,), (3,)),
    ("inner", (), (2, 3)),
]


@pytest.mark.parametrize(("name", "shape_a", "shape_b"), FAMILY)
def test_products_match_torch(name, shape_a, shape_b):
    a, b = _arrays((shape_a, shape_b), seed=1)
    _compare_with_torch(getattr(pybigml, name), getattr(torch, name), a, b)


@pytest.mark.parametrize(
    ("dims", "shape_a", "shape_b"),
    [
        (2, (2, 3, 4), (3, 4, 5)),
        (1, (3, 4), (4, 5)),
        (0, (2,), (3,)),
        (([0, 2], [1, 0]), (3, 2, 4), (4, 3)),
    ],
)
def test_tensordot_matches_torch(dims, shape_a, shape_b):
    a, b = _arrays((shape_a, shape_b), seed=2)
    _compare_with_torch(
        lambda x, y: pybigml.tensordot(x, y, dims=dims),
        lambda x, y: torch.tensordot(x, y, dims=dims),
        a,
        b,
    )


@pytest.mark.parametrize(
    ("name", "shapes"),
    [
        ("addmm", ((3, 5), (3, 4), (4, 5))),
        ("addmm", ((5,), (3, 4), (4, 5))),
        ("addmv", ((3,), (3, 4), (4,))),
        ("addr", ((3, 4), (3,), (4,))),
        ("baddbmm", ((2, 3, 5), (2, 3, 4), (2, 4, 5))),
        ("addbmm", ((3, 5), (2, 3, 4), (2, 4, 5))),
    ],
)
@pytest.mark.parametrize(("beta", "alpha"), [(1, 1), (0.5, -2.0), (0, 1)])
def test_scaled_products_match_torch(name, shapes, beta, alpha):
    arrays = _arrays(shapes, seed=3)
    _compare_with_torch(
        lambda *x: getattr(pybigml, name)(*x, beta=beta, alpha=alpha),
        lambda *x: getattr(torch, name)(*x, beta=beta, alpha=alpha),
        *arrays,
    )


def test_addmm_beta_zero_ignores_nan_input():
    out = pybigml.addmm(pybigml.full((2, 2), float("nan")), pybigml.eye(2), pybigml.eye(2), beta=0)
    np.testing.assert_array_equal(out.numpy(), np.eye(2))


# ----------------------------------------------------------------------------- einsum
EINSUM_CASES = [
    ("ij,jk->ik", [(3, 4), (4, 2)]),
    ("bij,bjk->bik", [(2, 3, 4), (2, 4, 2)]),
    ("bhqd,bhkd->bhqk", [(2, 1, 3, 4), (2, 1, 2, 4)]),
    ("ij,jk", [(3, 4), (4, 2)]),  # implicit output: 'ik'
    ("ji", [(3, 4)]),  # implicit output sorts the letters: a transpose
    ("ij->ji", [(3, 4)]),
    ("ij->", [(3, 4)]),
    ("ij->j", [(3, 4)]),
    ("i,i->", [(5,), (5,)]),
    ("i,j->ij", [(3,), (4,)]),
    ("ij,ij->i", [(3, 4), (3, 4)]),
    ("ii->i", [(4, 4)]),
    ("ii", [(4, 4)]),  # trace
    ("iij->j", [(3, 3, 2)]),
    ("iji->ij", [(3, 2, 3)]),
    ("ii,i->i", [(3, 3), (3,)]),
    ("ijk,ikl,jl->il", [(2, 3, 4), (2, 4, 2), (3, 2)]),
    ("i,i,i->i", [(4,), (4,), (4,)]),
    ("...ij,...jk->...ik", [(2, 1, 3, 4), (5, 4, 2)]),
    ("i...->i", [(3, 2, 2)]),
    ("...,...", [(), ()]),
    ("...i,i", [(2, 3), (3,)]),
    ("ij,jk->ik", [(3, 1), (4, 2)]),  # a size-1 dimension broadcasts
    ("ij,jk->ik", [(3, 0), (0, 2)]),
    ("i j , j k -> i k", [(2, 3), (3, 2)]),
    ("Ab,bA->A", [(3, 2), (2, 3)]),
]


@pytest.mark.parametrize(("equation", "shapes"), EINSUM_CASES, ids=[c[0] for c in EINSUM_CASES])
def test_einsum_values_and_grads_match_torch(equation, shapes):
    arrays = _arrays(shapes, seed=4)
    _compare_with_torch(
        lambda *x: pybigml.einsum(equation, *x), lambda *x: torch.einsum(equation, *x), *arrays
    )


@pytest.mark.parametrize(
    ("equation", "shapes"),
    [
        c
        for c in EINSUM_CASES
        if c[0]
        in (
            "bij,bjk->bik",
            "ii->i",
            "iij->j",
            "ijk,ikl,jl->il",
            "...ij,...jk->...ik",
            "i...->i",
            "ij,jk->ik",
        )
    ],
    ids=str,
)
def test_einsum_double_backward(equation, shapes):
    tensors = [_pair(a)[0] for a in _arrays(shapes, seed=5)]
    assert gradcheck(lambda *x: pybigml.einsum(equation, *x), tensors)
    assert gradgradcheck(lambda *x: pybigml.einsum(equation, *x), tensors)


@given(
    shapes=MATMUL_SHAPES.filter(lambda s: all(len(x) >= 2 for x in s.input_shapes)),
    seed=st.integers(0, 2**16),
)
def test_einsum_batched_product_equals_matmul(shapes, seed):
    a, b = (_pair(x, requires_grad=False)[0] for x in _arrays(shapes.input_shapes, seed))
    np.testing.assert_allclose(
        pybigml.einsum("...ij,...jk->...ik", a, b).numpy(),
        pybigml.matmul(a, b).numpy(),
        rtol=RTOL64,
        atol=ATOL64,
    )


def test_einsum_operand_forms():
    a, b = pybigml.randn(2, 3), pybigml.randn(3, 4)
    expected = (a @ b).numpy()
    np.testing.assert_allclose(pybigml.einsum("ij,jk->ik", [a, b]).numpy(), expected, rtol=1e-5)
    sublist = pybigml.einsum(a, [0, 1], b, [1, 2], [0, 2])
    np.testing.assert_allclose(sublist.numpy(), expected, rtol=1e-5)
    np.testing.assert_allclose(pybigml.einsum(a, [0, ...]).numpy(), a.numpy().T)


def test_einsum_result_owns_its_memory():
    # numpy returns views for transposes and diagonals; the result must not alias its input.
    a = pybigml.randn(3, 3)
    for equation in ("ij->ji", "ii->i"):
        out = pybigml.einsum(equation, a)
        assert not np.shares_memory(out.numpy(), a.numpy())


# ----------------------------------------------------------------------------- errors
f32 = pybigml.float32
ERRORS = [
    (
        "matmul",
        [(3, 4), (5, 6)],
        RuntimeError,
        r"mat1 and mat2 shapes cannot be multiplied \(3x4 and 5x6\)",
    ),
    ("matmul", [(4,), (5, 6)], RuntimeError, r"\(1x4 and 5x6\)"),
    ("matmul", [(4,), (5,)], RuntimeError, "inconsistent tensor size"),
    (
        "matmul",
        [(3, 4), (5,)],
        RuntimeError,
        r"size mismatch, got input \(3\), mat \(3x4\), vec \(5\)",
    ),
    (
        "matmul",
        [(2, 3, 4), (3, 4, 6)],
        RuntimeError,
        r"size of tensor a \(2\) must match the size of tensor b \(3\)",
    ),
    ("matmul", [(), (3,)], RuntimeError, "at least 1D"),
    ("mm", [(3,), (3, 4)], RuntimeError, "self must be a matrix"),
    ("mm", [(3, 4), (5, 6)], RuntimeError, r"\(3x4 and 5x6\)"),
    ("bmm", [(3, 4), (4, 4)], RuntimeError, "batch1 must be a 3D tensor"),
    (
        "bmm",
        [(2, 3, 4), (3, 4, 4)],
        RuntimeError,
        r"batch2 tensor to be: \[2, 4\] but got: \[3, 4\]",
    ),
    ("mv", [(3, 4), (5, 1)], RuntimeError, "vector \\+ matrix @ vector expected"),
    ("dot", [(3, 1), (3,)], RuntimeError, "1D tensors expected"),
    ("dot", [(3,), (4,)], RuntimeError, "inconsistent tensor size"),
    ("outer", [(3,), (4, 1)], RuntimeError, "Expected 1-D argument vec2"),
    ("inner", [(3,), (4,)], RuntimeError, "the last dimension must match"),
]


@pytest.mark.parametrize(
    ("name", "shapes", "exc", "match"), ERRORS, ids=[e[0] + str(e[1]) for e in ERRORS]
)
def test_shape_errors_like_torch(name, shapes, exc, match):
    with pytest.raises(exc):  # torch raises the same type for the same input
        getattr(torch, name)(*(torch.zeros(s) for s in shapes))
    with pytest.raises(exc, match=match):
        getattr(pybigml, name)(*(pybigml.zeros(*s) for s in shapes))


def test_dtype_mismatch_errors():
    a32, a64 = pybigml.zeros(3, 3), pybigml.zeros(3, 3, dtype=pybigml.float64)
    with pytest.raises(
        RuntimeError, match="expected m1 and m2 to have the same dtype, but got: float != double"
    ):
        pybigml.matmul(a32, a64)
    with pytest.raises(RuntimeError, match="found Float and Double"):
        pybigml.dot(a32[0], a64[0])
    with pytest.raises(RuntimeError, match="expected scalar type Float but found Double"):
        pybigml.einsum("ij,jk->ik", a32, a64)
    with pytest.raises(RuntimeError, match="same dtype"):
        pybigml.tensordot(a32, a64)
    assert pybigml.outer(a32[0], a64[0]).dtype == pybigml.float64  # outer promotes, as torch


EINSUM_ERRORS = [
    ("ij,jk->ik", [(3, 4)], "fewer operands"),
    ("ij->ij", [(3, 4), (3, 4)], "more operands"),
    ("i1->i", [(3, 4)], "invalid subscript given at index 1"),
    ("i.j->i", [(3, 4)], "not part of any ellipsis"),
    ("...i...->i", [(3, 4)], "ellipsis was already found"),
    ("ijk->i", [(3, 4)], r"number of subscripts in the equation \(3\) does not match"),
    ("ij->k", [(3, 4)], "output subscript k does not appear"),
    ("ij->ii", [(3, 4)], "output subscript i appears more than once"),
    ("ii->i", [(3, 4)], "subscript i is repeated for operand 0 but the sizes don't match, 4 != 3"),
    (
        "ij,jk->ik",
        [(3, 4), (5, 5)],
        "subscript j has size 5 for operand 1 which does not broadcast",
    ),
]


@pytest.mark.parametrize(
    ("equation", "shapes", "match"), EINSUM_ERRORS, ids=[e[0] for e in EINSUM_ERRORS]
)
def test_einsum_errors_like_torch(equation, shapes, match):
    with pytest.raises(RuntimeError, match=match):
        torch.einsum(equation, *(torch.zeros(s) for s in shapes))
    with pytest.raises(RuntimeError, match=match):
        pybigml.einsum(equation, *(pybigml.zeros(*s) for s in shapes))
