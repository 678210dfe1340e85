"""The fused optimizer-step kernels (_C.adam_step, _C.sgd_step): parameters that are views,
other dtypes, and the checks on their arguments. The step-for-step agreement with
torch.optim is in test_optim*.py, which runs through these kernels."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import pybigml
from pybigml import _C


@pytest.mark.parametrize("name", ["SGD", "Adam", "AdamW"])
def test_transposed_parameter_steps_like_a_contiguous_one(name):
    # The kernel runs on a contiguous stand-in and writes the result back into the view.
    rng = np.random.default_rng(0)
    w, g = rng.standard_normal((2, 3, 4))
    kwargs = {"lr": 0.1, "momentum": 0.9} if name == "SGD" else {"lr": 0.1}
    results = []
    for transposed in (False, True):
        data = w.T.copy().T if transposed else w.copy()
        p = pybigml.nn.Parameter(pybigml.tensor(data))
        if transposed:
            p._data = np.asfortranarray(data)
        opt = getattr(pybigml.optim, name)([p], **kwargs)
        for _ in range(3):
            p.grad = pybigml.tensor(g)
            opt.step()
        results.append(p.detach().numpy().copy())
    np.testing.assert_array_equal(results[0], results[1])


def test_float16_parameters_follow_torch_to_half_precision():
    w, g = np.random.default_rng(1).standard_normal((2, 8)).astype(np.float16)
    ours = pybigml.nn.Parameter(pybigml.tensor(w))
    theirs = torch.nn.Parameter(torch.tensor(w))
    o_opt, t_opt = pybigml.optim.Adam([ours], lr=0.01), torch.optim.Adam([theirs], lr=0.01)
    for _ in range(3):
        ours.grad, theirs.grad = pybigml.tensor(g), torch.tensor(g)
        o_opt.step()
        t_opt.step()
    assert ours.dtype == pybigml.float16
    # float16 keeps ~3 decimal digits: the updates agree to its resolution
    np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), atol=2e-3)


def test_kernels_reject_bad_arguments():
    p = np.zeros(4, np.float32)
    g = np.zeros(4, np.float32)
    m, v = np.zeros(4, np.float32), np.zeros(4, np.float32)
    args = (0.1, 0.9, 0.999, 1e-8, 0.0, False, False, 1.0)
    with pytest.raises(TypeError, match="dtype of param"):
        _C.adam_step(p, g.astype(np.float64), m, v, None, *args)
    with pytest.raises(RuntimeError, match="shape of param"):
        _C.adam_step(p, g[:3], m, v, None, *args)
    with pytest.raises(ValueError, match="C-contiguous"):
        _C.adam_step(p, np.zeros(8, np.float32)[::2], m, v, None, *args)
    with pytest.raises(ValueError, match="shares memory"):
        _C.adam_step(p, g, p, v, None, *args)
    with pytest.raises(ValueError, match="step must be"):
        _C.adam_step(p, g, m, v, None, *args[:-1], 0.0)
    with pytest.raises(TypeError, match="momentum_buffer"):
        _C.sgd_step(p, g, None, 0.1, 0.9, 0.0, 0.0, False, False, False)
    read_only = np.zeros(4, np.float32)
    read_only.flags.writeable = False
    with pytest.raises(ValueError, match="read-only"):
        _C.sgd_step(read_only, g, None, 0.1, 0.0, 0.0, 0.0, False, False, False)
