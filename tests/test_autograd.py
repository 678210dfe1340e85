"""The autograd engine and its user-facing API, checked against PyTorch's behaviour.

Covers ``backward`` (scalar roots, ``gradient=``, accumulation, ``retain_graph``,
``create_graph``), ``autograd.grad``, hooks, ``retain_grad``, grad modes, long graphs,
custom ``Function``s, version counters of in-place ops, broadcasting in the backward pass
and the naming of graph nodes. Gradients are compared in float64, where pybigml and
PyTorch compute the same formulas and differ by a few ulps at most.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import pybigml
from pybigml.autograd import Function, once_differentiable

RTOL, ATOL = 1e-12, 1e-12  # float64, same formulas as torch: agreement to a few ulps


@pytest.fixture(autouse=True)
def _grad_mode_restored():
    """A test that fails inside a grad-mode switch must not leave grad mode off for the next."""
    yield
    pybigml.autograd.grad_mode.GRAD_STATE.enabled = True


def _leaves(lib, *arrays: np.ndarray) -> list:
    """float64 leaves requiring grad, in ``lib`` (``torch`` or ``pybigml``)."""
    return [lib.tensor(a, dtype=lib.float64, requires_grad=True) for a in arrays]


def _close(p, t, rtol: float = RTOL, atol: float = ATOL) -> None:
    """A pybigml tensor equals a torch tensor: shape, dtype name and values."""
    assert p is not None and t is not None, (p, t)
    assert tuple(p.shape) == tuple(t.shape)
    assert str(p.dtype).split(".")[-1] == str(t.dtype).split(".")[-1]
    np.testing.assert_allclose(
        np.asarray(p.detach().tolist()), t.detach().numpy(), rtol=rtol, atol=atol
    )


def _compare_grads(fn, *arrays: np.ndarray, seed: int = 0) -> None:
    """Run ``fn(lib, *leaves)`` in both libraries; compare the output and every leaf's grad."""
    p_in, t_in = _leaves(pybigml, *arrays), _leaves(torch, *arrays)
    p_out, t_out = fn(pybigml, *p_in), fn(torch, *t_in)
    _close(p_out, t_out)
    g = np.random.default_rng(seed).standard_normal(tuple(t_out.shape))
    p_out.backward(pybigml.tensor(g, dtype=pybigml.float64))
    t_out.backward(torch.tensor(g, dtype=torch.float64))
    for p, t in zip(p_in, t_in):
        if t.grad is None:  # an input the function does not use gets no gradient in either
            assert p.grad is None
        else:
            _close(p.grad, t.grad)


# ----------------------------------------------------------------------------- backward
def test_backward_of_a_scalar() -> None:
    x = pybigml.tensor([1.0, 2.0, 3.0], requires_grad=True)
    (x * x).sum().backward()
    assert x.grad.tolist() == [2.0, 4.0, 6.0]
    assert x.grad.dtype is pybigml.float32
    assert not x.grad.requires_grad


def test_backward_of_a_one_element_non_scalar() -> None:
    x = pybigml.tensor([3.0], requires_grad=True)
    (x * x).backward()  # one element: the implicit gradient is 1, as in torch
    assert x.grad.tolist() == [6.0]


def test_backward_with_gradient_for_non_scalar_output() -> None:
    _compare_grads(lambda lib, x: x * x, np.array([1.0, -2.0, 3.0]))


def test_backward_of_non_scalar_without_gradient_raises() -> None:
    x = pybigml.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(
        RuntimeError, match="grad can be implicitly created only for scalar outputs"
    ):
        (x * 2).backward()


def test_backward_with_gradient_of_wrong_shape_raises() -> None:
    x = pybigml.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="[Mm]ismatch in shape"):
        (x * 2).backward(pybigml.ones(3))


def test_backward_on_tensor_without_grad_raises() -> None:
    with pytest.raises(RuntimeError, match="does not require grad"):
        pybigml.tensor([1.0]).sum().backward()


def test_gradients_accumulate_in_place_over_two_backward_calls() -> None:
    x = pybigml.tensor([1.0, 2.0], requires_grad=True)
    (x * x).sum().backward()
    first = x.grad
    (x * x).sum().backward()
    assert x.grad.tolist() == [4.0, 8.0]
    assert x.grad is first  # += into the same tensor, as torch does


def test_second_backward_needs_retain_graph() -> None:
    x = pybigml.tensor([1.0, 2.0], requires_grad=True)
    y = (x.exp() * x).sum()
    y.backward(retain_graph=True)
    y.backward()
    t = torch.tensor([1.0, 2.0], requires_grad=True)
    ty = (t.exp() * t).sum()
    ty.backward(retain_graph=True)
    ty.backward()
    np.testing.assert_allclose(x.grad.tolist(), t.grad.numpy(), rtol=1e-6)
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        y.backward()


def test_saved_tensors_are_freed_after_backward() -> None:
    x = pybigml.tensor([1.0, 2.0], requires_grad=True)
    y = (x * x).sum()
    y.backward()
    with pytest.raises(RuntimeError, match="second time"):
        y.backward()


def test_create_graph_gives_higher_order_derivatives_of_cube() -> None:
    x = pybigml.tensor(2.0, requires_grad=True)
    y = x**3
    (d1,) = pybigml.autograd.grad(y, x, create_graph=True)
    (d2,) = pybigml.autograd.grad(d1, x, create_graph=True)
    (d3,) = pybigml.autograd.grad(d2, x)
    assert d1.item() == pytest.approx(12.0)  # 3x^2
    assert d2.item() == pytest.approx(12.0)  # 6x
    assert d3.item() == pytest.approx(6.0)  # 6
    assert d1.requires_grad and d2.requires_grad


def test_backward_with_create_graph_makes_grad_differentiable() -> None:
    x = pybigml.tensor([1.0, 2.0], requires_grad=True)
    (x**3).sum().backward(create_graph=True)
    assert x.grad.requires_grad and x.grad.grad_fn is not None
    gx = x.grad
    x.grad = None
    gx.sum().backward()  # d/dx sum(3x^2) = 6x
    assert x.grad.tolist() == pytest.approx([6.0, 12.0])


@given(st.integers(0, 3), st.floats(-2.0, 2.0))
def test_double_backward_of_composite_matches_torch(power: int, value: float) -> None:
    def second_derivative(lib):
        x = lib.tensor(value, dtype=lib.float64, requires_grad=True)
        y = lib.tanh(x) * x**power + lib.sin(x * x)
        (g,) = lib.autograd.grad(y, x, create_graph=True)
        (gg,) = lib.autograd.grad(g, x)
        return gg

    _close(second_derivative(pybigml), second_derivative(torch), rtol=1e-10, atol=1e-12)


def test_backward_inputs_restricts_accumulation() -> None:
    x = pybigml.tensor([1.0], requires_grad=True)
    w = pybigml.tensor([2.0], requires_grad=True)
    (x * w).sum().backward(inputs=[w])
    assert w.grad.tolist() == [1.0]
    assert x.grad is None


# ----------------------------------------------------------------------------- autograd.grad
def test_grad_with_grad_outputs() -> None:
    x = pybigml.tensor([1.0, 2.0, 3.0], requires_grad=True)
    (g,) = pybigml.autograd.grad(x * x, x, grad_outputs=pybigml.tensor([1.0, 0.5, 0.0]))
    assert g.tolist() == [2.0, 2.0, 0.0]


def test_grad_of_several_inputs_returns_a_tuple_in_order() -> None:
    x = pybigml.tensor(3.0, requires_grad=True)
    w = pybigml.tensor(5.0, requires_grad=True)
    gx, gw = pybigml.autograd.grad(x * w, [x, w])
    assert (gx.item(), gw.item()) == (5.0, 3.0)


def test_grad_allow_unused() -> None:
    x = pybigml.tensor(1.0, requires_grad=True)
    unused = pybigml.tensor(1.0, requires_grad=True)
    gx, gu = pybigml.autograd.grad(x * 2, [x, unused], allow_unused=True)
    assert gx.item() == 2.0
    assert gu is None
    with pytest.raises(RuntimeError, match="allow_unused"):
        pybigml.autograd.grad(x * 2, [x, unused])


def test_grad_materialize_grads_gives_zeros_for_unused() -> None:
    x = pybigml.tensor([1.0], requires_grad=True)
    unused = pybigml.tensor([1.0, 2.0], requires_grad=True)
    _, gu = pybigml.autograd.grad((x * 2).sum(), [x, unused], materialize_grads=True)
    assert gu.tolist() == [0.0, 0.0]


def test_grad_with_respect_to_a_non_leaf() -> None:
    x = pybigml.tensor([1.0, 2.0], requires_grad=True)
    h = x * 3
    y = (h * h).sum()
    (gh,) = pybigml.autograd.grad(y, h)
    assert gh.tolist() == [6.0, 12.0]  # 2h


def test_grad_does_not_touch_dot_grad() -> None:
    x = pybigml.tensor([1.0, 2.0], requires_grad=True)
    w = pybigml.tensor([1.0, 1.0], requires_grad=True)
    pybigml.autograd.grad((x * w).sum(), x)
    assert x.grad is None and w.grad is None


def test_grad_of_input_not_requiring_grad_raises() -> None:
    x = pybigml.tensor([1.0], requires_grad=True)
    c = pybigml.tensor([1.0])
    with pytest.raises(RuntimeError, match="does not require grad"):
        pybigml.autograd.grad((x * c).sum(), c)


# ----------------------------------------------------------------------------- hooks
def test_hook_on_leaf_sees_and_modifies_the_gradient() -> None:
    x = pybigml.tensor([1.0, 2.0], requires_grad=True)
    seen = []

    def double(g):
        seen.append(g.tolist())
        return g * 2

    handle = x.register_hook(double)
    (x * 3).sum().backward()
    assert seen == [[3.0, 3.0]]
    assert x.grad.tolist() == [6.0, 6.0]
    handle.remove()
    x.grad = None
    (x * 3).sum().backward()
    assert x.grad.tolist() == [3.0, 3.0]
    assert len(seen) == 1


def test_hook_on_non_leaf_changes_what_flows_back() -> None:
    x = pybigml.tensor([1.0, 2.0], requires_grad=True)
    h = x * 2
    handle = h.register_hook(lambda g: g * 10)
    (h * h).sum().backward()  # dL/dh = 2h = [4, 8]; hook: [40, 80]; dh/dx = 2
    assert x.grad.tolist() == [80.0, 160.0]
    handle.remove()
    x.grad = None
    h = x * 2
    (h * h).sum().backward()
    assert x.grad.tolist() == [8.0, 16.0]


def test_hook_returning_none_keeps_the_gradient() -> None:
    x = pybigml.tensor([1.0], requires_grad=True)
    x.register_hook(lambda g: None)
    (x * 5).sum().backward()
    assert x.grad.tolist() == [5.0]


def test_register_hook_on_tensor_without_grad_raises() -> None:
    with pytest.raises(RuntimeError, match="doesn't require gradient"):
        pybigml.tensor([1.0]).register_hook(lambda g: g)


def test_retain_grad_on_non_leaf() -> None:
    x = pybigml.tensor([1.0, 2.0], requires_grad=True)
    h = x * 2
    h.retain_grad()
    z = h * 5
    (z * z).sum().backward()
    assert h.retains_grad
    assert h.grad.tolist() == [100.0, 200.0]  # d(25 h^2)/dh = 50 h
    assert z.grad is None  # not retained
    assert not x.retains_grad  # a leaf has .grad anyway


def test_retain_grad_accumulates_like_a_leaf() -> None:
    x = pybigml.tensor([1.0], requires_grad=True)
    h = x * 2
    h.retain_grad()
    y = (h * 3).sum()
    y.backward(retain_graph=True)
    y.backward()
    assert h.grad.tolist() == [6.0]


# ----------------------------------------------------------------------------- leaves, detach
def test_requires_grad_flag_and_leaves() -> None:
    x = pybigml.tensor([1.0, 2.0])
    assert not x.requires_grad and x.is_leaf and x.grad_fn is None
    assert x.requires_grad_() is x
    assert x.requires_grad and x.is_leaf
    y = x * 2
    assert y.requires_grad and not y.is_leaf and y.grad_fn is not None
    x.requires_grad_(False)
    assert not x.requires_grad
    assert not (x * 2).requires_grad
    with pytest.raises(RuntimeError, match="leaf"):
        y.requires_grad_(False)


def test_detach_shares_memory_and_version_and_leaves_the_graph() -> None:
    x = pybigml.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    d = y.detach()
    assert d.is_leaf and not d.requires_grad and d.grad_fn is None
    before = y._version
    d[0] = 10.0
    assert y.tolist() == [10.0, 4.0]  # same memory
    assert y._version == before + 1  # same version counter
    dx = x.detach()
    with pybigml.no_grad():
        dx.mul_(3)
    assert x.tolist() == [3.0, 6.0]


def test_data_is_a_detached_alias() -> None:
    x = pybigml.tensor([1.0, 2.0], requires_grad=True)
    x.data.mul_(2)  # the optimizer idiom: no error, no graph
    assert x.tolist() == [2.0, 4.0]
    assert x.is_leaf and x.requires_grad


def test_is_leaf_of_results_under_no_grad_and_of_detached() -> None:
    x = pybigml.tensor([1.0], requires_grad=True)
    with pybigml.no_grad():
        y = x * 2
    assert y.is_leaf and not y.requires_grad
    assert (x * 2).detach().is_leaf


# ----------------------------------------------------------------------------- grad modes
def test_no_grad_context_and_nesting() -> None:
    x = pybigml.tensor([1.0], requires_grad=True)
    assert pybigml.is_grad_enabled()
    with pybigml.no_grad():
        assert not pybigml.is_grad_enabled()
        assert not (x * 2).requires_grad
        with pybigml.enable_grad():
            assert pybigml.is_grad_enabled()
            assert (x * 2).requires_grad
            with pybigml.no_grad():
                assert not pybigml.is_grad_enabled()
            assert pybigml.is_grad_enabled()
        assert not pybigml.is_grad_enabled()
    assert pybigml.is_grad_enabled()


def test_grad_mode_is_restored_after_an_exception() -> None:
    with pytest.raises(ValueError), pybigml.no_grad():
        raise ValueError
    assert pybigml.is_grad_enabled()


def test_grad_modes_as_decorators() -> None:
    x = pybigml.tensor([1.0], requires_grad=True)

    @pybigml.no_grad()
    def frozen(t):
        """Docstring kept."""
        return t * 2

    @pybigml.enable_grad()
    def tracked(t):
        return t * 2

    assert not frozen(x).requires_grad
    assert frozen.__name__ == "frozen" and frozen.__doc__ == "Docstring kept."
    with pybigml.no_grad():
        assert tracked(x).requires_grad
        assert not pybigml.is_grad_enabled()
    assert pybigml.is_grad_enabled()


def test_no_grad_as_bare_decorator() -> None:
    # torch accepts @torch.no_grad without parentheses too
    @pybigml.no_grad
    def frozen(t):
        return t * 2

    assert not frozen(pybigml.tensor([1.0], requires_grad=True)).requires_grad
    assert pybigml.is_grad_enabled()


def test_set_grad_enabled_as_function_context_and_decorator() -> None:
    x = pybigml.tensor([1.0], requires_grad=True)
    with pybigml.set_grad_enabled(False):
        assert not (x * 2).requires_grad
        with pybigml.set_grad_enabled(True):
            assert (x * 2).requires_grad
        assert not pybigml.is_grad_enabled()
    assert pybigml.is_grad_enabled()
    pybigml.set_grad_enabled(False)  # a plain call switches the mode until switched back
    try:
        assert not pybigml.is_grad_enabled()
    finally:
        pybigml.set_grad_enabled(True)
    assert pybigml.is_grad_enabled()

    @pybigml.set_grad_enabled(False)
    def frozen(t):
        return t * 2

    assert pybigml.is_grad_enabled()  # creating the decorator must not leave the mode off
    assert not frozen(x).requires_grad
    assert pybigml.is_grad_enabled()


# ----------------------------------------------------------------------------- long graphs
def test_backward_through_a_ten_thousand_op_chain() -> None:
    x = pybigml.tensor(1.0, dtype=pybigml.float64, requires_grad=True)
    y = x
    for _ in range(10_000):
        y = y * 1.0001
    y.backward()
    assert x.grad.item() == pytest.approx(1.0001**10_000, rel=1e-9)
    del y  # tearing down the chain must not recurse either


# ----------------------------------------------------------------------------- custom Functions
class ScaledSquare(Function):
    """y = scale * x^2 with a non-tensor argument; dy/dx = 2 scale x."""

    @staticmethod
    def forward(ctx, x, scale):
        ctx.save_for_backward(x)
        ctx.scale = scale
        return x * x * scale

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * 2 * ctx.scale * x, None


def test_custom_function_with_non_tensor_argument() -> None:
    x = pybigml.tensor([1.0, -3.0], requires_grad=True)
    y = ScaledSquare.apply(x, 0.5)
    assert y.tolist() == [0.5, 4.5]
    assert y.grad_fn.name() == "ScaledSquareBackward"
    y.sum().backward()
    assert x.grad.tolist() == [1.0, -3.0]


def test_custom_function_is_twice_differentiable_when_backward_uses_tensor_ops() -> None:
    x = pybigml.tensor(3.0, requires_grad=True)
    (g,) = pybigml.autograd.grad(ScaledSquare.apply(x, 2.0), x, create_graph=True)
    (gg,) = pybigml.autograd.grad(g, x)
    assert (g.item(), gg.item()) == (12.0, 4.0)


def test_custom_function_needs_input_grad() -> None:
    seen = []

    class Product(Function):
        @staticmethod
        def forward(ctx, a, b):
            ctx.save_for_backward(a, b)
            return a * b

        @staticmethod
        def backward(ctx, grad):
            seen.append(ctx.needs_input_grad)
            a, b = ctx.saved_tensors
            return (
                grad * b if ctx.needs_input_grad[0] else None,
                grad * a if ctx.needs_input_grad[1] else None,
            )

    a = pybigml.tensor([2.0], requires_grad=True)
    b = pybigml.tensor([5.0])
    Product.apply(a, b).sum().backward()
    assert seen == [(True, False)]
    assert a.grad.tolist() == [5.0]


def test_custom_function_with_multiple_outputs_and_non_differentiable_output() -> None:
    class SortWithIndices(Function):
        @staticmethod
        def forward(ctx, x):
            order = np.argsort(x.detach().numpy())
            idx = pybigml.tensor(order)
            ctx.save_for_backward(idx)
            ctx.mark_non_differentiable(idx)
            return x[idx], idx

        @staticmethod
        def backward(ctx, grad_values, grad_idx):
            (idx,) = ctx.saved_tensors
            assert grad_idx is None or not grad_idx.any()
            out = pybigml.zeros_like(grad_values)
            out[idx] = grad_values
            return out

    x = pybigml.tensor([3.0, 1.0, 2.0], requires_grad=True)
    values, idx = SortWithIndices.apply(x)
    assert values.tolist() == [1.0, 2.0, 3.0] and idx.tolist() == [1, 2, 0]
    assert values.requires_grad and not idx.requires_grad
    (values * pybigml.tensor([1.0, 10.0, 100.0])).sum().backward()
    assert x.grad.tolist() == [100.0, 1.0, 10.0]


def test_custom_function_with_two_differentiable_outputs() -> None:
    class SinCos(Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x.sin(), x.cos()

        @staticmethod
        def backward(ctx, gs, gc):
            (x,) = ctx.saved_tensors
            return gs * x.cos() - gc * x.sin()

    x = pybigml.tensor([0.5, 1.5], requires_grad=True)
    s, c = SinCos.apply(x)
    (2 * s + 3 * c).sum().backward()
    expected = [2 * math.cos(v) - 3 * math.sin(v) for v in (0.5, 1.5)]
    np.testing.assert_allclose(x.grad.tolist(), expected, rtol=1e-6)
    x.grad = None
    s, _ = SinCos.apply(x)  # an unused output's gradient arrives as zeros
    s.sum().backward()
    np.testing.assert_allclose(x.grad.tolist(), [math.cos(0.5), math.cos(1.5)], rtol=1e-6)


def test_custom_function_without_inputs_requiring_grad_records_nothing() -> None:
    y = ScaledSquare.apply(pybigml.tensor([2.0]), 1.0)
    assert not y.requires_grad and y.grad_fn is None


def test_custom_function_returning_wrong_number_of_grads_raises() -> None:
    class Bad(Function):
        @staticmethod
        def forward(ctx, a, b):
            return a + b

        @staticmethod
        def backward(ctx, grad):
            return grad

    a = pybigml.tensor([1.0], requires_grad=True)
    b = pybigml.tensor([1.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="incorrect number of gradients"):
        Bad.apply(a, b).sum().backward()


def test_once_differentiable_raises_on_double_backward() -> None:
    class Cube(Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x**3

        @staticmethod
        @once_differentiable
        def backward(ctx, grad):
            (x,) = ctx.saved_tensors
            return grad * 3 * x**2

    x = pybigml.tensor(2.0, requires_grad=True)
    # the gradient flowing into Cube (x) requires grad, so the result is differentiable
    # in principle; d(x^3 * x)/dx = 4x^3
    (g,) = pybigml.autograd.grad(Cube.apply(x) * x, x, create_graph=True)
    assert g.item() == 32.0 and g.requires_grad
    with pytest.raises(RuntimeError, match="once_differentiable"):
        g.backward()
    x2 = pybigml.tensor(2.0, requires_grad=True)
    Cube.apply(x2).backward()  # and plain backward is untouched
    assert x2.grad.item() == 12.0


# ----------------------------------------------------------------------------- version counter
def test_modifying_a_saved_input_in_place_raises_at_backward() -> None:
    x = pybigml.tensor([1.0, 2.0], requires_grad=True)
    a = x * 1
    y = a * a  # Mul saves a
    a.add_(1)
    with pytest.raises(RuntimeError, match="modified by an inplace operation") as info:
        y.sum().backward()
    assert "MulBackward0" in str(info.value)


def test_modifying_a_saved_output_in_place_raises_at_backward() -> None:
    x = pybigml.tensor([1.0, 2.0], requires_grad=True)
    y = x.exp()  # exp saves its output
    y.mul_(2)
    with pytest.raises(RuntimeError, match="modified by an inplace operation") as info:
        y.sum().backward()
    assert "ExpBackward0" in str(info.value)


def test_modifying_a_saved_tensor_through_a_view_raises() -> None:
    x = pybigml.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    a = x * 1
    y = (a * a).sum()
    with pybigml.no_grad():
        a[0].zero_()  # a view shares the version counter of its base
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.backward()


def test_modifying_the_output_of_an_in_place_op_that_saved_it_raises() -> None:
    # exp_ saves its result, which *is* h: a later in-place write to h invalidates it
    x = pybigml.tensor([1.0, 2.0], requires_grad=True)
    h = x * 1
    h.exp_()
    h.add_(1)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        h.sum().backward()


def test_in_place_on_a_tensor_not_saved_is_fine() -> None:
    x = pybigml.tensor([1.0, 2.0], requires_grad=True)
    a = x + 1  # Add saves nothing
    y = a + 1
    a.mul_(100)
    y.sum().backward()
    assert x.grad.tolist() == [1.0, 1.0]


def test_in_place_bumps_the_version() -> None:
    x = pybigml.tensor([1.0, 2.0])
    v0 = x._version
    x.add_(1)
    x[0] = 5.0
    x.zero_()
    assert x._version == v0 + 3


def test_in_place_on_a_leaf_requiring_grad_raises() -> None:
    x = pybigml.tensor([1.0, 2.0], requires_grad=True)
    for mutate in (
        lambda: x.add_(1),
        lambda: x.mul_(2),
        lambda: x.zero_(),
        lambda: x.__setitem__(0, 1.0),
    ):
        with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
            mutate()
    assert x.tolist() == [1.0, 2.0]  # the failed ops left the values alone


def test_in_place_on_a_leaf_under_no_grad_is_allowed() -> None:
    x = pybigml.tensor([1.0, 2.0], requires_grad=True)
    with pybigml.no_grad():
        x.sub_(0.5)
        x[1] = 7.0
    assert x.tolist() == [0.5, 7.0]
    assert x.is_leaf and x.requires_grad


@pytest.mark.parametrize("op", ["add_", "mul_", "relu_", "setitem", "setitem_slice", "chain"])
def test_in_place_on_non_leaf_gradients_match_torch(op: str) -> None:
    rng = np.random.default_rng(1)

    def fn(lib, x, y, v):
        h = x * 2
        if op == "add_":
            h.add_(y)
        elif op == "mul_":
            h.mul_(y)
        elif op == "relu_":
            h.relu_()
        elif op == "setitem":
            h[lib.tensor([0, 2])] = v
        elif op == "setitem_slice":
            h[1:3] = v * y[1:3]
        else:
            h.mul_(y).add_(v.sum())
            h[0] = v[1] * 3
            h.relu_()
        return (h * h).sum() + (x * y).sum() + v.sum()

    _compare_grads(fn, *(rng.standard_normal(4) for _ in range(2)), rng.standard_normal(2))


@pytest.mark.parametrize("case", ["view_mul_", "view_exp_", "setitem_on_view", "base_after_view"])
def test_in_place_through_views_of_non_leaves_matches_torch(case: str) -> None:
    # an in-place write through a view changes its base (and a write to the base changes
    # the view): the gradient must flow through the in-place op in both directions
    def fn(lib, x, y):
        h = x * 2
        if case == "view_mul_":
            h[0:2].mul_(y[:2])
        elif case == "view_exp_":
            h[1:].exp_()
        elif case == "setitem_on_view":
            h[1:][0] = y[0] * y[1]
        else:
            v = h[1:]
            h.mul_(y)
            return (v * v).sum()
        return (h * h).sum()

    rng = np.random.default_rng(2)
    _compare_grads(fn, rng.standard_normal(4), rng.standard_normal(4))


def test_in_place_on_non_leaf_rewires_grad_fn() -> None:
    x = pybigml.tensor([1.0, -2.0], requires_grad=True)
    h = x * 2
    h.relu_()
    assert h.grad_fn.name() == "ReluBackward0" and not h.is_leaf
    h.sum().backward()
    assert x.grad.tolist() == [2.0, 0.0]


# ----------------------------------------------------------------------------- broadcasting
@given(
    hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=3, max_side=3),
    st.sampled_from(["add", "sub", "mul", "div", "where"]),
)
def test_broadcast_gradients_are_reduced_to_each_input_shape(shapes, op: str) -> None:
    rng = np.random.default_rng(0)
    a, b = (rng.uniform(0.5, 2.0, s) for s in shapes.input_shapes)

    def fn(lib, x, y):
        if op == "where":
            return lib.where(x > 1.0, x, y)
        return getattr(lib, op)(x, y)

    _compare_grads(fn, a, b)


def test_broadcast_against_python_scalar_and_zero_dim() -> None:
    def fn(lib, x, s):
        return (x * s + 2.0) / s

    _compare_grads(fn, np.array([[1.0, 2.0], [3.0, 4.0]]), np.array(3.0))


def test_expand_gradient_is_summed() -> None:
    _compare_grads(lambda lib, x: x.expand(3, 2, 4) * 2, np.arange(4.0).reshape(1, 4))


# ----------------------------------------------------------------------------- dtypes of grads
def test_grad_dtype_equals_input_dtype() -> None:
    x32 = pybigml.tensor([1.0, 2.0], requires_grad=True)
    x64 = pybigml.tensor([3.0, 4.0], dtype=pybigml.float64, requires_grad=True)
    y = x32 * x64  # float64 result
    assert y.dtype is pybigml.float64
    y.sum().backward()
    assert x32.grad.dtype is pybigml.float32 and x64.grad.dtype is pybigml.float64
    assert x32.grad.tolist() == [3.0, 4.0]


def test_grad_through_a_cast_keeps_the_leaf_dtype() -> None:
    x = pybigml.tensor([1.0, 2.0], requires_grad=True)
    (x.double() * 2).sum().backward()
    assert x.grad.dtype is pybigml.float32
    w = pybigml.tensor([1.0], dtype=pybigml.float64, requires_grad=True)
    (w.float() * pybigml.tensor(2.0, dtype=pybigml.float64)).sum().backward()
    assert w.grad.dtype is pybigml.float64


# ----------------------------------------------------------------------------- graph nodes
@pytest.mark.parametrize(
    "expr",
    [
        "x + y", "x - y", "x * y", "x / y", "-x", "x.exp()", "x.log()", "x.tanh()",
        "x.sigmoid()", "x.relu()", "x ** 2", "x.sum()", "x.mean()", "x.clone()",
    ],
)  # fmt: skip
def test_grad_fn_names_match_torch(expr: str) -> None:
    def name(lib):
        x, y = _leaves(lib, np.array([1.0, 2.0]), np.array([3.0, 4.0]))
        return eval(expr, {"x": x, "y": y}).grad_fn.name()

    assert name(pybigml) == name(torch)


def test_grad_fn_repr_and_next_functions() -> None:
    x = pybigml.tensor([1.0], requires_grad=True)
    c = pybigml.tensor([2.0])
    y = x * c
    assert "MulBackward0" in repr(y.grad_fn)
    (acc, nr), (missing, missing_nr) = y.grad_fn.next_functions
    assert acc.variable is x and nr == 0
    assert missing is None and missing_nr == 0  # torch's (None, 0) for inputs without grad
    z = y.exp()
    assert z.grad_fn.next_functions[0][0] is y.grad_fn
