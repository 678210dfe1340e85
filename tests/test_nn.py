"""nn layers, losses, init and the Module API, checked against PyTorch.

Layers are compared with PyTorch's on the same weights (copied across through
``load_state_dict``) and the same inputs: forward values and the gradients of a random
upstream gradient, in float64 (tolerance 1e-10: the same formulas, rounding only) and
float32 (rtol 1e-5 / atol 1e-6: a few roundings of eps = 1.2e-7 on values of order 1,
where the two libraries may order the operations differently).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

import pybigml
import pybigml.nn as nn
import pybigml.nn.functional as F
import pybigml.testing

TOL = {"float32": {"rtol": 1e-5, "atol": 1e-6}, "float64": {"rtol": 1e-10, "atol": 1e-12}}


def to_torch(x: pybigml.Tensor, requires_grad: bool = False) -> torch.Tensor:
    return torch.from_numpy(np.array(x.detach().numpy())).requires_grad_(requires_grad)


def to_ours(x: torch.Tensor, requires_grad: bool = False) -> pybigml.Tensor:
    return pybigml.tensor(x.detach().numpy(), requires_grad=requires_grad)


def assert_close(ours: pybigml.Tensor, ref: torch.Tensor, dtype: str) -> None:
    """Values, shape and dtype of ``ours`` against PyTorch's, at the tolerance of ``dtype``."""
    pybigml.testing.assert_close(ours.detach(), to_ours(ref), **TOL[dtype])


def copy_weights(ours: nn.Module, ref: torch.nn.Module) -> None:
    ours.load_state_dict({k: to_ours(v) for k, v in ref.state_dict().items()})


def compare_module(ours: nn.Module, ref: torch.nn.Module, x: np.ndarray, dtype: str) -> None:
    """Same forward output, input gradient and parameter gradients for one random
    upstream gradient."""
    x_ours = pybigml.tensor(x, requires_grad=True)
    x_ref = torch.tensor(x, requires_grad=True)
    out_ours, out_ref = ours(x_ours), ref(x_ref)
    assert_close(out_ours, out_ref, dtype)
    upstream = np.random.default_rng(1).standard_normal(tuple(out_ref.shape)).astype(x.dtype)
    out_ours.backward(pybigml.tensor(upstream))
    out_ref.backward(torch.tensor(upstream))
    assert_close(x_ours.grad, x_ref.grad, dtype)
    ref_params = dict(ref.named_parameters())
    for name, p in ours.named_parameters():
        assert_close(p.grad, ref_params[name].grad, dtype)


# --------------------------------------------------------------------------- layers
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("bias", [True, False])
def test_linear_matches_torch(dtype: str, bias: bool) -> None:
    ref = torch.nn.Linear(7, 5, bias=bias, dtype=getattr(torch, dtype))
    ours = nn.Linear(7, 5, bias=bias, dtype=getattr(pybigml, dtype))
    copy_weights(ours, ref)
    x = np.random.default_rng(0).standard_normal((2, 3, 7)).astype(dtype)
    compare_module(ours, ref, x, dtype)


def test_linear_shape_error_names_shapes() -> None:
    with pytest.raises(RuntimeError, match=r"linear: mat1 and mat2 shapes cannot be multiplied"):
        nn.Linear(4, 2)(pybigml.zeros(3, 5))


ACTIVATIONS = [
    ("ReLU", {}),
    ("LeakyReLU", {"negative_slope": 0.2}),
    ("GELU", {}),
    ("GELU", {"approximate": "tanh"}),
    ("SiLU", {}),
    ("Tanh", {}),
    ("Sigmoid", {}),
    ("Softplus", {}),
    ("Softplus", {"beta": 2.0, "threshold": 5.0}),
    ("ELU", {"alpha": 0.5}),
    ("Softmax", {"dim": 1}),
    ("LogSoftmax", {"dim": -1}),
    ("Flatten", {}),
    ("Identity", {}),
]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize(("name", "kwargs"), ACTIVATIONS)
def test_activation_matches_torch(name: str, kwargs: dict, dtype: str) -> None:
    # Values up to +-40 reach the saturated and overflow-prone branches (softplus, elu).
    x = np.random.default_rng(0).standard_normal((4, 6, 3)) * 3
    x[0, 0, :] = [40.0, -40.0, 0.0]
    compare_module(
        getattr(nn, name)(**kwargs), getattr(torch.nn, name)(**kwargs), x.astype(dtype), dtype
    )


def test_unflatten_and_dropout() -> None:
    x = pybigml.arange(24.0).reshape(2, 12)
    assert nn.Unflatten(1, (3, 4))(x).shape == (2, 3, 4)
    drop = nn.Dropout(0.25)
    pybigml.manual_seed(0)
    y = drop(pybigml.ones(1000))
    kept = y.numpy() != 0
    assert np.allclose(y.numpy()[kept], 1 / 0.75)
    assert 0.65 < kept.mean() < 0.85  # 750 expected, std ~14
    assert drop.eval()(x) is x


def test_one_hot_matches_torch() -> None:
    labels = [0, 3, 1, 3]
    expected = torch.nn.functional.one_hot(torch.tensor(labels), 5)
    assert F.one_hot(pybigml.tensor(labels), 5).tolist() == expected.tolist()
    assert F.one_hot(pybigml.tensor(labels)).shape == (4, 4)
    with pytest.raises(RuntimeError, match="smaller than num_classes"):
        F.one_hot(pybigml.tensor([0, 5]), 3)


# --------------------------------------------------------------------------- losses
LOSS_CASES = [
    ("CrossEntropyLoss", {}, "index"),
    ("CrossEntropyLoss", {"reduction": "sum"}, "index"),
    ("CrossEntropyLoss", {"reduction": "none"}, "index"),
    ("CrossEntropyLoss", {"weight": True}, "index"),
    ("CrossEntropyLoss", {"ignore_index": 2}, "index"),
    ("CrossEntropyLoss", {"weight": True, "ignore_index": 1, "label_smoothing": 0.1}, "index"),
    ("CrossEntropyLoss", {"label_smoothing": 0.2, "reduction": "none"}, "index"),
    ("CrossEntropyLoss", {}, "spatial"),
    ("CrossEntropyLoss", {}, "probs"),
    ("CrossEntropyLoss", {"weight": True, "label_smoothing": 0.3}, "probs"),
    ("NLLLoss", {}, "index"),
    ("NLLLoss", {"weight": True, "reduction": "sum"}, "spatial"),
    ("MSELoss", {}, "probs"),
    ("MSELoss", {"reduction": "sum"}, "probs"),
]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize(("name", "kwargs", "target_kind"), LOSS_CASES)
def test_loss_matches_torch(name: str, kwargs: dict, target_kind: str, dtype: str) -> None:
    rng = np.random.default_rng(0)
    n, c = 6, 4
    shape = (n, c, 3) if target_kind == "spatial" else (n, c)
    x = rng.standard_normal(shape).astype(dtype)
    if target_kind == "probs":
        t = rng.dirichlet(np.ones(c), size=n).astype(dtype)
    else:
        t = rng.integers(0, c, size=(n, 3) if target_kind == "spatial" else n)
    kw_ours, kw_ref = dict(kwargs), dict(kwargs)
    if kwargs.get("weight"):
        w = rng.uniform(0.5, 2.0, c).astype(dtype)
        kw_ours["weight"], kw_ref["weight"] = pybigml.tensor(w), torch.tensor(w)
    ours, ref = getattr(nn, name)(**kw_ours), getattr(torch.nn, name)(**kw_ref)
    x_ours, x_ref = pybigml.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    loss_ours, loss_ref = ours(x_ours, pybigml.tensor(t)), ref(x_ref, torch.tensor(t))
    assert_close(loss_ours, loss_ref, dtype)
    upstream = rng.standard_normal(tuple(loss_ref.shape)).astype(dtype)
    loss_ours.backward(pybigml.tensor(upstream))
    loss_ref.backward(torch.tensor(upstream))
    assert_close(x_ours.grad, x_ref.grad, dtype)


@given(
    n=st.integers(1, 5),
    c=st.integers(1, 6),
    ignore_mask=st.lists(st.booleans(), min_size=5, max_size=5),
    seed=st.integers(0, 2**16),
)
def test_cross_entropy_gradient_is_softmax_minus_onehot(
    n: int, c: int, ignore_mask: list[bool], seed: int
) -> None:
    """d(mean CE)/dx = (softmax(x) - onehot(y)) / (number of targets not ignored)."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, c))
    y = rng.integers(0, c, n)
    y[np.array(ignore_mask[:n])] = -100
    xt = pybigml.tensor(x, requires_grad=True)
    loss = F.cross_entropy(xt, pybigml.tensor(y))
    loss.backward()
    kept = y != -100
    expected = np.exp(x) / np.exp(x).sum(1, keepdims=True)
    expected[np.arange(n)[kept], y[kept]] -= 1
    expected[~kept] = 0
    if kept.any():
        np.testing.assert_allclose(xt.grad.numpy(), expected / kept.sum(), rtol=1e-10, atol=1e-12)
    else:  # everything ignored: NaN loss (0 / 0) but zero gradients, as PyTorch
        assert math.isnan(loss.item()) and not xt.grad.numpy().any()


def test_loss_errors() -> None:
    x = pybigml.zeros(3, 5)
    with pytest.raises(IndexError, match="Target 5 is out of bounds"):
        F.cross_entropy(x, pybigml.tensor([0, 1, 5]))
    with pytest.raises(ValueError, match=r"batch_size \(3\) to match target batch_size \(2\)"):
        F.cross_entropy(x, pybigml.tensor([0, 1]))
    with pytest.raises(ValueError, match="not a valid value for reduction"):
        nn.CrossEntropyLoss(reduction="avg")(x, pybigml.tensor([0, 1, 2]))
    with pytest.raises(RuntimeError, match="weight tensor should be defined"):
        F.nll_loss(x, pybigml.tensor([0, 1, 2]), weight=pybigml.ones(4))


# --------------------------------------------------------------------------- init
def test_init_statistics() -> None:
    pybigml.manual_seed(0)
    w = pybigml.empty(400, 300)
    bound = math.sqrt(
        6 / 300
    )  # kaiming_uniform_(a=0): gain sqrt(2), bound sqrt(3)*gain/sqrt(fan_in)
    nn.init.kaiming_uniform_(w)
    assert w.abs().max().item() <= bound
    # 120,000 draws of U(-b, b): the sample std is within ~0.3% of b/sqrt(3) (1% allowed).
    assert abs(w.std().item() - bound / math.sqrt(3)) < 0.01 * bound
    nn.init.xavier_normal_(w, gain=2.0)
    assert abs(w.std().item() - 2.0 * math.sqrt(2 / 700)) < 0.01 * 2.0 * math.sqrt(2 / 700)
    nn.init.kaiming_normal_(w, mode="fan_out", nonlinearity="relu")
    assert abs(w.std().item() - math.sqrt(2 / 400)) < 0.01 * math.sqrt(2 / 400)
    nn.init.xavier_uniform_(w)
    assert w.abs().max().item() <= math.sqrt(6 / 700)
    assert nn.init.zeros_(w) is w and w.abs().max().item() == 0
    assert nn.init.constant_(w, 0.5).min().item() == 0.5
    for args in [("linear",), ("tanh",), ("relu",), ("leaky_relu", 0.2), ("selu",)]:
        assert nn.init.calculate_gain(*args) == pytest.approx(torch.nn.init.calculate_gain(*args))
    with pytest.raises(ValueError, match="fewer than 2 dimensions"):
        nn.init.xavier_uniform_(pybigml.empty(3))


def test_linear_default_init_range() -> None:
    fc = nn.Linear(100, 50)
    bound = 1 / math.sqrt(100)  # kaiming_uniform_(a=sqrt 5) and the bias rule give the same
    assert fc.weight.abs().max().item() <= bound
    assert fc.bias.abs().max().item() <= bound
    assert fc.weight.std().item() == pytest.approx(bound / math.sqrt(3), rel=0.05)


# --------------------------------------------------------------------------- Module API
class Block(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.fc = nn.Linear(3, 4)
        self.register_buffer("running", pybigml.zeros(4))
        self.register_buffer("scratch", pybigml.zeros(2), persistent=False)
        self.scale = 2.0

    def forward(self, x: pybigml.Tensor) -> pybigml.Tensor:
        return self.fc(x) * self.scale + self.running


class Net(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.block = Block()
        self.head = nn.Sequential(nn.ReLU(), nn.Linear(4, 2))
        self.tied = self.head[1]  # the same module under a second name


def test_named_parameters_buffers_and_modules() -> None:
    net = Net()
    assert [n for n, _ in net.named_parameters()] == [
        "block.fc.weight",
        "block.fc.bias",
        "head.1.weight",
        "head.1.bias",
    ]
    assert len(list(net.named_parameters(remove_duplicate=False))) == 6
    assert [n for n, _ in net.named_parameters(prefix="m", recurse=False)] == []
    assert [n for n, _ in net.named_buffers()] == ["block.running", "block.scratch"]
    assert [n for n, _ in net.named_modules()] == [
        "",
        "block",
        "block.fc",
        "head",
        "head.0",
        "head.1",
    ]
    assert [n for n, _ in net.named_children()] == ["block", "head", "tied"]
    assert net.get_submodule("head.1") is net.tied
    assert list(net.state_dict()) == [  # a module's own entries come before its children's
        "block.running",
        "block.fc.weight",
        "block.fc.bias",
        "head.1.weight",
        "head.1.bias",
        "tied.weight",
        "tied.bias",
    ]


def test_state_dict_round_trip() -> None:
    a, b = Net(), Net()
    a.block.running.fill_(3.0)
    result = b.load_state_dict(a.state_dict())
    assert repr(result) == "<All keys matched successfully>"
    x = pybigml.randn(5, 3)
    assert np.array_equal(a.block(x).detach().numpy(), b.block(x).detach().numpy())
    # state_dict tensors share memory with the parameters but are cut from the graph.
    sd = a.state_dict()
    assert not sd["block.fc.weight"].requires_grad
    assert sd["block.fc.weight"].data_ptr() == a.block.fc.weight.data_ptr()
    assert a.state_dict(keep_vars=True)["block.fc.weight"] is a.block.fc.weight


def test_load_state_dict_errors_match_torch() -> None:
    ours, ref = nn.Linear(3, 4), torch.nn.Linear(3, 4)
    bad_ours = {"weight": pybigml.zeros(4, 4), "foo": pybigml.zeros(1)}
    bad_ref = {"weight": torch.zeros(4, 4), "foo": torch.zeros(1)}
    with pytest.raises(RuntimeError) as ours_err:
        ours.load_state_dict(bad_ours)
    with pytest.raises(RuntimeError) as ref_err:
        ref.load_state_dict(bad_ref)
    assert str(ours_err.value) == str(ref_err.value).replace("torch.Size", "pybigml.Size")
    before = ours.weight.detach().numpy().copy()
    result = ours.load_state_dict(
        {"weight": pybigml.ones(4, 3), "foo": pybigml.zeros(1)}, strict=False
    )
    assert result.missing_keys == ["bias"] and result.unexpected_keys == ["foo"]
    assert np.all(ours.weight.detach().numpy() == 1) and not np.all(before == 1)
    with pytest.raises(RuntimeError, match="size mismatch for weight"):
        ours.load_state_dict({"weight": pybigml.zeros(2, 3)}, strict=False)


def test_hooks_and_handles() -> None:
    fc = nn.Linear(2, 2)
    calls = []
    pre = fc.register_forward_pre_hook(lambda m, args: (args[0] * 0,))
    post = fc.register_forward_hook(lambda m, args, out: calls.append(out.shape) or out + 1)
    out = fc(pybigml.ones(1, 2))
    assert np.allclose(out.detach().numpy(), fc.bias.detach().numpy() + 1)
    assert calls == [(1, 2)]
    pre.remove()
    post.remove()
    x = pybigml.ones(1, 2)
    assert np.allclose(fc(x).detach().numpy(), F.linear(x, fc.weight, fc.bias).detach().numpy())
    assert calls == [(1, 2)]


def test_train_eval_zero_grad_requires_grad_apply() -> None:
    net = Net()
    assert net.eval() is net and not net.head[1].training
    net.train()
    assert all(m.training for m in net.modules())
    net.block(pybigml.randn(2, 3)).sum().backward()
    assert net.block.fc.weight.grad is not None
    net.zero_grad()
    assert net.block.fc.weight.grad is None
    net.requires_grad_(False)
    assert not any(p.requires_grad for p in net.parameters())
    seen = []
    net.apply(lambda m: seen.append(type(m).__name__))
    assert seen[-1] == "Net" and seen.count("Linear") == 3  # the tied one via both parents


def test_to_double_keeps_parameter_objects() -> None:
    net = Net()
    weight = net.block.fc.weight
    assert net.to(pybigml.float64) is net
    assert net.block.fc.weight is weight and weight.dtype == pybigml.float64
    assert net.block.running.dtype == pybigml.float64
    net.float()
    assert weight.dtype == pybigml.float32
    with pytest.raises(TypeError, match="floating point"):
        net.to(pybigml.int64)


def test_setattr_rules() -> None:
    fc = nn.Linear(2, 2)
    with pytest.raises(
        TypeError, match="cannot assign 'pybigml.FloatTensor' as parameter 'weight'"
    ):
        fc.weight = pybigml.zeros(2, 2)
    with pytest.raises(KeyError, match="attribute 'weight' already exists"):
        fc.register_buffer("weight", pybigml.zeros(1))
    with pytest.raises(AttributeError, match="'Linear' object has no attribute 'nope'"):
        _ = fc.nope
    fc.extra = nn.Parameter(pybigml.zeros(1))
    assert [n for n, _ in fc.named_parameters()] == ["weight", "bias", "extra"]
    fc.weight = nn.Parameter(pybigml.ones(2, 2))  # re-assignment keeps the position
    assert [n for n, _ in fc.named_parameters()] == ["weight", "bias", "extra"]
    del fc.extra
    assert "extra" not in fc.state_dict()


def test_parameter() -> None:
    data = pybigml.zeros(3)
    p = nn.Parameter(data)
    assert isinstance(p, pybigml.Tensor) and p.requires_grad and p.is_leaf
    p.detach().add_(1.0)
    assert data.tolist() == [1.0, 1.0, 1.0]  # shares memory
    assert repr(p).startswith("Parameter containing:\ntensor([1., 1., 1.], requires_grad=True)")
    assert not nn.Parameter(data, requires_grad=False).requires_grad


def test_containers() -> None:
    seq = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    assert len(seq) == 3 and isinstance(seq[-1], nn.Linear)
    tail = seq[1:]
    assert isinstance(tail, nn.Sequential) and len(tail) == 2 and tail[0] is seq[1]
    assert [type(m).__name__ for m in seq] == ["Linear", "ReLU", "Linear"]
    seq.append(nn.Tanh())
    del seq[1]
    assert list(seq.state_dict()) == ["0.weight", "0.bias", "1.weight", "1.bias"]
    assert seq(pybigml.randn(5, 3)).shape == (5, 2)
    with pytest.raises(IndexError, match="index 9 is out of range"):
        seq[9]
    layers = nn.ModuleList(nn.Linear(2, 2) for _ in range(3))
    layers.insert(0, nn.ReLU())
    assert len(list(layers.parameters())) == 6 and isinstance(layers[0], nn.ReLU)
    heads = nn.ModuleDict({"a": nn.Linear(2, 1)})
    heads["b"] = nn.Linear(2, 3)
    assert list(heads) == ["a", "b"] and "b" in heads
    assert [n for n, _ in heads.named_parameters()] == ["a.weight", "a.bias", "b.weight", "b.bias"]


def test_repr_matches_torch() -> None:
    def build(lib):  # the same structure in both libraries
        return lib.Sequential(
            lib.Flatten(),
            lib.Linear(4, 3),
            lib.LeakyReLU(0.1, inplace=True),
            lib.ModuleList([lib.GELU(approximate="tanh")] * 2 + [lib.Softmax(dim=1)]),
            lib.ModuleDict({"loss": lib.CrossEntropyLoss(), "d": lib.Dropout(0.1)}),
            lib.ELU(),
            lib.Softplus(),
            lib.Unflatten(1, (1, 3)),
        )

    assert repr(build(nn)) == repr(build(torch.nn))
