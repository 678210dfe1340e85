"""The rest of torch.optim against PyTorch: optimizers, hooks, SparseAdam and swa_utils.

NAdam, RAdam, Adamax, Adadelta, Rprop, ASGD and LBFGS step for step; step and state-dict
hooks, argument errors, SparseAdam's refusal of dense gradients, and AveragedModel / SWALR /
update_bn.

The optimizers: the same MLP (weights copied from a PyTorch model), the same data and
loss; each library computes its own gradients and steps its own optimizer, and the
parameters must agree after every step.

Tolerances. float32: both sides compute in float32 in the same order of operations, but
PyTorch's kernels fuse some multiply-adds (lerp, addcmul, add with alpha) into FMAs and its
GEMM sums in another order, so each step may round a few ulps (~1.2e-7 relative) apart.
Over 25 steps of parameters of size O(1) that is at most ~25 x a few ulps: rtol 2e-5 with
atol 2e-6 for entries near zero. Measured: at most 1.5e-7 (Adamax). float64: the same
argument with ulp 2.2e-16 gives rtol/atol 1e-12; measured at most 2.2e-16.

LBFGS divides by differences of nearly equal gradients (``1 / (y . s)``, ``y = g_k+1 - g_k``),
so a rounding difference of ``eps |g|`` grows by ``|g| / |y|`` every iteration, and the
line search branches on comparisons that a one-ulp difference in the loss can flip. float32
runs agree to ~1e-6 after 20 iterations, to 1.3e-5 after 28 (the worst case below), and
drift apart after ~60 (the MLP's loss is not convex): the float32 runs stay <= 30 iterations
with atol 5e-5 + rtol 1e-4 (>= 4x the worst measured). float64 runs (measured <= 3e-13
after 60 iterations) check the algorithm to 1e-11.
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
from pybigml.optim import optimizer as optimizer_module

STEPS = 25
TOLERANCE = {"float32": (2e-5, 2e-6), "float64": (1e-12, 1e-12)}

CONFIGS: list[tuple[str, dict[str, Any]]] = [
    ("NAdam", {}),
    ("NAdam", {"lr": 0.01, "weight_decay": 0.1}),
    ("NAdam", {"lr": 0.01, "weight_decay": 0.1, "decoupled_weight_decay": True}),
    ("NAdam", {"lr": 0.01, "momentum_decay": 0.01, "betas": (0.8, 0.99), "maximize": True}),
    ("RAdam", {}),
    ("RAdam", {"lr": 0.01, "weight_decay": 0.1}),
    ("RAdam", {"lr": 0.01, "weight_decay": 0.1, "decoupled_weight_decay": True}),
    # beta2 = 0.9 makes rho_t pass 5 at step 6: both branches of the rectification run.
    ("RAdam", {"lr": 0.01, "betas": (0.8, 0.9), "eps": 1e-6, "maximize": True}),
    ("Adamax", {}),
    ("Adamax", {"lr": 0.01, "weight_decay": 0.1}),
    ("Adamax", {"lr": 0.01, "betas": (0.8, 0.9), "eps": 1e-3, "maximize": True}),
    ("Adadelta", {}),
    ("Adadelta", {"rho": 0.5, "weight_decay": 0.1}),
    ("Adadelta", {"lr": 0.5, "eps": 1e-4, "maximize": True}),
    ("Rprop", {}),
    ("Rprop", {"lr": 1e-3, "etas": (0.3, 1.5), "step_sizes": (1e-4, 1e-2)}),
    ("Rprop", {"lr": 0.05, "maximize": True}),
    ("ASGD", {}),
    # t0 = 5: the average starts moving (mu < 1) within the run.
    ("ASGD", {"lr": 0.1, "lambd": 0.01, "alpha": 0.5, "t0": 5}),
    ("ASGD", {"lr": 0.1, "t0": 3, "weight_decay": 0.1, "maximize": True}),
]
NAMES = ["NAdam", "RAdam", "Adamax", "Adadelta", "Rprop", "ASGD"]


def _config_id(config: tuple[str, dict[str, Any]]) -> str:
    name, kwargs = config
    return name + "".join(f",{k}={v}" for k, v in kwargs.items())


RNG = np.random.default_rng(0)
X = RNG.standard_normal((16, 6))
Y = RNG.integers(0, 3, 16)
# Regression targets for LBFGS: a smooth function plus noise, so the loss has a floor
# above zero (separable classes would send the weights to infinity).
TARGETS = np.tanh(X @ RNG.standard_normal((6, 3))) + 0.3 * RNG.standard_normal((16, 3))


def make_models(dtype: str = "float32") -> tuple[nn.Module, torch.nn.Module]:
    """A PyTorch MLP and a pybigml copy with the same weights, both in ``dtype``."""
    torch.manual_seed(0)
    ref = torch.nn.Sequential(torch.nn.Linear(6, 8), torch.nn.Tanh(), torch.nn.Linear(8, 3))
    ref = ref.to(getattr(torch, dtype))
    return copy_of(ref), ref


def copy_of(ref: torch.nn.Module) -> nn.Module:
    """A pybigml MLP with the current weights (and dtype) of the PyTorch one."""
    dtype = getattr(pybigml, str(ref[0].weight.dtype).split(".")[-1])
    ours = nn.Sequential(nn.Linear(6, 8), nn.Tanh(), nn.Linear(8, 3)).to(dtype)
    ours.load_state_dict({k: pybigml.tensor(v.numpy()) for k, v in ref.state_dict().items()})
    return ours


def param_groups(model: Any) -> list[dict[str, Any]]:
    """Two groups: the first layer at its own rate, the second at the optimizer's."""
    return [{"params": model[0].parameters(), "lr": 5e-3}, {"params": model[2].parameters()}]


def train_step(lib: Any, model: Any, opt: Any) -> None:
    """One step of cross-entropy on the fixed batch, in library ``lib`` (pybigml or torch).

    An optimizer that maximizes gets the negated loss, so that every run converges (ascent
    on the loss itself soon amplifies rounding differences beyond comparison).
    """
    dtype = getattr(lib, str(next(iter(model.parameters())).dtype).split(".")[-1])
    opt.zero_grad()
    loss = lib.nn.functional.cross_entropy(model(lib.tensor(X, dtype=dtype)), lib.tensor(Y))
    (-loss if opt.defaults.get("maximize") else loss).backward()
    opt.step()


def assert_models_match(ours: nn.Module, ref: torch.nn.Module, tolerance: tuple, step: int) -> None:
    rtol, atol = tolerance
    ref_state = ref.state_dict()
    for name, value in ours.state_dict().items():
        np.testing.assert_allclose(
            value.numpy(), ref_state[name].numpy(), rtol=rtol, atol=atol, err_msg=f"{name} {step}"
        )


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("config", CONFIGS, ids=_config_id)
def test_matches_torch_every_step(config: tuple[str, dict[str, Any]], dtype: str) -> None:
    name, kwargs = config
    ours, ref = make_models(dtype)
    opt_ours = getattr(optim, name)(param_groups(ours), **kwargs)
    opt_ref = getattr(torch.optim, name)(param_groups(ref), **kwargs)
    for step in range(STEPS):
        train_step(pybigml, ours, opt_ours)
        train_step(torch, ref, opt_ref)
        assert_models_match(ours, ref, TOLERANCE[dtype], step)


@pytest.mark.parametrize("name", NAMES)
def test_state_dict_matches_torch_and_resumes(name: str) -> None:
    ours, ref = make_models()
    opt_ours = getattr(optim, name)(param_groups(ours))
    opt_ref = getattr(torch.optim, name)(param_groups(ref))
    for _ in range(5):
        train_step(pybigml, ours, opt_ours)
        train_step(torch, ref, opt_ref)

    # PyTorch's layout: hyper-parameters, parameter indices, state keys and 0-d counters.
    sd_ours, sd_ref = opt_ours.state_dict(), opt_ref.state_dict()
    assert sd_ours["param_groups"] == sd_ref["param_groups"]
    assert sd_ours["state"].keys() == sd_ref["state"].keys() == {0, 1, 2, 3}
    for index, state in sd_ref["state"].items():
        assert list(sd_ours["state"][index]) == list(state)
        for key, value in state.items():
            mine = sd_ours["state"][index][key]
            assert mine.shape == tuple(value.shape)
            assert str(mine.dtype).split(".")[-1] == str(value.dtype).split(".")[-1]
            np.testing.assert_allclose(mine.numpy(), value.numpy(), rtol=2e-5, atol=2e-6)

    # Saved after 5 steps and loaded into a fresh optimizer over a copy of the model, the
    # run continues exactly as the uninterrupted one.
    checkpoint = copy.deepcopy(sd_ours)
    clone = copy.deepcopy(ours)
    resumed = getattr(optim, name)(param_groups(clone), lr=0.5)
    resumed.load_state_dict(checkpoint)
    assert resumed.param_groups == [
        {**g, "params": r["params"]} for g, r in zip(opt_ours.param_groups, resumed.param_groups)
    ]
    for _ in range(5):
        train_step(pybigml, ours, opt_ours)
        train_step(pybigml, clone, resumed)
    for (key, a), b in zip(ours.state_dict().items(), clone.state_dict().values()):
        assert np.array_equal(a.numpy(), b.numpy()), key

    # PyTorch's checkpoint, converted tensor by tensor, continues like PyTorch.
    torch_checkpoint = {
        "state": {
            i: {k: pybigml.tensor(v.numpy()) for k, v in s.items()}
            for i, s in opt_ref.state_dict()["state"].items()
        },
        "param_groups": opt_ref.state_dict()["param_groups"],
    }
    ours = copy_of(ref)
    from_torch = getattr(optim, name)(param_groups(ours))
    from_torch.load_state_dict(torch_checkpoint)
    for step in range(5):
        train_step(pybigml, ours, from_torch)
        train_step(torch, ref, opt_ref)
        assert_models_match(ours, ref, TOLERANCE["float32"], step)


def _rprop_with_nonfinite_gradients(lib: Any, lib_optim: Any) -> list:
    p = lib.nn.Parameter(lib.ones(4))
    opt = lib_optim.Rprop([p])
    nan, inf = float("nan"), float("inf")
    for grad in (
        [1.0, -1.0, 0.0, 2.0],
        [1.0, 1.0, nan, -2.0],
        [1.0, 1.0, 1.0, 1.0],
        [inf, 1, -1, 0],
    ):
        p.grad = lib.tensor(grad)
        opt.step()
    return [p.tolist(), opt.state[p]["step_size"].tolist(), opt.state[p]["prev"].tolist()]


def test_rprop_nonfinite_gradients_as_torch() -> None:
    """PyTorch's sign(NaN) is 0: a NaN gradient leaves its coordinate alone."""
    ours = _rprop_with_nonfinite_gradients(pybigml, optim)
    assert ours == _rprop_with_nonfinite_gradients(torch, torch.optim)
    assert ours[0][2] == pytest.approx(0.99)


# ---------------------------------------------------------------------------------- LBFGS


def lbfgs_closure(lib: Any, model: Any, opt: Any) -> Any:
    """The closure LBFGS needs: mean squared error on the regression batch."""
    dtype = getattr(lib, str(next(iter(model.parameters())).dtype).split(".")[-1])
    inputs, targets = lib.tensor(X, dtype=dtype), lib.tensor(TARGETS, dtype=dtype)

    def closure() -> Any:
        opt.zero_grad()
        loss = lib.nn.functional.mse_loss(model(inputs), targets)
        loss.backward()
        return loss

    return closure


LBFGS_CONFIGS: list[tuple[dict[str, Any], int]] = [
    # (arguments, steps): float32 runs kept to <= 30 iterations (see the module docstring).
    ({"max_iter": 3, "history_size": 2, "lr": 0.3}, 10),
    ({"max_iter": 5, "history_size": 3, "lr": 0.5, "line_search_fn": "strong_wolfe"}, 6),
    ({}, 1),
    ({"line_search_fn": "strong_wolfe"}, 1),
    # lr 2: every line search starts too far and zooms in.
    ({"max_iter": 4, "max_eval": 5, "line_search_fn": "strong_wolfe", "lr": 2.0}, 6),
]
# lr 0.05: every line search starts too short and extrapolates (14 times). Not in float32:
# for short steps the two slopes of the cubic are nearly equal, so its discriminant
# d1^2 - g1 g2 is ~0 and a one-ulp difference in the loss flips the branch taken.
LBFGS_EXTRAPOLATING = {"max_iter": 4, "line_search_fn": "strong_wolfe", "lr": 0.05}
LBFGS_CASES = [
    (kwargs, steps if dtype == "float32" else max(steps, 3), dtype)
    for kwargs, steps in LBFGS_CONFIGS
    for dtype in ("float32", "float64")
] + [(LBFGS_EXTRAPOLATING, 6, "float64")]
LBFGS_TOLERANCE = {"float32": (1e-4, 5e-5), "float64": (1e-11, 1e-11)}


@pytest.mark.parametrize(
    ("kwargs", "steps", "dtype"), LBFGS_CASES, ids=lambda v: str(v).replace(" ", "")
)
def test_lbfgs_matches_torch_every_step(kwargs: dict[str, Any], steps: int, dtype: str) -> None:
    ours, ref = make_models(dtype)
    opt_ours = optim.LBFGS(ours.parameters(), **kwargs)
    opt_ref = torch.optim.LBFGS(ref.parameters(), **kwargs)
    first_ours, first_ref = next(iter(ours.parameters())), next(iter(ref.parameters()))
    for step in range(steps):
        loss_ours = opt_ours.step(lbfgs_closure(pybigml, ours, opt_ours))
        loss_ref = opt_ref.step(lbfgs_closure(torch, ref, opt_ref))
        # The loss before the step, the same number of evaluations and iterations.
        assert loss_ours.item() == pytest.approx(loss_ref.item(), rel=1e-4)
        state_ours, state_ref = opt_ours.state[first_ours], opt_ref.state[first_ref]
        assert state_ours["func_evals"] == state_ref["func_evals"]
        assert state_ours["n_iter"] == state_ref["n_iter"]
        assert_models_match(ours, ref, LBFGS_TOLERANCE[dtype], step)
    assert list(state_ours) == list(state_ref)


def test_lbfgs_state_dict_resumes_exactly() -> None:
    kwargs = {"max_iter": 4, "history_size": 3, "line_search_fn": "strong_wolfe"}
    ours, _ = make_models("float64")
    opt = optim.LBFGS(ours.parameters(), **kwargs)
    for _ in range(2):
        opt.step(lbfgs_closure(pybigml, ours, opt))
    checkpoint = copy.deepcopy(opt.state_dict())
    assert checkpoint["param_groups"][0]["max_eval"] == 5
    clone = copy.deepcopy(ours)
    resumed = optim.LBFGS(clone.parameters())
    resumed.load_state_dict(checkpoint)
    for _ in range(2):
        opt.step(lbfgs_closure(pybigml, ours, opt))
        resumed.step(lbfgs_closure(pybigml, clone, resumed))
    for (key, a), b in zip(ours.state_dict().items(), clone.state_dict().values()):
        assert np.array_equal(a.numpy(), b.numpy()), key


def _converted(value: Any) -> Any:
    """A PyTorch state value with its tensors (also inside lists) as pybigml tensors."""
    if isinstance(value, list):
        return [_converted(v) for v in value]
    return pybigml.tensor(value.numpy()) if isinstance(value, torch.Tensor) else value


def test_lbfgs_continues_from_a_torch_checkpoint() -> None:
    kwargs = {"max_iter": 4, "history_size": 3, "line_search_fn": "strong_wolfe"}
    _, ref = make_models("float64")
    opt_ref = torch.optim.LBFGS(ref.parameters(), **kwargs)
    for _ in range(2):
        opt_ref.step(lbfgs_closure(torch, ref, opt_ref))
    saved = opt_ref.state_dict()
    ours = copy_of(ref)
    opt = optim.LBFGS(ours.parameters())
    opt.load_state_dict(
        {
            "state": {
                i: {k: _converted(v) for k, v in s.items()} for i, s in saved["state"].items()
            },
            "param_groups": saved["param_groups"],
        }
    )
    for step in range(2):
        opt.step(lbfgs_closure(pybigml, ours, opt))
        opt_ref.step(lbfgs_closure(torch, ref, opt_ref))
        assert_models_match(ours, ref, LBFGS_TOLERANCE["float64"], step)


def test_lbfgs_errors_as_torch() -> None:
    p = nn.Parameter(pybigml.ones(2))
    with pytest.raises(ValueError, match="doesn't support per-parameter options"):
        optim.LBFGS([{"params": [p]}, {"params": [nn.Parameter(pybigml.ones(1))]}])
    with pytest.raises(TypeError):
        optim.LBFGS([p]).step()  # the closure is required
    opt = optim.LBFGS([p], line_search_fn="armijo")

    def closure() -> pybigml.Tensor:
        opt.zero_grad()
        loss = (p * p).sum()
        loss.backward()
        return loss

    with pytest.raises(RuntimeError, match="only 'strong_wolfe' is supported"):
        opt.step(closure)


def test_lbfgs_returns_at_once_at_a_stationary_point() -> None:
    p = nn.Parameter(pybigml.zeros(3))
    opt = optim.LBFGS([p])
    calls = []

    def closure() -> pybigml.Tensor:
        calls.append(1)
        opt.zero_grad()
        loss = (p * p).sum()
        loss.backward()
        return loss

    assert opt.step(closure).item() == 0.0
    assert len(calls) == 1 and opt.state[p]["func_evals"] == 1 and "d" not in opt.state[p]


# ---------------------------------------------------------------------------------- hooks


def _record_step_hooks(opt: Any, log: list) -> list:
    """Two pre hooks (the second replaces the closure), a post hook; returns the handles."""

    def pre_first(optimizer: Any, args: tuple, kwargs: dict) -> None:
        log.append(("pre_first", optimizer is opt, len(args), sorted(kwargs)))

    def pre_replace(optimizer: Any, args: tuple, kwargs: dict) -> tuple:
        log.append(("pre_replace", len(args), sorted(kwargs)))

        def closure() -> None:
            log.append("replaced closure")

        return (args[0],), {"closure": closure}

    def post(optimizer: Any, args: tuple, kwargs: dict) -> None:
        log.append(("post", optimizer is opt, len(args), sorted(kwargs)))

    return [
        opt.register_step_pre_hook(pre_first),
        opt.register_step_pre_hook(pre_replace),
        opt.register_step_post_hook(post),
    ]


def _step_hooks_log(lib: Any, lib_optim: Any, name: str) -> list:
    """What the step hooks of ``_record_step_hooks`` see over three steps, with removals."""
    p = lib.nn.Parameter(lib.ones(2))
    opt = getattr(lib_optim, name)([p], lr=0.1)
    log: list = []
    handles = _record_step_hooks(opt, log)

    def original() -> None:
        log.append("original closure")

    opt.step(original)  # positional: args = (opt, closure), replaced by kwargs
    handles[1].remove()
    opt.step(closure=original)
    handles[0].remove()
    handles[2].remove()
    handles[2].remove()  # a second remove() does nothing
    opt.step()
    log.append("end")
    return log


@pytest.mark.parametrize("name", ["SGD", "Adam", "NAdam", "Rprop"])
def test_step_hooks_match_torch(name: str) -> None:
    logs = [_step_hooks_log(pybigml, optim, name), _step_hooks_log(torch, torch.optim, name)]
    assert logs[0] == logs[1]
    assert logs[0][:4] == [
        ("pre_first", True, 2, []),
        ("pre_replace", 2, []),
        "replaced closure",
        ("post", True, 1, ["closure"]),
    ]


def test_step_hooks_run_for_lbfgs_and_global_hooks_wrap_local_ones() -> None:
    p = nn.Parameter(pybigml.ones(2))
    opt = optim.LBFGS([p], max_iter=2)
    log: list = []
    opt.register_step_pre_hook(lambda o, a, k: log.append("local pre"))
    opt.register_step_post_hook(lambda o, a, k: log.append("local post"))
    global_pre = optimizer_module.register_optimizer_step_pre_hook(
        lambda o, a, k: log.append("global pre")
    )
    global_post = optimizer_module.register_optimizer_step_post_hook(
        lambda o, a, k: log.append("global post")
    )
    try:

        def closure() -> pybigml.Tensor:
            log.append("closure")
            opt.zero_grad()
            loss = (p * p).sum()
            loss.backward()
            return loss

        opt.step(closure)
    finally:
        global_pre.remove()
        global_post.remove()
    assert log == ["global pre", "local pre", "closure", "closure", "local post", "global post"]


def test_step_hook_runs_once_when_a_subclass_step_calls_the_base_step() -> None:
    class Traced(optim.SGD):
        def step(self, closure: Any = None) -> Any:
            return super().step(closure)

    p = nn.Parameter(pybigml.ones(2))
    p.grad = pybigml.ones(2)
    opt = Traced([p], lr=0.5)
    calls: list = []
    opt.register_step_pre_hook(lambda o, a, k: calls.append(a))
    opt.step()
    assert len(calls) == 1 and p.tolist() == [0.5, 0.5]


def test_step_pre_hook_must_return_none_or_a_pair() -> None:
    p = nn.Parameter(pybigml.ones(2))
    opt = optim.SGD([p])
    opt.register_step_pre_hook(lambda o, a, k: "nonsense")
    with pytest.raises(RuntimeError, match="must return None or a tuple of"):
        opt.step()


def _state_dict_hooks_log(lib: Any, lib_optim: Any) -> list:
    """What state-dict and load hooks (prepended, replacing, removed) see and do."""
    p = lib.nn.Parameter(lib.ones(2))
    opt = lib_optim.Adamax([p], lr=0.1)
    log: list = []
    opt.register_state_dict_pre_hook(lambda o: log.append("pre"))
    opt.register_state_dict_pre_hook(lambda o: log.append("pre first"), prepend=True)

    def add_note(o: Any, sd: dict) -> None:
        log.append("post")
        sd["note"] = "kept"

    opt.register_state_dict_post_hook(add_note)
    replace = opt.register_state_dict_post_hook(lambda o, sd: {**sd, "replaced": True})
    sd = opt.state_dict()
    log.append(sorted(sd))
    replace.remove()
    log.append(sorted(opt.state_dict()))

    def scale_lr(o: Any, sd: dict) -> dict:
        log.append(("load pre", sorted(sd)))
        groups = [{**g, "lr": g["lr"] * 3} for g in sd["param_groups"]]
        return {"state": sd["state"], "param_groups": groups}

    opt.register_load_state_dict_pre_hook(scale_lr)
    opt.register_load_state_dict_post_hook(
        lambda o: log.append(("load post", o.param_groups[0]["lr"]))
    )
    opt.register_load_state_dict_post_hook(lambda o: log.append("load post first"), True)
    saved = {"state": {}, "param_groups": [{**sd["param_groups"][0], "lr": 0.2}]}
    opt.load_state_dict(saved)
    assert saved["param_groups"][0]["lr"] == 0.2  # the caller's dict is left alone
    log.append(round(opt.param_groups[0]["lr"], 12))
    return log


def test_state_dict_hooks_match_torch() -> None:
    results = [_state_dict_hooks_log(pybigml, optim), _state_dict_hooks_log(torch, torch.optim)]
    assert results[0] == results[1]
    assert results[0][-1] == 0.6


def test_copies_of_an_optimizer_keep_state_but_not_hooks() -> None:
    p = nn.Parameter(pybigml.ones(2))
    p.grad = pybigml.ones(2)
    opt = optim.NAdam([p])
    calls: list = []
    opt.register_step_post_hook(lambda o, a, k: calls.append(o))
    opt.step()
    clone = copy.deepcopy(opt)
    assert not clone._optimizer_step_post_hooks
    (clone_param,) = clone.param_groups[0]["params"]
    assert clone_param is not p and clone.state[clone_param]["step"].item() == 1.0
    clone_param.grad = pybigml.ones(2)
    clone.step()  # the hook dicts exist, empty
    assert calls == [opt]
    assert clone.state[clone_param]["step"].item() == 2.0


# --------------------------------------------------------------------------- construction

ERROR_CASES: list[tuple[str, dict[str, Any]]] = [
    ("NAdam", {"lr": -1.0}),
    ("NAdam", {"eps": -1.0}),
    ("NAdam", {"betas": (1.0, 0.9)}),
    ("NAdam", {"betas": (0.9, -0.1)}),
    ("NAdam", {"weight_decay": -1.0}),
    ("NAdam", {"momentum_decay": -1.0}),
    ("RAdam", {"lr": float("nan")}),
    ("RAdam", {"betas": (0.9, 1.0)}),
    ("RAdam", {"weight_decay": -0.1}),
    ("Adamax", {"eps": -1e-8}),
    ("Adamax", {"betas": (-0.1, 0.9)}),
    ("Adadelta", {"rho": 1.5}),
    ("Adadelta", {"lr": -0.1}),
    ("Adadelta", {"eps": -1.0}),
    ("Rprop", {"etas": (1.2, 0.5)}),
    ("Rprop", {"etas": (0.0, 1.2)}),
    ("Rprop", {"lr": -1.0}),
    ("ASGD", {"lr": -1.0}),
    ("ASGD", {"weight_decay": -1.0}),
    ("LBFGS", {"lr": -1.0}),
    ("SparseAdam", {"lr": 0.0}),
    ("SparseAdam", {"eps": 0.0}),
    ("SparseAdam", {"betas": (0.9, 1.0)}),
]


@pytest.mark.parametrize("case", ERROR_CASES, ids=_config_id)
def test_argument_errors_match_torch(case: tuple[str, dict[str, Any]]) -> None:
    name, kwargs = case
    with pytest.raises(ValueError) as expected:
        getattr(torch.optim, name)([torch.nn.Parameter(torch.ones(1))], **kwargs)
    with pytest.raises(ValueError) as raised:
        getattr(optim, name)([nn.Parameter(pybigml.ones(1))], **kwargs)
    assert str(raised.value) == str(expected.value)


@pytest.mark.parametrize("name", NAMES)
def test_defaults_and_flags_as_torch(name: str) -> None:
    ours = getattr(optim, name)([nn.Parameter(pybigml.ones(1))], foreach=False)
    ref = getattr(torch.optim, name)([torch.nn.Parameter(torch.ones(1))], foreach=False)
    assert ours.defaults == ref.defaults
    for flag in ("differentiable", "capturable"):
        with pytest.raises(NotImplementedError, match=f"{name}\\({flag}=True\\)"):
            getattr(optim, name)([nn.Parameter(pybigml.ones(1))], **{flag: True})
    lbfgs = optim.LBFGS([nn.Parameter(pybigml.ones(1))], max_iter=8)
    assert (
        lbfgs.defaults
        == torch.optim.LBFGS([torch.nn.Parameter(torch.ones(1))], max_iter=8).defaults
    )


def test_sparse_adam_refuses_dense_gradients_as_torch() -> None:
    messages = []
    for lib, lib_optim in ((pybigml, optim), (torch, torch.optim)):
        p = lib.nn.Parameter(lib.ones(2))
        opt = lib_optim.SparseAdam([p], lr=0.01)
        assert opt.step(lambda: 3.0) == 3.0  # no gradient yet: nothing to refuse
        p.grad = lib.ones(2)
        with pytest.raises(RuntimeError) as raised:
            opt.step()
        messages.append((str(raised.value), opt.state_dict()["param_groups"]))
        assert p.tolist() == [1.0, 1.0]
    assert messages[0] == messages[1]


# ------------------------------------------------------------------------------ swa_utils


def make_bn_models() -> tuple[nn.Module, torch.nn.Module]:
    """An MLP with batch norm in both libraries, same weights and statistics."""
    torch.manual_seed(1)
    ref = torch.nn.Sequential(
        torch.nn.Linear(6, 8), torch.nn.BatchNorm1d(8), torch.nn.Tanh(), torch.nn.Linear(8, 3)
    )
    ours = nn.Sequential(nn.Linear(6, 8), nn.BatchNorm1d(8), nn.Tanh(), nn.Linear(8, 3))
    ours.load_state_dict({k: pybigml.tensor(v.numpy()) for k, v in ref.state_dict().items()})
    return ours, ref


def assert_state_dicts_match(ours: Any, ref: Any) -> None:
    """Same keys in the same order, values within float32 tolerance (see the docstring)."""
    ref_state = ref.state_dict()
    assert list(ours.state_dict()) == list(ref_state)
    for key, value in ours.state_dict().items():
        np.testing.assert_allclose(
            value.numpy(), ref_state[key].numpy(), rtol=2e-5, atol=2e-6, err_msg=key
        )


def _averaging(lib: Any) -> list[dict[str, Any]]:
    """The keyword arguments of AveragedModel for each averaging rule, in library ``lib``."""
    swa = lib.optim.swa_utils
    return [
        {},
        {"avg_fn": swa.get_ema_avg_fn(0.8)},
        {"multi_avg_fn": swa.get_ema_multi_avg_fn(0.8), "use_buffers": True},
        {"multi_avg_fn": swa.get_swa_multi_avg_fn()},
        {"avg_fn": swa.get_swa_avg_fn(), "use_buffers": True},
    ]


@pytest.mark.parametrize(
    "rule", range(5), ids=["swa", "ema", "ema-multi-buffers", "swa-multi", "swa-buffers"]
)
def test_averaged_model_matches_torch(rule: int) -> None:
    ours, ref = make_bn_models()
    avg_ours = optim.swa_utils.AveragedModel(ours, **_averaging(pybigml)[rule])
    avg_ref = torch.optim.swa_utils.AveragedModel(ref, **_averaging(torch)[rule])
    opt_ours = optim.SGD(ours.parameters(), lr=0.1)
    opt_ref = torch.optim.SGD(ref.parameters(), lr=0.1)
    for _ in range(6):
        train_step(pybigml, ours, opt_ours)
        train_step(torch, ref, opt_ref)
        avg_ours.update_parameters(ours)
        avg_ref.update_parameters(ref)
        assert_state_dicts_match(avg_ours, avg_ref)
    assert avg_ours.n_averaged.item() == 6 and avg_ours.n_averaged.dtype == pybigml.int64
    inputs = np.random.default_rng(2).standard_normal((5, 6))
    avg_ours.eval()
    avg_ref.eval()
    np.testing.assert_allclose(
        avg_ours(pybigml.tensor(inputs, dtype=pybigml.float32)).detach().numpy(),
        avg_ref(torch.tensor(inputs, dtype=torch.float32)).detach().numpy(),
        rtol=2e-5,
        atol=2e-6,
    )


def test_averaged_model_arguments() -> None:
    model = nn.Linear(2, 2)
    swa = optim.swa_utils
    with pytest.raises(AssertionError, match="Only one of avg_fn and multi_avg_fn"):
        swa.AveragedModel(
            model, avg_fn=swa.get_swa_avg_fn(), multi_avg_fn=swa.get_swa_multi_avg_fn()
        )
    with pytest.raises(ValueError, match="Invalid decay value 1.5"):
        swa.get_ema_avg_fn(1.5)
    with pytest.raises(ValueError, match="Invalid decay value -0.1"):
        swa.get_ema_multi_avg_fn(-0.1)
    averaged = swa.AveragedModel(model)
    assert averaged.module is not model and averaged.module.weight is not model.weight


def test_update_bn_matches_torch() -> None:
    ours, ref = make_bn_models()
    ours[1].momentum = ref[1].momentum = 0.3
    ours.eval()
    ref.eval()
    batches = [np.random.default_rng(i).standard_normal((4 + i, 6)) for i in range(3)]
    optim.swa_utils.update_bn(
        [(pybigml.tensor(b, dtype=pybigml.float32), 0) for b in batches], ours
    )
    torch.optim.swa_utils.update_bn(
        [(torch.tensor(b, dtype=torch.float32), 0) for b in batches], ref
    )
    assert_state_dicts_match(ours, ref)
    assert ours[1].num_batches_tracked.item() == 3
    assert ours[1].momentum == 0.3 and not ours.training


def _swalr_rates(lib: Any, kwargs: dict[str, Any]) -> list[list[float]]:
    """The rates of two groups over 15 epochs: 3 of StepLR, then SWALR."""
    p, q = lib.nn.Parameter(lib.ones(1)), lib.nn.Parameter(lib.ones(1))
    opt = lib.optim.SGD([{"params": [p]}, {"params": [q], "lr": 0.5}], lr=1.0)
    before = lib.optim.lr_scheduler.StepLR(opt, step_size=1, gamma=0.5)
    swa = lib.optim.swa_utils.SWALR(opt, **kwargs)
    rates = []
    for epoch in range(15):
        opt.step()
        (before if epoch < 3 else swa).step()
        rates.append([group["lr"] for group in opt.param_groups])
    rates.append(swa.get_last_lr())
    return rates


@pytest.mark.parametrize(
    "kwargs",
    [
        {"swa_lr": 0.05},
        {"swa_lr": [0.05, 0.2], "anneal_epochs": 4, "anneal_strategy": "linear"},
        {"swa_lr": 0.1, "anneal_epochs": 0},
    ],
    ids=str,
)
def test_swalr_matches_torch(kwargs: dict[str, Any]) -> None:
    ours, ref = _swalr_rates(pybigml, kwargs), _swalr_rates(torch, kwargs)
    np.testing.assert_allclose(ours, ref, rtol=1e-15, atol=0)


def test_swalr_state_dict_and_errors() -> None:
    opt = optim.SGD([nn.Parameter(pybigml.ones(1))], lr=1.0)
    with pytest.raises(ValueError, match="anneal_strategy must be one of 'cos' or 'linear'"):
        optim.swa_utils.SWALR(opt, swa_lr=0.1, anneal_strategy="step")
    with pytest.raises(ValueError, match="anneal_epochs must be equal or greater than 0"):
        optim.swa_utils.SWALR(opt, swa_lr=0.1, anneal_epochs=-1)
    with pytest.raises(ValueError, match="swa_lr must have the same length"):
        optim.swa_utils.SWALR(opt, swa_lr=[0.1, 0.2])
    scheduler = optim.swa_utils.SWALR(opt, swa_lr=0.1, anneal_strategy="linear")
    state = scheduler.state_dict()
    assert "anneal_func" not in state and "optimizer" not in state
    other = optim.swa_utils.SWALR(opt, swa_lr=0.1)
    other.load_state_dict(state)
    assert other.anneal_func(0.25) == 0.25
