"""SGD against torch.optim.SGD, step for step from identical weights.

Both optimizers get the same gradients (drawn here, or computed by each library's autograd
for the end-to-end case), and the parameters must agree after every one of 20 steps. In
float32 the two updates round differently (PyTorch may fuse the multiply-add), so the
tolerance is a few ulps of the running values: rtol 1e-5, atol 1e-6.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

import pybigml
import pybigml.nn as nn
import pybigml.optim as optim
from pybigml.testing import assert_close

STEPS = 20
CONFIGS = [
    {"lr": 0.1},
    {"lr": 0.05, "momentum": 0.9},
    {"lr": 0.05, "momentum": 0.9, "nesterov": True},
    {"lr": 0.05, "momentum": 0.8, "dampening": 0.5},
    {"lr": 0.1, "weight_decay": 0.1},
    {"lr": 0.05, "momentum": 0.9, "weight_decay": 0.01, "nesterov": True},
    {"lr": 0.1, "momentum": 0.5, "maximize": True},
]


def make_params(rng: np.random.Generator) -> list[np.ndarray]:
    return [rng.standard_normal(s).astype(np.float32) for s in [(4, 3), (3,), (2, 5, 2)]]


@pytest.mark.parametrize(
    "config", CONFIGS, ids=lambda c: ",".join(f"{k}={v}" for k, v in c.items())
)
def test_sgd_matches_torch_with_given_grads(config: dict) -> None:
    rng = np.random.default_rng(0)
    start = make_params(rng)
    ours = [nn.Parameter(pybigml.tensor(a.copy())) for a in start]
    ref = [torch.nn.Parameter(torch.tensor(a.copy())) for a in start]
    opt_ours, opt_ref = optim.SGD(ours, **config), torch.optim.SGD(ref, **config)
    for step in range(STEPS):
        for p, q in zip(ours, ref):
            g = rng.standard_normal(tuple(q.shape)).astype(np.float32)
            p.grad, q.grad = pybigml.tensor(g), torch.tensor(g)
        opt_ours.step()
        opt_ref.step()
        for p, q in zip(ours, ref):
            assert_close(
                p.detach(),
                pybigml.tensor(q.detach().numpy()),
                rtol=1e-5,
                atol=1e-6,
                msg=f"step {step}",
            )


def test_sgd_trains_a_model_like_torch() -> None:
    """End to end: the same MLP, data and loss; each library computes its own gradients."""
    ref = torch.nn.Sequential(torch.nn.Linear(6, 8), torch.nn.Tanh(), torch.nn.Linear(8, 3))
    ours = nn.Sequential(nn.Linear(6, 8), nn.Tanh(), nn.Linear(8, 3))
    ours.load_state_dict({k: pybigml.tensor(v.numpy()) for k, v in ref.state_dict().items()})
    rng = np.random.default_rng(1)
    x = rng.standard_normal((16, 6)).astype(np.float32)
    y = rng.integers(0, 3, 16)
    groups_ours = [{"params": ours[0].parameters(), "lr": 0.2}, {"params": ours[2].parameters()}]
    groups_ref = [{"params": ref[0].parameters(), "lr": 0.2}, {"params": ref[2].parameters()}]
    opt_ours = optim.SGD(groups_ours, lr=0.1, momentum=0.9, nesterov=True, weight_decay=1e-3)
    opt_ref = torch.optim.SGD(groups_ref, lr=0.1, momentum=0.9, nesterov=True, weight_decay=1e-3)
    for step in range(STEPS):
        for opt, model, xs, ys, lib in (
            (opt_ours, ours, pybigml.tensor(x), pybigml.tensor(y), nn),
            (opt_ref, ref, torch.tensor(x), torch.tensor(y), torch.nn),
        ):
            opt.zero_grad()
            lib.functional.cross_entropy(model(xs), ys).backward()
            opt.step()
        ref_state = ref.state_dict()
        for name, value in ours.state_dict().items():
            assert_close(
                value,
                pybigml.tensor(ref_state[name].numpy()),
                rtol=1e-5,
                atol=1e-5,
                msg=f"{name} step {step}",
            )


def test_state_dict_shape_and_resume() -> None:
    rng = np.random.default_rng(2)
    start = make_params(rng)
    ours = [nn.Parameter(pybigml.tensor(a)) for a in start]
    ref = [torch.nn.Parameter(torch.tensor(a)) for a in start]
    opt_ours = optim.SGD(ours, lr=0.1, momentum=0.9)
    opt_ref = torch.optim.SGD(ref, lr=0.1, momentum=0.9)
    for p, q in zip(ours, ref):
        p.grad, q.grad = pybigml.ones(*q.shape), torch.ones(q.shape)
    opt_ours.step()
    opt_ref.step()
    sd_ours, sd_ref = opt_ours.state_dict(), opt_ref.state_dict()
    assert sd_ours["param_groups"] == sd_ref["param_groups"]
    assert sd_ours["state"].keys() == sd_ref["state"].keys() == {0, 1, 2}
    assert list(sd_ours["state"][0]) == ["momentum_buffer"]

    # A fresh optimizer loaded from the checkpoint continues exactly like the original.
    clones = [nn.Parameter(p.detach().clone()) for p in ours]
    resumed = optim.SGD(clones, lr=1.0)
    resumed.load_state_dict(sd_ours)
    assert resumed.param_groups[0]["lr"] == 0.1
    assert all(p is c for p, c in zip(resumed.param_groups[0]["params"], clones))
    for params, opt in ((ours, opt_ours), (clones, resumed)):
        for p in params:
            p.grad = pybigml.full(tuple(p.shape), 0.5)
        opt.step()
    for p, c in zip(ours, clones):
        assert np.array_equal(p.detach().numpy(), c.detach().numpy())
    with pytest.raises(ValueError, match="different number of parameter groups"):
        resumed.load_state_dict({"state": {}, "param_groups": []})


def test_zero_grad_and_param_groups() -> None:
    a, b = nn.Parameter(pybigml.ones(2)), nn.Parameter(pybigml.ones(3))
    opt = optim.SGD([a], lr=0.1)
    opt.add_param_group({"params": b, "lr": 0.5})
    assert [g["lr"] for g in opt.param_groups] == [0.1, 0.5]
    a.grad = pybigml.ones(2)
    opt.zero_grad(set_to_none=False)
    assert a.grad.tolist() == [0.0, 0.0]
    opt.zero_grad()
    assert a.grad is None
    with pytest.raises(ValueError, match="more than one parameter group"):
        opt.add_param_group({"params": [a]})


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"lr": -1.0}, "Invalid learning rate"),
        ({"lr": 0.1, "momentum": -0.5}, "Invalid momentum value"),
        ({"lr": 0.1, "weight_decay": -1.0}, "Invalid weight_decay value"),
        ({"lr": 0.1, "nesterov": True}, "Nesterov momentum requires a momentum and zero dampening"),
    ],
)
def test_sgd_argument_errors(kwargs: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        optim.SGD([nn.Parameter(pybigml.ones(1))], **kwargs)


def test_optimizer_input_errors() -> None:
    with pytest.raises(ValueError, match="empty parameter list"):
        optim.SGD([], lr=0.1)
    with pytest.raises(TypeError, match="iterable of Tensors or dicts"):
        optim.SGD(pybigml.ones(2), lr=0.1)
    leaf = pybigml.ones(2, requires_grad=True)
    with pytest.raises(ValueError, match="can't optimize a non-leaf Tensor"):
        optim.SGD([leaf * 2], lr=0.1)
    with pytest.raises(TypeError, match="ordered collections"):
        optim.SGD([{"params": {leaf}}], lr=0.1)
