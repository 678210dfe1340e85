"""Learning-rate schedulers against torch.optim.lr_scheduler, epoch by epoch.

Each scheduler runs on an optimizer with two param groups (different starting rates) in
both libraries, and after every step the groups' ``lr`` (and cycled momentum / beta1) and
``get_last_lr()`` must agree. Both sides evaluate the same float64 formulas in the same
order, so the check is exact equality (stricter than a 1e-12 relative tolerance): it tells
PyTorch's recursive cosine from the closed form, which differ in the last bits.
"""

from __future__ import annotations

import copy
import math
import warnings
from collections.abc import Callable
from typing import Any

import pytest
import torch

import pybigml
import pybigml.nn as nn
import pybigml.optim as optim

STEPS = 40
LIBS = {
    "pybigml": (pybigml, nn.Parameter, optim),
    "torch": (torch, torch.nn.Parameter, torch.optim),
}


def make_optimizer(lib: str, kind: str = "SGD") -> Any:
    """SGD (with momentum) or Adam over two groups starting at lr 0.1 and 0.05."""
    tensors, parameter, optimizers = LIBS[lib]
    groups = [
        {"params": [parameter(tensors.zeros(2))], "lr": 0.1},
        {"params": [parameter(tensors.zeros(3))], "lr": 0.05},
    ]
    if kind == "SGD":
        return optimizers.SGD(groups, lr=0.1, momentum=0.9)
    return optimizers.Adam(groups)


def snapshot(opt: Any, sched: Any) -> list[float]:
    """Every scheduled value: per group lr, momentum or beta1; then ``get_last_lr()``."""
    values = []
    for group in opt.param_groups:
        values.append(group["lr"])
        values.append(group["momentum"] if "momentum" in group else group["betas"][0])
    return values + list(sched.get_last_lr())


def trace(
    lib: str,
    make_scheduler: Callable[[Any, Any], Any],
    kind: str = "SGD",
    steps: int = STEPS,
    metrics: list[float] | None = None,
) -> list[list[float]]:
    """The snapshots after construction and after each of ``steps`` epochs."""
    opt = make_optimizer(lib, kind)
    sched = make_scheduler(LIBS[lib][2].lr_scheduler, opt)
    rows = [snapshot(opt, sched)]
    for epoch in range(steps):
        opt.step()
        if metrics is None:
            sched.step()
        else:
            sched.step(metrics[epoch])
        rows.append(snapshot(opt, sched))
    return rows


def assert_same_schedule(ours: list[list[float]], ref: list[list[float]]) -> None:
    assert len(ours) == len(ref)
    for epoch, (row_ours, row_ref) in enumerate(zip(ours, ref)):
        assert row_ours == row_ref, f"epoch {epoch}"


def inverse_time(epoch: int) -> float:
    return 1.0 / (1.0 + 0.3 * epoch)


class WarmupFactor:
    """A callable object: its ``__dict__`` travels in LambdaLR's state dict."""

    def __init__(self, warmup: int) -> None:
        self.warmup = warmup

    def __call__(self, epoch: int) -> float:
        return min(1.0, (epoch + 1) / self.warmup)


# name -> (build the scheduler from (lr_scheduler module, optimizer), optimizer kind)
SCHEDULERS: dict[str, tuple[Callable[[Any, Any], Any], str]] = {
    "StepLR": (lambda m, o: m.StepLR(o, step_size=7, gamma=0.5), "SGD"),
    "MultiStepLR": (lambda m, o: m.MultiStepLR(o, milestones=[5, 12, 12, 30], gamma=0.3), "SGD"),
    "ExponentialLR": (lambda m, o: m.ExponentialLR(o, gamma=0.9), "SGD"),
    "CosineAnnealingLR": (lambda m, o: m.CosineAnnealingLR(o, T_max=10, eta_min=1e-3), "SGD"),
    "CosineAnnealingLR-T13": (lambda m, o: m.CosineAnnealingLR(o, T_max=13), "Adam"),
    "LambdaLR": (lambda m, o: m.LambdaLR(o, lr_lambda=inverse_time), "SGD"),
    "LambdaLR-per-group": (
        lambda m, o: m.LambdaLR(o, lr_lambda=[inverse_time, WarmupFactor(6)]),
        "SGD",
    ),
    "MultiplicativeLR": (lambda m, o: m.MultiplicativeLR(o, lr_lambda=lambda e: 0.95), "SGD"),
    "LinearLR": (
        lambda m, o: m.LinearLR(o, start_factor=0.25, end_factor=0.9, total_iters=12),
        "SGD",
    ),
    "LinearLR-default": (lambda m, o: m.LinearLR(o), "Adam"),
    "ConstantLR": (lambda m, o: m.ConstantLR(o, factor=0.5, total_iters=4), "SGD"),
    "PolynomialLR": (lambda m, o: m.PolynomialLR(o, total_iters=20, power=2.0), "SGD"),
    "CosineAnnealingWarmRestarts": (
        lambda m, o: m.CosineAnnealingWarmRestarts(o, T_0=5, T_mult=2, eta_min=0.01),
        "SGD",
    ),
    "CyclicLR-triangular2": (
        lambda m, o: m.CyclicLR(
            o,
            base_lr=0.01,
            max_lr=[0.1, 0.2],
            step_size_up=4,
            step_size_down=6,
            mode="triangular2",
        ),
        "SGD",
    ),
    "CyclicLR-exp_range-adam": (
        lambda m, o: m.CyclicLR(
            o, base_lr=1e-3, max_lr=1e-2, step_size_up=5, mode="exp_range", gamma=0.97
        ),
        "Adam",
    ),
    "OneCycleLR": (lambda m, o: m.OneCycleLR(o, max_lr=[0.1, 0.3], total_steps=STEPS), "SGD"),
    "OneCycleLR-adam-linear-3phase": (
        lambda m, o: m.OneCycleLR(
            o,
            max_lr=0.01,
            epochs=4,
            steps_per_epoch=10,
            anneal_strategy="linear",
            three_phase=True,
            pct_start=0.25,
        ),
        "Adam",
    ),
    "OneCycleLR-no-momentum": (
        lambda m, o: m.OneCycleLR(o, max_lr=0.5, total_steps=STEPS, cycle_momentum=False),
        "SGD",
    ),
    "SequentialLR": (
        lambda m, o: m.SequentialLR(
            o,
            [m.LinearLR(o, start_factor=0.1, total_iters=5), m.CosineAnnealingLR(o, T_max=20)],
            milestones=[5],
        ),
        "SGD",
    ),
    "SequentialLR-three": (
        lambda m, o: m.SequentialLR(
            o,
            [m.ConstantLR(o, factor=0.2), m.ExponentialLR(o, gamma=0.8), m.StepLR(o, 4)],
            milestones=[3, 15],
        ),
        "SGD",
    ),
    "ChainedScheduler": (
        lambda m, o: m.ChainedScheduler(
            [m.ConstantLR(o, factor=0.5, total_iters=5), m.ExponentialLR(o, gamma=0.9)]
        ),
        "SGD",
    ),
}


@pytest.mark.parametrize("name", list(SCHEDULERS))
def test_schedule_matches_torch(name: str) -> None:
    make_scheduler, kind = SCHEDULERS[name]
    assert_same_schedule(
        trace("pybigml", make_scheduler, kind), trace("torch", make_scheduler, kind)
    )


PLATEAU_METRICS = [1.0, 0.9, 0.9, 0.91, 0.95, 0.8, 0.8, 0.8, 0.8, 0.8] * 4
PLATEAU_CONFIGS = [
    {"patience": 2},
    {"mode": "max", "factor": 0.5, "patience": 1, "threshold": 0.05},
    {"patience": 0, "threshold_mode": "abs", "threshold": 0.01, "cooldown": 3},
    {"factor": 0.5, "patience": 1, "min_lr": [0.02, 0.04]},
    {"factor": 0.9, "patience": 0, "eps": 0.004},
]


@pytest.mark.parametrize("config", PLATEAU_CONFIGS, ids=str)
def test_reduce_on_plateau_matches_torch(config: dict[str, Any]) -> None:
    def make(m: Any, o: Any) -> Any:
        return m.ReduceLROnPlateau(o, **config)

    ours = trace("pybigml", make, metrics=PLATEAU_METRICS)
    ref = trace("torch", make, metrics=PLATEAU_METRICS)
    assert_same_schedule(ours, ref)


ROUND_TRIP = [
    "StepLR",
    "CosineAnnealingLR",
    "LambdaLR-per-group",
    "CosineAnnealingWarmRestarts",
    "CyclicLR-triangular2",
    "OneCycleLR-adam-linear-3phase",
    "SequentialLR",
    "ChainedScheduler",
]


@pytest.mark.parametrize("name", ROUND_TRIP)
def test_state_dict_round_trip(name: str) -> None:
    """A checkpoint taken mid-schedule, loaded into a fresh optimizer and scheduler,
    continues exactly like the uninterrupted run; the saved keys are PyTorch's."""
    make_scheduler, kind = SCHEDULERS[name]
    opt = make_optimizer("pybigml", kind)
    sched = make_scheduler(optim.lr_scheduler, opt)
    for _ in range(15):
        opt.step()
        sched.step()
    saved_opt = copy.deepcopy(opt.state_dict())
    saved_sched = copy.deepcopy(sched.state_dict())

    ref_opt = make_optimizer("torch", kind)
    ref_sched = make_scheduler(torch.optim.lr_scheduler, ref_opt)
    assert saved_sched.keys() == ref_sched.state_dict().keys()

    resumed_opt = make_optimizer("pybigml", kind)
    resumed = make_scheduler(optim.lr_scheduler, resumed_opt)
    resumed_opt.load_state_dict(saved_opt)
    resumed.load_state_dict(saved_sched)
    for _ in range(STEPS - 15):
        for o, s in ((opt, sched), (resumed_opt, resumed)):
            o.step()
            s.step()
        assert snapshot(resumed_opt, resumed) == snapshot(opt, sched)


def test_reduce_on_plateau_round_trip() -> None:
    opt = make_optimizer("pybigml")
    sched = optim.lr_scheduler.ReduceLROnPlateau(opt, patience=1, cooldown=1)
    for metric in PLATEAU_METRICS[:7]:
        sched.step(metric)
    saved = copy.deepcopy(sched.state_dict())
    resumed_opt = make_optimizer("pybigml")
    resumed = optim.lr_scheduler.ReduceLROnPlateau(resumed_opt, mode="max")
    resumed_opt.load_state_dict(copy.deepcopy(opt.state_dict()))
    resumed.load_state_dict(saved)
    assert resumed.mode == "min" and resumed.mode_worse == math.inf
    for metric in PLATEAU_METRICS[7:]:
        sched.step(metric)
        resumed.step(metric)
        assert resumed.get_last_lr() == sched.get_last_lr()


@pytest.mark.parametrize("name", ["StepLR", "MultiStepLR", "CosineAnnealingLR", "LinearLR"])
def test_explicit_epoch_uses_the_closed_form(name: str) -> None:
    make_scheduler, kind = SCHEDULERS[name]
    rows = {}
    for lib in LIBS:
        opt = make_optimizer(lib, kind)
        sched = make_scheduler(LIBS[lib][2].lr_scheduler, opt)
        rows[lib] = []
        for epoch in (3, 9, 4, 17, 17, 33):
            opt.step()
            with pytest.warns(UserWarning, match="epoch parameter"):
                sched.step(epoch)
            rows[lib].append(snapshot(opt, sched))
    assert_same_schedule(rows["pybigml"], rows["torch"])


def test_initial_lr_and_base_lrs() -> None:
    opt = make_optimizer("pybigml")
    sched = optim.lr_scheduler.ExponentialLR(opt, gamma=0.5)
    assert [g["initial_lr"] for g in opt.param_groups] == sched.base_lrs == [0.1, 0.05]
    assert sched.last_epoch == 0 and sched.get_last_lr() == [0.1, 0.05]
    opt.step()
    sched.step()
    assert sched.last_epoch == 1 and sched.get_last_lr() == [0.05, 0.025]

    # Resuming at a later epoch needs the groups' initial_lr (from a loaded optimizer).
    with pytest.raises(KeyError, match="initial_lr"):
        optim.lr_scheduler.StepLR(make_optimizer("pybigml"), step_size=2, last_epoch=4)
    resumed = optim.lr_scheduler.StepLR(opt, step_size=2, last_epoch=4)
    assert resumed.last_epoch == 5 and resumed.base_lrs == [0.1, 0.05]


RESUMED = {
    "StepLR": lambda m, o: m.StepLR(o, step_size=7, gamma=0.5, last_epoch=9),
    "CosineAnnealingLR": lambda m, o: m.CosineAnnealingLR(o, T_max=10, last_epoch=4),
    "LinearLR": lambda m, o: m.LinearLR(o, start_factor=0.5, last_epoch=2),
}


@pytest.mark.parametrize("name", list(RESUMED))
def test_resume_at_a_later_epoch_matches_torch(name: str) -> None:
    """``last_epoch=k`` on groups that hold ``initial_lr``: the first step recomputes the
    rate from the closed form where the recursion has no previous value."""

    def make(m: Any, o: Any) -> Any:
        for group in o.param_groups:
            group["initial_lr"] = group["lr"]
        return RESUMED[name](m, o)

    assert_same_schedule(trace("pybigml", make, steps=12), trace("torch", make, steps=12))


def test_warnings_about_call_order() -> None:
    opt = make_optimizer("pybigml")
    sched = optim.lr_scheduler.StepLR(opt, step_size=2)
    with pytest.warns(UserWarning, match="before `optimizer.step\\(\\)`"):
        sched.step()
    with pytest.warns(UserWarning, match="get_last_lr"):
        sched.get_lr()

    opt = make_optimizer("pybigml")
    sched = optim.lr_scheduler.StepLR(opt, step_size=2)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for _ in range(3):
            opt.step()
            sched.step()


def test_tensor_lr_is_updated_in_place() -> None:
    lr = pybigml.tensor(0.1)
    opt = optim.SGD([nn.Parameter(pybigml.zeros(2))], lr=lr)
    sched = optim.lr_scheduler.ExponentialLR(opt, gamma=0.5)
    opt.step()
    sched.step()
    assert opt.param_groups[0]["lr"] is lr
    assert lr.item() == pytest.approx(0.05)
    last = sched.get_last_lr()[0]
    assert isinstance(last, pybigml.Tensor) and last is not lr


@pytest.mark.parametrize(
    ("make", "error", "message"),
    [
        (lambda o: optim.lr_scheduler.StepLR(object(), 3), TypeError, "is not an Optimizer"),
        (lambda o: optim.lr_scheduler.LinearLR(o, start_factor=0), ValueError, "Starting"),
        (lambda o: optim.lr_scheduler.ConstantLR(o, factor=2.0), ValueError, "between 0 and 1"),
        (lambda o: optim.lr_scheduler.LambdaLR(o, [inverse_time]), ValueError, "lr_lambdas"),
        (lambda o: optim.lr_scheduler.OneCycleLR(o, 0.1), ValueError, "total_steps"),
        (
            lambda o: optim.lr_scheduler.OneCycleLR(o, 0.1, 10, anneal_strategy="exp"),
            ValueError,
            "anneal_strategy",
        ),
        (
            lambda o: optim.lr_scheduler.OneCycleLR(
                optim.Adagrad([nn.Parameter(pybigml.ones(1))]), 0.1, 10
            ),
            ValueError,
            "momentum or beta1",
        ),
        (lambda o: optim.lr_scheduler.ReduceLROnPlateau(o, factor=1.0), ValueError, "< 1.0"),
        (lambda o: optim.lr_scheduler.ReduceLROnPlateau(o, mode="up"), ValueError, "unknown"),
        (
            lambda o: optim.lr_scheduler.SequentialLR(
                o, [optim.lr_scheduler.StepLR(o, 2)], milestones=[3]
            ),
            ValueError,
            "number of milestones",
        ),
        (
            lambda o: optim.lr_scheduler.SequentialLR(
                o, [optim.lr_scheduler.ReduceLROnPlateau(o)], milestones=[]
            ),
            ValueError,
            "ReduceLROnPlateau",
        ),
        (
            lambda o: optim.lr_scheduler.CosineAnnealingWarmRestarts(o, T_0=0),
            ValueError,
            "T_0",
        ),
    ],
)
def test_argument_errors(make: Callable[[Any], Any], error: type, message: str) -> None:
    with pytest.raises(error, match=message):
        make(make_optimizer("pybigml"))


def test_one_cycle_refuses_to_run_past_its_end() -> None:
    opt = make_optimizer("pybigml")
    sched = optim.lr_scheduler.OneCycleLR(opt, max_lr=0.1, total_steps=3)
    for _ in range(3):
        opt.step()
        sched.step()
    with pytest.raises(ValueError, match="Tried to step 4 times"):
        sched.step()
