"""pybigml.func (functional_call, grad, grad_and_value, vjp, jacrev, hessian, vmap) against
torch.func on the same functions; float64 and exact formulas, hence 1e-12."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.func

import pybigml


def _close(a, b):
    np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=1e-12, atol=1e-12)


def _f(x, y):
    return (x.sin() * y).sum() + (x * x).sum()


X = np.linspace(-1, 1, 6).reshape(2, 3)
Y = np.linspace(0.5, 2, 6).reshape(2, 3)


def test_grad_and_value_match_torch():
    for argnums in (0, 1, (0, 1)):
        ours = pybigml.func.grad(_f, argnums)(pybigml.tensor(X), pybigml.tensor(Y))
        theirs = torch.func.grad(_f, argnums)(torch.tensor(X), torch.tensor(Y))
        for o, t in zip(
            ours if isinstance(ours, tuple) else (ours,),
            theirs if isinstance(theirs, tuple) else (theirs,),
        ):
            _close(o, t)
    g, v = pybigml.func.grad_and_value(_f)(pybigml.tensor(X), pybigml.tensor(Y))
    tg, tv = torch.func.grad_and_value(_f)(torch.tensor(X), torch.tensor(Y))
    _close(g, tg)
    _close(v, tv)


def test_vjp_jacrev_hessian_match_torch():
    def f(x):
        return x.exp() * x.sum()

    v = np.arange(6.0).reshape(2, 3)
    out, fn = pybigml.func.vjp(f, pybigml.tensor(X))
    tout, tfn = torch.func.vjp(f, torch.tensor(X))
    _close(out, tout)
    _close(fn(pybigml.tensor(v))[0], tfn(torch.tensor(v))[0])
    _close(pybigml.func.jacrev(f)(pybigml.tensor(X)), torch.func.jacrev(f)(torch.tensor(X)))
    scalar = lambda x: (x.pow(3) * x.sum()).sum()  # noqa: E731
    _close(
        pybigml.func.hessian(scalar)(pybigml.tensor(X)), torch.func.hessian(scalar)(torch.tensor(X))
    )


def test_vmap_matches_torch():
    def f(a, b):
        return a @ b, a.sum()

    a = np.random.default_rng(0).standard_normal((4, 2, 3))
    b = np.random.default_rng(1).standard_normal((3, 5))
    ours = pybigml.func.vmap(f, in_dims=(0, None))(pybigml.tensor(a), pybigml.tensor(b))
    theirs = torch.func.vmap(f, in_dims=(0, None))(torch.tensor(a), torch.tensor(b))
    for o, t in zip(ours, theirs):
        _close(o, t)
    ours = pybigml.func.vmap(lambda x: x * 2, in_dims=1, out_dims=1)(pybigml.tensor(a))
    theirs = torch.func.vmap(lambda x: x * 2, in_dims=1, out_dims=1)(torch.tensor(a))
    _close(ours, theirs)
    with pytest.raises(ValueError, match="same size"):
        pybigml.func.vmap(lambda x, y: x + y)(pybigml.ones(2), pybigml.ones(3))


def test_functional_call_swaps_and_restores():
    model = pybigml.nn.Sequential(pybigml.nn.Linear(3, 2), pybigml.nn.BatchNorm1d(2)).double()
    weights = {
        "0.weight": pybigml.zeros(2, 3, dtype=pybigml.float64),
        "0.bias": pybigml.ones(2, dtype=pybigml.float64),
    }
    original = model[0].weight
    model.eval()
    out = pybigml.func.functional_call(model, weights, (pybigml.tensor(X),))
    expected = (pybigml.ones(2, 2, dtype=pybigml.float64) - model[1].running_mean) / (
        model[1].running_var + 1e-5
    ).sqrt()
    _close(out, expected)
    assert model[0].weight is original
    grads = pybigml.func.grad(
        lambda p: pybigml.func.functional_call(model, p, (pybigml.tensor(X),)).sum()
    )(dict(model.named_parameters()))
    assert set(grads) == {"0.weight", "0.bias", "1.weight", "1.bias"}
    with pytest.raises(AttributeError, match="no parameter or buffer"):
        pybigml.nn.utils.stateless.functional_call(
            model, {"nope": pybigml.ones(1)}, (pybigml.tensor(X),)
        )
