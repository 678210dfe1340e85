"""Reductions (sum ... median), cumulative ops and softmax against PyTorch.

``compare`` runs one function on PyTorch and on pybigml with the same float64 values: either
both raise the same exception type, or the outputs agree in value, dtype and shape and the
gradients of every input (for a random output gradient) agree too. The only numerical
difference from PyTorch is the order of summation (relative error ~ n * 2^-53 for n terms),
so tolerances are tight. ``gradcheck``/``gradgradcheck`` then check the backward formulas
themselves by finite differences on small inputs with well separated values (no ties a
perturbation could flip, no zeros where a norm has a kink).
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

import pybigml
from pybigml.testing import gradcheck, gradgradcheck
from pybigml.testing.strategies import shapes

# float64: only the summation order differs (~n 2^-53 relative); float32 (the dtype tests)
# rounds each step to 2^-24, a few ulps over these few terms
TOLERANCE = {"float64": (1e-9, 1e-12), "float32": (1e-5, 1e-6)}

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")  # torch: var with dof <= 0


# ----------------------------------------------------------------------------- the harness
def _outputs(result: object) -> tuple:
    return tuple(result) if isinstance(result, (tuple, list)) else (result,)


def _assert_same(p: pybigml.Tensor, t: torch.Tensor) -> None:
    assert p.dtype.name == str(t.dtype).removeprefix("torch."), (p.dtype, t.dtype)
    assert tuple(p.shape) == tuple(t.shape), (p.shape, t.shape)
    rtol, atol = TOLERANCE.get(p.dtype.name, (0, 0))
    np.testing.assert_allclose(
        p.detach().numpy(), t.detach().numpy(), rtol=rtol, atol=atol, equal_nan=True
    )


def compare(fn: Callable, *arrays: np.ndarray, grad: bool = True, seed: int = 0) -> None:
    """``fn(module, *tensors)`` on torch and on pybigml: same error type, or same results.

    Float inputs require grad (when ``grad``); the gradients of all of them for one random
    gradient of every differentiable output are compared as well.
    """
    wants = [grad and a.dtype.kind == "f" for a in arrays]
    t_in = [torch.tensor(a, requires_grad=w) for a, w in zip(arrays, wants)]
    p_in = [pybigml.tensor(a, requires_grad=w) for a, w in zip(arrays, wants)]
    try:
        t_out = _outputs(fn(torch, *t_in))
    except Exception as e:  # noqa: BLE001 - any torch error must be pybigml's error too
        with pytest.raises(type(e)):
            fn(pybigml, *p_in)
        return
    p_out = _outputs(fn(pybigml, *p_in))
    assert len(p_out) == len(t_out)
    for p, t in zip(p_out, t_out):
        _assert_same(p, t)
    diff = [i for i, t in enumerate(t_out) if t.requires_grad]
    sources = [i for i, w in enumerate(wants) if w]
    if not diff or not sources:
        return
    rng = np.random.default_rng(seed)
    g = [rng.standard_normal(tuple(t_out[i].shape)) for i in diff]
    t_grads = torch.autograd.grad(
        [t_out[i] for i in diff],
        [t_in[i] for i in sources],
        [torch.tensor(x) for x in g],
        allow_unused=True,
    )
    p_grads = pybigml.autograd.grad(
        [p_out[i] for i in diff],
        [p_in[i] for i in sources],
        [pybigml.tensor(x) for x in g],
        allow_unused=True,
    )
    for i, t, p in zip(sources, t_grads, p_grads):
        t = torch.zeros_like(t_in[i]) if t is None else t
        p = pybigml.zeros_like(p_in[i]) if p is None else p
        _assert_same(p, t)


def separated(shape: tuple, seed: int) -> np.ndarray:
    """Distinct values at least 1 apart in magnitude, of both signs, none near zero."""
    rng = np.random.default_rng(seed)
    n = math.prod(shape)
    magnitudes = rng.permutation(n) + 0.5 + rng.uniform(0, 0.2)
    return (magnitudes * rng.choice([-1.0, 1.0], n)).reshape(shape)


@st.composite
def dims_case(draw: st.DrawFn, single: bool, max_numel: int | None = None) -> tuple:
    """(values, dim, keepdim): shapes with size-0 and size-1 dims, negative dims, tuples."""
    shape = draw(shapes(0, 3, 0, 4, max_numel=max_numel))
    n = max(len(shape), 1)
    wrapped = st.integers(0, n - 1).flatmap(lambda d: st.sampled_from([d, d - n]))
    if single:
        dim = draw(wrapped)
    else:
        # an empty tuple means all dims except for all/any (PyTorch's var/std backward gets it
        # wrong), so None stands for "all dims"; test_empty_dim_list covers ()
        chosen = draw(st.lists(st.integers(0, n - 1), unique=True, min_size=1, max_size=n))
        negate = draw(st.lists(st.booleans(), min_size=len(chosen), max_size=len(chosen)))
        dim = draw(
            st.one_of(
                st.none(),
                wrapped,
                st.just(tuple(d - n if s else d for d, s in zip(chosen, negate))),
            )
        )
    seed = draw(st.integers(0, 2**16))
    return np.random.default_rng(seed).standard_normal(shape), dim, draw(st.booleans())


# ----------------------------------------------------------------------------- the ops
# fn(module, x, dim, keepdim) for reductions over an int, a tuple of ints or None
MULTI_DIM = {
    "sum": lambda m, x, d, k: m.sum(x, d, k) if d is not None else m.sum(x),
    "mean": lambda m, x, d, k: x.mean(d, keepdim=k),
    "var": lambda m, x, d, k: m.var(x, d, keepdim=k),
    "var_unbiased_false": lambda m, x, d, k: x.var(d, unbiased=False, keepdim=k),
    "std_correction0": lambda m, x, d, k: x.std(d, correction=0, keepdim=k),
    "var_mean": lambda m, x, d, k: m.var_mean(x, d, keepdim=k),
    "std_mean": lambda m, x, d, k: m.std_mean(x, d, keepdim=k),
    "amax": lambda m, x, d, k: x.amax(() if d is None else d, k),
    "amin": lambda m, x, d, k: m.amin(x, () if d is None else d, keepdim=k),
    "logsumexp": lambda m, x, d, k: x.logsumexp(tuple(range(x.ndim)) if d is None else d, k),
    "norm": lambda m, x, d, k: x.norm(dim=d, keepdim=k),
    "norm1": lambda m, x, d, k: m.norm(x, 1, d, k),
    "norm_inf": lambda m, x, d, k: x.norm(math.inf, d, k),
    "norm3": lambda m, x, d, k: x.norm(3, d, k),
    "norm0": lambda m, x, d, k: x.norm(0, d, k),
    "all": lambda m, x, d, k: (x > 0).all(d, k) if d is not None else (x > 0).all(),
    "any": lambda m, x, d, k: m.any(x > 0, d, k) if d is not None else m.any(x > 0),
    "count_nonzero": lambda m, x, d, k: m.count_nonzero(x > 0, d),
}

# fn(module, x, dim, keepdim) for ops along one dim
SINGLE_DIM = {
    "prod": lambda m, x, d, k: x.prod(d, k),
    "max": lambda m, x, d, k: x.max(d, k),
    "min": lambda m, x, d, k: m.min(x, dim=d, keepdim=k),
    "argmax": lambda m, x, d, k: x.argmax(d, k),
    "argmin": lambda m, x, d, k: m.argmin(x, d, keepdim=k),
    "median": lambda m, x, d, k: x.median(d, k),
    "cumsum": lambda m, x, d, k: x.cumsum(d),
    "cumprod": lambda m, x, d, k: m.cumprod(x, d),
    "softmax": lambda m, x, d, k: x.softmax(d),
    "log_softmax": lambda m, x, d, k: m.log_softmax(x, d),
}

# reductions of all elements
NO_DIM = {
    "sum": lambda m, x: x.sum(),
    "prod": lambda m, x: m.prod(x),
    "max": lambda m, x: x.max(),
    "min": lambda m, x: m.min(x),
    "median": lambda m, x: x.median(),
    "argmax": lambda m, x: x.argmax(),
    "argmin_keepdim": lambda m, x: x.argmin(keepdim=True),
    "norm": lambda m, x: m.norm(x),
    "std": lambda m, x: x.std(),
}


@pytest.mark.parametrize("name", sorted(MULTI_DIM))
@given(case=dims_case(single=False))
def test_reduction_over_dims_against_torch(name: str, case: tuple) -> None:
    x, dim, keepdim = case
    compare(lambda m, t: MULTI_DIM[name](m, t, dim, keepdim), x)


@pytest.mark.parametrize("name", sorted(SINGLE_DIM))
@given(case=dims_case(single=True))
def test_op_along_a_dim_against_torch(name: str, case: tuple) -> None:
    x, dim, keepdim = case
    compare(lambda m, t: SINGLE_DIM[name](m, t, dim, keepdim), x)


@pytest.mark.parametrize("name", sorted(NO_DIM))
@given(shape=shapes(0, 3, 0, 4), seed=st.integers(0, 2**16))
def test_full_reduction_against_torch(name: str, shape: tuple, seed: int) -> None:
    compare(NO_DIM[name], np.random.default_rng(seed).standard_normal(shape))


DIFFERENTIABLE = {
    **{k: v for k, v in MULTI_DIM.items() if k not in ("all", "any", "count_nonzero", "norm0")},
    **{k: v for k, v in SINGLE_DIM.items() if not k.startswith("arg")},
}


@pytest.mark.parametrize("name", sorted(DIFFERENTIABLE))
@given(data=st.data(), seed=st.integers(0, 2**16))
def test_gradcheck_and_gradgradcheck(name: str, data: st.DataObject, seed: int) -> None:
    x, dim, keepdim = data.draw(dims_case(single=name in SINGLE_DIM, max_numel=6))
    fn = DIFFERENTIABLE[name]
    try:
        reference = _outputs(fn(torch, torch.tensor(x), dim, keepdim))
    except (RuntimeError, IndexError):
        return  # an empty slice without an identity: checked against torch above
    if not all(torch.isfinite(r).all() for r in reference):
        return  # e.g. the variance of fewer elements than the correction: nan, no derivative
    t = pybigml.tensor(separated(x.shape, seed), requires_grad=True)

    def f(t: pybigml.Tensor) -> tuple:
        return tuple(o for o in _outputs(fn(pybigml, t, dim, keepdim)) if o.requires_grad)

    assert gradcheck(f, (t,))
    assert gradgradcheck(f, (t,))


# ----------------------------------------------------------------------------- dtypes
@pytest.mark.parametrize("dtype", [np.int32, np.int64, np.bool_, np.uint8, np.float32])
@pytest.mark.parametrize(
    "fn",
    [
        lambda m, x: x.sum(),
        lambda m, x: x.sum(0, dtype=m.float64),
        lambda m, x: x.prod(1),
        lambda m, x: x.cumsum(1),
        lambda m, x: m.cumprod(x, 0, dtype=m.float32),
        lambda m, x: x.mean(),
        lambda m, x: x.mean(1, dtype=m.float64),
        lambda m, x: x.var(),
        lambda m, x: x.amax(1),
        lambda m, x: x.max(),
        lambda m, x: x.max(0),
        lambda m, x: x.argmin(1),
        lambda m, x: x.all(),
        lambda m, x: x.any(0),
        lambda m, x: m.count_nonzero(x, 1),
        lambda m, x: x.logsumexp(1),
        lambda m, x: x.softmax(1, dtype=m.float64),
        lambda m, x: x.norm(),
    ],
)
def test_result_dtypes_and_type_errors(dtype: type, fn: Callable) -> None:
    x = np.array([[0, 3, 1], [2, 0, 1]]).astype(dtype)
    compare(fn, x, grad=False)


# ----------------------------------------------------------------------------- errors
@pytest.mark.parametrize(
    "fn",
    [
        lambda m, x: x.sum(5),
        lambda m, x: x.mean((0, -3)),
        lambda m, x: x.amax(2),
        lambda m, x: x.max(-3),
        lambda m, x: x.argmax(2),
        lambda m, x: x.softmax(2),
        lambda m, x: x.cumsum(-3),
        lambda m, x: x.logsumexp(7),
        lambda m, x: x.var(2),
    ],
)
def test_dim_out_of_range(fn: Callable) -> None:
    x = pybigml.zeros(2, 3)
    with pytest.raises(
        IndexError, match=r"Dimension out of range \(expected to be in range of \[-2, 1\]"
    ):
        fn(pybigml, x)
    compare(fn, np.zeros((2, 3)))


@pytest.mark.parametrize("op", ["sum", "mean", "amax", "logsumexp", "norm", "all"])
def test_repeated_dim(op: str) -> None:
    with pytest.raises(RuntimeError, match="dim 0 appears multiple times in the list of dims"):
        getattr(pybigml, op)(pybigml.ones(2, 3), dim=(0, -2))


EMPTY = np.zeros((0, 3))


@pytest.mark.parametrize(
    "fn",
    [
        lambda m, x: x.sum(),
        lambda m, x: x.prod(0),
        lambda m, x: x.mean(0),
        lambda m, x: x.max(),
        lambda m, x: x.max(0),
        lambda m, x: x.min(1),
        lambda m, x: x.amax(0),
        lambda m, x: x.amin(),
        lambda m, x: x.argmax(),
        lambda m, x: x.argmax(1),
        lambda m, x: x.median(),
        lambda m, x: x.median(0),
        lambda m, x: x.logsumexp(0),
        lambda m, x: x.norm(),
        lambda m, x: x.norm(math.inf),
        lambda m, x: x.norm(-1, 0),
        lambda m, x: x.softmax(0),
        lambda m, x: x.cumprod(0),
    ],
)
def test_empty_inputs(fn: Callable) -> None:
    compare(fn, EMPTY)


def test_empty_max_messages() -> None:
    with pytest.raises(RuntimeError, match="Expected reduction dim to be specified"):
        pybigml.zeros(0, 3).max()
    with pytest.raises(IndexError, match="Expected reduction dim 0 to have non-zero size"):
        pybigml.zeros(0, 3).max(0)


# ----------------------------------------------------------------------------- gradients
def test_ties_share_the_gradient_evenly() -> None:
    x = np.array([1.0, 3.0, 3.0, 0.0])
    for fn in (
        lambda m, t: t.max(),
        lambda m, t: t.amax(),
        lambda m, t: t.norm(math.inf),
        lambda m, t: t.max(0),
        lambda m, t: t.min(0, keepdim=True),
    ):
        compare(fn, x)
    t = pybigml.tensor(x, requires_grad=True)
    t.max().backward()
    np.testing.assert_array_equal(t.grad.numpy(), [0.0, 0.5, 0.5, 0.0])


ZERO_CASES = [
    np.array([[0.0, 2.0, 3.0], [1.5, 0.0, 0.0], [-1.0, 2.0, 0.5]]),  # one, two and no zeros
    np.array([[0.0], [2.0]]),
]


@pytest.mark.parametrize("x", ZERO_CASES)
@pytest.mark.parametrize(
    "fn",
    [
        lambda m, t: t.prod(),
        lambda m, t: t.prod(1),
        lambda m, t: m.prod(t, 0, True),
        lambda m, t: t.cumprod(1),
    ],
)
def test_prod_and_cumprod_with_zeros(x: np.ndarray, fn: Callable) -> None:
    compare(fn, x)
    t = pybigml.tensor(x, requires_grad=True)
    assert gradcheck(lambda a: fn(pybigml, a), (t,))


@pytest.mark.parametrize("x", ZERO_CASES)
def test_prod_with_zeros_double_backward(x: np.ndarray) -> None:
    assert gradgradcheck(lambda a: a.prod(1), (pybigml.tensor(x, requires_grad=True),))
    assert gradgradcheck(lambda a: a.prod(), (pybigml.tensor(x, requires_grad=True),))


def test_cumprod_with_zeros_is_once_differentiable() -> None:
    t = pybigml.tensor([1.0, 0.0, 2.0], requires_grad=True)
    (g,) = pybigml.autograd.grad(t.cumprod(0).sum(), t, create_graph=True)
    np.testing.assert_allclose(g.detach().numpy(), [1.0, 3.0, 0.0])
    with pytest.raises(RuntimeError, match="cumprod: differentiating this gradient again"):
        (g * t).sum().backward()


@pytest.mark.parametrize("p", [2, 1, 3, 1.5, 0.5, math.inf])
def test_norm_gradient_is_zero_at_zero(p: float) -> None:
    compare(lambda m, t: t.norm(p), np.zeros(3))
    compare(lambda m, t: t.norm(p, dim=1), np.array([[0.0, 0.0], [3.0, -4.0]]))


def test_std_gradient_is_zero_for_constant_input() -> None:
    compare(lambda m, t: t.std(), np.full(4, 2.0))
    compare(lambda m, t: t.std(1), np.array([[1.0, 1.0], [1.0, 3.0]]))


# ----------------------------------------------------------------------------- API details
def test_max_min_return_types() -> None:
    x = pybigml.tensor([[1.0, 5.0, 2.0], [7.0, 0.0, 3.0]])
    values, indices = x.max(1)
    result = pybigml.max(x, dim=1, keepdim=True)
    assert result.values.shape == (2, 1) and result.indices.dtype == pybigml.int64
    np.testing.assert_array_equal(values.numpy(), [5.0, 7.0])
    np.testing.assert_array_equal(indices.numpy(), [1, 0])
    np.testing.assert_array_equal(x.min(0).indices.numpy(), [0, 1, 0])
    assert x.median(1).values.tolist() == [2.0, 3.0]
    other = pybigml.full((2, 3), 2.0)
    np.testing.assert_array_equal(pybigml.max(x, other).numpy(), np.maximum(x.numpy(), 2.0))
    np.testing.assert_array_equal(x.min(other).numpy(), np.minimum(x.numpy(), 2.0))


@pytest.mark.parametrize(
    "fn",
    [
        lambda m, x: m.var(x, 0),
        lambda m, x: m.var(x, 0, True),
        lambda m, x: m.var(x, 1, False, True),
        lambda m, x: m.var(x, True),
        lambda m, x: m.var(x, False),
        lambda m, x: x.var(dim=1, correction=2),
        lambda m, x: x.std(0, unbiased=False, keepdim=True),
        lambda m, x: m.std(x, correction=0),
        lambda m, x: m.std_mean(x, 1, keepdim=True),
        lambda m, x: m.var_mean(x, unbiased=False),
    ],
)
def test_var_std_overloads(fn: Callable) -> None:
    compare(fn, np.random.default_rng(1).standard_normal((4, 3)))


@pytest.mark.parametrize(
    "x",
    [
        np.array([[1000.0, 0.0, -1000.0], [3.0, 3.0, 3.0]]),
        np.array([[-np.inf, 0.0, 1.0], [-np.inf, -np.inf, -np.inf]]),
        np.array([[np.inf, 1.0]]),
    ],
)
@pytest.mark.parametrize(
    "fn",
    [lambda m, t: t.softmax(1), lambda m, t: t.log_softmax(-1), lambda m, t: t.logsumexp(1)],
)
def test_softmax_logsumexp_are_stable(x: np.ndarray, fn: Callable) -> None:
    compare(fn, x, grad=bool(np.isfinite(x).all()))


def test_median_and_max_propagate_nan() -> None:
    x = np.array([[1.0, np.nan, 3.0, 0.5], [2.0, 4.0, 1.0, 0.0]])
    for fn in (
        lambda m, t: t.median(1),
        lambda m, t: t.median(),
        lambda m, t: t.max(1),
        lambda m, t: t.argmax(1),
        lambda m, t: t.max(),
    ):
        compare(fn, x)


def test_sum_of_a_broadcast_view_and_keepdim_gradient_shape() -> None:
    x = pybigml.ones(3, 1, requires_grad=True)
    y = x.expand(3, 4)
    y.sum(1, keepdim=True).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.full((3, 1), 4.0))


@pytest.mark.parametrize("op", ["sum", "mean", "amax", "count_nonzero", "norm", "all"])
def test_empty_dim_list(op: str) -> None:
    x = np.array([[0.5, -1.0, 2.0], [0.0, 3.0, 1.0]])
    compare(lambda m, t: getattr(m, op)(t, dim=[]) if op == "norm" else getattr(m, op)(t, ()), x)
