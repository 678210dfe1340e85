"""gather/scatter, index_*, masked_*, take, take_along_dim and nonzero against PyTorch.

Cases are drawn as numpy arrays (float64 values, int64 indices) and run through ``compare``
(see tests/test_reduction.py): same error type as PyTorch, or the same values, dtypes, shapes
and input gradients. Where PyTorch leaves the result unspecified (two writes to one place in
``scatter``/``index_copy``) the drawn indices are distinct. ``gradcheck``/``gradgradcheck``
check every backward by finite differences; these ops are linear in their float inputs
(amax/amin/prod reductions aside), so their Jacobians are exact up to float64 rounding.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from test_reduction import compare, separated

import pybigml
from pybigml.testing import gradcheck, gradgradcheck
from pybigml.testing.strategies import mutually_broadcastable_shapes, shapes


# ----------------------------------------------------------------------------- cases
@st.composite
def along_dim(draw: st.DrawFn, unique: bool, src_margin: int = 0) -> tuple:
    """(x, dim, index, src) for gather/scatter: index fits in x off ``dim`` (and in src).

    ``unique``: each line of ``index`` along ``dim`` holds distinct positions.
    ``src_margin``: src may exceed index by up to this much in every dim.
    """
    shape = draw(shapes(1, 3, 0, 4))
    n = len(shape)
    dim = draw(st.integers(-n, n - 1))
    d = dim % n
    index_shape = [draw(st.integers(0, side)) for side in shape]
    size = shape[d]
    index_shape[d] = draw(st.integers(0, size if unique else 4)) if size else 0
    rng = np.random.default_rng(draw(st.integers(0, 2**16)))
    if unique:
        keys = rng.random(index_shape[:d] + [size] + index_shape[d + 1 :])
        index = np.argsort(keys, axis=d).take(range(index_shape[d]), axis=d)
    else:
        index = rng.integers(0, max(size, 1), index_shape)
    src_shape = [i + draw(st.integers(0, src_margin)) for i in index_shape]
    return rng.standard_normal(shape), dim, index.astype(np.int64), rng.standard_normal(src_shape)


@st.composite
def vector_index(draw: st.DrawFn, unique: bool, negative: bool = False) -> tuple:
    """(x, dim, index, source) for index_*: a 1-d index into ``dim``, source to match it."""
    shape = draw(shapes(1, 3, 0, 4))
    n = len(shape)
    dim = draw(st.integers(-n, n - 1))
    size = shape[dim]
    rng = np.random.default_rng(draw(st.integers(0, 2**16)))
    if unique:
        index = rng.permutation(size)[: draw(st.integers(0, size))]
    else:
        index = rng.integers(0, size, draw(st.integers(0, 4))) if size else np.zeros(0, int)
    if negative:
        index = np.where(rng.random(index.shape) < 0.5, index - size, index)
    source_shape = list(shape)
    source_shape[dim] = len(index)
    return (
        rng.standard_normal(shape),
        dim,
        index.astype(np.int64),
        rng.standard_normal(source_shape),
    )


@st.composite
def masked(draw: st.DrawFn, mutual: bool) -> tuple:
    """(x, mask): mask broadcastable to x, or (``mutual``) both broadcast to a common shape."""
    if mutual:
        x_shape, mask_shape = draw(mutually_broadcastable_shapes(2, max_numel=40))
    else:
        x_shape = draw(shapes(0, 3, 0, 4))
        kept = draw(st.integers(0, len(x_shape)))  # mask: x's trailing dims, some of size 1
        mask_shape = tuple(draw(st.sampled_from([1, s])) for s in x_shape[len(x_shape) - kept :])
    rng = np.random.default_rng(draw(st.integers(0, 2**16)))
    return rng.standard_normal(x_shape), rng.random(mask_shape) < 0.5


@st.composite
def take_along(draw: st.DrawFn) -> tuple:
    """(x, dim, indices): indices broadcast with x off ``dim``; negative positions too."""
    shape = draw(shapes(1, 3, 0, 4))
    n = len(shape)
    dim = draw(st.integers(-n, n - 1))
    size = shape[dim]
    index_shape = [draw(st.sampled_from([1, s] if s != 1 else [1, 2])) for s in shape]
    index_shape[dim] = draw(st.integers(0, 3)) if size else 0
    rng = np.random.default_rng(draw(st.integers(0, 2**16)))
    index = rng.integers(-size, max(size, 1), index_shape)
    return rng.standard_normal(shape), dim, index


SCALAR = np.array(2.5)

# torch: scatter(..., reduce=) with a src tensor is deprecated (a UserWarning)
pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")


# ----------------------------------------------------------------------------- against torch
@given(case=along_dim(unique=False))
def test_gather(case: tuple) -> None:
    x, dim, index, _ = case
    compare(lambda m, x, i: x.gather(dim, i), x, index)
    compare(lambda m, x, i: m.gather(x, dim, i.int()), x, index)


@given(case=along_dim(unique=True))
def test_scatter(case: tuple) -> None:
    x, dim, index, src = case
    compare(lambda m, x, i, s: x.scatter(dim, i, s), x, index, src)
    compare(lambda m, x, i, v: m.scatter(x, dim, i, value=v.item()), x, index, SCALAR)
    compare(lambda m, x, i: x.scatter(dim, i, 1.5, reduce="add"), x, index, grad=False)


@given(case=along_dim(unique=False))
def test_scatter_add(case: tuple) -> None:
    x, dim, index, src = case
    compare(lambda m, x, i, s: x.scatter_add(dim, i, s), x, index, src)
    compare(lambda m, x, i, s: x.scatter(dim, i, s, reduce="multiply"), x, index, src, grad=False)


@pytest.mark.parametrize("reduce", ["sum", "prod", "mean", "amax", "amin"])
@pytest.mark.parametrize("include_self", [True, False])
@given(case=along_dim(unique=False))
def test_scatter_reduce(reduce: str, include_self: bool, case: tuple) -> None:
    x, dim, index, src = case
    compare(
        lambda m, x, i, s: x.scatter_reduce(dim, i, s, reduce, include_self=include_self),
        x,
        index,
        src,
    )


@given(case=vector_index(unique=False))
def test_index_select_and_index_add(case: tuple) -> None:
    x, dim, index, source = case
    compare(lambda m, x, i: x.index_select(dim, i), x, index)
    compare(lambda m, x, i: m.index_select(x, dim, i.int()), x, index)
    compare(lambda m, x, i, s: x.index_add(dim, i, s), x, index, source)
    compare(lambda m, x, i, s: m.index_add(x, dim, i.int(), s, alpha=-2.0), x, index, source)


@given(case=vector_index(unique=True))
def test_index_copy(case: tuple) -> None:
    x, dim, index, source = case
    compare(lambda m, x, i, s: x.index_copy(dim, i, s), x, index, source)


@given(case=vector_index(unique=False, negative=True))
def test_index_fill(case: tuple) -> None:
    x, dim, index, _ = case
    compare(lambda m, x, i: x.index_fill(dim, i, -1.5), x, index)
    # PyTorch's backward for a tensor value fails on negative indices: wrap them here
    wrapped = np.where(index < 0, index + x.shape[dim], index)
    compare(lambda m, x, i, v: m.index_fill(x, dim, i, v), x, wrapped, SCALAR)


@given(case=masked(mutual=False))
def test_masked_fill(case: tuple) -> None:
    x, mask = case
    compare(lambda m, x, k: x.masked_fill(k, 3.0), x, mask)
    compare(lambda m, x, k, v: m.masked_fill(x, k, v), x, mask, SCALAR)


@given(case=masked(mutual=True))
def test_masked_select(case: tuple) -> None:
    x, mask = case
    compare(lambda m, x, k: x.masked_select(k), x, mask)


@given(shape=shapes(0, 3, 0, 4), seed=st.integers(0, 2**16))
def test_take_and_nonzero(shape: tuple, seed: int) -> None:
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(shape)
    n = x.size
    index = (
        rng.integers(-n, n, tuple(rng.integers(0, 3, rng.integers(0, 3))))
        if n
        else np.zeros(2, int)
    )
    compare(lambda m, x, i: x.take(i), x, index)
    compare(lambda m, x: (x > 0).nonzero(), x)
    compare(lambda m, x: m.nonzero(x > 0, as_tuple=True), x)
    compare(lambda m, x: m.argwhere(x > 0), x)


@given(case=take_along(), seed=st.integers(0, 2**16))
def test_take_along_dim(case: tuple, seed: int) -> None:
    x, dim, index = case
    compare(lambda m, x, i: m.take_along_dim(x, i, dim), x, index)
    rng = np.random.default_rng(seed)
    flat = rng.integers(0, max(x.size, 1), (2, 1)) if x.size else np.zeros((0, 1), int)
    compare(lambda m, x, i: x.take_along_dim(i), x, flat)


@pytest.mark.parametrize(
    "fn",
    [
        lambda m, x, i: x.gather(0, i),
        lambda m, x, i: x.scatter(0, i, x * 2),
        lambda m, x, i: x.scatter_add(-1, i, x),
        lambda m, x, i: x.index_select(0, i),
        lambda m, x, i: x.index_add(0, i, x * 3),
        lambda m, x, i: x.index_fill(0, i, -1.0),
        lambda m, x, i: x.masked_fill(x > 0, 0.0),
        lambda m, x, i: x.take(i),
        lambda m, x, i: m.take_along_dim(x, i, 0),
    ],
)
def test_zero_dim_tensors(fn: Callable) -> None:
    compare(fn, np.array(0.75), np.array(0))
    compare(lambda m, x: x.nonzero(as_tuple=True), np.array(0.75))
    compare(lambda m, x: x.nonzero(), np.array(0.0))


# ----------------------------------------------------------------------------- gradients
# name -> (case strategy, fn(x, src, index)) with the float arguments differentiable
GRAD_CASES: dict[str, tuple] = {
    "gather": (along_dim(unique=False), lambda x, s, i, d: x.gather(d, i)),
    "scatter": (along_dim(unique=True, src_margin=1), lambda x, s, i, d: x.scatter(d, i, s)),
    "scatter_add": (
        along_dim(unique=False, src_margin=1),
        lambda x, s, i, d: x.scatter_add(d, i, s),
    ),
    "scatter_mean": (
        along_dim(unique=False, src_margin=1),
        lambda x, s, i, d: x.scatter_reduce(d, i, s, "mean", include_self=False),
    ),
    "scatter_amax": (
        along_dim(unique=False),
        lambda x, s, i, d: x.scatter_reduce(d, i, s, "amax"),
    ),
    "index_select": (vector_index(unique=False), lambda x, s, i, d: x.index_select(d, i)),
    "index_add": (vector_index(unique=False), lambda x, s, i, d: x.index_add(d, i, s, alpha=2)),
    "index_copy": (vector_index(unique=True), lambda x, s, i, d: x.index_copy(d, i, s)),
    "index_fill": (
        vector_index(unique=False, negative=True),
        lambda x, s, i, d: x.index_fill(d, i, s.sum()),
    ),
}


@pytest.mark.parametrize("name", sorted(GRAD_CASES))
@given(data=st.data())
def test_gradcheck_and_gradgradcheck(name: str, data: st.DataObject) -> None:
    strategy, fn = GRAD_CASES[name]
    x, dim, index, src = data.draw(strategy)
    seed = data.draw(st.integers(0, 2**16))
    x = pybigml.tensor(separated(x.shape, seed), requires_grad=True)
    src = pybigml.tensor(separated(src.shape, seed + 1), requires_grad=True)
    index = pybigml.tensor(index)

    def f(x: pybigml.Tensor, src: pybigml.Tensor) -> pybigml.Tensor:
        return fn(x, src, index, dim)

    assert gradcheck(f, (x, src))
    assert gradgradcheck(f, (x, src))


@given(case=masked(mutual=True), seed=st.integers(0, 2**16))
def test_masked_gradcheck_and_gradgradcheck(case: tuple, seed: int) -> None:
    x, mask = case
    x = pybigml.tensor(x, requires_grad=True)
    value = pybigml.tensor(0.5, dtype=pybigml.float64, requires_grad=True)
    mask = pybigml.tensor(mask)
    select = (lambda x: x.masked_select(mask), (x,))
    fill = (lambda x, v: x.masked_fill(mask, v), (x, value))
    index = pybigml.tensor(np.random.default_rng(seed).integers(-x.numel(), max(x.numel(), 1), 3))
    take = (lambda x: x.take(index), (x,))
    for f, inputs in (select, fill) + ((take,) if x.numel() else ()):
        assert gradcheck(f, inputs)
        assert gradgradcheck(f, inputs)


def test_scatter_prod_with_zeros() -> None:
    x = np.array([[0.0, 2.0, 3.0], [1.5, 0.5, 2.0]])
    src = np.array([[0.0, 4.0, 0.0], [2.0, 0.0, -1.0]])
    index = np.array([[0, 0, 1], [1, 2, 2]])
    for keep in (True, False):
        compare(
            lambda m, x, i, s, keep=keep: x.scatter_reduce(1, i, s, "prod", include_self=keep),
            x,
            index,
            src,
        )
    t = pybigml.tensor(x, requires_grad=True)
    s = pybigml.tensor(src, requires_grad=True)
    i = pybigml.tensor(index)
    assert gradcheck(lambda t, s: t.scatter_reduce(1, i, s, "prod"), (t, s))
    with pytest.raises(RuntimeError, match="scatter_reduce: differentiating this gradient again"):
        gradgradcheck(lambda t, s: t.scatter_reduce(1, i, s, "prod"), (t, s))


def test_scatter_src_larger_than_index_gets_zero_gradient_outside() -> None:
    x = pybigml.zeros(2, 3, requires_grad=True)
    src = pybigml.arange(12.0).reshape(3, 4).requires_grad_()
    index = pybigml.tensor([[2, 0]])
    y = x.scatter(1, index, src)
    np.testing.assert_array_equal(y.detach().numpy(), [[1.0, 0.0, 0.0], [0.0, 0.0, 0.0]])
    y.backward(pybigml.ones(2, 3) * 5)
    expected = np.zeros((3, 4))
    expected[0, :2] = 5.0
    np.testing.assert_array_equal(src.grad.numpy(), expected)
    np.testing.assert_array_equal(x.grad.numpy(), [[0.0, 5.0, 0.0], [5.0, 5.0, 5.0]])


def test_scatter_multiply_is_not_differentiable() -> None:
    x = pybigml.ones(3, requires_grad=True)
    y = x.scatter(0, pybigml.tensor([1]), 2.0, reduce="multiply")
    np.testing.assert_array_equal(y.detach().numpy(), [1.0, 2.0, 1.0])
    with pytest.raises(RuntimeError, match="reduce='multiply' is not implemented"):
        y.sum().backward()


# ----------------------------------------------------------------------------- in place
IN_PLACE = [
    lambda m, h, i, s: h.scatter_(1, i, s),
    lambda m, h, i, s: h.scatter_(1, i, 2.0),
    lambda m, h, i, s: h.scatter_add_(1, i, s),
    lambda m, h, i, s: h.scatter_reduce_(1, i, s, "amax"),
    lambda m, h, i, s: h.index_add_(0, i[0], s, alpha=3),
    lambda m, h, i, s: h.index_copy_(0, i[0], s),
    lambda m, h, i, s: h.index_fill_(1, i[0], -1.0),
    lambda m, h, i, s: h.masked_fill_(s > 0, 0.0),
]


@pytest.mark.parametrize("op", IN_PLACE)
def test_in_place_forms(op: Callable) -> None:
    x = np.random.default_rng(3).standard_normal((2, 2))
    src = np.random.default_rng(4).standard_normal((2, 2))
    index = np.array([[1, 0], [0, 1]])

    def through_non_leaf(m: object, x: object, i: object, s: object) -> object:
        h = x * 1.0
        out = op(m, h, i, s)
        assert out is h
        return h

    compare(through_non_leaf, x, index, src)
    leaf = pybigml.tensor(x)
    version = leaf._version
    assert op(pybigml, leaf, pybigml.tensor(index), pybigml.tensor(src)) is leaf
    assert leaf._version == version + 1
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
        op(
            pybigml,
            pybigml.tensor(x, requires_grad=True),
            pybigml.tensor(index),
            pybigml.tensor(src),
        )


def test_masked_fill_in_place_cannot_broadcast_self() -> None:
    with pytest.raises(RuntimeError, match="doesn't match the broadcast shape"):
        pybigml.zeros(3).masked_fill_(pybigml.ones(2, 3, dtype=pybigml.bool), 1.0)


# ----------------------------------------------------------------------------- errors
X = pybigml.zeros(2, 3)
I2 = pybigml.tensor([[0, 1], [1, 0]])


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (
            lambda: X.gather(1, I2.float()),
            RuntimeError,
            "gather.*Expected dtype int32 or int64 for index",
        ),
        (
            lambda: X.gather(1, pybigml.tensor([[5]])),
            RuntimeError,
            "index 5 is out of bounds for dimension 1 with size 3",
        ),
        (lambda: X.gather(1, pybigml.tensor([[-1]])), RuntimeError, "index -1 is out of bounds"),
        (lambda: X.gather(1, pybigml.tensor([0])), RuntimeError, "same number of dimensions"),
        (lambda: X.gather(0, pybigml.tensor([[0, 0, 0, 0]])), RuntimeError, "no larger than self"),
        (
            lambda: X.gather(2, I2),
            IndexError,
            r"Dimension out of range \(expected to be in range of \[-2, 1\], but got 2\)",
        ),
        (
            lambda: X.scatter(1, I2, pybigml.ones(2, 2, dtype=pybigml.float64)),
            RuntimeError,
            "Expected self.dtype to be equal to src.dtype",
        ),
        (lambda: X.scatter(1, I2, pybigml.ones(1, 1)), RuntimeError, "no larger size than src"),
        (
            lambda: X.scatter(1, pybigml.tensor([[3]]), 1.0),
            RuntimeError,
            "scatter.*index 3 is out of bounds",
        ),
        (
            lambda: X.scatter(1, I2, 1.0, reduce="mean"),
            RuntimeError,
            "reduce argument must be either add or multiply",
        ),
        (lambda: X.scatter_add(1, I2, 1.0), TypeError, "src"),
        (lambda: X.scatter_reduce(1, I2, X, "max"), RuntimeError, "reduce argument must be"),
        (
            lambda: X.index_select(1, pybigml.tensor([2.0])),
            RuntimeError,
            "index_select.*int32 or int64",
        ),
        (
            lambda: X.index_select(1, pybigml.tensor([3])),
            RuntimeError,
            "index_select.*index 3 is out of bounds",
        ),
        (
            lambda: X.index_select(1, pybigml.tensor([[0]])),
            IndexError,
            "Index is supposed to be a vector",
        ),
        (
            lambda: X.index_add(1, pybigml.tensor([0, 2]), pybigml.ones(2, 3)),
            RuntimeError,
            r"Number of indices \(2\) should be equal to source.size\(dim\) \(3\)",
        ),
        (
            lambda: X.index_add(1, pybigml.tensor([0]), pybigml.ones(3, 1)),
            RuntimeError,
            "source tensor shape must match self tensor shape",
        ),
        (
            lambda: X.index_add(1, pybigml.tensor([0]), pybigml.ones(2, 1, dtype=pybigml.float64)),
            RuntimeError,
            "must have the same scalar type",
        ),
        (
            lambda: X.index_copy(1, pybigml.tensor([0], dtype=pybigml.int32), pybigml.ones(2, 1)),
            RuntimeError,
            "index_copy.*int64",
        ),
        (
            lambda: X.index_copy(1, pybigml.tensor([7]), pybigml.ones(2, 1)),
            IndexError,
            "index 7 is out of bounds",
        ),
        (
            lambda: X.index_fill(1, pybigml.tensor([0], dtype=pybigml.int32), 1.0),
            IndexError,
            "index_fill.*int64",
        ),
        (
            lambda: X.index_fill(1, pybigml.tensor([-4]), 1.0),
            IndexError,
            "index -4 is out of bounds",
        ),
        (
            lambda: X.index_fill(1, pybigml.tensor([0]), pybigml.ones(1)),
            RuntimeError,
            "0-dimensional value tensor",
        ),
        (
            lambda: X.masked_fill(pybigml.tensor([1, 0, 1]), 1.0),
            RuntimeError,
            "only supports boolean masks",
        ),
        (
            lambda: X.masked_fill(pybigml.ones(2, dtype=pybigml.bool), 1.0),
            RuntimeError,
            "cannot be broadcast",
        ),
        (
            lambda: X.masked_fill(pybigml.ones(3, dtype=pybigml.bool), pybigml.ones(1)),
            RuntimeError,
            "0-dimensional value tensor",
        ),
        (lambda: X.masked_select(pybigml.tensor([1, 0, 1])), RuntimeError, "expected BoolTensor"),
        (
            lambda: X.take(pybigml.tensor([6])),
            IndexError,
            "out of range: tried to access index 6 on a tensor of 6 elements",
        ),
        (lambda: X.take(pybigml.tensor([1], dtype=pybigml.int32)), RuntimeError, "take.*int64"),
        (
            lambda: X.take_along_dim(pybigml.tensor([2]), 1),
            RuntimeError,
            "same number of dimensions",
        ),
        (
            lambda: X.take_along_dim(pybigml.tensor([[3]]), 1),
            RuntimeError,
            "index 3 is out of bounds",
        ),
    ],
)
def test_errors(call: Callable, error: type, message: str) -> None:
    with pytest.raises(error, match=message):
        call()


def test_errors_have_torch_types() -> None:
    """The same calls raise the same exception types in PyTorch."""
    x = np.zeros((2, 3))
    for fn in (
        lambda m, x: x.gather(1, m.tensor([[5]])),
        lambda m, x: x.scatter(1, m.tensor([[0]]), x.float()),
        lambda m, x: x.index_select(1, m.tensor([[0]])),
        lambda m, x: x.index_fill(1, m.tensor([5]), 1.0),
        lambda m, x: x.index_copy(1, m.tensor([7]), m.ones(2, 1, dtype=m.float64)),
        lambda m, x: x.take(m.tensor([6])),
        lambda m, x: x.masked_fill(m.tensor([1, 0, 1]), 1.0),
    ):
        compare(fn, x)
