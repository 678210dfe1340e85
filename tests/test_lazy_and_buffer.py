"""LazyLinear, nn.Buffer and the pooling/upsampling aliases, against PyTorch."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import pybigml


@pytest.mark.parametrize("lib", [pybigml, torch], ids=["pybigml", "torch"])
def test_lazy_linear_materialises_on_first_call(lib):
    layer = lib.nn.LazyLinear(3)
    assert repr(layer) == "LazyLinear(in_features=0, out_features=3, bias=True)"
    params = list(layer.parameters())
    optimizer = lib.optim.SGD(params, lr=0.1)
    out = layer(lib.ones(2, 5))
    assert type(layer) is lib.nn.Linear and tuple(out.shape) == (2, 3)
    assert repr(layer) == "Linear(in_features=5, out_features=3, bias=True)"
    assert params[0] is layer.weight and tuple(layer.weight.shape) == (3, 5)
    bound = 1 / np.sqrt(5)  # Linear's default initialisation, drawn at materialisation
    assert float(layer.weight.abs().max()) <= bound
    before = layer.weight.detach().clone()
    out.sum().backward()
    optimizer.step()
    assert not np.array_equal(before.numpy(), layer.weight.detach().numpy())


@pytest.mark.parametrize("lib", [pybigml, torch], ids=["pybigml", "torch"])
def test_buffer_assignment_registers_a_buffer(lib):
    module = lib.nn.Module()
    module.kept = lib.nn.Buffer(lib.ones(2))
    module.scratch = lib.nn.Buffer(lib.zeros(1), persistent=False)
    assert sorted(dict(module.named_buffers())) == ["kept", "scratch"]
    assert list(module.state_dict()) == ["kept"]
    assert isinstance(module.kept, lib.Tensor) and isinstance(module.kept, lib.nn.Buffer)
    assert not isinstance(lib.ones(1), lib.nn.Buffer)


def test_pooling_aliases_match_torch():
    x = np.random.default_rng(0).standard_normal((1, 2, 6, 6)).astype(np.float32)
    for name, args in (
        ("max_pool2d_with_indices", (2,)),
        ("adaptive_max_pool2d_with_indices", (3,)),
    ):
        ours = getattr(pybigml.nn.functional, name)(pybigml.tensor(x), *args)
        theirs = getattr(torch.nn.functional, name)(torch.tensor(x), *args)
        for o, t in zip(ours, theirs):
            np.testing.assert_array_equal(o.numpy(), t.numpy())
    ours = pybigml.nn.functional.max_pool1d_with_indices(pybigml.tensor(x[0]), 2)
    theirs = torch.nn.functional.max_pool1d_with_indices(torch.tensor(x[0]), 2)
    np.testing.assert_array_equal(ours[1].numpy(), theirs[1].numpy())
    with pytest.warns(UserWarning):
        up = pybigml.nn.functional.upsample_bilinear(pybigml.tensor(x), scale_factor=2)
    with pytest.warns(UserWarning):
        ref = torch.nn.functional.upsample_bilinear(torch.tensor(x), scale_factor=2)
    np.testing.assert_allclose(up.numpy(), ref.numpy(), rtol=1e-5, atol=1e-6)
