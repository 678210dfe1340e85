"""The less common layers of ``pybigml.nn`` against PyTorch's: activations, losses,
distances, padding, channel dropout, instance and local response norm, pixel/channel
shuffles and ``Fold``/``Unfold``.

Deterministic layers run in both libraries on the same inputs (weights copied across): the
outputs and the gradients of one random upstream gradient must agree at the tolerances of
``test_nn`` (float64 1e-10 relative: the same formulas, rounding only; float32 1e-5).
``gradcheck``/``gradgradcheck`` then check derivatives against finite differences in float64,
and random layers (dropout variants, ``rrelu`` in training, ``gumbel_softmax``) are checked
for the structure and statistics of their masks. Bad input must raise PyTorch's exception
type, with PyTorch's message where the message is part of the contract.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from hypothesis import given
from hypothesis import strategies as st
from test_nn import TOL, to_ours

import pybigml
import pybigml.nn as nn
import pybigml.nn.functional as F
from pybigml.testing import gradcheck, gradgradcheck
from pybigml.testing.strategies import shapes

DTYPES = ["float32", "float64"]
REDUCTIONS = ["none", "mean", "sum"]


# --------------------------------------------------------------------------- helpers
def assert_close(ours: pybigml.Tensor, ref: torch.Tensor, dtype: str, tol: dict | None) -> None:
    pybigml.testing.assert_close(ours.detach(), to_ours(ref), equal_nan=True, **(tol or TOL[dtype]))


def compare(
    ours: Callable,
    ref: Callable,
    arrays: list[np.ndarray],
    dtype: str,
    requires_grad: tuple[bool, ...] | None = None,
    tol: dict | None = None,
) -> tuple[list[pybigml.Tensor], list[torch.Tensor]]:
    """``ours(*tensors)`` against ``ref(*tensors)``: the values, and the gradients of the
    floating inputs (or those marked in ``requires_grad``) for one random upstream gradient.

    Returns:
        The input tensors of both libraries (to check buffers updated in place).
    """
    arrays = [a.astype(dtype) if a.dtype.kind == "f" else a for a in arrays]
    if requires_grad is None:
        requires_grad = tuple(a.dtype.kind == "f" for a in arrays)
    ours_in = [pybigml.tensor(a, requires_grad=g) for a, g in zip(arrays, requires_grad)]
    ref_in = [torch.tensor(a, requires_grad=g) for a, g in zip(arrays, requires_grad)]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out_ours, out_ref = ours(*ours_in), ref(*ref_in)
    assert_close(out_ours, out_ref, dtype, tol)
    if not out_ref.requires_grad:
        return ours_in, ref_in
    upstream = np.random.default_rng(1).standard_normal(tuple(out_ref.shape)).astype(dtype)
    out_ours.backward(pybigml.tensor(upstream))
    out_ref.backward(torch.tensor(upstream))
    for x_ours, x_ref in zip(ours_in, ref_in):
        if x_ref.grad is not None:
            assert_close(x_ours.grad, x_ref.grad, dtype, tol)
    return ours_in, ref_in


def module_pair(name: str, *args: Any, **kwargs: Any) -> tuple[nn.Module, torch.nn.Module]:
    """The same layer in both libraries, with PyTorch's parameters and buffers copied over."""
    ours, ref = getattr(nn, name)(*args, **kwargs), getattr(torch.nn, name)(*args, **kwargs)
    ours.load_state_dict({k: to_ours(v) for k, v in ref.state_dict().items()})
    return ours, ref


def ours_and_ref(function: str, **kwargs: Any) -> tuple[Callable, Callable]:
    """``F.<function>`` of both libraries with the same keyword arguments bound."""
    return (
        lambda *xs: getattr(F, function)(*xs, **kwargs),
        lambda *xs: getattr(TF, function)(*xs, **kwargs),
    )


def double(*arrays: np.ndarray) -> tuple[pybigml.Tensor, ...]:
    return tuple(pybigml.tensor(a.astype(np.float64), requires_grad=True) for a in arrays)


# --------------------------------------------------------------------------- activations
def activation_input(shape: tuple[int, ...] = (4, 6, 3), seed: int = 0) -> np.ndarray:
    """Normal values of scale 3, plus the kinks and saturated ranges of the activations:
    +-40 (overflow-prone exponentials), 0, +-0.5 (shrink thresholds), +-1, +-3, 6 (the
    hardtanh, relu6 and hard-sigmoid bounds, where PyTorch's one-sided derivatives apply)."""
    x = np.random.default_rng(seed).standard_normal(shape) * 3
    x.reshape(-1)[:12] = [40.0, -40.0, 0.0, 0.5, -0.5, 1.0, -1.0, 3.0, -3.0, 6.0, -6.0, 0.25]
    return x


# PyTorch evaluates a few coefficients in float32 even for float64 tensors (the 1/6 of
# hardsigmoid's derivative, 1 / alpha of celu's), so their float64 results carry float32
# rounding: compared at 1e-7 relative (float32's eps is 1.2e-7).
FLOAT32_COEFFICIENTS = {"rtol": 1e-7, "atol": 1e-9}

ACTIVATIONS = [
    ("Hardtanh", {}, None),
    ("Hardtanh", {"min_val": -2.0, "max_val": 0.5}, None),
    ("ReLU6", {}, None),
    ("Softsign", {}, None),
    ("Mish", {}, None),
    ("Hardswish", {}, None),
    ("Hardsigmoid", {}, FLOAT32_COEFFICIENTS),
    ("LogSigmoid", {}, None),
    ("Threshold", {"threshold": 0.5, "value": -2.0}, None),
    ("GLU", {"dim": 1}, None),
    ("Softmin", {"dim": 1}, None),
    ("CELU", {}, None),
    ("CELU", {"alpha": 0.7}, FLOAT32_COEFFICIENTS),
    ("SELU", {}, None),
    ("Tanhshrink", {}, None),
    ("Softshrink", {}, None),
    ("Softshrink", {"lambd": 1.0}, None),
    ("Hardshrink", {}, None),
    ("Hardshrink", {"lambd": 3.0}, None),
    ("RReLU", {}, None),  # compared in eval mode: the fixed slope (lower + upper) / 2
    ("Softmax2d", {}, None),
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(("name", "kwargs", "tol"), ACTIVATIONS)
def test_activation_modules_match_torch(name: str, kwargs: dict, tol: dict | None, dtype: str):
    ours, ref = module_pair(name, **kwargs)
    ours.eval()
    ref.eval()
    tol = tol if dtype == "float64" else None
    compare(ours, ref, [activation_input()], dtype, tol=tol)


ELEMENTWISE = [
    ("hardtanh", {}),
    ("relu6", {}),
    ("softsign", {}),
    ("mish", {}),
    ("hardswish", {}),
    ("logsigmoid", {}),
    ("threshold", {"threshold": -0.2, "value": 4.0}),
    ("celu", {"alpha": 2.0}),
    ("selu", {}),
    ("tanhshrink", {}),
    ("softshrink", {"lambd": 0.25}),
    ("hardshrink", {"lambd": 0.25}),
    ("rrelu", {}),
]


@given(
    shape=shapes(0, 4, max_numel=60),
    activation=st.sampled_from(ELEMENTWISE),
    dtype=st.sampled_from(DTYPES),
)
def test_elementwise_activations_over_drawn_shapes(shape: tuple, activation: tuple, dtype: str):
    """Any shape, empty and 0-d included, keeps its shape and dtype and matches PyTorch."""
    name, kwargs = activation
    x = np.random.default_rng(len(shape)).standard_normal(shape) * 4
    compare(*ours_and_ref(name, **kwargs), [x], dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("num_parameters", [1, 6])
@pytest.mark.parametrize("shape", [(4, 6, 3), (5, 6)])
def test_prelu_matches_torch(num_parameters: int, shape: tuple[int, ...], dtype: str) -> None:
    ours, ref = module_pair("PReLU", num_parameters, init=0.1)
    ref.weight.data.uniform_(-1, 1)
    ours.weight.data.copy_(to_ours(ref.weight.data))
    x = activation_input(shape).astype(dtype)
    ref, ours = ref.to(getattr(torch, dtype)), ours.to(getattr(pybigml, dtype))
    x_ours, x_ref = pybigml.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    out_ours, out_ref = ours(x_ours), ref(x_ref)
    assert_close(out_ours, out_ref, dtype, None)
    out_ours.sum().backward()
    out_ref.sum().backward()
    assert_close(x_ours.grad, x_ref.grad, dtype, None)
    assert_close(ours.weight.grad, ref.weight.grad, dtype, None)
    assert [n for n, _ in ours.named_parameters()] == ["weight"]


def test_prelu_on_0d_and_1d_input_uses_one_slope() -> None:
    for x in (np.array(-2.0), np.array([-1.0, 2.0, -3.0])):
        compare(F.prelu, TF.prelu, [x, np.array([0.3])], "float64")


FUNCTIONAL_ACTIVATIONS = [
    ("hardtanh", {"min_val": -0.5, "max_val": 2.0}),
    ("relu6", {}),
    ("mish", {}),
    ("hardswish", {}),
    ("hardsigmoid", {}),
    ("threshold", {"threshold": 0.5, "value": 1.5}),
    ("celu", {"alpha": 2.0}),
    ("selu", {}),
    ("rrelu", {"lower": 0.1, "upper": 0.4}),
    ("elu", {}),
    ("leaky_relu", {}),
]


@pytest.mark.parametrize(("name", "kwargs"), FUNCTIONAL_ACTIVATIONS)
def test_inplace_activations_write_into_the_input_and_keep_the_graph(name: str, kwargs: dict):
    """``inplace=True`` returns the input itself, holding the out-of-place result, and
    backpropagates like PyTorch's through the in-place node (run on a non-leaf)."""
    x = activation_input()
    expected = getattr(F, name)(pybigml.tensor(x), **kwargs)
    x_ours, x_ref = pybigml.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    y_ours, y_ref = x_ours * 1.0, x_ref * 1.0
    out = getattr(F, name)(y_ours, **kwargs, inplace=True)
    assert out is y_ours
    pybigml.testing.assert_close(out.detach(), expected)
    out_ref = getattr(TF, name)(y_ref, **kwargs, inplace=True)
    assert_close(out, out_ref, "float64", FLOAT32_COEFFICIENTS if name == "hardsigmoid" else None)
    (out * out).sum().backward()
    (out_ref * out_ref).sum().backward()
    assert_close(x_ours.grad, x_ref.grad, "float64", FLOAT32_COEFFICIENTS)
    trailing_underscore = getattr(F, f"{name}_", None)
    if trailing_underscore is not None:  # PyTorch's F.<name>_ forms
        z = pybigml.tensor(x)
        assert trailing_underscore(z, *kwargs.values()) is z
        pybigml.testing.assert_close(z, expected)


def test_rrelu_training_draws_one_slope_per_negative_element() -> None:
    pybigml.manual_seed(0)
    x = pybigml.tensor(-np.abs(activation_input((50, 40))) - 0.1, requires_grad=True)
    out = F.rrelu(x, 0.1, 0.3, training=True)
    slopes = (out / x).detach().numpy()
    assert slopes.min() >= 0.1 and slopes.max() <= 0.3
    assert slopes.std() > 0.04  # uniform on [0.1, 0.3]: std 0.058, not one fixed slope
    out.sum().backward()
    pybigml.testing.assert_close(x.grad.numpy(), slopes, rtol=1e-6, atol=0)
    positive = pybigml.tensor([1.0, 2.0])
    assert F.rrelu(positive, training=True).tolist() == [1.0, 2.0]
    module = nn.RReLU(0.2, 0.2)  # lower == upper: deterministic in both modes
    pybigml.testing.assert_close(module(pybigml.tensor([-1.0])), pybigml.tensor([-0.2]))


@pytest.mark.parametrize("dim", [-1, 0])
def test_gumbel_softmax_soft_and_straight_through_hard(dim: int) -> None:
    logits = pybigml.tensor(np.random.default_rng(0).standard_normal((5, 4)), requires_grad=True)
    pybigml.manual_seed(3)
    soft = F.gumbel_softmax(logits, tau=0.5, dim=dim)
    pybigml.testing.assert_close(soft.sum(dim), pybigml.ones(soft.shape[1 - dim % 2]).double())
    pybigml.manual_seed(3)
    hard = F.gumbel_softmax(logits, tau=0.5, hard=True, dim=dim)
    # The same draw: the one-hot vector marks the soft sample's argmax.
    assert hard.detach().sum(dim).tolist() == [1.0] * hard.shape[1 - dim % 2]
    assert bool((hard.detach().argmax(dim) == soft.detach().argmax(dim)).all())
    weights = pybigml.tensor(np.random.default_rng(1).standard_normal((5, 4)))
    (grad_hard,) = pybigml.autograd.grad((hard * weights).sum(), logits)
    (grad_soft,) = pybigml.autograd.grad((soft * weights).sum(), logits)
    pybigml.testing.assert_close(grad_hard, grad_soft)  # straight-through: the soft gradient


def test_gumbel_softmax_samples_follow_the_softmax_of_the_logits() -> None:
    # The argmax of logits + Gumbel noise is distributed as softmax(logits).
    pybigml.manual_seed(0)
    logits = pybigml.tensor([[0.0, 1.0, 2.0]]).expand(4000, 3)
    counts = F.gumbel_softmax(logits, hard=True).sum(0).numpy() / 4000
    expected = torch.softmax(torch.tensor([0.0, 1.0, 2.0]), 0).numpy()
    assert np.abs(counts - expected).max() < 0.03  # 4 sigma of a 4000-sample frequency


ACTIVATION_GRADCHECKS = [
    ("hardtanh", {"min_val": -0.5, "max_val": 0.5}),
    ("relu6", {}),
    ("softsign", {}),
    ("mish", {}),
    ("hardswish", {}),
    ("hardsigmoid", {}),
    ("logsigmoid", {}),
    ("threshold", {"threshold": 0.1, "value": 2.0}),
    ("glu", {"dim": 0}),
    ("softmin", {"dim": 1}),
    ("celu", {"alpha": 0.5}),
    ("selu", {}),
    ("tanhshrink", {}),
    ("softshrink", {"lambd": 0.3}),
    ("hardshrink", {"lambd": 0.3}),
    ("rrelu", {}),
]


@pytest.mark.parametrize(("name", "kwargs"), ACTIVATION_GRADCHECKS)
def test_activation_gradcheck_and_gradgradcheck(name: str, kwargs: dict) -> None:
    # Values kept 0.05 away from every kink, where finite differences straddle two pieces.
    x = np.random.default_rng(2).uniform(-4, 4, (4, 3))
    for kink in (-3, -0.5, -0.3, 0, 0.1, 0.3, 0.5, 3):
        near = np.abs(x - kink) < 0.05
        x[near] = kink + 0.05 * np.sign(x[near] - kink + 1e-12)
    (xt,) = double(x)
    function = ours_and_ref(name, **kwargs)[0]
    assert gradcheck(function, (xt,))
    assert gradgradcheck(function, (xt,))
    (weight,) = double(np.array([0.2, -0.4, 0.7]))
    assert gradcheck(F.prelu, (xt, weight))


# --------------------------------------------------------------------------- losses
def _loss_inputs(rng: np.random.Generator, name: str) -> tuple[list[np.ndarray], tuple]:
    """Inputs of loss ``name`` and which of them are differentiable in PyTorch."""
    x = rng.standard_normal((6, 5))
    if name == "triplet_margin_loss":
        return [x, rng.standard_normal((6, 5)), rng.standard_normal((6, 5))], (True,) * 3
    if name in ("soft_margin_loss", "hinge_embedding_loss"):
        return [x, np.sign(rng.standard_normal((6, 5)))], (True, False)
    if name == "multilabel_soft_margin_loss":
        return [x, (rng.random((6, 5)) > 0.5).astype(float), rng.random(5)], (True, False, False)
    if name == "multi_margin_loss":
        return [x, rng.integers(0, 5, 6)], (True, False)
    if name == "multilabel_margin_loss":
        target = np.array(
            [[3, 0, -1, 1, 2], [1, 1, 2, -1, -1], [-1, 2, 3, 4, 0], [0, 1, 2, 3, 4]]
            + [[4, -1, 0, 0, 0], [2, 0, 2, -1, 3]]
        )
        return [x, target], (True, False)
    if name == "poisson_nll_loss":
        return [x, rng.poisson(2.0, (6, 5)).astype(float)], (True, False)
    if name == "gaussian_nll_loss":
        return [x, rng.standard_normal((6, 5)), rng.random((6, 5)) + 0.05], (True,) * 3
    raise AssertionError(name)


LOSSES = [
    ("triplet_margin_loss", {}),
    ("triplet_margin_loss", {"margin": 0.5, "p": 1.5, "swap": True}),
    ("triplet_margin_loss", {"p": 1, "eps": 1e-3}),
    ("soft_margin_loss", {}),
    ("multilabel_soft_margin_loss", {}),
    ("multi_margin_loss", {}),
    ("multi_margin_loss", {"p": 2, "margin": 0.7}),
    ("multilabel_margin_loss", {}),
    ("poisson_nll_loss", {}),
    ("poisson_nll_loss", {"log_input": False, "full": True, "eps": 1e-4}),
    ("gaussian_nll_loss", {}),
    ("gaussian_nll_loss", {"full": True, "eps": 0.1}),
    ("hinge_embedding_loss", {}),
    ("hinge_embedding_loss", {"margin": 0.3}),
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize(("name", "kwargs"), LOSSES)
def test_functional_losses_match_torch(name: str, kwargs: dict, reduction: str, dtype: str):
    arrays, grads = _loss_inputs(np.random.default_rng(0), name)
    if name == "poisson_nll_loss" and not kwargs.get("log_input", True):
        arrays[0] = np.abs(arrays[0])  # a rate, not its log
    ours, ref = ours_and_ref(name, reduction=reduction, **kwargs)
    compare(ours, ref, arrays, dtype, grads)


def _module_arguments(name: str, kwargs: dict) -> dict:
    """Keyword arguments of the module form of a functional loss (``weight`` -> buffer)."""
    return {k: v for k, v in kwargs.items() if k != "weight"}


LOSS_MODULES = {
    "triplet_margin_loss": "TripletMarginLoss",
    "soft_margin_loss": "SoftMarginLoss",
    "multilabel_soft_margin_loss": "MultiLabelSoftMarginLoss",
    "multi_margin_loss": "MultiMarginLoss",
    "multilabel_margin_loss": "MultiLabelMarginLoss",
    "poisson_nll_loss": "PoissonNLLLoss",
    "gaussian_nll_loss": "GaussianNLLLoss",
    "hinge_embedding_loss": "HingeEmbeddingLoss",
}


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize(("name", "kwargs"), LOSSES)
def test_loss_modules_match_torch(name: str, kwargs: dict, reduction: str) -> None:
    arrays, grads = _loss_inputs(np.random.default_rng(1), name)
    if name == "poisson_nll_loss" and not kwargs.get("log_input", True):
        arrays[0] = np.abs(arrays[0])
    module = LOSS_MODULES[name]
    if name in ("multilabel_soft_margin_loss",):
        weight = arrays.pop()
        grads = grads[:-1]
        ours = getattr(nn, module)(weight=pybigml.tensor(weight), reduction=reduction)
        ref = getattr(torch.nn, module)(weight=torch.tensor(weight), reduction=reduction)
    else:
        ours = getattr(nn, module)(**kwargs, reduction=reduction)
        ref = getattr(torch.nn, module)(**kwargs, reduction=reduction)
    compare(ours, ref, arrays, "float64", grads)


@pytest.mark.parametrize("p", [1, 2])
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_multi_margin_loss_weights_and_single_samples(p: int, reduction: str) -> None:
    rng = np.random.default_rng(3)
    weight = rng.random(5)
    target = rng.integers(0, 5, 6)
    ours = nn.MultiMarginLoss(p=p, weight=pybigml.tensor(weight), reduction=reduction)
    ref = torch.nn.MultiMarginLoss(p=p, weight=torch.tensor(weight), reduction=reduction)
    compare(
        lambda x: ours(x, pybigml.tensor(target)),
        lambda x: ref(x, torch.tensor(target)),
        [rng.standard_normal((6, 5))],
        "float64",
    )
    for x, t in ((rng.standard_normal(5), np.array([2])), (rng.standard_normal(()), np.array(0))):
        compare(*ours_and_ref("multi_margin_loss", p=p, reduction=reduction), [x, t], "float64")


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_multilabel_margin_loss_single_sample(reduction: str) -> None:
    rng = np.random.default_rng(4)
    for x, t in ((rng.standard_normal(4), [2, 0, -1, 1]), (rng.standard_normal(()), 0)):
        ours, ref = ours_and_ref("multilabel_margin_loss", reduction=reduction)
        compare(ours, ref, [x, np.array(t)], "float64")


@pytest.mark.parametrize("var_shape", [(6, 5), (6,), (6, 1), (1, 5), "float"])
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_gaussian_nll_loss_variance_shapes(var_shape: Any, reduction: str) -> None:
    rng = np.random.default_rng(5)
    x, y = rng.standard_normal((6, 5)), rng.standard_normal((6, 5))
    if var_shape == "float":
        ours, ref = ours_and_ref("gaussian_nll_loss", var=0.3, reduction=reduction)
        compare(ours, ref, [x, y], "float64")
    else:
        ours, ref = ours_and_ref("gaussian_nll_loss", reduction=reduction)
        var = rng.random(var_shape)
        var.reshape(-1)[0] = 1e-9  # below eps: clamped, with the gradient of the unclamped
        compare(ours, ref, [x, y, var], "float64")


def test_deprecated_size_average_and_reduce_flags() -> None:
    rng = np.random.default_rng(6)
    x, y = rng.standard_normal((4, 3)), np.sign(rng.standard_normal((4, 3)))
    for size_average, reduce in ((False, None), (None, False), (True, True)):
        for name in ("SoftMarginLoss", "HingeEmbeddingLoss", "MultiLabelSoftMarginLoss"):
            with pytest.warns(UserWarning, match="size_average and reduce args"):
                ours = getattr(nn, name)(size_average=size_average, reduce=reduce)
            ref = getattr(torch.nn, name)(size_average=size_average, reduce=reduce)
            assert ours.reduction == ref.reduction
            compare(ours, ref, [x, (y > 0) * 1.0], "float64", (True, False))
        kwargs = {"size_average": size_average, "reduce": reduce}
        compare(*ours_and_ref("soft_margin_loss", **kwargs), [x, y], "float64", (True, False))
        compare(
            *ours_and_ref("poisson_nll_loss", **kwargs), [x, np.abs(y)], "float64", (True, False)
        )


LOSS_GRADCHECKS = [
    ("triplet_margin_loss", {"swap": True}),
    ("soft_margin_loss", {}),
    ("multilabel_soft_margin_loss", {}),
    ("multi_margin_loss", {"p": 2}),
    ("multilabel_margin_loss", {}),
    ("poisson_nll_loss", {"full": True}),
    ("gaussian_nll_loss", {"full": True}),
    ("hinge_embedding_loss", {}),
]


@pytest.mark.parametrize(("name", "kwargs"), LOSS_GRADCHECKS)
def test_loss_gradcheck_and_gradgradcheck(name: str, kwargs: dict) -> None:
    arrays, grads = _loss_inputs(np.random.default_rng(7), name)
    inputs = tuple(
        pybigml.tensor(a, requires_grad=g and a.dtype.kind == "f") for a, g in zip(arrays, grads)
    )
    function = ours_and_ref(name, reduction="sum", **kwargs)[0]
    assert gradcheck(function, inputs)
    assert gradgradcheck(function, inputs)


@pytest.mark.parametrize("swap", [False, True])
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_triplet_margin_with_distance_loss_matches_torch(swap: bool, reduction: str) -> None:
    arrays, grads = _loss_inputs(np.random.default_rng(23), "triplet_margin_loss")
    ours = nn.TripletMarginWithDistanceLoss(margin=0.5, swap=swap, reduction=reduction)
    ref = torch.nn.TripletMarginWithDistanceLoss(margin=0.5, swap=swap, reduction=reduction)
    assert repr(ours) == repr(ref)
    compare(ours, ref, arrays, "float64", grads)

    def cosine_distance(functional: Any) -> Callable:
        return lambda x1, x2: 1 - functional.cosine_similarity(x1, x2)

    kwargs = {"swap": swap, "reduction": reduction}
    compare(
        lambda *abc: F.triplet_margin_with_distance_loss(
            *abc, distance_function=cosine_distance(F), **kwargs
        ),
        lambda *abc: TF.triplet_margin_with_distance_loss(
            *abc, distance_function=cosine_distance(TF), **kwargs
        ),
        arrays,
        "float32",
        grads,
    )


def test_hardtanh_deprecated_bound_names() -> None:
    with pytest.warns(FutureWarning, match="`min_value` is deprecated and renamed to `min_val`"):
        layer = nn.Hardtanh(min_value=-2.0, max_value=3.0)
    assert (layer.min_val, layer.max_val) == (-2.0, 3.0)


# --------------------------------------------------------------------------- distances
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("p", [0, 1, 2, 3.5, float("inf")])
def test_pdist_matches_torch(p: float, dtype: str) -> None:
    x = np.random.default_rng(8).standard_normal((6, 4))
    compare(*ours_and_ref("pdist", p=p), [x], dtype)


def test_pdist_gradient_at_equal_rows_is_zero_and_gradcheck() -> None:
    x = np.random.default_rng(9).standard_normal((4, 3))
    x[1] = x[0]
    compare(*ours_and_ref("pdist"), [x], "float64")
    (xt,) = double(np.random.default_rng(10).standard_normal((5, 3)))
    assert gradcheck(F.pdist, (xt,))
    assert gradcheck(lambda x: F.pdist(x, 1.5), (xt,))
    assert F.pdist(pybigml.zeros(1, 3)).shape == (0,)


@pytest.mark.parametrize("dtype", DTYPES)
def test_distance_modules_match_torch(dtype: str) -> None:
    rng = np.random.default_rng(11)
    x1, x2 = rng.standard_normal((3, 4, 5)), rng.standard_normal((3, 1, 5))
    for kwargs in ({}, {"dim": 2, "eps": 1e-3}):
        compare(*module_pair("CosineSimilarity", **kwargs), [x1, x2], dtype)
    for kwargs in ({}, {"p": 1.0, "keepdim": True}, {"p": 3.0, "eps": 0.1}):
        compare(*module_pair("PairwiseDistance", **kwargs), [x1, x2], dtype)


# --------------------------------------------------------------------------- padding
PADDINGS = [
    ("ZeroPad1d", (2,), 3),
    ("ZeroPad2d", ((1, 2, 0, 3),), 4),
    ("ZeroPad3d", (1,), 5),
    ("ConstantPad1d", ((3, -1), 1.5), 3),
    ("ConstantPad2d", (2, -0.5), 3),
    ("ConstantPad3d", ((1, 0, 2, 1, 0, 1), 2.0), 4),
    ("ReflectionPad1d", ((2, 1),), 3),
    ("ReflectionPad2d", (2,), 4),
    ("ReflectionPad3d", (1,), 5),
    ("ReplicationPad1d", (3,), 2),
    ("ReplicationPad2d", ((1, 3, 2, 0),), 4),
    ("ReplicationPad3d", ((2, 0, 1, 1, 0, 2),), 5),
    ("CircularPad1d", ((2, 1),), 3),
    ("CircularPad2d", (1,), 3),
    ("CircularPad3d", ((1, 2, 0, 1, 1, 0),), 5),
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(("name", "args", "ndim"), PADDINGS)
def test_padding_modules_match_torch(name: str, args: tuple, ndim: int, dtype: str) -> None:
    ours, ref = module_pair(name, *args)
    assert ours.padding == ref.padding
    assert repr(ours) == repr(ref)
    x = np.random.default_rng(12).standard_normal((2, 3, 4, 5, 3)[:ndim])
    compare(ours, ref, [x], dtype)


def test_circular_pad_checks_the_input_rank() -> None:
    with pytest.raises(ValueError, match=r"expected 2D or 3D input \(got 4D input\)"):
        nn.CircularPad1d(1)(pybigml.zeros(1, 2, 3, 4))
    with pytest.raises(NotImplementedError):
        nn.ReflectionPad2d(1)(pybigml.zeros(3, 3))


# --------------------------------------------------------------------------- dropout variants
# (function, input shape, leading dims that index the mask: (N, C) batched, (C,) unbatched)
CHANNEL_DROPOUTS = [
    ("dropout1d", (8, 20, 6), 2),
    ("dropout1d", (60, 6), 1),
    ("dropout2d", (8, 20, 3, 4), 2),
    ("dropout3d", (8, 20, 2, 2, 3), 2),
    ("dropout3d", (60, 2, 2, 3), 1),
    ("feature_alpha_dropout", (8, 20, 5), 2),
]


@pytest.mark.parametrize(("name", "shape", "mask_dims"), CHANNEL_DROPOUTS)
@pytest.mark.parametrize("inplace", [False, True])
def test_channel_dropout_drops_whole_channels(
    name: str, shape: tuple, mask_dims: int, inplace: bool
) -> None:
    pybigml.manual_seed(0)
    x = pybigml.rand(*shape) + 0.5  # positive values, never equal to a dropped one
    source = x.numpy().copy().reshape(*shape[:mask_dims], -1)
    out = getattr(F, name)(x, p=0.3, training=True, inplace=inplace)
    assert (out is x) == inplace
    values = out.numpy().reshape(*shape[:mask_dims], -1)
    if name == "feature_alpha_dropout":
        a = 1 / np.sqrt((1.7580993408473766**2 * 0.3 + 1) * 0.7)
        b = 1.7580993408473766 * a * 0.3
        kept = np.isclose(values, a * source + b, rtol=1e-6)
        dropped = np.isclose(values, -1.7580993408473766 * a + b, rtol=1e-6)
        assert np.all(kept | dropped)
    else:
        kept = values != 0
        np.testing.assert_allclose(values[kept] / source[kept], 1 / 0.7, rtol=1e-6)
    assert np.all(kept.all(-1) | ~kept.any(-1))  # each channel is all kept or all dropped
    assert 0.1 < 1 - kept.all(-1).mean() < 0.5  # p = 0.3 over 60 to 160 channels: > 3 sigma
    assert getattr(F, name)(x, p=0.3, training=False) is x


def test_alpha_dropout_keeps_zero_mean_and_unit_variance() -> None:
    pybigml.manual_seed(1)
    x = pybigml.randn(200_000, dtype=pybigml.float64)
    out = F.alpha_dropout(x, p=0.2, training=True)
    # 200k samples: the standard error of the mean is 0.0022, of the variance about 0.004.
    assert abs(float(out.mean())) < 0.01
    assert abs(float(out.var()) - 1) < 0.02
    values = np.unique(np.round(out.numpy()[np.abs(out.numpy() - out.numpy().min()) < 1e-9], 9))
    assert values.size == 1  # every dropped element takes one value, SELU's saturation, mapped
    assert F.alpha_dropout(x, p=0.2) is x  # training defaults to False in the functional form
    pybigml.testing.assert_close(F.alpha_dropout(x, p=1.0, training=True), x * 0)


@pytest.mark.parametrize(
    "name", ["Dropout1d", "Dropout2d", "Dropout3d", "AlphaDropout", "FeatureAlphaDropout"]
)
def test_dropout_modules_repr_modes_and_gradient(name: str) -> None:
    ours, ref = module_pair(name, 0.25, True)
    assert repr(ours) == repr(ref)
    shape = {"Dropout1d": (3, 6, 4), "Dropout3d": (3, 6, 2, 2, 2)}.get(name, (3, 6, 2, 2))
    ours = getattr(nn, name)(0.25)
    x = pybigml.randn(*shape, dtype=pybigml.float64, requires_grad=True)
    pybigml.manual_seed(2)
    out = ours(x)
    # out = scale * x + shift with a random per-element scale (0 where dropped) and shift
    # (0 without alpha): the gradient of sum(out) is the scale, and out - scale * x the shift.
    out.sum().backward()
    scale, shift = x.grad.numpy(), (out - x * x.grad).detach().numpy()
    alpha = 1.7580993408473766
    if "Alpha" in name:
        a = 1 / np.sqrt((alpha**2 * 0.25 + 1) * 0.75)
        b = alpha * a * 0.25
        dropped = scale == 0
        np.testing.assert_allclose(scale[~dropped], a, rtol=1e-12)
        np.testing.assert_allclose(shift[~dropped], b, rtol=1e-12)
        np.testing.assert_allclose(shift[dropped], b - alpha * a, rtol=1e-12)
    else:
        assert set(np.unique(scale)) <= {0.0, 1 / 0.75}
        assert not shift.any()
    ours.eval()
    assert ours(x) is x
    with pytest.raises(ValueError, match="dropout probability has to be between 0 and 1"):
        getattr(nn, name)(1.5)


def test_dropout_variant_input_checks() -> None:
    with pytest.raises(RuntimeError, match="dropout1d: Expected 2D or 3D input"):
        F.dropout1d(pybigml.zeros(2, 3, 4, 5))
    with pytest.warns(UserWarning, match="dropout2d: Received a 3D input"):
        F.dropout2d(pybigml.ones(2, 3, 4))
    with pytest.warns(UserWarning, match="dropout3d: Received a 3-D input"):
        F.dropout3d(pybigml.ones(2, 3, 4))
    with pytest.raises(RuntimeError, match="Feature dropout requires at least 2 dimensions"):
        F.feature_alpha_dropout(pybigml.ones(4), 0.5, training=True)
    with pytest.raises(ValueError, match="dropout probability"):
        F.alpha_dropout(pybigml.ones(4), -0.1)


# --------------------------------------------------------------------------- normalization
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(
    ("name", "shape"),
    [("InstanceNorm1d", (3, 4, 7)), ("InstanceNorm1d", (4, 7)), ("InstanceNorm2d", (2, 4, 3, 5))]
    + [("InstanceNorm2d", (4, 3, 5)), ("InstanceNorm3d", (2, 4, 2, 3, 2))],
)
@pytest.mark.parametrize("affine", [False, True])
@pytest.mark.parametrize("track", [False, True])
def test_instance_norm_modules_match_torch(
    name: str, shape: tuple, affine: bool, track: bool, dtype: str
) -> None:
    ours, ref = module_pair(name, 4, momentum=0.3, affine=affine, track_running_stats=track)
    assert repr(ours) == repr(ref)
    if affine:
        ref.weight.data.uniform_(0.5, 1.5)
        ref.bias.data.uniform_(-1, 1)
        ours.load_state_dict({k: to_ours(v) for k, v in ref.state_dict().items()})
    ours.to(getattr(pybigml, dtype))
    ref.to(getattr(torch, dtype))
    rng = np.random.default_rng(13)
    for _ in range(2):  # training twice (running statistics move), then eval
        compare(ours, ref, [rng.standard_normal(shape) * 2 + 1], dtype)
        buffers = dict(ours.named_buffers())
        for buffer, value in ref.named_buffers():
            assert_close(buffers[buffer], value, dtype, None)
    ours.eval()
    ref.eval()
    compare(ours, ref, [rng.standard_normal(shape)], dtype)
    if affine:
        assert_close(ours.weight.grad, ref.weight.grad, dtype, None)


def test_instance_norm_functional_and_gradcheck() -> None:
    rng = np.random.default_rng(14)
    x, mean, var = rng.standard_normal((2, 3, 5)), rng.standard_normal(3), rng.random(3) + 0.5
    weight, bias = rng.random(3) + 0.5, rng.standard_normal(3)
    compare(
        lambda x, w, b: F.instance_norm(x, weight=w, bias=b, eps=1e-3),
        lambda x, w, b: TF.instance_norm(x, weight=w, bias=b, eps=1e-3),
        [x, weight, bias],
        "float64",
    )
    for use_input_stats in (True, False):
        ours, ref = ours_and_ref("instance_norm", use_input_stats=use_input_stats)
        stats, stats_ref = compare(ours, ref, [x, mean, var], "float64", (True, False, False))
        assert_close(stats[1], stats_ref[1], "float64", None)  # running mean and variance
        assert_close(stats[2], stats_ref[2], "float64", None)
    inputs = double(x, weight, bias)
    assert gradcheck(lambda x, w, b: F.instance_norm(x, weight=w, bias=b), inputs)
    assert gradgradcheck(lambda x, w, b: F.instance_norm(x, weight=w, bias=b), inputs)
    with pytest.raises(ValueError, match="Expected more than 1 spatial element when training"):
        F.instance_norm(pybigml.zeros(2, 3, 1))
    with pytest.raises(ValueError, match=r"expected 2D or 3D input \(got 4D input\)"):
        nn.InstanceNorm1d(3)(pybigml.zeros(1, 2, 3, 4))
    with pytest.raises(ValueError, match="to match num_features"):
        nn.InstanceNorm1d(3, affine=True)(pybigml.zeros(2, 4, 5))
    with pytest.warns(UserWarning, match="does not match num_features"):
        nn.InstanceNorm1d(3)(pybigml.randn(2, 4, 5))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("size", [1, 2, 3, 4])
@pytest.mark.parametrize("shape", [(2, 5, 4), (2, 5, 3, 4), (1, 3, 2, 2, 3)])
def test_local_response_norm_matches_torch(size: int, shape: tuple, dtype: str) -> None:
    x = np.random.default_rng(15).standard_normal(shape) * 2
    compare(*module_pair("LocalResponseNorm", size, alpha=0.3, beta=0.6, k=1.5), [x], dtype)
    compare(*ours_and_ref("local_response_norm", size=size), [x], dtype)


def test_local_response_norm_gradcheck_and_errors() -> None:
    (x,) = double(np.random.default_rng(16).standard_normal((2, 4, 3)))
    assert gradcheck(lambda x: F.local_response_norm(x, 3, alpha=0.5), (x,))
    assert gradgradcheck(lambda x: F.local_response_norm(x, 3, alpha=0.5), (x,))
    with pytest.raises(ValueError, match=r"Expected 3D or higher dimensionality input"):
        F.local_response_norm(pybigml.zeros(2, 3), 2)
    empty = pybigml.zeros(0, 3, 2)
    assert F.local_response_norm(empty, 2) is empty
    assert repr(nn.LocalResponseNorm(2)) == repr(torch.nn.LocalResponseNorm(2))


# --------------------------------------------------------------------------- shuffles
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", [(8, 2, 3), (2, 12, 3, 2), (2, 1, 4, 2, 1)])
@pytest.mark.parametrize("factor", [1, 2])
def test_pixel_shuffle_and_unshuffle_match_torch(shape: tuple, factor: int, dtype: str) -> None:
    rng = np.random.default_rng(17)
    shape = (*shape[:-3], shape[-3] * factor * factor, *shape[-2:])
    compare(*module_pair("PixelShuffle", factor), [rng.standard_normal(shape)], dtype)
    unshuffled = (*shape[:-2], shape[-2] * factor, shape[-1] * factor)
    compare(*module_pair("PixelUnshuffle", factor), [rng.standard_normal(unshuffled)], dtype)
    x = pybigml.tensor(rng.standard_normal(shape))
    pybigml.testing.assert_close(F.pixel_unshuffle(F.pixel_shuffle(x, factor), factor), x)


@pytest.mark.parametrize("groups", [1, 2, 3, 6])
def test_channel_shuffle_matches_torch(groups: int) -> None:
    x = np.random.default_rng(18).standard_normal((2, 6, 3, 2))
    compare(*module_pair("ChannelShuffle", groups), [x], "float64")
    compare(*ours_and_ref("channel_shuffle", groups=groups), [x[:, :, 0]], "float32")


def test_shuffles_gradcheck() -> None:
    (x,) = double(np.random.default_rng(19).standard_normal((1, 8, 2, 3)))
    assert gradcheck(lambda x: F.pixel_shuffle(x, 2), (x,))
    assert gradcheck(lambda x: F.pixel_unshuffle(x[:, :, :, :2], 2), (x,))
    assert gradcheck(lambda x: F.channel_shuffle(x, 4), (x,))


# --------------------------------------------------------------------------- fold / unfold
@st.composite
def window_geometry(draw: st.DrawFn) -> tuple:
    """An image size and a window geometry (kernel, dilation, padding, stride) that fits."""
    kernel = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    dilation = (draw(st.integers(1, 2)), draw(st.integers(1, 2)))
    padding = (draw(st.integers(0, 2)), draw(st.integers(0, 2)))
    stride = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    size = tuple(
        draw(st.integers(max(1, d * (k - 1) + 1 - 2 * p), 7))
        for k, d, p in zip(kernel, dilation, padding)
    )
    as_int = draw(st.booleans()) and kernel[0] == kernel[1]
    return size, (kernel[0] if as_int else kernel), dilation, padding, stride


@given(geometry=window_geometry(), batch=st.integers(0, 2), dtype=st.sampled_from(DTYPES))
def test_unfold_and_fold_match_torch(geometry: tuple, batch: int, dtype: str) -> None:
    size, kernel, dilation, padding, stride = geometry
    rng = np.random.default_rng(20)
    shape = (batch, 2, *size) if batch else (2, *size)
    ours, ref = module_pair("Unfold", kernel, dilation, padding, stride)
    compare(ours, ref, [rng.standard_normal(shape)], dtype)
    columns = ref(torch.zeros(shape)).shape
    ours, ref = module_pair("Fold", size, kernel, dilation, padding, stride)
    compare(ours, ref, [rng.standard_normal(tuple(columns))], dtype)


@given(geometry=window_geometry())
def test_fold_is_the_adjoint_of_unfold(geometry: tuple) -> None:
    """``<unfold(x), y> = <x, fold(y)>`` for all x, y: col2im is im2col's transpose."""
    size, kernel, dilation, padding, stride = geometry
    rng = np.random.default_rng(21)
    x = pybigml.tensor(rng.standard_normal((2, 3, *size)))
    cols = F.unfold(x, kernel, dilation, padding, stride)
    y = pybigml.tensor(rng.standard_normal(tuple(cols.shape)))
    back = F.fold(y, size, kernel, dilation, padding, stride)
    np.testing.assert_allclose(float((cols * y).sum()), float((x * back).sum()), rtol=1e-10)


def test_unfold_and_fold_gradcheck_and_gradgradcheck() -> None:
    rng = np.random.default_rng(22)
    (x,) = double(rng.standard_normal((1, 2, 4, 5)))
    geometry = {"kernel_size": (2, 3), "dilation": (1, 2), "padding": 1, "stride": (2, 1)}
    assert gradcheck(lambda x: F.unfold(x, **geometry), (x,))
    assert gradgradcheck(lambda x: F.unfold(x, **geometry) ** 2, (x,))
    (cols,) = double(rng.standard_normal(tuple(F.unfold(x, **geometry).shape)))
    assert gradcheck(lambda y: F.fold(y, (4, 5), **geometry), (cols,))
    assert gradgradcheck(lambda y: F.fold(y, (4, 5), **geometry) ** 2, (cols,))


# --------------------------------------------------------------------------- reprs and errors
REPRS = [
    ("Hardtanh", (-2.0, 2.0, True)),
    ("ReLU6", (True,)),
    ("PReLU", (3,)),
    ("Mish", (True,)),
    ("Hardswish", (True,)),
    ("Hardsigmoid", ()),
    ("Threshold", (0.1, 20)),
    ("Threshold", (0.1, 2.0, True)),
    ("GLU", ()),
    ("Softmin", (1,)),
    ("CELU", (2.0, True)),
    ("SELU", ()),
    ("Softshrink", ()),
    ("Hardshrink", (0.3,)),
    ("RReLU", (0.1, 0.3, True)),
    ("Softsign", ()),
    ("LogSigmoid", ()),
    ("Tanhshrink", ()),
    ("Softmax2d", ()),
    ("TripletMarginLoss", ()),
    ("MultiMarginLoss", ()),
    ("GaussianNLLLoss", ()),
    ("CosineSimilarity", ()),
    ("PairwiseDistance", ()),
    ("InstanceNorm1d", (3,)),
    ("InstanceNorm2d", (3, 1e-3, 0.2, True, True)),
    ("PixelShuffle", (2,)),
    ("PixelUnshuffle", (3,)),
    ("ChannelShuffle", (2,)),
    ("Unfold", (2,)),
    ("Unfold", ((2, 3), 1, 1, 2)),
    ("Fold", ((4, 5), 2)),
]


@pytest.mark.parametrize(("name", "args"), REPRS)
def test_repr_matches_torch(name: str, args: tuple) -> None:
    assert repr(getattr(nn, name)(*args)) == repr(getattr(torch.nn, name)(*args))


def _raises_like_torch(ours: Callable, ref: Callable, same_message: bool) -> None:
    with pytest.raises(Exception) as expected:
        ref(torch)
    with pytest.raises(expected.type) as got:
        ours(pybigml)
    if same_message:
        assert str(got.value) == str(expected.value)


def _zeros(lib: Any, *shape: int) -> Any:
    return lib.zeros(*shape)


def _longs(lib: Any, values: Any) -> Any:
    return lib.tensor(values, dtype=lib.int64)


# (case id, call with the library (pybigml or torch) as argument, messages identical)
BAD_INPUTS = [
    ("hardtanh_bounds", lambda t: _functional(t).hardtanh(_zeros(t, 3), 2.0, 1.0), True),
    ("Hardtanh_bounds", lambda t: _nn(t).Hardtanh(2.0, 1.0), True),
    ("prelu_weight_2d", lambda t: _functional(t).prelu(_zeros(t, 2, 3), _zeros(t, 3, 1)), True),
    ("prelu_channels", lambda t: _functional(t).prelu(_zeros(t, 2, 3), _zeros(t, 4)), True),
    ("glu_odd", lambda t: _functional(t).glu(_zeros(t, 3, 5)), True),
    ("glu_dim", lambda t: _functional(t).glu(_zeros(t, 2, 4), 3), True),
    (
        "multi_margin_target_dtype",
        lambda t: _functional(t).multi_margin_loss(_zeros(t, 2, 3), t.tensor([0.0, 1.0])),
        False,
    ),
    ("glu_scalar", lambda t: _functional(t).glu(t.tensor(0.0)), True),
    ("celu_alpha_0", lambda t: _functional(t).celu(_zeros(t, 3), 0.0), True),
    ("softshrink_negative", lambda t: _functional(t).softshrink(_zeros(t, 3), -1.0), False),
    ("rrelu_bounds", lambda t: _functional(t).rrelu(_zeros(t, 3), 0.5, 0.2), True),
    ("Softmax2d_rank", lambda t: _nn(t).Softmax2d()(_zeros(t, 3, 3)), True),
    (
        "triplet_ranks",
        lambda t: _functional(t).triplet_margin_loss(
            _zeros(t, 3, 4), _zeros(t, 4), _zeros(t, 3, 4)
        ),
        True,
    ),
    (
        "triplet_margin",
        lambda t: _functional(t).triplet_margin_loss(*[_zeros(t, 2, 3)] * 3, margin=0),
        True,
    ),
    ("TripletMarginLoss_margin", lambda t: _nn(t).TripletMarginLoss(margin=-1.0), True),
    (
        "triplet_with_distance_margin",
        lambda t: _functional(t).triplet_margin_with_distance_loss(
            *[_zeros(t, 2, 3)] * 3, margin=0
        ),
        True,
    ),
    (
        "multi_margin_p",
        lambda t: _functional(t).multi_margin_loss(_zeros(t, 2, 3), _longs(t, [0, 1]), p=3),
        True,
    ),
    (
        "multi_margin_target",
        lambda t: _functional(t).multi_margin_loss(_zeros(t, 2, 3), _longs(t, [0, 3])),
        True,
    ),
    (
        "multi_margin_batch",
        lambda t: _functional(t).multi_margin_loss(_zeros(t, 3, 4), _longs(t, [0, 1])),
        True,
    ),
    (
        "multi_margin_rank",
        lambda t: _functional(t).multi_margin_loss(_zeros(t, 2, 3, 4), _longs(t, [0, 1])),
        True,
    ),
    (
        "multi_margin_weight",
        lambda t: _functional(t).multi_margin_loss(
            _zeros(t, 2, 3), _longs(t, [0, 1]), weight=_zeros(t, 4)
        ),
        True,
    ),
    ("MultiMarginLoss_p", lambda t: _nn(t).MultiMarginLoss(p=3), True),
    (
        "multilabel_margin_shape",
        lambda t: _functional(t).multilabel_margin_loss(
            _zeros(t, 3, 4), _longs(t, [[0, -1, 0, 0]] * 2)
        ),
        True,
    ),
    (
        "multilabel_margin_range",
        lambda t: _functional(t).multilabel_margin_loss(
            _zeros(t, 1, 4), _longs(t, [[0, 5, -1, 0]])
        ),
        True,
    ),
    (
        "poisson_reduction",
        lambda t: _functional(t).poisson_nll_loss(_zeros(t, 2), _zeros(t, 2), reduction="x"),
        True,
    ),
    (
        "gaussian_var_shape",
        lambda t: _functional(t).gaussian_nll_loss(
            _zeros(t, 2, 3), _zeros(t, 2, 3), _zeros(t, 3, 3)
        ),
        True,
    ),
    (
        "gaussian_var_negative",
        lambda t: _functional(t).gaussian_nll_loss(_zeros(t, 2), _zeros(t, 2), -_zeros(t, 2) - 1),
        True,
    ),
    (
        "gaussian_reduction",
        lambda t: _functional(t).gaussian_nll_loss(_zeros(t, 2), _zeros(t, 2), 1.0, reduction="x"),
        True,
    ),
    (
        "mlsm_reduction",
        lambda t: _functional(t).multilabel_soft_margin_loss(
            _zeros(t, 2, 2), _zeros(t, 2, 2), reduction="x"
        ),
        True,
    ),
    ("pdist_rank", lambda t: _functional(t).pdist(_zeros(t, 3)), True),
    ("pdist_p", lambda t: _functional(t).pdist(_zeros(t, 3, 2), p=-1), True),
    ("pixel_shuffle_rank", lambda t: _functional(t).pixel_shuffle(_zeros(t, 4, 2), 2), True),
    ("pixel_shuffle_channels", lambda t: _functional(t).pixel_shuffle(_zeros(t, 2, 3, 4), 2), True),
    (
        "pixel_shuffle_factor",
        lambda t: _functional(t).pixel_shuffle(_zeros(t, 1, 4, 2, 2), 0),
        True,
    ),
    (
        "pixel_unshuffle_height",
        lambda t: _functional(t).pixel_unshuffle(_zeros(t, 1, 4, 3, 2), 2),
        True,
    ),
    (
        "pixel_unshuffle_width",
        lambda t: _functional(t).pixel_unshuffle(_zeros(t, 1, 4, 2, 3), 2),
        True,
    ),
    ("channel_shuffle_rank", lambda t: _functional(t).channel_shuffle(_zeros(t, 1, 4), 2), True),
    (
        "channel_shuffle_groups",
        lambda t: _functional(t).channel_shuffle(_zeros(t, 1, 4, 3), 3),
        True,
    ),
    ("unfold_blocks", lambda t: _functional(t).unfold(_zeros(t, 1, 2, 3, 3), 4), True),
    ("unfold_kernel", lambda t: _functional(t).unfold(_zeros(t, 1, 2, 3, 3), 0), True),
    ("fold_blocks", lambda t: _functional(t).fold(_zeros(t, 1, 8, 3), (4, 4), 2), True),
    ("fold_channels", lambda t: _functional(t).fold(_zeros(t, 1, 7, 9), (4, 4), 2), True),
    (
        "local_response_rank",
        lambda t: _functional(t).local_response_norm(_zeros(t, 2, 3), 2),
        False,
    ),
    ("instance_norm_spatial", lambda t: _functional(t).instance_norm(_zeros(t, 2, 3, 1)), False),
    ("dropout1d_rank", lambda t: _functional(t).dropout1d(_zeros(t, 3)), True),
    ("Dropout2d_p", lambda t: _nn(t).Dropout2d(-0.5), True),
]


def _functional(lib: Any) -> Any:
    return F if lib is pybigml else TF


def _nn(lib: Any) -> Any:
    return nn if lib is pybigml else torch.nn


@pytest.mark.parametrize(
    ("case", "call", "same_message"), BAD_INPUTS, ids=[c[0] for c in BAD_INPUTS]
)
def test_bad_input_raises_like_torch(case: str, call: Callable, same_message: bool) -> None:
    _raises_like_torch(call, call, same_message)
