"""pybigml.special against PyTorch (and against math.erfc where PyTorch's own float64 normal
CDF loses precision in the far tail). float64 throughout; 1e-12 relative covers the few
roundings each function takes."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

import pybigml
from pybigml.testing import gradcheck, gradgradcheck

X = np.array([-6.0, -2.0, -0.3, 0.0, 0.5, 3.0, 9.0])


@pytest.mark.parametrize(
    "name", ["expit", "gammaln", "psi", "log_ndtr", "entr", "logit", "xlog1py", "ndtri"]
)
def test_special_functions_match_torch(name):
    x = {"logit": np.array([0.1, 0.5, 0.9]), "ndtri": np.array([0.01, 0.3, 0.5, 0.99])}.get(name, X)
    if name == "entr":
        x = np.abs(x)
    args = (x, x * 0.5 + 2) if name == "xlog1py" else (x,)
    ours = getattr(pybigml.special, name)(*(pybigml.tensor(a) for a in args))
    theirs = getattr(torch.special, name)(*(torch.tensor(a) for a in args))
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-12, atol=1e-300)


def test_ndtr_is_accurate_in_the_tails():
    x = np.array([-30.0, -8.0, -1.0, 0.0, 2.0, 9.0])
    exact = np.array([math.erfc(-v / math.sqrt(2)) / 2 for v in x])
    ours = pybigml.special.ndtr(pybigml.tensor(x)).numpy()
    # ndtr = exp(log_ndtr): the rounding of a log near -455 grows 455-fold through exp
    np.testing.assert_allclose(ours, exact, rtol=1e-12)
    log_exact = np.array([math.log(v) if v < 0.5 else math.log1p(-(1 - v)) for v in exact])
    np.testing.assert_allclose(
        pybigml.special.log_ndtr(pybigml.tensor(x[:-1])).numpy(), log_exact[:-1], rtol=1e-14
    )
    # Phi(9) rounds to 1; log Phi(9) = log1p(-Phi(-9)) is still resolved
    far = math.log1p(-math.erfc(9 / math.sqrt(2)) / 2)
    assert pybigml.special.log_ndtr(
        pybigml.tensor([9.0], dtype=pybigml.float64)
    ).item() == pytest.approx(far, rel=1e-12)


def test_log_ndtr_gradients():
    x = pybigml.tensor([-7.0, -1.0, 0.3, 4.0], dtype=pybigml.float64, requires_grad=True)
    assert gradcheck(pybigml.special.log_ndtr, (x,))
    assert gradgradcheck(pybigml.special.log_ndtr, (x,))
