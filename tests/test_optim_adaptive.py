"""Adam, AdamW, RMSprop and Adagrad against torch.optim, step for step.

The same MLP (weights copied from a PyTorch model), the same data and loss; each library
computes its own gradients and takes 25 optimizer steps, and the parameters must agree
after every step.

Tolerance: both sides compute in float32, but PyTorch's kernels fuse some multiply-adds
(lerp, addcmul, add with alpha) into FMAs and its GEMM sums in another order, so each step
may round a few ulps (float32 ulp ~ 1.2e-7 relative) differently. Over 25 steps that drifts
to at most ~25 x a few ulps of the parameters (all O(1)) -- rtol 2e-5 with atol 2e-6 for
entries near zero. Measured: at most 1.1e-6 absolute (RMSprop with momentum 0.9, whose
buffer adds up ~10 steps of updates), at most 3.3e-7 for the others.
"""

from __future__ import annotations

import copy
from typing import Any

import numpy as np
import pytest
import torch

import pybigml
import pybigml.nn as nn
import pybigml.optim as optim

STEPS = 25
RTOL, ATOL = 2e-5, 2e-6

CONFIGS: list[tuple[str, dict[str, Any]]] = [
    ("Adam", {}),
    ("Adam", {"lr": 0.01, "amsgrad": True}),
    ("Adam", {"lr": 0.01, "weight_decay": 0.1}),
    ("Adam", {"lr": 0.01, "betas": (0.8, 0.99), "eps": 1e-6, "maximize": True}),
    ("Adam", {"lr": 0.01, "weight_decay": 0.1, "decoupled_weight_decay": True}),
    ("AdamW", {"lr": 0.01}),
    ("AdamW", {"lr": 0.01, "weight_decay": 0.5, "amsgrad": True, "maximize": True}),
    ("RMSprop", {}),
    ("RMSprop", {"lr": 0.005, "momentum": 0.9}),
    ("RMSprop", {"lr": 0.005, "centered": True, "alpha": 0.9}),
    ("RMSprop", {"lr": 0.005, "momentum": 0.5, "centered": True, "weight_decay": 0.1}),
    ("RMSprop", {"lr": 0.005, "maximize": True}),
    ("Adagrad", {}),
    ("Adagrad", {"lr": 0.1, "lr_decay": 0.05}),
    ("Adagrad", {"lr": 0.05, "weight_decay": 0.1, "initial_accumulator_value": 0.5}),
    ("Adagrad", {"lr": 0.05, "eps": 1e-6, "maximize": True}),
]


def _config_id(config: tuple[str, dict[str, Any]]) -> str:
    name, kwargs = config
    return name + "".join(f",{k}={v}" for k, v in kwargs.items())


def copy_of(ref: torch.nn.Module) -> nn.Module:
    """A pybigml MLP with the current weights of the PyTorch one."""
    ours = nn.Sequential(nn.Linear(6, 8), nn.Tanh(), nn.Linear(8, 3))
    ours.load_state_dict({k: pybigml.tensor(v.numpy()) for k, v in ref.state_dict().items()})
    return ours


def make_models() -> tuple[nn.Module, torch.nn.Module]:
    torch.manual_seed(0)
    ref = torch.nn.Sequential(torch.nn.Linear(6, 8), torch.nn.Tanh(), torch.nn.Linear(8, 3))
    return copy_of(ref), ref


RNG = np.random.default_rng(0)
X = RNG.standard_normal((16, 6)).astype(np.float32)
Y = RNG.integers(0, 3, 16)


def train_step(lib: Any, model: Any, opt: Any) -> None:
    """One step of cross-entropy on the fixed batch, in library ``lib`` (pybigml or torch).

    An optimizer that maximizes gets the negated loss, so that every run converges: ascent
    on cross-entropy itself soon amplifies a 1e-7 perturbation of the weights 1000-fold (in
    PyTorch alone), which would leave nothing to compare.
    """
    opt.zero_grad()
    loss = lib.nn.functional.cross_entropy(model(lib.tensor(X)), lib.tensor(Y))
    (-loss if opt.defaults["maximize"] else loss).backward()
    opt.step()


def param_groups(model: Any) -> list[dict[str, Any]]:
    """Two groups: the first layer at its own rate, the second at the optimizer's."""
    return [{"params": model[0].parameters(), "lr": 5e-3}, {"params": model[2].parameters()}]


def assert_models_match(ours: nn.Module, ref: torch.nn.Module, step: int) -> float:
    """Parameters agree to the tolerance above; returns the largest absolute deviation."""
    worst = 0.0
    ref_state = ref.state_dict()
    for name, value in ours.state_dict().items():
        expected = ref_state[name].numpy()
        np.testing.assert_allclose(
            value.numpy(), expected, rtol=RTOL, atol=ATOL, err_msg=f"{name} step {step}"
        )
        worst = max(worst, float(np.max(np.abs(value.numpy() - expected))))
    return worst


@pytest.mark.parametrize("config", CONFIGS, ids=_config_id)
def test_matches_torch_every_step(config: tuple[str, dict[str, Any]]) -> None:
    name, kwargs = config
    ours, ref = make_models()
    opt_ours = getattr(optim, name)(param_groups(ours), **kwargs)
    opt_ref = getattr(torch.optim, name)(param_groups(ref), **kwargs)
    for step in range(STEPS):
        train_step(pybigml, ours, opt_ours)
        train_step(torch, ref, opt_ref)
        assert_models_match(ours, ref, step)


@pytest.mark.parametrize(
    "config",
    [
        ("Adam", {"amsgrad": True}),
        ("AdamW", {}),
        ("RMSprop", {"momentum": 0.9, "centered": True}),
        ("Adagrad", {}),
    ],
    ids=_config_id,
)
def test_state_dict_matches_torch_and_resumes(config: tuple[str, dict[str, Any]]) -> None:
    name, kwargs = config
    ours, ref = make_models()
    opt_ours = getattr(optim, name)(param_groups(ours), **kwargs)
    opt_ref = getattr(torch.optim, name)(param_groups(ref), **kwargs)
    for _ in range(3):
        train_step(pybigml, ours, opt_ours)
        train_step(torch, ref, opt_ref)

    # Same layout as PyTorch's: hyper-parameters, parameter indices, state keys and the
    # step count as a 0-d float tensor.
    sd_ours, sd_ref = opt_ours.state_dict(), opt_ref.state_dict()
    assert sd_ours["param_groups"] == sd_ref["param_groups"]
    assert sd_ours["state"].keys() == sd_ref["state"].keys() == {0, 1, 2, 3}
    for index, state in sd_ref["state"].items():
        assert list(sd_ours["state"][index]) == list(state)
        step = sd_ours["state"][index]["step"]
        assert step.dtype == pybigml.float32 and step.shape == () and step.item() == 3.0
        for key, value in state.items():
            np.testing.assert_allclose(
                sd_ours["state"][index][key].numpy(), value.numpy(), rtol=RTOL, atol=ATOL
            )

    # A fresh optimizer over a copy of the model, loaded from a checkpoint (a deep copy, as
    # saving and loading makes), continues exactly like the original.
    checkpoint = copy.deepcopy(sd_ours)
    clone = copy.deepcopy(ours)
    resumed = getattr(optim, name)(param_groups(clone), lr=1.0)
    resumed.load_state_dict(checkpoint)
    assert resumed.param_groups[1]["lr"] == opt_ours.param_groups[1]["lr"] != 1.0
    for _ in range(3):
        train_step(pybigml, ours, opt_ours)
        train_step(pybigml, clone, resumed)
    for (key, a), b in zip(ours.state_dict().items(), clone.state_dict().values()):
        assert np.array_equal(a.numpy(), b.numpy()), key

    # PyTorch's checkpoint, converted tensor by tensor, continues like PyTorch.
    torch_checkpoint = {
        "state": {
            i: {k: pybigml.tensor(v.numpy()) for k, v in s.items()}
            for i, s in sd_ref["state"].items()
        },
        "param_groups": sd_ref["param_groups"],
    }
    ours = copy_of(ref)
    from_torch = getattr(optim, name)(param_groups(ours))
    from_torch.load_state_dict(torch_checkpoint)
    for step in range(3):
        train_step(pybigml, ours, from_torch)
        train_step(torch, ref, opt_ref)
        assert_models_match(ours, ref, step)


def test_adagrad_state_exists_before_the_first_step() -> None:
    p = nn.Parameter(pybigml.ones(2, 3))
    opt = optim.Adagrad([p], initial_accumulator_value=0.25)
    state = opt.state_dict()["state"][0]
    assert state["step"].item() == 0.0
    assert state["sum"].tolist() == [[0.25] * 3] * 2


@pytest.mark.parametrize("name", ["Adam", "AdamW", "RMSprop", "Adagrad"])
def test_step_skips_params_without_grad_and_returns_closure_loss(name: str) -> None:
    a, b = nn.Parameter(pybigml.ones(3)), nn.Parameter(pybigml.ones(3))
    opt = getattr(optim, name)([a, b], lr=0.1)
    version = b._version

    def closure() -> pybigml.Tensor:
        opt.zero_grad()
        loss = (a * a).sum()
        loss.backward()
        return loss

    assert opt.step(closure).item() == 3.0
    assert a.tolist() != [1.0, 1.0, 1.0]
    assert b.tolist() == [1.0, 1.0, 1.0] and b._version == version
    assert b not in opt.state or "exp_avg" not in opt.state[b]


def test_adam_and_adamw_share_the_update() -> None:
    """AdamW is Adam with ``decoupled_weight_decay=True``; its groups record that."""
    opt = optim.AdamW([nn.Parameter(pybigml.ones(1))])
    assert isinstance(opt, optim.Adam)
    assert opt.param_groups[0]["decoupled_weight_decay"] is True
    assert opt.param_groups[0]["weight_decay"] == 1e-2


@pytest.mark.parametrize(
    ("name", "kwargs", "message"),
    [
        ("Adam", {"lr": -1.0}, "Invalid learning rate"),
        ("Adam", {"eps": -1.0}, "Invalid epsilon value"),
        ("Adam", {"betas": (1.0, 0.999)}, "Invalid beta parameter at index 0"),
        ("Adam", {"betas": (0.9, -0.1)}, "Invalid beta parameter at index 1"),
        ("Adam", {"betas": (0, 0.999)}, "betas must be either both floats or both Tensors"),
        ("AdamW", {"weight_decay": -1.0}, "Invalid weight_decay value"),
        ("RMSprop", {"alpha": -0.5}, "Invalid alpha value"),
        ("RMSprop", {"momentum": -0.5}, "Invalid momentum value"),
        ("Adagrad", {"lr_decay": -0.5}, "Invalid lr_decay value"),
        ("Adagrad", {"initial_accumulator_value": -1.0}, "Invalid initial_accumulator_value"),
        ("Adagrad", {"lr": float("nan")}, "Invalid learning rate"),
    ],
)
def test_argument_errors(name: str, kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        getattr(optim, name)([nn.Parameter(pybigml.ones(1))], **kwargs)


@pytest.mark.parametrize(
    ("name", "flag"),
    [
        ("Adam", "differentiable"),
        ("Adam", "capturable"),
        ("AdamW", "capturable"),
        ("RMSprop", "differentiable"),
        ("RMSprop", "capturable"),
        ("Adagrad", "differentiable"),
    ],
)
def test_unsupported_modes_say_so(name: str, flag: str) -> None:
    with pytest.raises(NotImplementedError, match=f"{name}\\({flag}=True\\)"):
        getattr(optim, name)([nn.Parameter(pybigml.ones(1))], **{flag: True})


def test_foreach_and_fused_are_accepted() -> None:
    p = nn.Parameter(pybigml.ones(2))
    p.grad = pybigml.ones(2)
    for opt in (
        optim.Adam([p], foreach=True),
        optim.AdamW([p], fused=False),
        optim.RMSprop([p], foreach=False),
        optim.Adagrad([p], foreach=True, fused=None),
    ):
        opt.step()
