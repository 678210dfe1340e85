"""nn.utils.weight_norm and spectral_norm against PyTorch's hook-based versions: the same
parameters and buffers (copied across), the same outputs and gradients over several training
forwards (where spectral norm's power iteration updates u and v) and in eval mode. float64:
the arithmetic is identical up to summation order, hence 1e-10."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch

import pybigml


def _copy_state(ours, theirs):
    ours.load_state_dict(
        {k: pybigml.tensor(v.detach().numpy()) for k, v in theirs.state_dict().items()}
    )


def _pair(make, reparam, **kwargs):
    torch.manual_seed(0)
    theirs = getattr(torch.nn.utils, reparam)(make(torch).double(), **kwargs)
    ours = getattr(pybigml.nn.utils, reparam)(make(pybigml).double(), **kwargs)
    assert sorted(ours.state_dict()) == sorted(theirs.state_dict())
    _copy_state(ours, theirs)
    return ours, theirs


def _close(a, b):
    np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=1e-10, atol=1e-12)


MODULES = {
    "linear": lambda lib: lib.nn.Linear(4, 3),
    "conv": lambda lib: lib.nn.Conv2d(2, 3, 3),
    "conv_transpose": lambda lib: lib.nn.ConvTranspose2d(2, 3, 3),
}
INPUTS = {"linear": (5, 4), "conv": (2, 2, 5, 5), "conv_transpose": (2, 2, 4, 4)}


@pytest.mark.parametrize("kind", list(MODULES))
@pytest.mark.parametrize(
    ("reparam", "kwargs"),
    [
        ("weight_norm", {}),
        ("weight_norm", {"dim": None}),
        ("spectral_norm", {}),
        ("spectral_norm", {"n_power_iterations": 3}),
    ],
)
def test_reparametrised_modules_match_torch(kind, reparam, kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        ours, theirs = _pair(MODULES[kind], reparam, **kwargs)
    x = np.random.default_rng(1).standard_normal(INPUTS[kind])
    for step in range(3):
        ox, tx = pybigml.tensor(x * (step + 1)), torch.tensor(x * (step + 1))
        o, t = ours(ox), theirs(tx)
        _close(o, t)
        o.pow(2).sum().backward()
        t.pow(2).sum().backward()
        for p, q in zip(ours.parameters(), theirs.parameters()):
            _close(p.grad, q.grad)
    for b, c in zip(ours.buffers(), theirs.buffers()):
        _close(b, c)  # spectral norm's u and v after three power iterations
    ours.eval()
    theirs.eval()
    _close(ours(pybigml.tensor(x)), theirs(torch.tensor(x)))


def test_removal_leaves_a_plain_parameter_with_the_current_weight():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        for reparam in ("weight_norm", "spectral_norm"):
            ours, theirs = _pair(MODULES["linear"], reparam)
            getattr(pybigml.nn.utils, "remove_" + reparam)(ours)
            getattr(torch.nn.utils, "remove_" + reparam)(theirs)
            assert sorted(n for n, _ in ours.named_parameters()) == ["bias", "weight"]
            _close(ours.weight, theirs.weight)
            with pytest.raises(ValueError, match="not found"):
                getattr(pybigml.nn.utils, "remove_" + reparam)(ours)
