"""autograd.functional (jacobian, hessian, vjp, jvp, vhp, hvp), anomaly mode and Variable,
against PyTorch. All in float64: the products are sums of a few exact multiplications, so
the two libraries agree to ~1e-14; 1e-12 leaves room for summation order."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import pybigml


def _close(ours, theirs):
    if isinstance(theirs, tuple):
        assert isinstance(ours, tuple) and len(ours) == len(theirs)
        for o, t in zip(ours, theirs):
            _close(o, t)
        return
    np.testing.assert_allclose(
        ours.detach().numpy(), theirs.detach().numpy(), rtol=1e-12, atol=1e-12
    )


def _f(lib):
    def f(x, y):
        return (x.sin() * y.unsqueeze(-1)).sum(0) + x.pow(3).mean(0)

    return f


def _scalar(lib):
    def g(x, y):
        return (x.tanh() * y.unsqueeze(-1)).pow(2).sum() + (x * x).sum() * y.sum()

    return g


def _args(lib):
    rng = np.random.default_rng(0)
    return lib.tensor(rng.standard_normal((3, 2))), lib.tensor(rng.standard_normal(3))


@pytest.mark.parametrize("name", ["jacobian", "hessian"])
def test_jacobian_and_hessian_match_torch(name):
    fn = _f if name == "jacobian" else _scalar
    ours = getattr(pybigml.autograd.functional, name)(fn(pybigml), _args(pybigml))
    theirs = getattr(torch.autograd.functional, name)(fn(torch), _args(torch))
    _close(ours, theirs)
    single_ours = getattr(pybigml.autograd.functional, name)(
        lambda x: fn(pybigml)(x, pybigml.ones(3, dtype=pybigml.float64)), _args(pybigml)[0]
    )
    single_theirs = getattr(torch.autograd.functional, name)(
        lambda x: fn(torch)(x, torch.ones(3, dtype=torch.float64)), _args(torch)[0]
    )
    _close(single_ours, single_theirs)


@pytest.mark.parametrize("name", ["vjp", "jvp", "vhp", "hvp"])
def test_vector_products_match_torch(name):
    fn = _f if name in ("vjp", "jvp") else _scalar
    rng = np.random.default_rng(1)
    if name == "vjp":
        v = rng.standard_normal(2)
    else:
        v = (rng.standard_normal((3, 2)), rng.standard_normal(3))

    def vec(lib):
        return lib.tensor(v) if isinstance(v, np.ndarray) else tuple(lib.tensor(a) for a in v)

    ours = getattr(pybigml.autograd.functional, name)(fn(pybigml), _args(pybigml), vec(pybigml))
    theirs = getattr(torch.autograd.functional, name)(fn(torch), _args(torch), vec(torch))
    _close(ours[0], theirs[0])
    _close(ours[1], theirs[1])


def test_create_graph_allows_differentiating_the_result():
    x = pybigml.tensor([0.3, -1.2], dtype=pybigml.float64, requires_grad=True)
    h = pybigml.autograd.functional.hessian(lambda t: t.pow(4).sum(), x, create_graph=True)
    h.sum().backward()
    tx = torch.tensor([0.3, -1.2], dtype=torch.float64, requires_grad=True)
    torch.autograd.functional.hessian(
        lambda t: t.pow(4).sum(), tx, create_graph=True
    ).sum().backward()
    _close(x.grad, tx.grad)


def test_strict_mode_rejects_independent_outputs():
    x = pybigml.ones(2, dtype=pybigml.float64)
    with pytest.raises(RuntimeError, match="independent"):
        pybigml.autograd.functional.jacobian(lambda t: pybigml.ones(2), x, strict=True)
    zero = pybigml.autograd.functional.jacobian(lambda t: pybigml.ones(2), x)
    assert zero.shape == (2, 2) and not zero.numpy().any()


def test_detect_anomaly_points_at_the_nan_producing_node():
    x = pybigml.tensor([0.0, 1.0], requires_grad=True)
    y = x.sqrt() * 0  # d sqrt / dx at 0 is inf, times 0 -> nan
    with (
        pytest.warns(UserWarning),
        pybigml.autograd.detect_anomaly(),
        pytest.raises(RuntimeError, match="returned nan values in its 0th output"),
    ):
        y.sum().backward(retain_graph=True)
    assert not pybigml.autograd.is_anomaly_enabled()
    y.sum().backward()  # outside the context: NaN flows to the leaf silently
    assert np.isnan(x.grad.numpy()[0])
    pybigml.autograd.set_detect_anomaly(True)
    assert pybigml.autograd.is_anomaly_enabled()
    pybigml.autograd.set_detect_anomaly(False)


def test_variable_and_gradcheck_names():
    t = pybigml.ones(2)
    v = pybigml.autograd.Variable(t, requires_grad=True)
    assert v is t and v.requires_grad
    x = pybigml.tensor([0.5], dtype=pybigml.float64, requires_grad=True)
    assert pybigml.autograd.gradcheck(lambda a: a.exp(), (x,))
    assert pybigml.autograd.gradgradcheck(lambda a: a.exp(), (x,))
