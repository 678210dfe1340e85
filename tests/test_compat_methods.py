"""The Tensor methods of PyTorch's wider API (in-place shape changes, scatters into slices,
fill_diagonal_, put, renorm, erfc, qr, legacy constructors, real-tensor predicates), compared
with PyTorch on the same numbers. float64; the values are exact copies or a few roundings,
hence 1e-12."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

import pybigml


def _close(ours, theirs, rtol=1e-12):
    np.testing.assert_allclose(
        np.asarray(ours.detach().numpy(), dtype=np.float64),
        np.asarray(theirs.detach().numpy(), dtype=np.float64),
        rtol=rtol,
        atol=1e-12,
    )


CASES = {
    "select_scatter": lambda L, x, s: x.select_scatter(s[:, :, 0], 2, 1),
    "slice_scatter": lambda L, x, s: x.slice_scatter(s[:, :2], 1, 1, 5, 2),
    "diagonal_scatter": lambda L, x, s: L.diagonal_scatter(x, s[:, :2, 0], 1, 1, 2),
    "put": lambda L, x, s: x.put(L.tensor([0, 7, 3]), s.reshape(-1)[:3]),
    "put accumulate": lambda L, x, s: x.put(
        L.tensor([0, 7, 0]), s.reshape(-1)[:3], accumulate=True
    ),
    "renorm": lambda L, x, s: x.renorm(2, 0, 1.5),
    "renorm p1": lambda L, x, s: x.renorm(1, 2, 2.0),
    "erfc": lambda L, x, s: (x * 3).erfc(),
    "narrow_copy": lambda L, x, s: x.narrow_copy(1, 1, 2),
    "qr": lambda L, x, s: L.linalg.qr(x[0]).R.abs() + L.linalg.qr(x[0]).Q.abs().sum(),
}


@pytest.mark.parametrize("name", list(CASES))
def test_methods_match_torch_with_gradients(name):
    rng = np.random.default_rng(len(name))
    x, s = rng.standard_normal((2, 4, 3)), rng.standard_normal((2, 4, 3))
    ox, tx = pybigml.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    os_, ts = pybigml.tensor(s, requires_grad=True), torch.tensor(s, requires_grad=True)
    ours, theirs = CASES[name](pybigml, ox, os_), CASES[name](torch, tx, ts)
    _close(ours, theirs)
    w = rng.standard_normal(tuple(theirs.shape))
    (ours * pybigml.tensor(w)).sum().backward()
    (theirs * torch.tensor(w)).sum().backward()
    _close(ox.grad, tx.grad, rtol=1e-10)
    if ts.grad is not None:
        _close(os_.grad, ts.grad, rtol=1e-10)


def test_in_place_shape_changes_match_torch():
    for name, args in (("unsqueeze_", (1,)), ("squeeze_", ()), ("t_", ()), ("transpose_", (0, 1))):
        ours, theirs = pybigml.ones(3, 1), torch.ones(3, 1)
        assert getattr(ours, name)(*args) is ours
        getattr(theirs, name)(*args)
        assert tuple(ours.shape) == tuple(theirs.shape), name
    leaf = pybigml.ones(2, 1, requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf Variable"):
        leaf.squeeze_()
    y = leaf * 2
    y.squeeze_()
    y.sum().backward()
    assert leaf.grad.shape == (2, 1)


@pytest.mark.parametrize(
    ("shape", "wrap"), [((3, 3), False), ((7, 3), False), ((7, 3), True), ((2, 2, 2), False)]
)
def test_fill_diagonal_matches_torch(shape, wrap):
    ours = pybigml.zeros(*shape).fill_diagonal_(4.0, wrap)
    theirs = torch.zeros(*shape).fill_diagonal_(4.0, wrap)
    assert np.array_equal(ours.numpy(), theirs.numpy())


def test_predicates_and_legacy_constructors():
    x = pybigml.tensor([1.5, -2.0])
    assert x.real is x and x.conj() is x and not x.is_conj() and x.get_device() == -1
    with pytest.raises(RuntimeError, match="non-complex"):
        _ = x.imag
    assert pybigml.tensor([3]).is_nonzero() and not pybigml.tensor([0.0]).is_nonzero()
    with pytest.raises(RuntimeError, match="ambiguous"):
        x.is_nonzero()
    assert x.new(2, 3).shape == (2, 3) and x.new([1, 2]).dtype == pybigml.float32
    assert not pybigml.tensor([1], dtype=pybigml.uint8).is_signed()
    r = pybigml.arange(6).reshape(2, 3).float()
    r.resize_(4)
    assert r.tolist() == [0.0, 1.0, 2.0, 3.0]
    assert pybigml.ones(2, 3).t().dim_order() == (1, 0)


def test_histogram_and_random_fillers():
    data = np.random.default_rng(3).standard_normal(100)
    hist, edges = pybigml.histogram(pybigml.tensor(data), 5)
    thist, tedges = torch.histogram(torch.tensor(data), 5)
    assert np.array_equal(hist.numpy(), thist.numpy())
    np.testing.assert_allclose(edges.numpy(), tedges.numpy())
    g = pybigml.empty(20000, dtype=pybigml.float64)
    assert g.geometric_(0.25).min().item() >= 1
    assert abs(g.mean().item() - 4.0) < 5 * math.sqrt(12 / 20000)  # mean 1/p, var (1-p)/p^2
    assert pybigml.empty(1000).log_normal_().min().item() > 0
    assert pybigml.empty(10).cauchy_().isfinite().all()


def test_qr_reconstructs_and_svd_returns_v():
    a = pybigml.randn(5, 3, dtype=pybigml.float64)
    q, r = pybigml.qr(a)
    np.testing.assert_allclose((q @ r).numpy(), a.numpy(), atol=1e-12)
    u, s, v = pybigml.svd(a)
    np.testing.assert_allclose((u * s) @ v.T, a.numpy(), atol=1e-12)
