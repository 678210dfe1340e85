"""The op suite, generated from the registry (``pybigml.testing.registry.OPS``).

For every registered op and variant:

* forward: values against the numpy reference and against PyTorch on the same inputs (PyTorch's
  tensors get the same memory layout), result dtypes, shapes and ``requires_grad`` equal to
  PyTorch's, the same exception type where PyTorch raises, and the method/operator spellings;
* type promotion of binary ops over mixed bool/int/float tensors and Python scalars;
* gradcheck in float64 over drawn shapes, layouts (contiguous, permuted, sliced, expanded),
  broadcasts and values in the op's domain;
* gradgradcheck where the op supports double backward (else double backward must raise).

Samplers also draw arguments that torch rejects (a reduction of an empty dimension, a view that
the strides do not allow): PyTorch is the judge of which inputs are invalid, so the suite needs it
(it is pinned in the ``test`` extra).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import pybigml
from pybigml.testing import gradcheck, gradgradcheck
from pybigml.testing.registry import OpCase, cases
from pybigml.testing.samples import Sample, SampleContext
from pybigml.testing.strategies import (
    VALUE_PRESERVING_LAYOUTS,
    LayoutPlan,
    arrays,
    domains,
    layout_plans,
    mutually_broadcastable_shapes,
)

torch = pytest.importorskip("torch")

CASES = {case.id: case for case in cases()}
GRAD_CASES = [id for id, case in CASES.items() if case.info.differentiable]
PROMOTION_CASES = [
    id for id, case in CASES.items() if case.info.promotes and case.variant == case.op.variants[0]
]

# Element budgets per input/output: a full Jacobian costs 2 forward calls per input element and
# one backward call per output element; a second-order check also perturbs the grad outputs.
FORWARD_NUMEL = 60
GRAD_NUMEL = 40
GRADGRAD_NUMEL = 12

# Forward tolerances, relative and absolute (the absolute one scaled by max(1, max |reference|)).
# float32 (unit roundoff u = 6e-8): element-wise ops differ from a float64 reference by a few
# ulps (~1e-7 relative); reductions, matmul and cumsum add up to 60 terms here, whose rounding
# error grows like sqrt(n) u sum|terms| (worst case n u sum|terms| ~ 4e-6 of the terms' scale).
# 1e-4 leaves a margin over that; a real error (wrong formula, wrong element) is O(1).
# float64: the same reasoning with u = 1.1e-16 gives ~1e-14; 1e-9 is a wide margin.
TOLERANCE = {np.dtype(np.float32): 1e-4, np.dtype(np.float64): 1e-9}


# ------------------------------------------------------------------------------ the harness


@dataclass(frozen=True)
class Inputs:
    """A drawn sample and a memory layout for each of its arrays."""

    sample: Sample
    plans: tuple[LayoutPlan, ...]

    def tensors(self, lib: Any, requires_grad: bool = False) -> list[Any]:
        """The sample's arrays as tensors of ``lib`` (laid out as planned); floating ones
        require grad if asked."""
        return [
            plan.apply(a, lib, requires_grad=requires_grad and a.dtype.kind == "f")
            for a, plan in zip(self.sample.arrays(), self.plans)
        ]

    def values(self) -> list[np.ndarray]:
        """The arrays as the tensors hold them (the "expanded" layout repeats values)."""
        return [plan.logical_values(a) for a, plan in zip(self.sample.arrays(), self.plans)]

    def call(self, fn: Callable, leaves: Sequence[Any]) -> Any:
        """``fn`` on the sample's arguments with the arrays replaced by ``leaves``."""
        args, kwargs = self.sample.with_arrays(leaves)
        return fn(*args, **kwargs)


@st.composite
def inputs(draw: st.DrawFn, case: OpCase, dtype: str, max_numel: int) -> Inputs:
    """A sample of ``case``'s arguments with values of ``dtype``, and layouts for its arrays."""
    info = case.info
    sample = info.sample(SampleContext(draw, np.dtype(dtype), max_numel, case.kwargs))
    sample = Sample(sample.args, {**case.kwargs, **sample.kwargs})
    # Integer and boolean arrays (indices, masks) keep their values: no "expanded" layout.
    keeps_values = tuple(k for k in info.layouts if k in VALUE_PRESERVING_LAYOUTS)
    plans = tuple(
        draw(layout_plans(a.shape, info.layouts if a.dtype.kind == "f" else keeps_values))
        for a in sample.arrays()
    )
    return Inputs(sample, plans)


def _builtin_type(error: BaseException) -> type:
    """The first builtin exception class of ``error`` (torch raises its own subclasses)."""
    return next(c for c in type(error).__mro__ if c.__module__ == "builtins")


def _run(fn: Callable[[], Any]) -> tuple[Any, BaseException | None]:
    try:
        return fn(), None
    except Exception as error:  # noqa: BLE001 - compared with what torch raises
        return None, error


def assert_same_error(error: BaseException | None, torch_error: BaseException) -> None:
    """pybigml must raise where torch raises, with the same builtin exception type."""
    expected = _builtin_type(torch_error)
    assert error is not None, f"torch raises {expected.__name__}({torch_error}), pybigml does not"
    assert isinstance(error, expected), (
        f"torch raises {expected.__name__}({torch_error}); pybigml raises "
        f"{type(error).__name__}({error})"
    )


def _to_numpy(t: Any) -> np.ndarray:
    return np.array(t.detach().numpy(), copy=True)


def assert_close_to(actual: np.ndarray, expected: Any, what: str) -> None:
    """Exact for integer and bool results, within :data:`TOLERANCE` for floating ones."""
    expected = np.asarray(expected)
    assert actual.shape == expected.shape, f"{what}: shape {actual.shape} != {expected.shape}"
    tol = TOLERANCE.get(actual.dtype)
    if tol is None:
        np.testing.assert_array_equal(actual, expected.astype(actual.dtype), err_msg=what)
        return
    finite = np.abs(expected[np.isfinite(expected)])
    scale = max(1.0, float(finite.max())) if finite.size else 1.0
    np.testing.assert_allclose(
        actual.astype(np.float64),
        expected,
        rtol=tol,
        atol=tol * scale,
        equal_nan=True,
        err_msg=what,
    )


def assert_matches(actual: Any, expected: Any, reference: Any, where: str = "output") -> None:
    """``actual`` (pybigml) has ``expected``'s (torch's) structure, shapes, dtypes and
    ``requires_grad``, and the values of both ``expected`` and the numpy ``reference`` (if any)."""
    if isinstance(expected, (tuple, list)):
        assert isinstance(actual, (tuple, list)), f"{where}: expected a sequence, got {actual!r}"
        assert len(actual) == len(expected), f"{where}: {len(actual)} != {len(expected)} outputs"
        refs = reference if reference is not None else [None] * len(expected)
        for k, (a, e, r) in enumerate(zip(actual, expected, refs)):
            assert_matches(a, e, r, f"{where}[{k}]")
        return
    assert isinstance(actual, pybigml.Tensor), f"{where}: expected a Tensor, got {type(actual)}"
    values = _to_numpy(actual)
    if reference is not None:
        assert_close_to(values, reference, f"{where} vs numpy reference")
    assert tuple(actual.shape) == tuple(expected.shape), (
        f"{where}: shape {tuple(actual.shape)} != torch's {tuple(expected.shape)}"
    )
    torch_values = _to_numpy(expected)
    assert values.dtype == torch_values.dtype, (
        f"{where}: dtype {actual.dtype} != torch's {expected.dtype}"
    )
    assert actual.requires_grad == expected.requires_grad, (
        f"{where}: requires_grad {actual.requires_grad} != torch's {expected.requires_grad}"
    )
    assert_close_to(values, torch_values, f"{where} vs torch")


def check_forward(
    drawn: Inputs, fn: Callable, torch_fn: Callable, ref: Callable | None = None
) -> None:
    """Run ``fn`` (pybigml) and ``torch_fn`` on the same inputs and compare (see above)."""
    actual, error = _run(lambda: drawn.call(fn, drawn.tensors(pybigml, True)))
    expected, torch_error = _run(lambda: drawn.call(torch_fn, drawn.tensors(torch, True)))
    if torch_error is not None:
        assert_same_error(error, torch_error)
        return
    if error is not None:
        raise error
    reference = None if ref is None else drawn.call(ref, drawn.values())
    assert_matches(actual, expected, reference)


def differentiable_call(case: OpCase, drawn: Inputs) -> tuple[Callable, list[Any]] | None:
    """``(f, inputs)``: the op as a function of its floating inputs (float64, requiring grad),
    for gradcheck; None where the op legitimately raises for this sample (as torch does)."""
    leaves = drawn.tensors(pybigml, requires_grad=True)
    positions = [k for k, a in enumerate(drawn.sample.arrays()) if a.dtype.kind == "f"]
    fn = case.callable(pybigml)

    def f(*xs: Any) -> Any:
        replaced = list(leaves)
        for k, x in zip(positions, xs):
            replaced[k] = x
        return drawn.call(fn, replaced)

    differentiable = [leaves[k] for k in positions]
    _, error = _run(lambda: f(*differentiable))
    if error is not None:
        _, torch_error = _run(lambda: drawn.call(case.callable(torch), drawn.tensors(torch)))
        if torch_error is None:
            raise error
        assert_same_error(error, torch_error)
        return None
    return f, differentiable


# -------------------------------------------------------------------------------- the tests


@pytest.mark.parametrize("case_id", list(CASES))
@given(data=st.data())
def test_forward(case_id: str, data: st.DataObject) -> None:
    case = CASES[case_id]
    info = case.info
    dtype = data.draw(st.sampled_from(info.dtypes), label="dtype")
    drawn = data.draw(inputs(case, dtype, FORWARD_NUMEL), label="inputs")
    check_forward(drawn, case.callable(pybigml), case.callable(torch), info.ref)
    if case.variant == case.op.variants[0]:
        for form in info.forms:
            check_forward(drawn, form, form)


@pytest.mark.parametrize("case_id", PROMOTION_CASES)
@given(data=st.data())
def test_type_promotion(case_id: str, data: st.DataObject) -> None:
    case = CASES[case_id]
    # Values 1..3 are valid operands of every arithmetic op in every dtype (no division by 0).
    dtypes = ("bool", "int32", "int64", "float32", "float64")
    first = data.draw(st.sampled_from(dtypes), label="first dtype")
    scalars = (True, 2, 2.5) if case.info.scalar_other else ()
    second = data.draw(st.sampled_from(dtypes + scalars), label="second operand")
    shape_a, shape_b = data.draw(mutually_broadcastable_shapes(2, max_numel=12), label="shapes")

    def operand(dtype: str, shape: tuple) -> np.ndarray:
        if dtype == "bool":
            return np.ones(shape, dtype=bool)
        return data.draw(arrays(shape, domains.small_positive_integers, dtype))

    a = operand(first, shape_a)
    b = operand(second, shape_b) if isinstance(second, str) else second
    drawn = Inputs(
        Sample((a, b)),
        tuple(LayoutPlan("contiguous", x.shape) for x in (a, b) if isinstance(x, np.ndarray)),
    )
    check_forward(drawn, case.callable(pybigml), case.callable(torch))
    for form in case.info.forms[:1]:
        check_forward(drawn, form, form)
        if not isinstance(second, str):
            reflected = Inputs(Sample((b, a)), drawn.plans)
            check_forward(reflected, form, form)


@pytest.mark.parametrize("case_id", GRAD_CASES)
@given(data=st.data())
def test_gradcheck(case_id: str, data: st.DataObject) -> None:
    case = CASES[case_id]
    drawn = data.draw(inputs(case, "float64", GRAD_NUMEL), label="inputs")
    call = differentiable_call(case, drawn)
    if call is not None:
        f, xs = call
        assert gradcheck(f, xs, check_grad_dtypes=True)


@pytest.mark.parametrize("case_id", GRAD_CASES)
@given(data=st.data())
def test_gradgradcheck(case_id: str, data: st.DataObject) -> None:
    case = CASES[case_id]
    drawn = data.draw(inputs(case, "float64", GRADGRAD_NUMEL), label="inputs")
    call = differentiable_call(case, drawn)
    if call is None:
        return
    f, xs = call
    if case.info.supports_gradgrad:
        assert gradgradcheck(f, xs, check_grad_dtypes=True)
        return
    outputs = f(*xs)
    outputs = [
        y for y in (outputs if isinstance(outputs, tuple) else (outputs,)) if y.requires_grad
    ]
    grads = pybigml.autograd.grad(
        outputs, xs, [pybigml.ones_like(y) for y in outputs], create_graph=True
    )
    with pytest.raises(RuntimeError):
        pybigml.autograd.grad([g.sum() for g in grads if g is not None], xs, allow_unused=True)
