"""Indexing (``x[key]`` and ``x[key] = value``) against PyTorch: values, shapes, gradients,
memory sharing of basic-index views, and the errors of bad keys.

PyTorch follows numpy's rules with one known difference, tested here: an int in the key is
applied first as a plain ``select``, so it never counts as an advanced index (numpy
treats ``x[1, :, [0, 2]]`` as two separated advanced indices and moves their dimension to
the front; PyTorch does not).
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

import pybigml

SHAPE = (3, 4, 5)


def _x(lib, requires_grad: bool = False):
    """The float64 tensor every key is tried on: distinct values 0..59 in SHAPE."""
    return lib.arange(60.0, dtype=lib.float64).reshape(SHAPE).requires_grad_(requires_grad)


def _same(p, t) -> None:
    assert tuple(p.shape) == tuple(t.shape)
    assert str(p.dtype).split(".")[-1] == str(t.dtype).split(".")[-1]
    np.testing.assert_array_equal(
        np.asarray(p.detach().tolist(), float).reshape(tuple(t.shape)), t.detach().numpy()
    )


def _compare_getitem(key_fn) -> None:
    """``x[key_fn(lib)]``: same values and, for a weighted sum of it, the same gradient."""
    grads = []
    outs = []
    for lib in (pybigml, torch):
        x = _x(lib, requires_grad=True)
        out = x[key_fn(lib)]
        weights = lib.arange(float(out.numel()), dtype=lib.float64).reshape(out.shape) + 1
        (out * weights).sum().backward()
        outs.append(out)
        grads.append(x.grad)
    _same(*outs)
    _same(*grads)  # sums of small integers: exact


GETITEM_KEYS = {
    "int": lambda lib: 1,
    "negative_int": lambda lib: -1,
    "two_ints": lambda lib: (2, -3),
    "three_ints": lambda lib: (0, 1, 2),
    "slice": lambda lib: slice(1, 3),
    "slice_step": lambda lib: (slice(None), slice(None, None, 2)),
    "slice_start_step": lambda lib: (slice(1, None, 2), slice(None), slice(4, 0, 1)),
    "slice_out_of_range": lambda lib: slice(-10, 10),
    "none": lambda lib: None,
    "none_middle": lambda lib: (slice(None), None, 1),
    "ellipsis": lambda lib: (Ellipsis, 2),
    "ellipsis_middle": lambda lib: (0, Ellipsis, slice(1, 3)),
    "none_ellipsis_none": lambda lib: (None, Ellipsis, None),
    "full_bool_mask": lambda lib: lib.arange(60).reshape(SHAPE) % 7 == 0,
    "leading_bool_mask": lambda lib: lib.tensor([True, False, True]),
    "partial_bool_mask": lambda lib: lib.arange(12).reshape(3, 4) % 5 == 1,
    "bool_mask_on_dim1": lambda lib: (slice(None), lib.tensor([False, True, True, False])),
    "all_false_mask": lambda lib: lib.zeros(3, dtype=lib.bool),
    "int_tensor": lambda lib: lib.tensor([2, 0]),
    "int_list": lambda lib: [0, 2],
    "repeated_ints": lambda lib: lib.tensor([0, 0, 2, 0]),
    "negative_index_tensor": lambda lib: lib.tensor([-1, -3]),
    "two_dim_index_tensor": lambda lib: lib.tensor([[0, 1], [1, 2]]),
    "zero_dim_index_tensor": lambda lib: lib.tensor(1),
    "int32_index": lambda lib: lib.tensor([1, 2], dtype=lib.int32),
    "empty_list": lambda lib: lib.tensor([], dtype=lib.int64),
    "paired_tensors": lambda lib: (lib.tensor([0, 2, 2]), lib.tensor([1, 3, 1])),
    "broadcast_tensors": lambda lib: (lib.tensor([[0], [2]]), lib.tensor([1, 3, 1])),
    "slice_then_tensor": lambda lib: (slice(None), lib.tensor([3, 0, 3])),
    "tensor_then_slice": lambda lib: (lib.tensor([1, 1]), slice(1, 3)),
    "separated_tensors": lambda lib: (lib.tensor([0, 2]), slice(None), lib.tensor([4, 1])),
    "adjacent_tensors_last": lambda lib: (slice(None), lib.tensor([0, 2]), lib.tensor([4, 1])),
    "int_adjacent_tensor": lambda lib: (lib.tensor([0, 2]), 1),
    "int_separated_from_tensor": lambda lib: (1, slice(None), lib.tensor([0, 2])),
    "tensor_int_tensor": lambda lib: (lib.tensor([0, 2]), 1, lib.tensor([4, 1])),
    "mask_and_tensor": lambda lib: (lib.tensor([True, False, True]), lib.tensor([1, 3])),
    "none_and_tensor": lambda lib: (None, lib.tensor([1, 0]), Ellipsis, 3),
    "ellipsis_tensor": lambda lib: (Ellipsis, lib.tensor([4, 4, 0])),
}


@pytest.mark.parametrize("name", list(GETITEM_KEYS))
def test_getitem_matches_torch_with_gradients(name: str) -> None:
    _compare_getitem(GETITEM_KEYS[name])


@st.composite
def _basic_keys(draw) -> tuple:
    """A key of ints, positive-step slices, None and at most one Ellipsis for SHAPE."""
    parts = []
    dims = list(SHAPE)
    ellipsis_at = draw(st.none() | st.integers(0, len(dims)))
    for i, n in enumerate(dims):
        if i == ellipsis_at:
            parts.append(Ellipsis)
            break
        kind = draw(st.sampled_from(["int", "slice", "none_then_slice"]))
        if kind == "int":
            parts.append(draw(st.integers(-n, n - 1)))
        else:
            if kind == "none_then_slice":
                parts.append(None)
            start = draw(st.none() | st.integers(-n - 2, n + 2))
            stop = draw(st.none() | st.integers(-n - 2, n + 2))
            step = draw(st.none() | st.integers(1, 3))
            parts.append(slice(start, stop, step))
    return tuple(parts)


@given(_basic_keys())
def test_drawn_basic_keys_match_torch(key: tuple) -> None:
    _compare_getitem(lambda lib: key)


@given(st.lists(st.integers(-3, 2), min_size=1, max_size=6), st.integers(0, 2))
def test_drawn_integer_indices_accumulate_gradients_like_torch(indices, dim: int) -> None:
    size = SHAPE[dim]
    indices = [i % size for i in indices]
    _compare_getitem(lambda lib: (slice(None),) * dim + (lib.tensor(indices),))


# ----------------------------------------------------------------------------- memory
def test_basic_indexing_returns_views_sharing_memory() -> None:
    x = pybigml.zeros(3, 4)
    row, col, block, alias = x[1], x[:, 2], x[1:, ::2], x[...]
    row.fill_(1.0)
    col.add_(10.0)
    block.mul_(2.0)
    alias[0, 0] = -5.0
    t = torch.zeros(3, 4)
    t[1].fill_(1.0)
    t[:, 2].add_(10.0)
    t[1:, ::2].mul_(2.0)
    t[...][0, 0] = -5.0
    np.testing.assert_array_equal(np.asarray(x.tolist()), t.numpy())
    assert x._version == row._version == block._version


def test_zero_dim_select_is_a_view() -> None:
    x = pybigml.zeros(2, 2)
    x[1, 1].add_(3.0)
    assert x.tolist() == [[0.0, 0.0], [0.0, 3.0]]


def test_advanced_indexing_returns_a_copy() -> None:
    x = pybigml.zeros(3)
    picked = x[[0, 1]]
    masked = x[x == 0]
    picked.fill_(1.0)
    masked.fill_(2.0)
    assert x.tolist() == [0.0, 0.0, 0.0]


# ----------------------------------------------------------------------------- setitem
SETITEM_CASES = {
    "int_scalar": lambda lib: (1, 7.0),
    "negative_int_scalar": lambda lib: (-1, 7),
    "slice_tensor": lambda lib: (slice(1, 3), lib.ones(2, 4, 5) * 2),
    "broadcast_row": lambda lib: (slice(None), lib.arange(5.0)),
    "broadcast_column": lambda lib: (
        (0, slice(None), slice(1, 3)),
        lib.tensor([[1.0], [2.0], [3.0], [4.0]]),
    ),
    "step_slice": lambda lib: ((Ellipsis, slice(None, None, 2)), -1.0),
    "none_key": lambda lib: ((None, 0), lib.zeros(4, 5)),
    "bool_mask_scalar": lambda lib: (lib.arange(60).reshape(SHAPE) % 3 == 0, 0.5),
    "bool_mask_values": lambda lib: (
        lib.arange(60).reshape(SHAPE) < 4,
        lib.tensor([9.0, 8.0, 7.0, 6.0]),
    ),
    "leading_mask": lambda lib: (lib.tensor([False, True, True]), lib.arange(5.0)),
    "int_tensor": lambda lib: (lib.tensor([2, 0]), lib.full((2, 4, 5), 3.0)),
    "int_tensor_broadcast": lambda lib: (lib.tensor([0, 2]), lib.tensor(-2.0)),
    "paired_tensors": lambda lib: (
        (lib.tensor([0, 1]), lib.tensor([3, 2])),
        lib.tensor([[1.0], [2.0]]),
    ),
    "separated_tensors": lambda lib: ((lib.tensor([0, 2]), slice(None), lib.tensor([4, 1])), 5.0),
    "int_separated_from_tensor": lambda lib: (
        (1, slice(None), lib.tensor([0, 2])),
        lib.tensor([[1.0, 2.0, 3.0, 4.0]]).T,
    ),
    "int_value_into_float": lambda lib: ((2, 3, 4), 11),
}


@pytest.mark.parametrize("name", list(SETITEM_CASES))
def test_setitem_matches_torch(name: str) -> None:
    results = []
    for lib in (pybigml, torch):
        x = _x(lib).float()  # the values' dtype: torch's index_put requires equal dtypes
        key, value = SETITEM_CASES[name](lib)
        x[key] = value
        results.append(x)
    _same(*results)


def test_setitem_numpy_value() -> None:
    x = pybigml.zeros(2, 3)
    x[1] = np.array([1.0, 2.0, 3.0])
    assert x.tolist() == [[0.0, 0.0, 0.0], [1.0, 2.0, 3.0]]


def test_setitem_converts_to_the_tensor_dtype() -> None:
    for lib in (pybigml, torch):
        i = lib.zeros(3, dtype=lib.int64)
        i[0] = 2.7  # truncated, as torch does
        i[1:] = lib.tensor([1.9, -1.9])
        b = lib.zeros(2, dtype=lib.bool)
        b[0] = 1
        assert i.tolist() == [2, 1, -1] and b.tolist() == [True, False]


def test_setitem_through_a_view_writes_the_base() -> None:
    x = pybigml.zeros(2, 3)
    v = x[:, 1:]
    v[0] = 4.0
    v[:, -1] = pybigml.tensor([7.0, 8.0])
    assert x.tolist() == [[0.0, 4.0, 7.0], [0.0, 0.0, 8.0]]


def test_setitem_with_value_requiring_grad_matches_torch() -> None:
    grads = []
    for lib in (pybigml, torch):
        x = lib.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], dtype=lib.float64, requires_grad=True)
        v = lib.tensor([10.0, 20.0], dtype=lib.float64, requires_grad=True)
        h = x * 2
        h[lib.tensor([1, 0]), lib.tensor([2, 2])] = v * 3
        h[0, :2] = v
        (h * lib.arange(6.0, dtype=lib.float64).reshape(2, 3)).sum().backward()
        grads.append((x.grad, v.grad))
    for p, t in zip(*grads):
        _same(p, t)


def test_setitem_shape_mismatch_raises() -> None:
    x = pybigml.zeros(2, 3)
    with pytest.raises(RuntimeError):
        x[0] = pybigml.ones(4)


def test_setitem_into_an_expanded_view_raises() -> None:
    x = pybigml.zeros(1, 3).expand(2, 3)
    with pytest.raises(RuntimeError):
        x[0, 0] = 1.0


# ----------------------------------------------------------------------------- errors
@pytest.mark.parametrize(
    "key_fn",
    [
        lambda lib: 3,
        lambda lib: -4,
        lambda lib: (0, 4),
        lambda lib: lib.tensor([0, 3]),
        lambda lib: (slice(None), lib.tensor([-5])),
        lambda lib: (0, 0, 0, 0),
    ],
    ids=["int", "negative_int", "second_dim", "tensor", "negative_tensor", "too_many"],
)
def test_out_of_range_index_raises_index_error(key_fn) -> None:
    with pytest.raises(IndexError):
        _x(torch)[key_fn(torch)]
    x = _x(pybigml)
    with pytest.raises(IndexError) as info:
        x[key_fn(pybigml)]
    assert "index" in str(info.value)
    with pytest.raises(IndexError):
        x[key_fn(pybigml)] = 1.0


def test_out_of_range_message_names_the_index_and_size() -> None:
    with pytest.raises(IndexError, match="5") as info:
        pybigml.zeros(3)[5]
    assert "3" in str(info.value)


def test_float_index_tensor_raises() -> None:
    x = pybigml.zeros(3)
    with pytest.raises(IndexError, match="tensors used as indices must be long, int, byte or bool"):
        x[pybigml.tensor([0.5])]
    with pytest.raises(IndexError, match="tensors used as indices must be long"):
        x[pybigml.tensor([0.0])] = 1.0


def test_float_scalar_index_raises() -> None:
    x = pybigml.zeros(3)
    with pytest.raises(IndexError, match="only integers, slices"):
        x[1.5]


def test_mask_of_wrong_shape_raises() -> None:
    x = pybigml.zeros(2, 3)
    with pytest.raises(IndexError):
        x[pybigml.tensor([True, False, True])]


def test_negative_step_raises_value_error() -> None:
    with pytest.raises(ValueError, match="step must be greater than zero"):
        pybigml.zeros(3)[::-1]
