"""Losses of ``pybigml.nn`` against PyTorch's, module and functional forms.

Every loss is run in both libraries on the same drawn inputs and options, for each
``reduction``: the values, and the gradients of every differentiable input for one random
upstream gradient, must agree (tolerances of ``test_nn``: 1e-10 relative in float64, where
only rounding differs; 1e-5 in float32). ``gradcheck`` then checks the derivatives against
finite differences in float64, and a catalogue of bad inputs must raise PyTorch's exception
types.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st
from test_nn import TOL, to_ours

import pybigml
import pybigml.nn as nn
import pybigml.nn.functional as F
from pybigml.testing import gradcheck
from pybigml.testing.strategies import shapes

DTYPES = ["float32", "float64"]


# --------------------------------------------------------------------------- comparison helpers
def as_lib(value: Any, lib: Any) -> Any:
    """A numpy array as a tensor of ``lib`` (``pybigml`` or ``torch``); anything else as is."""
    return lib.tensor(value) if isinstance(value, np.ndarray) else value


def assert_close(
    ours: pybigml.Tensor, ref: torch.Tensor, dtype: str, tol: dict | None = None
) -> None:
    """Values, shape and dtype of ``ours`` against PyTorch's, at ``tol`` or the tolerance of
    ``dtype``; NaN where PyTorch has NaN (a mean over nothing) counts as equal."""
    pybigml.testing.assert_close(ours.detach(), to_ours(ref), equal_nan=True, **(tol or TOL[dtype]))


def compare_with_torch(
    ours: Callable,
    ref: Callable,
    arrays: list[np.ndarray],
    requires_grad: tuple[bool, ...],
    dtype: str,
    grad_tol: dict | None = None,
) -> tuple[list[pybigml.Tensor], list[torch.Tensor]]:
    """Run ``ours`` and ``ref`` on tensors made from ``arrays``; compare the outputs and, for one
    random upstream gradient, the gradients of the arrays marked in ``requires_grad``
    (at ``grad_tol`` if given, else at the tolerance of ``dtype``).

    Returns:
        The input tensors of both libraries (for checks of parameters or in-place updates).
    """
    ours_in = [pybigml.tensor(a, requires_grad=g) for a, g in zip(arrays, requires_grad)]
    ref_in = [torch.tensor(a, requires_grad=g) for a, g in zip(arrays, requires_grad)]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # size-mismatch and 'mean' KL warnings, in both
        out_ours, out_ref = ours(*ours_in), ref(*ref_in)
    assert_close(out_ours, out_ref, dtype)
    if not out_ref.requires_grad:
        return ours_in, ref_in
    upstream = np.random.default_rng(1).standard_normal(tuple(out_ref.shape)).astype(dtype)
    out_ours.backward(pybigml.tensor(upstream))
    out_ref.backward(torch.tensor(upstream))
    for x_ours, x_ref in zip(ours_in, ref_in):
        if x_ref.grad is None:  # not reached by the graph
            assert x_ours.grad is None
        else:
            assert_close(x_ours.grad, x_ref.grad, dtype, grad_tol)
    return ours_in, ref_in


def assert_same_error(ours: Callable[[], Any], ref: Callable[[], Any]) -> None:
    """Both calls raise, with the same exception type."""
    with pytest.raises(Exception) as ref_error:
        ref()
    with pytest.raises(type(ref_error.value)):
        ours()


# --------------------------------------------------------------------------- the loss table
@dataclass
class LossCase:
    """One loss configuration. ``make(rng, shape, dtype)`` returns the input arrays and the
    constructor options (numpy arrays among them become tensors of each library)."""

    name: str
    make: Callable[[np.random.Generator, tuple, str], tuple[list[np.ndarray], dict]]
    requires_grad: tuple[bool, ...]
    functional: str
    shape: st.SearchStrategy = field(default_factory=lambda: shapes(1, 3, 1, 5))
    reductions: tuple[str, ...] = ("none", "mean", "sum")
    options: dict = field(default_factory=dict)

    def __str__(self) -> str:
        return self.name + "".join(f"-{k}={v}" for k, v in self.options.items())


def _normal_pair(rng: np.random.Generator, shape: tuple, dtype: str) -> list[np.ndarray]:
    return [(rng.standard_normal(shape) * 1.5).astype(dtype) for _ in range(2)]


def regression(rng: np.random.Generator, shape: tuple, dtype: str) -> tuple[list, dict]:
    return _normal_pair(rng, shape, dtype), {}


def probabilities(rng: np.random.Generator, shape: tuple, dtype: str) -> tuple[list, dict]:
    """Predicted probabilities away from 0 and 1 (the clamped region is tested on its own)
    and soft targets, with a per-feature weight."""
    x = rng.uniform(0.02, 0.98, shape).astype(dtype)
    t = rng.uniform(0.0, 1.0, shape).astype(dtype)
    return [x, t], {"weight": rng.uniform(0.5, 2.0, shape[-1:]).astype(dtype)}


def logits(rng: np.random.Generator, shape: tuple, dtype: str) -> tuple[list, dict]:
    x = (rng.standard_normal(shape) * 4).astype(dtype)
    t = rng.uniform(0.0, 1.0, shape).astype(dtype)
    w = rng.uniform(0.5, 2.0, shape).astype(dtype)
    pos = rng.uniform(0.5, 3.0, shape[-1:]).astype(dtype)
    return [x, t], {"weight": w, "pos_weight": pos}


def log_probs_and_probs(rng: np.random.Generator, shape: tuple, dtype: str) -> tuple[list, dict]:
    x = np.log(rng.dirichlet(np.ones(shape[-1]), size=shape[:-1])).astype(dtype)
    t = rng.dirichlet(np.ones(shape[-1]), size=shape[:-1]).astype(dtype)
    return [x, t], {}


def log_probs_and_log_probs(
    rng: np.random.Generator, shape: tuple, dtype: str
) -> tuple[list, dict]:
    x, t = log_probs_and_probs(rng, shape, dtype)[0]
    return [x, np.log(t)], {}


def ranking(rng: np.random.Generator, shape: tuple, dtype: str) -> tuple[list, dict]:
    y = rng.choice([-1.0, 1.0], shape).astype(dtype)
    return [*_normal_pair(rng, shape, dtype), y], {}


def embedding_pairs(rng: np.random.Generator, shape: tuple, dtype: str) -> tuple[list, dict]:
    y = rng.choice([-1.0, 1.0], shape[:-1]).astype(dtype)
    return [*_normal_pair(rng, shape, dtype), y], {}


def class_scores(rng: np.random.Generator, shape: tuple, dtype: str) -> tuple[list, dict]:
    """Scores ``(N, C, *)`` and int64 targets ``(N, *)``, some equal to ``ignore_index`` 1."""
    x = (rng.standard_normal(shape) * 2).astype(dtype)
    t = rng.integers(0, shape[1], (shape[0], *shape[2:]))
    return [x, t], {"weight": rng.uniform(0.5, 2.0, shape[1]).astype(dtype)}


def class_log_probabilities(
    rng: np.random.Generator, shape: tuple, dtype: str
) -> tuple[list, dict]:
    """``nll_loss``'s input: log-probabilities over dim 1 (negative, so a weighted sum of them
    does not cancel, which float32 could not resolve to 1e-5)."""
    (x, t), options = class_scores(rng, shape, dtype)
    x = x - np.log(np.exp(x).sum(axis=1, keepdims=True))
    return [x.astype(dtype), t], options


def class_probabilities(rng: np.random.Generator, shape: tuple, dtype: str) -> tuple[list, dict]:
    x = (rng.standard_normal(shape) * 2).astype(dtype)
    t = np.moveaxis(rng.dirichlet(np.ones(shape[1]), size=(shape[0], *shape[2:])), -1, 1)
    return [x, t.astype(dtype)], {"weight": rng.uniform(0.5, 2.0, shape[1]).astype(dtype)}


SCORES = shapes(2, 4, 1, 4)  # (N, C, *) with C >= 1
# (N, D) with D >= 2: for D = 1 the cosine is +-1 whatever the input and its gradient is
# rounding noise.
VECTORS = st.tuples(st.integers(1, 5), st.integers(2, 5))

LOSSES = [
    LossCase("L1Loss", regression, (True, True), "l1_loss"),
    LossCase("MSELoss", regression, (True, True), "mse_loss"),
    LossCase("SmoothL1Loss", regression, (True, True), "smooth_l1_loss"),
    LossCase("SmoothL1Loss", regression, (True, True), "smooth_l1_loss", options={"beta": 0.4}),
    LossCase("SmoothL1Loss", regression, (True, True), "smooth_l1_loss", options={"beta": 0.0}),
    LossCase("HuberLoss", regression, (True, True), "huber_loss"),
    LossCase("HuberLoss", regression, (True, True), "huber_loss", options={"delta": 2.5}),
    LossCase("BCELoss", probabilities, (True, True), "binary_cross_entropy"),
    LossCase("BCEWithLogitsLoss", logits, (True, True), "binary_cross_entropy_with_logits"),
    LossCase(
        "KLDivLoss",
        log_probs_and_probs,
        (True, True),
        "kl_div",
        reductions=("none", "mean", "sum", "batchmean"),
    ),
    LossCase(
        "KLDivLoss",
        log_probs_and_log_probs,
        (True, True),
        "kl_div",
        reductions=("none", "sum", "batchmean"),
        options={"log_target": True},
    ),
    LossCase("MarginRankingLoss", ranking, (True, True, False), "margin_ranking_loss"),
    LossCase(
        "MarginRankingLoss",
        ranking,
        (True, True, False),
        "margin_ranking_loss",
        options={"margin": 0.5},
    ),
    LossCase(
        "CosineEmbeddingLoss",
        embedding_pairs,
        (True, True, False),
        "cosine_embedding_loss",
        shape=VECTORS,
        options={"margin": 0.2},
    ),
    LossCase(
        "CrossEntropyLoss",
        class_scores,
        (True, False),
        "cross_entropy",
        shape=SCORES,
        options={"ignore_index": 1, "label_smoothing": 0.15},
    ),
    LossCase("CrossEntropyLoss", class_probabilities, (True, True), "cross_entropy", shape=SCORES),
    LossCase(
        "CrossEntropyLoss",
        class_probabilities,
        (True, True),
        "cross_entropy",
        shape=SCORES,
        options={"label_smoothing": 0.3},
    ),
    LossCase("NLLLoss", class_log_probabilities, (True, False), "nll_loss", shape=SCORES),
]


def _kwargs(case: LossCase, made: dict, reduction: str, lib: Any) -> dict:
    kwargs = {**case.options, **made, "reduction": reduction}
    return {k: as_lib(v, lib) for k, v in kwargs.items()}


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("case", LOSSES, ids=str)
@given(data=st.data(), seed=st.integers(0, 2**16))
def test_loss_matches_torch(case: LossCase, dtype: str, data: st.DataObject, seed: int) -> None:
    shape = data.draw(case.shape, label="shape")
    arrays, made = case.make(np.random.default_rng(seed), shape, dtype)
    for reduction in case.reductions:
        ours = getattr(nn, case.name)(**_kwargs(case, made, reduction, pybigml))
        ref = getattr(torch.nn, case.name)(**_kwargs(case, made, reduction, torch))
        ours_in, _ = compare_with_torch(ours, ref, arrays, case.requires_grad, dtype)
        # The functional form is what the module calls: the same values.
        functional = getattr(F, case.functional)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            direct = functional(*ours_in, **_kwargs(case, made, reduction, pybigml))
            via_module = ours(*ours_in)
        np.testing.assert_array_equal(direct.detach().numpy(), via_module.detach().numpy())


@pytest.mark.filterwarnings("ignore:reduction. 'mean' divides the total loss")
@pytest.mark.parametrize("case", LOSSES, ids=str)
def test_loss_gradcheck(case: LossCase) -> None:
    """Derivatives against central differences in float64, summed and unreduced."""
    rng = np.random.default_rng(0)
    shape = (3, 4) if case.shape is not SCORES else (3, 4, 2)
    arrays, made = case.make(rng, shape, "float64")
    inputs = [pybigml.tensor(a, requires_grad=g) for a, g in zip(arrays, case.requires_grad)]
    for reduction in ("none", "sum"):
        loss = getattr(nn, case.name)(**_kwargs(case, made, reduction, pybigml))
        assert gradcheck(loss, tuple(inputs))


# --------------------------------------------------------------------------- numerics at the edges
@pytest.mark.parametrize("dtype", DTYPES)
def test_bce_at_saturated_probabilities_matches_torch(dtype: str) -> None:
    """x = 0 or 1 exactly (a saturated sigmoid): the log is clamped at -100 and the gradient
    is (x - y) / max(x (1 - x), 1e-12), finite, as in PyTorch."""
    x = np.array([0.0, 1.0, 0.0, 1.0, 1e-30, 1 - 1e-7, 0.5], dtype=dtype)
    t = np.array([0.0, 1.0, 1.0, 0.0, 0.3, 1.0, 0.5], dtype=dtype)
    for reduction in ("none", "sum"):
        compare_with_torch(
            nn.BCELoss(reduction=reduction),
            torch.nn.BCELoss(reduction=reduction),
            [x, t],
            (True, False),
            dtype,
        )


@pytest.mark.parametrize("dtype", DTYPES)
def test_bce_with_logits_is_stable_for_huge_logits(dtype: str) -> None:
    x = np.array([-1000.0, -100.0, -30.0, 0.0, 30.0, 100.0, 1000.0], dtype=dtype)
    t = np.array([1.0, 0.0, 1.0, 0.5, 0.0, 1.0, 0.0], dtype=dtype)
    pos_weight = np.array([2.0], dtype=dtype)
    for reduction in ("none", "mean"):
        ours_in, _ = compare_with_torch(
            nn.BCEWithLogitsLoss(reduction=reduction, pos_weight=pybigml.tensor(pos_weight)),
            torch.nn.BCEWithLogitsLoss(reduction=reduction, pos_weight=torch.tensor(pos_weight)),
            [x, t],
            (True, True),
            dtype,
        )
        assert np.isfinite(ours_in[0].grad.numpy()).all()


def test_kl_div_zero_target_contributes_nothing() -> None:
    x = pybigml.tensor([[-1.0, -2.0, -0.5]], requires_grad=True)
    t = pybigml.tensor([[0.0, 0.7, 0.3]])
    loss = F.kl_div(x, t, reduction="sum")
    expected = 0.7 * (math.log(0.7) + 2.0) + 0.3 * (math.log(0.3) + 0.5)
    assert loss.item() == pytest.approx(expected, rel=1e-6)
    loss.backward()
    np.testing.assert_allclose(x.grad.numpy(), [[0.0, -0.7, -0.3]], rtol=1e-6)
    with pytest.warns(UserWarning, match="'batchmean' divides only by the batch size"):
        F.kl_div(x, t)


def test_huber_is_delta_times_smooth_l1() -> None:
    rng = np.random.default_rng(3)
    x, y = (pybigml.tensor(a) for a in rng.standard_normal((2, 20)) * 3)
    huber = F.huber_loss(x, y, delta=1.7, reduction="none")
    smooth = F.smooth_l1_loss(x, y, beta=1.7, reduction="none")
    np.testing.assert_allclose(huber.numpy(), 1.7 * smooth.numpy(), rtol=1e-6)


@pytest.mark.parametrize("name", ["l1_loss", "mse_loss", "huber_loss"])
def test_elementwise_weight_matches_torch(name: str) -> None:
    rng = np.random.default_rng(4)
    x, y, w = (rng.standard_normal((3, 4)) for _ in range(3))
    w = np.abs(w)
    for reduction in ("none", "mean", "sum"):
        ours = getattr(F, name)(
            pybigml.tensor(x), pybigml.tensor(y), reduction=reduction, weight=pybigml.tensor(w)
        )
        ref = getattr(torch.nn.functional, name)(
            torch.tensor(x), torch.tensor(y), reduction=reduction, weight=torch.tensor(w)
        )
        assert_close(ours, ref, "float64")


def test_legacy_reduction_flags() -> None:
    x, y = pybigml.tensor([1.0, -2.0]), pybigml.tensor([0.0, 0.0])
    with pytest.warns(UserWarning, match="reduction='sum'"):
        assert nn.L1Loss(size_average=False).reduction == "sum"
    with pytest.warns(UserWarning):
        assert F.smooth_l1_loss(x, y, reduce=False).shape == (2,)


# --------------------------------------------------------------------------- bad input
def _pair(*shape: int, dtype: Any = None) -> tuple[Callable, Callable]:
    """Factories of the same random values in each library."""
    values = np.random.default_rng(5).uniform(0.1, 0.9, shape)

    def make(lib: Any) -> Any:
        return lib.tensor(values, dtype=getattr(lib, dtype) if dtype else lib.float32)

    return make


X23, X3, X4, X24, X2 = _pair(2, 3), _pair(3), _pair(4), _pair(2, 4), _pair(2)
LONG3 = _pair(3, dtype="int64")

BAD_CALLS = {
    "bce_target_shape": lambda lib: lib.nn.functional.binary_cross_entropy(X3(lib), X23(lib)),
    "bce_out_of_range": lambda lib: lib.nn.functional.binary_cross_entropy(X3(lib) + 1, X3(lib)),
    "bce_integer_target": lambda lib: lib.nn.functional.binary_cross_entropy(
        X3(lib), lib.tensor([1, 0, 1])
    ),
    "bce_logits_target_shape": lambda lib: lib.nn.functional.binary_cross_entropy_with_logits(
        X3(lib), X23(lib)
    ),
    "l1_unbroadcastable": lambda lib: lib.nn.functional.l1_loss(X3(lib), X4(lib)),
    "l1_bad_reduction": lambda lib: lib.nn.functional.l1_loss(X3(lib), X3(lib), reduction="x"),
    "kl_bad_reduction": lambda lib: lib.nn.functional.kl_div(X3(lib), X3(lib), reduction="x"),
    "smooth_l1_negative_beta": lambda lib: lib.nn.functional.smooth_l1_loss(
        X3(lib), X3(lib), beta=-1.0
    ),
    "huber_zero_delta": lambda lib: lib.nn.functional.huber_loss(X3(lib), X3(lib), delta=0.0),
    "weight_shape": lambda lib: lib.nn.functional.l1_loss(X23(lib), X23(lib), weight=X3(lib)),
    "margin_ranking_ranks": lambda lib: lib.nn.functional.margin_ranking_loss(
        X3(lib), X3(lib).reshape(3, 1), X3(lib)
    ),
    "cosine_embedding_2d_target": lambda lib: lib.nn.functional.cosine_embedding_loss(
        X23(lib), X23(lib), X23(lib)
    ),
    "cosine_embedding_rank": lambda lib: lib.nn.functional.cosine_embedding_loss(
        X3(lib), X3(lib), X2(lib)
    ),
    "cross_entropy_target_range": lambda lib: lib.nn.functional.cross_entropy(
        X23(lib), lib.tensor([0, 3])
    ),
    "cross_entropy_label_smoothing": lambda lib: lib.nn.functional.cross_entropy(
        X23(lib), lib.tensor([0, 1]), label_smoothing=1.5
    ),
}


@pytest.mark.parametrize("call", BAD_CALLS.values(), ids=BAD_CALLS.keys())
def test_bad_input_raises_like_torch(call: Callable) -> None:
    assert_same_error(lambda: call(pybigml), lambda: call(torch))


def test_error_messages_name_the_problem() -> None:
    with pytest.raises(ValueError, match=r"Target size \(pybigml.Size\(\[3\]\)\) must be the same"):
        F.binary_cross_entropy_with_logits(pybigml.zeros(2, 3), pybigml.zeros(3))
    with pytest.raises(RuntimeError, match="all elements of input should be between 0 and 1"):
        F.binary_cross_entropy(pybigml.tensor([1.5]), pybigml.tensor([1.0]))
    with pytest.raises(RuntimeError, match="1D target tensor expects 2D input tensors"):
        F.cosine_embedding_loss(pybigml.zeros(3), pybigml.zeros(3), pybigml.ones(2))
