"""The gradient-check kit checks itself: gradcheck and gradgradcheck catch planted errors and
pass correct functions; the strategies really draw the layouts, shapes and values they promise."""

from __future__ import annotations

import math
import re

import numpy as np
import pytest
from hypothesis import find, given, settings
from hypothesis import strategies as st

import pybigml
from pybigml.autograd import Function
from pybigml.testing import GradcheckError, assert_close, gradcheck, gradgradcheck, make_tensor
from pybigml.testing import strategies as pst


def leaf(values, requires_grad: bool = True) -> pybigml.Tensor:
    return pybigml.tensor(values, dtype=pybigml.float64, requires_grad=requires_grad)


class ScaledSquare(Function):
    """``scale * x**2``, with the derivative ``2 * scale * x`` multiplied by ``error``."""

    @staticmethod
    def forward(ctx, scale, x, error=1.0):
        ctx.save_for_backward(x)
        ctx.scale, ctx.error = scale, error
        return scale * x * x

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return None, grad * 2 * ctx.scale * x * ctx.error, None


class Product(Function):
    """``x * y`` with a correct backward."""

    @staticmethod
    def forward(ctx, x, y):
        ctx.save_for_backward(x, y)
        return x * y

    @staticmethod
    def backward(ctx, grad):
        x, y = ctx.saved_tensors
        return grad * y, grad * x


class Cube(Function):
    """``x**3``: the backward ``3 * grad * x**2`` squares through ScaledSquare, whose own
    backward is ``error`` times too large, so the first derivative is right and the second
    wrong unless ``error`` is 1."""

    @staticmethod
    def forward(ctx, x, error):
        ctx.save_for_backward(x)
        ctx.error = error
        return x * x * x

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return ScaledSquare.apply(3.0, x, ctx.error) * grad, None


# ------------------------------------------------------------------------------- gradcheck


def test_gradcheck_catches_a_wrong_derivative_and_names_where():
    x = leaf([[0.5, -1.0, 2.0], [1.5, 0.25, -0.75]])
    with pytest.raises(GradcheckError) as info:
        gradcheck(lambda s, x: ScaledSquare.apply(s, x, 1.5), (2.0, x))
    message = str(info.value)
    assert message.startswith("Jacobian mismatch for output 0 with respect to input 0,")
    assert "numerical:" in message and "analytical:" in message
    # The worst element: d y[0, 2] / d x[0, 2] = 2 * 2 * x = 8, analytically 1.5 times that.
    assert "input 0 (inputs[1], shape (2, 3)) at index (0, 2)" in message
    number = r"(-?\d+\.\d*(?:e-?\d+)?)"
    worst = re.search(f"numerical {number}, analytical {number}", message)
    assert float(worst[1]) == pytest.approx(8.0) and float(worst[2]) == pytest.approx(12.0)
    assert isinstance(info.value, RuntimeError)


def test_gradcheck_returns_false_without_raising():
    x = leaf([0.5, -1.0])
    assert (
        gradcheck(lambda x: ScaledSquare.apply(1.0, x, 0.5), (x,), raise_exception=False) is False
    )


def test_gradcheck_fast_mode_catches_a_wrong_derivative():
    x = leaf([0.5, -1.0, 2.0])
    with pytest.raises(GradcheckError, match="with respect to input 0"):
        gradcheck(lambda x: ScaledSquare.apply(1.0, x, 1.1), (x,), fast_mode=True)
    assert gradcheck(lambda x: ScaledSquare.apply(1.0, x), (x,), fast_mode=True)


def test_gradcheck_names_the_failing_input_among_several():
    x, y = leaf([1.0, 2.0]), leaf([3.0, -1.0])

    def f(x, y):
        return Product.apply(x, y) + ScaledSquare.apply(1.0, y, 2.0)

    with pytest.raises(GradcheckError, match="with respect to input 1,"):
        gradcheck(f, (x, y))


def test_gradcheck_passes_a_correct_function_on_strided_and_expanded_inputs():
    base = pybigml.arange(24, dtype=pybigml.float64).reshape(4, 6) / 10
    x = base[::2, 1::2].detach().requires_grad_()  # non-contiguous view, shape (2, 3)
    y = pybigml.tensor([0.5, -1.5, 2.0], dtype=pybigml.float64).expand(2, 3).requires_grad_()
    assert not x.is_contiguous() and 0 in y.stride()
    assert gradcheck(Product.apply, (x, y))
    assert gradcheck(lambda x, y: (x * y).sin().sum(1), (x, y))


def test_gradcheck_catches_a_wrong_derivative_for_an_expanded_input():
    y = pybigml.tensor([0.5, -1.5], dtype=pybigml.float64).expand(3, 2).requires_grad_()
    with pytest.raises(GradcheckError, match=r"inputs\[1\], shape \(3, 2\)"):
        gradcheck(lambda s, y: ScaledSquare.apply(s, y, 0.9), (1.0, y))


def test_gradcheck_checks_gradient_shapes():
    class WrongShape(Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, grad):
            return grad.sum(0)

    with pytest.raises(RuntimeError):
        gradcheck(WrongShape.apply, (leaf([[1.0, 2.0], [3.0, 4.0]]),))


def test_gradcheck_needs_a_differentiable_input_and_warns_for_float32():
    with pytest.raises(ValueError, match="requires_grad=True"):
        gradcheck(pybigml.exp, (leaf([1.0], requires_grad=False),))
    x32 = pybigml.tensor([1.0, 2.0], requires_grad=True)
    with pytest.warns(UserWarning, match="not a double precision"):
        gradcheck(pybigml.exp, (x32,), raise_exception=False)


def test_gradcheck_flags_outputs_cut_from_the_graph():
    x = leaf([1.0, 2.0])
    with pytest.raises(GradcheckError, match="expected to be zero"):
        gradcheck(lambda x: (x * 3).detach(), (x,))


def test_gradcheck_handles_empty_inputs_and_several_outputs():
    assert gradcheck(
        lambda x: x.sum(0), (pybigml.zeros(0, 3, dtype=pybigml.float64, requires_grad=True),)
    )
    x = leaf([[1.0, -2.0, 0.5], [0.25, 3.0, -1.0]])
    assert gradcheck(lambda x: (x.exp(), x.sum(1), x * 2), (x,))


# --------------------------------------------------------------------------- gradgradcheck


def test_gradgradcheck_passes_a_correct_double_backward():
    x = leaf([0.5, -1.0, 2.0])
    assert gradcheck(lambda x: Cube.apply(x, 1.0), (x,))
    assert gradgradcheck(lambda x: Cube.apply(x, 1.0), (x,))
    assert gradgradcheck(lambda x: Cube.apply(x, 1.0), (x,), gen_non_contig_grad_outputs=True)


def test_gradgradcheck_catches_a_wrong_double_backward():
    x = leaf([0.5, -1.0, 2.0])
    assert gradcheck(lambda x: Cube.apply(x, 1.5), (x,))  # first derivative is right
    with pytest.raises(
        GradcheckError, match="Jacobian mismatch for output 0 with respect to input 0"
    ):
        gradgradcheck(lambda x: Cube.apply(x, 1.5), (x,))


def test_gradgradcheck_with_given_grad_outputs():
    x = leaf([0.5, -1.0])
    grad_output = leaf([1.0, -2.0])
    assert gradgradcheck(lambda x: x.sin() * x, (x,), (grad_output,))


# ------------------------------------------------------------------------------ strategies


@pytest.mark.parametrize(
    "plan, strides",
    [
        (pst.LayoutPlan("permuted", (3, 4), permutation=(1, 0)), (1, 3)),
        (pst.LayoutPlan("sliced", (3, 4), steps=(2, 3), offsets=(1, 0)), (24, 3)),
        (pst.LayoutPlan("expanded", (3, 4), expanded_dims=(0,), dropped_dims=1), (0, 1)),
        (pst.LayoutPlan("contiguous", (3, 4)), (4, 1)),
    ],
)
def test_layout_plans_make_the_strides_they_promise(plan, strides):
    values = np.arange(12.0).reshape(3, 4)
    t = plan.apply(values)
    assert t.stride() == strides
    assert t.is_contiguous() == (plan.kind == "contiguous")
    np.testing.assert_array_equal(t.numpy(), plan.logical_values(values))


@given(data=st.data())
def test_drawn_tensors_hold_their_values_in_every_layout(data):
    shape = data.draw(pst.shapes(max_numel=24))
    values = data.draw(pst.arrays(shape, pst.domains.real))
    plan = data.draw(pst.layout_plans(shape))
    t = plan.apply(values, requires_grad=True)
    assert tuple(t.shape) == shape and t.is_leaf and t.requires_grad
    np.testing.assert_array_equal(t.detach().numpy(), plan.logical_values(values))
    if plan.kind == "expanded" and any(shape[d] > 1 for d in plan.expanded_dims):
        assert 0 in t.stride()


@pytest.mark.parametrize("kind", ["permuted", "sliced", "expanded"])
def test_strategies_draw_non_contiguous_tensors(kind):
    strategy = pst.tensors(pst.shapes(2, 3, 2, 4), layouts=(kind,))
    t = find(strategy, lambda t: not t.is_contiguous(), settings=settings(database=None))
    assert not t.is_contiguous()
    if kind == "expanded":
        assert 0 in t.stride()


@given(shape=pst.shapes(max_numel=30), pair=pst.broadcastable_shape_pairs(max_numel=30))
def test_shapes_respect_their_bounds(shape, pair):
    assert len(shape) <= 4 and all(0 <= side <= 5 for side in shape)
    assert math.prod(side for side in shape if side) <= 30
    np.broadcast_shapes(*pair)


@pytest.mark.parametrize(
    "domain, excluded",
    [
        (pst.domains.nonzero, [0.0]),
        (pst.domains.away_from_integers, list(range(-3, 4))),
        (pst.domains.away_from_half_integers, [k + 0.5 for k in range(-4, 4)]),
        (pst.away_from([-0.5, 0.5]), [-0.5, 0.5]),
    ],
)
@given(data=st.data())
def test_domains_keep_away_from_non_smooth_points(domain, excluded, data):
    values = data.draw(pst.arrays((8,), domain))
    assert all(v in domain for v in values)
    distance = np.abs(values[:, None] - np.array(excluded)[None, :])
    assert distance.min() >= 0.1 - 1e-12


@given(values=pst.arrays((20,), pst.domains.real, unique=True))
def test_unique_floats_are_well_separated(values):
    assert np.diff(np.sort(values)).min() >= 0.02


def test_testing_helpers_of_the_torch_testing_api():
    x = make_tensor(2, 3, dtype=pybigml.float64, low=-1, high=1, noncontiguous=True)
    assert not x.is_contiguous() and x.dtype == pybigml.float64
    assert float(x.abs().max()) <= 1
    assert_close(x, x.clone())
    with pytest.raises(AssertionError, match="Tensor-likes are not close"):
        assert_close(x, x + 1e-3)
