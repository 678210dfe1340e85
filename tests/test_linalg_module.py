"""pybigml.linalg and the top-level matrix functions against PyTorch: values and gradients.

Inputs are well-conditioned by construction (a random matrix plus n on the diagonal, or
B B^T + n I for the symmetric positive-definite ones), so float64 results agree to ~1e-12
relative: the LAPACK routines differ between the two libraries but both are backward stable,
and the condition numbers here are below ~10. Losses on eigenvectors and singular vectors are
chosen invariant to their sign (squares, or products U diag(s) Vh), since each library may
return either sign.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

import pybigml
from pybigml import linalg
from pybigml.testing import gradcheck, gradgradcheck

RTOL, ATOL = 1e-10, 1e-10


def _close(ours, theirs, rtol=RTOL, atol=ATOL):
    np.testing.assert_allclose(
        ours.detach().numpy(), theirs.detach().numpy(), rtol=rtol, atol=atol, equal_nan=True
    )


def _matrix(seed, shape, spd=False):
    rng = np.random.default_rng(seed)
    n = shape[-1]
    a = rng.standard_normal(shape)
    if spd:
        return a @ np.swapaxes(a, -1, -2) + n * np.eye(n)
    return a + n * np.eye(n)


def _both(array):
    return pybigml.tensor(array, requires_grad=True), torch.tensor(array, requires_grad=True)


def _compare(fn_ours, fn_theirs, *arrays, weights_seed=0):
    ours_in = [pybigml.tensor(a, requires_grad=True) for a in arrays]
    theirs_in = [torch.tensor(a, requires_grad=True) for a in arrays]
    ours, theirs = fn_ours(*ours_in), fn_theirs(*theirs_in)
    _close(ours, theirs)
    w = np.random.default_rng(weights_seed).standard_normal(tuple(theirs.shape))
    (ours * pybigml.tensor(w)).sum().backward()
    (theirs * torch.tensor(w)).sum().backward()
    for o, t in zip(ours_in, theirs_in):
        _close(o.grad, t.grad)


batch_shapes = st.tuples(st.sampled_from([(), (2,), (2, 3)]), st.integers(1, 4))


@given(shape=batch_shapes, seed=st.integers(0, 1000))
def test_inverse_det_slogdet_match_torch(shape, seed):
    batch, n = shape
    a = _matrix(seed, (*batch, n, n))
    _compare(linalg.inv, torch.linalg.inv, a)
    _compare(linalg.det, torch.linalg.det, a)
    _compare(lambda x: linalg.slogdet(x).logabsdet, lambda x: torch.linalg.slogdet(x).logabsdet, a)
    sign, _ = linalg.slogdet(pybigml.tensor(a))
    assert np.array_equal(sign.numpy(), torch.linalg.slogdet(torch.tensor(a)).sign.numpy())


@given(shape=batch_shapes, seed=st.integers(0, 1000), k=st.integers(1, 3))
def test_solve_matches_torch(shape, seed, k):
    batch, n = shape
    a = _matrix(seed, (*batch, n, n))
    rng = np.random.default_rng(seed + 1)
    _compare(linalg.solve, torch.linalg.solve, a, rng.standard_normal((*batch, n, k)))
    _compare(linalg.solve, torch.linalg.solve, a, rng.standard_normal((*batch, n)))
    _compare(
        lambda x, y: linalg.solve(x, y, left=False),
        lambda x, y: torch.linalg.solve(x, y, left=False),
        a,
        rng.standard_normal((*batch, k, n)),
    )


@given(shape=batch_shapes, seed=st.integers(0, 1000), upper=st.booleans())
def test_cholesky_and_eigh_match_torch(shape, seed, upper):
    batch, n = shape
    a = _matrix(seed, (*batch, n, n), spd=True)
    _compare(
        lambda x: linalg.cholesky(x, upper=upper),
        lambda x: torch.linalg.cholesky(x, upper=upper),
        a,
    )
    _compare(linalg.eigvalsh, torch.linalg.eigvalsh, a)
    # V diag(c) V^T does not depend on the eigenvectors' signs
    c = np.random.default_rng(seed).standard_normal(n)

    def spectral(lib):
        def fn(x):
            w, V = lib.linalg.eigh(x)
            return (V * lib.tensor(c)) @ V.transpose(-2, -1) + w.unsqueeze(-1)

        return fn

    _compare(spectral(pybigml), spectral(torch), a)


@given(
    shape=st.tuples(st.sampled_from([(), (2,)]), st.integers(1, 4), st.integers(1, 4)),
    seed=st.integers(0, 1000),
)
def test_svd_matches_torch(shape, seed):
    batch, m, n = shape
    a = np.random.default_rng(seed).standard_normal((*batch, m, n))

    def invariant(lib):
        def fn(x):
            U, S, Vh = lib.linalg.svd(x, full_matrices=False)
            return (U * U).sum(-1) @ (U * S.unsqueeze(-2)) @ Vh + S.sum(-1)[..., None, None]

        return fn

    _compare(invariant(pybigml), invariant(torch), a)
    _compare(linalg.svdvals, torch.linalg.svdvals, a)
    _compare(linalg.pinv, torch.linalg.pinv, a)


@pytest.mark.parametrize("ord", ["fro", "nuc", 1, -1, 2, -2, math.inf, -math.inf])
def test_matrix_norm_matches_torch(ord):
    a = np.random.default_rng(3).standard_normal((2, 4, 3))
    _compare(lambda x: linalg.matrix_norm(x, ord), lambda x: torch.linalg.matrix_norm(x, ord), a)
    _compare(
        lambda x: linalg.matrix_norm(x, ord, dim=(0, 2), keepdim=True),
        lambda x: torch.linalg.matrix_norm(x, ord, dim=(0, 2), keepdim=True),
        a,
    )


def test_norm_and_products_match_torch():
    rng = np.random.default_rng(4)
    a, b, c = rng.standard_normal((3, 3, 3))
    _compare(linalg.norm, torch.linalg.norm, a)
    _compare(lambda x: linalg.norm(x, 3, dim=1), lambda x: torch.linalg.norm(x, 3, dim=1), a)
    _compare(lambda x: linalg.norm(x, "nuc"), lambda x: torch.linalg.norm(x, "nuc"), a)
    _compare(lambda *m: linalg.multi_dot(m), lambda *m: torch.linalg.multi_dot(m), a, b, c)
    _compare(linalg.vecdot, torch.linalg.vecdot, a, b)
    _compare(linalg.cross, torch.linalg.cross, a, b)
    well = _matrix(5, (3, 3))
    for n in (-2, 0, 1, 5):
        _compare(
            lambda x, n=n: linalg.matrix_power(x, n),
            lambda x, n=n: torch.linalg.matrix_power(x, n),
            well,
        )


def test_top_level_names_and_methods():
    a = _matrix(6, (3, 3))
    ours, theirs = pybigml.tensor(a), torch.tensor(a)
    for name in ("inverse", "det", "logdet", "trace", "pinverse"):
        _close(getattr(pybigml, name)(ours), getattr(torch, name)(theirs))
        _close(getattr(ours, name)(), getattr(theirs, name)())
    _close(ours.matrix_power(3), theirs.matrix_power(3))
    negative = pybigml.tensor([[0.0, 1.0], [1.0, 0.0]])
    assert math.isnan(pybigml.logdet(negative).item())


def test_gradgradcheck_of_matrix_functions():
    a = pybigml.tensor(_matrix(7, (3, 3)), requires_grad=True)
    spd = pybigml.tensor(_matrix(8, (3, 3), spd=True), requires_grad=True)
    b = pybigml.tensor(np.random.default_rng(9).standard_normal((3, 2)), requires_grad=True)
    for fn, args in (
        (linalg.inv, (a,)),
        (linalg.det, (a,)),
        (lambda x: linalg.slogdet(x).logabsdet, (a,)),
        (linalg.solve, (a, b)),
        (lambda x: linalg.cholesky(0.5 * (x + x.mT)), (spd,)),
    ):
        assert gradcheck(fn, args)
        assert gradgradcheck(fn, args)


def test_errors_name_the_problem():
    with pytest.raises(RuntimeError, match="square"):
        linalg.inv(pybigml.zeros(2, 3))
    with pytest.raises(RuntimeError, match="singular"):
        linalg.inv(pybigml.zeros(2, 2))
    with pytest.raises(RuntimeError, match="singular"):
        linalg.solve(pybigml.zeros(2, 2), pybigml.ones(2))
    with pytest.raises(RuntimeError, match="positive-definite"):
        linalg.cholesky(-pybigml.eye(2))
    with pytest.raises(RuntimeError, match="Incompatible"):
        linalg.solve(pybigml.eye(2), pybigml.ones(3))


@pytest.mark.parametrize("name", ["float16", "float32", "float64"])
def test_finfo_matches_torch(name):
    ours, theirs = pybigml.finfo(getattr(pybigml, name)), torch.finfo(getattr(torch, name))
    for field in ("bits", "eps", "max", "min", "tiny", "smallest_normal", "resolution"):
        assert getattr(ours, field) == getattr(theirs, field), field
    assert repr(ours) == repr(theirs)


@pytest.mark.parametrize("name", ["uint8", "int8", "int16", "int32", "int64"])
def test_iinfo_matches_torch(name):
    ours, theirs = pybigml.iinfo(getattr(pybigml, name)), torch.iinfo(getattr(torch, name))
    assert (ours.bits, ours.min, ours.max) == (theirs.bits, theirs.min, theirs.max)
    with pytest.raises(TypeError):
        pybigml.iinfo(pybigml.float32)


def test_global_switches_are_recorded():
    assert pybigml.get_float32_matmul_precision() == "highest"
    pybigml.set_float32_matmul_precision("high")
    assert pybigml.get_float32_matmul_precision() == "high"
    pybigml.set_float32_matmul_precision("highest")
    pybigml.use_deterministic_algorithms(True)
    assert pybigml.are_deterministic_algorithms_enabled()
    pybigml.use_deterministic_algorithms(False)
    model = pybigml.nn.Linear(2, 2)
    assert pybigml.compile(model) is model
    assert pybigml.compile(mode="max-autotune")(model) is model
    assert pybigml.inf == math.inf and pybigml.pi == math.pi


@pytest.mark.parametrize(
    "name",
    ["matrix_exp", "cond", "vander", "lstsq", "solve_triangular upper", "solve_triangular unit"],
)
def test_more_linalg_matches_torch(name):
    rng = np.random.default_rng(21)
    a = _matrix(21, (2, 3, 3)) * 0.3
    b = rng.standard_normal((2, 5, 3))
    c = rng.standard_normal((2, 5, 2))
    cases = {
        "matrix_exp": (lambda L, x: L.linalg.matrix_exp(x), (a,)),
        "cond": (lambda L, x: L.linalg.cond(x), (a,)),
        "vander": (lambda L, x: L.linalg.vander(x, N=4), (a[0, 0],)),
        "lstsq": (lambda L, x, y: L.linalg.lstsq(x, y).solution, (b, c)),
        "solve_triangular upper": (
            lambda L, x, y: L.linalg.solve_triangular(x, y, upper=True),
            (a, c[:, :3]),
        ),
        "solve_triangular unit": (
            lambda L, x, y: L.linalg.solve_triangular(x, y, upper=False, unitriangular=True),
            (a, c[:, :3]),
        ),
    }
    fn, args = cases[name]
    _compare(lambda *t: fn(pybigml, *t), lambda *t: fn(torch, *t), *args)


def test_rank_and_ex_variants_match_torch():
    singular = np.array([[1.0, 2.0], [2.0, 4.0]])
    assert pybigml.linalg.matrix_rank(pybigml.tensor(singular)).item() == 1
    a = _matrix(22, (3, 3))
    ours, info = pybigml.linalg.inv_ex(pybigml.tensor(a))
    _close(ours, torch.linalg.inv(torch.tensor(a)))
    assert info.item() == 0 and info.dtype == pybigml.int32
    spd = _matrix(23, (3, 3), spd=True)
    _close(
        pybigml.linalg.cholesky_ex(pybigml.tensor(spd)).L, torch.linalg.cholesky(torch.tensor(spd))
    )
    rhs = np.ones(3)
    _close(
        pybigml.linalg.solve_ex(pybigml.tensor(a), pybigml.tensor(rhs)).result,
        torch.linalg.solve(torch.tensor(a), torch.tensor(rhs)),
    )
    x = np.array([-2.5, -1.5, 0.5, 1.5, 2.5])
    assert np.array_equal(
        pybigml.special.round(pybigml.tensor(x)).numpy(),
        torch.special.round(torch.tensor(x)).numpy(),
    )
