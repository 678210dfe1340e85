"""The ``Tensor`` as a PyTorch user meets it: creation, random generators, memory sharing
with numpy and between views, strides, shape operations (values and gradients), Python
protocols, conversions and operators with Python numbers and numpy arrays.

Values are compared with PyTorch exactly where the operation only moves data (views,
shape ops, creation), and gradients in float64 where both libraries sum the same terms.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import pybigml


def _name(dtype) -> str:
    return str(dtype).split(".")[-1]


def _same(p, t) -> None:
    """Same shape, dtype name and values (exactly: these ops only move or fill data)."""
    assert isinstance(p, pybigml.Tensor)
    assert tuple(p.shape) == tuple(t.shape)
    assert _name(p.dtype) == _name(t.dtype)
    np.testing.assert_array_equal(np.asarray(p.detach().tolist()), t.detach().numpy())


def _compare_with_grad(fn, x: np.ndarray) -> None:
    """``fn(lib, leaf)`` in both libraries: equal outputs, equal float64 gradients.

    ``fn`` may return a tensor or a sequence of tensors (split, chunk, unbind); a sequence
    is weighted by its position before the backward pass so every piece's gradient counts.
    """
    results = {}
    for lib in (pybigml, torch):
        leaf = lib.tensor(x, dtype=lib.float64, requires_grad=True)
        out = fn(lib, leaf)
        pieces = out if isinstance(out, (tuple, list)) else (out,)
        loss = sum(((p * (i + 1)) ** 2).sum() for i, p in enumerate(pieces))
        loss.backward()
        results[lib] = (pieces, leaf.grad)
    (p_pieces, p_grad), (t_pieces, t_grad) = results[pybigml], results[torch]
    assert len(p_pieces) == len(t_pieces)
    for p, t in zip(p_pieces, t_pieces):
        _same(p, t)
    assert tuple(p_grad.shape) == tuple(t_grad.shape)
    np.testing.assert_allclose(np.asarray(p_grad.tolist()), t_grad.numpy(), rtol=1e-12)


# ----------------------------------------------------------------------------- creation
@pytest.mark.parametrize(
    "expr",
    [
        "lib.tensor([1, 2])",
        "lib.tensor([1.0, 2])",
        "lib.tensor(True)",
        "lib.tensor(3)",
        "lib.tensor(2.5)",
        "lib.tensor([])",
        "lib.tensor([[1, 2], [3, 4]])",
        "lib.tensor([[True], [False]])",
        "lib.tensor([lib.tensor(1.0), lib.tensor(2.0)])",
        "lib.tensor([1, 2], dtype=lib.float64)",
        "lib.tensor(np.array([1.5, 2.5]))",
        "lib.tensor(np.arange(3, dtype=np.int32))",
        "lib.full((2, 2), 7)",
        "lib.full((2,), 7.0)",
        "lib.full((3,), True)",
        "lib.full([2, 1], 1.5, dtype=lib.float64)",
        "lib.zeros(2, 3)",
        "lib.zeros((2, 3))",
        "lib.zeros([2, 3], dtype=lib.int64)",
        "lib.ones(lib.Size([3, 1]))",
        "lib.ones(())",
        "lib.zeros(0, 3)",
        "lib.arange(5)",
        "lib.arange(2, 9, 3)",
        "lib.arange(10, 0, -3)",
        "lib.arange(5.0)",
        "lib.arange(0, 5, 2.0)",
        "lib.arange(0, 1, 0.3)",
        "lib.arange(1, 2.5, 0.5)",
        "lib.arange(-1.0, 1.0, 0.25)",
        "lib.arange(0, 1, 0.1)",
        "lib.arange(4, dtype=lib.float64)",
        "lib.linspace(0, 1, 5)",
        "lib.linspace(-1, 1, 1)",
        "lib.linspace(0, 1, 0)",
        "lib.linspace(2, 10, 4, dtype=lib.float64)",
        "lib.eye(3)",
        "lib.eye(2, 4)",
        "lib.eye(3, dtype=lib.int64)",
        "lib.zeros_like(lib.tensor([[1, 2]]))",
        "lib.ones_like(lib.tensor([1.5]), dtype=lib.float64)",
        "lib.full_like(lib.tensor([1, 2]), 3)",
        "lib.full_like(lib.tensor([1.0, 2.0]), 3)",
    ],
)
def test_creation_matches_torch(expr: str) -> None:
    def build(lib):
        return eval(expr, {"lib": lib, "np": np})

    got, expected = build(pybigml), build(torch)
    assert tuple(got.shape) == tuple(expected.shape)
    assert _name(got.dtype) == _name(expected.dtype)
    np.testing.assert_allclose(
        np.asarray(got.tolist(), float).reshape(expected.shape), expected.numpy(), rtol=1e-6
    )


def test_python_floats_keep_full_precision_in_float64() -> None:
    assert pybigml.tensor(0.1, dtype=pybigml.float64).item() == 0.1
    assert pybigml.tensor([1 / 3], dtype=pybigml.float64).tolist() == [1 / 3]
    assert pybigml.tensor([2**53], dtype=pybigml.int64).item() == 2**53


def test_empty_like_and_rand_like_keep_shape_and_dtype() -> None:
    x = pybigml.zeros(2, 3, dtype=pybigml.float64)
    for made in (pybigml.empty_like(x), pybigml.rand_like(x), pybigml.randn_like(x)):
        assert made.shape == (2, 3) and made.dtype is pybigml.float64
    assert pybigml.empty(4, 5).shape == pybigml.Size([4, 5])


def test_requires_grad_at_creation() -> None:
    for make in (pybigml.zeros, pybigml.ones, pybigml.randn, pybigml.rand, pybigml.empty):
        t = make(2, requires_grad=True)
        assert t.requires_grad and t.is_leaf
    assert pybigml.tensor([1.0], requires_grad=True).requires_grad


def test_tensor_copies_its_input() -> None:
    a = np.arange(3.0)
    t = pybigml.tensor(a)
    a[0] = 100.0
    assert t.tolist() == [0.0, 1.0, 2.0]
    u = pybigml.tensor(t)
    t[1] = 50.0
    assert u.tolist() == [0.0, 1.0, 2.0]


def test_negative_size_and_ragged_data_raise() -> None:
    with pytest.raises(RuntimeError):
        pybigml.zeros(-1)
    with pytest.raises((ValueError, TypeError)):
        pybigml.tensor([[1, 2], [3]])


def test_arange_with_inconsistent_step_raises() -> None:
    with pytest.raises(RuntimeError):
        pybigml.arange(0, 5, -1)
    with pytest.raises(RuntimeError):
        pybigml.arange(0, 5, 0)


# ----------------------------------------------------------------------------- random
def test_manual_seed_reproduces_the_same_numbers() -> None:
    pybigml.manual_seed(1234)
    a = (pybigml.rand(5), pybigml.randn(2, 2), pybigml.randint(0, 10, (6,)), pybigml.randperm(7))
    pybigml.manual_seed(1234)
    b = (pybigml.rand(5), pybigml.randn(2, 2), pybigml.randint(0, 10, (6,)), pybigml.randperm(7))
    for x, y in zip(a, b):
        assert x.tolist() == y.tolist()
    pybigml.manual_seed(4321)
    assert pybigml.rand(5).tolist() != a[0].tolist()


def test_generators_are_independent() -> None:
    g1 = pybigml.Generator().manual_seed(7)
    g2 = pybigml.Generator().manual_seed(7)
    first = pybigml.randn(4, generator=g1)
    pybigml.randn(100)  # the default generator does not disturb g2
    pybigml.randn(3, generator=pybigml.Generator().manual_seed(8))
    assert pybigml.randn(4, generator=g2).tolist() == first.tolist()
    assert pybigml.randn(4, generator=g1).tolist() != first.tolist()  # g1 moved on
    assert g1.initial_seed() == 7


def test_generator_state_round_trip() -> None:
    g = pybigml.Generator().manual_seed(3)
    state = g.get_state()
    a = pybigml.rand(3, generator=g)
    g.set_state(state)
    assert pybigml.rand(3, generator=g).tolist() == a.tolist()
    pybigml.manual_seed(5)
    saved = pybigml.get_rng_state()
    b = pybigml.randn(3)
    pybigml.set_rng_state(saved)
    assert pybigml.randn(3).tolist() == b.tolist()


def test_random_values_are_in_range_with_right_dtypes() -> None:
    pybigml.manual_seed(0)
    u = pybigml.rand(1000)
    assert u.dtype is pybigml.float32 and u.min().item() >= 0.0 and u.max().item() < 1.0
    r = pybigml.randint(-3, 4, (1000,))
    assert r.dtype is pybigml.int64 and set(r.tolist()) == set(range(-3, 4))
    assert sorted(pybigml.randperm(10).tolist()) == list(range(10))
    n = pybigml.randn(10_000, dtype=pybigml.float64)
    assert abs(n.mean().item()) < 0.05 and abs(n.std().item() - 1.0) < 0.05


# ----------------------------------------------------------------------------- numpy interop
def test_from_numpy_shares_memory_both_ways() -> None:
    a = np.arange(4.0)
    t = pybigml.from_numpy(a)
    assert t.dtype is pybigml.float64
    a[0] = 10.0
    assert t[0].item() == 10.0
    t[1] = 20.0
    assert a[1] == 20.0
    assert t.numpy() is a or np.shares_memory(t.numpy(), a)


def test_as_tensor_shares_when_dtype_allows_and_copies_otherwise() -> None:
    a = np.ones(3, dtype=np.float32)
    shared = pybigml.as_tensor(a)
    converted = pybigml.as_tensor(a, dtype=pybigml.float64)
    a[0] = 5.0
    assert shared[0].item() == 5.0
    assert converted[0].item() == 1.0
    t = pybigml.tensor([1.0])
    assert pybigml.as_tensor(t) is t
    assert pybigml.as_tensor([1, 2]).dtype is pybigml.int64


def test_numpy_of_tensor_shares_memory_and_refuses_grad() -> None:
    t = pybigml.zeros(3)
    t.numpy()[0] = 1.0
    assert t.tolist() == [1.0, 0.0, 0.0]
    with pytest.raises(RuntimeError, match="requires grad"):
        pybigml.zeros(2, requires_grad=True).numpy()
    assert np.asarray(pybigml.tensor([1, 2])).tolist() == [1, 2]


# ----------------------------------------------------------------------------- views
VIEW_OPS = {
    "reshape": lambda x: x.reshape(3, 4),
    "view": lambda x: x.view(2, 6),
    "view_infer": lambda x: x.view(-1),
    "transpose": lambda x: x.transpose(0, 1),
    "permute": lambda x: x.permute(1, 0),
    "t": lambda x: x.t(),
    "T": lambda x: x.T,
    "narrow": lambda x: x.narrow(1, 1, 2),
    "slice": lambda x: x[:, 1:3],
    "step_slice": lambda x: x[::2, ::3],
    "select": lambda x: x[1],
    "unsqueeze": lambda x: x.unsqueeze(0),
    "squeeze": lambda x: x.unsqueeze(1).squeeze(1),
    "flatten": lambda x: x.flatten(),
    "unflatten": lambda x: x.unflatten(1, (2, 3)),
    "split": lambda x: x.split(2, dim=1)[1],
    "chunk": lambda x: x.chunk(2, dim=0)[1],
    "unbind": lambda x: x.unbind(1)[2],
    "ellipsis_int": lambda x: x[..., 0],
}


@pytest.mark.parametrize("name", list(VIEW_OPS))
def test_views_share_memory_and_version_with_base(name: str) -> None:
    base = pybigml.arange(12.0).reshape(2, 6)
    expected = torch.arange(12.0).reshape(2, 6)
    view, t_view = VIEW_OPS[name](base), VIEW_OPS[name](expected)
    _same(view, t_view)
    assert view.stride() == t_view.stride() or 1 in tuple(view.shape)
    version = base._version
    view.mul_(-1)  # write through the view ...
    t_view.mul_(-1)
    _same(base, expected)  # ... and the base sees it
    assert base._version == version + 1 == view._version
    base.add_(100)  # a write to the base is seen through the view
    expected.add_(100)
    assert view._version == base._version
    _same(view, t_view)


def test_expand_is_a_stride_zero_view() -> None:
    x = pybigml.tensor([[1.0], [2.0]])
    e = x.expand(2, 3)
    assert e.stride() == torch.tensor([[1.0], [2.0]]).expand(2, 3).stride()
    x[0, 0] = 5.0
    assert e.tolist() == [[5.0, 5.0, 5.0], [2.0, 2.0, 2.0]]


def test_view_on_non_viewable_strides_raises_and_reshape_copies() -> None:
    x = pybigml.arange(6.0).reshape(2, 3).t()
    with pytest.raises(RuntimeError, match="view size is not compatible"):
        x.view(-1)
    flat = x.reshape(-1)
    assert flat.tolist() == [0.0, 3.0, 1.0, 4.0, 2.0, 5.0]
    flat[0] = 100.0
    assert x[0, 0].item() == 0.0  # reshape had to copy


def test_view_with_wrong_size_raises() -> None:
    with pytest.raises(RuntimeError, match="invalid for input of size"):
        pybigml.ones(2).view(3)
    with pytest.raises(RuntimeError):
        pybigml.ones(6).view(-1, -1)


def test_contiguity_and_strides_match_torch() -> None:
    for lib in (pybigml, torch):
        x = lib.arange(24.0).reshape(2, 3, 4)
        assert x.is_contiguous() and x.stride() == (12, 4, 1)
        assert x.contiguous() is x
        p = x.permute(2, 0, 1)
        assert not p.is_contiguous() and p.stride() == (1, 12, 4)
        c = p.contiguous()
        assert c.is_contiguous() and c.stride() == (6, 3, 1)
        assert c.tolist() == p.tolist()
        assert x[:, :, ::2].stride() == (12, 4, 2)
        assert x.stride(-1) == 1 and x.size(1) == 3 and x.size() == (2, 3, 4)


# ----------------------------------------------------------------------------- shape ops
SHAPE_OPS = {
    "squeeze_all": lambda lib, x: x.reshape(1, 3, 1, 4).squeeze(),
    "squeeze_dim": lambda lib, x: x.reshape(1, 3, 1, 4).squeeze(2),
    "squeeze_non_one": lambda lib, x: x.squeeze(0),
    "unsqueeze_neg": lambda lib, x: x.unsqueeze(-1),
    "flatten_range": lambda lib, x: x.reshape(3, 2, 2).flatten(1),
    "unflatten": lambda lib, x: x.unflatten(1, (2, -1)),
    "split_size": lambda lib, x: x.split(2, dim=1),
    "split_sections": lambda lib, x: x.split([1, 3], dim=1),
    "chunk_uneven": lambda lib, x: x.chunk(3, dim=1),
    "unbind": lambda lib, x: x.unbind(0),
    "cat": lambda lib, x: lib.cat([x, x * 2, x[:1]], dim=0),
    "cat_dim1": lambda lib, x: lib.cat([x, x[:, :1]], dim=-1),
    "stack": lambda lib, x: lib.stack([x, x + 1], dim=1),
    "flip": lambda lib, x: x.flip(0, 1) if lib is torch else x.flip((0, 1)),
    "roll": lambda lib, x: x.roll(1, 1),
    "roll_flat": lambda lib, x: x.roll(-2),
    "roll_multi": lambda lib, x: x.roll((1, -1), (0, 1)),
    "repeat": lambda lib, x: x.repeat(2, 1, 3),
    "tile": lambda lib, x: x.tile((2,)),
    "tril": lambda lib, x: x.tril(),
    "triu_offset": lambda lib, x: x.triu(1),
    "tril_negative": lambda lib, x: x.tril(-1),
    "T": lambda lib, x: x.T,
    "mT": lambda lib, x: x.reshape(3, 2, 2).mT,
    "permute": lambda lib, x: x.reshape(3, 2, 2).permute(2, 0, 1),
    "transpose_neg": lambda lib, x: x.transpose(-1, 0),
    "expand": lambda lib, x: x[:1].expand(5, 4),
    "narrow_neg": lambda lib, x: x.narrow(0, -2, 2),
    "movedim": lambda lib, x: x.reshape(3, 2, 2).movedim(0, -1),
    "swapaxes": lambda lib, x: x.swapaxes(0, 1),
}


@pytest.mark.parametrize("name", list(SHAPE_OPS))
def test_shape_ops_match_torch_with_gradients(name: str) -> None:
    x = np.arange(12.0).reshape(3, 4) - 5.0
    _compare_with_grad(SHAPE_OPS[name], x)


@given(st.data())
def test_reshape_and_permute_of_drawn_shapes_match_torch(data) -> None:
    shape = data.draw(hnp.array_shapes(min_dims=1, max_dims=4, max_side=4))
    perm = data.draw(st.permutations(range(len(shape))))
    x = np.arange(float(np.prod(shape))).reshape(shape)

    def fn(lib, leaf):
        return leaf.permute(*perm).reshape(-1, shape[0]).unsqueeze(0).flatten(0, 1)

    _compare_with_grad(fn, x)


def test_cat_and_stack_errors() -> None:
    with pytest.raises(RuntimeError, match="Sizes of tensors must match"):
        pybigml.cat([pybigml.ones(2, 3), pybigml.ones(2, 4)], dim=0)
    with pytest.raises(RuntimeError, match="stack expects each tensor to be equal size"):
        pybigml.stack([pybigml.ones(2), pybigml.ones(3)])
    with pytest.raises(IndexError, match="Dimension out of range"):
        pybigml.ones(2, 3).squeeze(2)


def test_cat_promotes_dtypes_like_torch() -> None:
    got = pybigml.cat([pybigml.tensor([1, 2]), pybigml.tensor([0.5])])
    expected = torch.cat([torch.tensor([1, 2]), torch.tensor([0.5])])
    _same(got, expected)


def test_size_behaves_like_torch_size() -> None:
    s = pybigml.zeros(2, 3, 4).shape
    assert s == (2, 3, 4) and s[0] == 2 and s.numel() == 24
    assert isinstance(s[1:], pybigml.Size) and repr(s[1:]) == "pybigml.Size([3, 4])"
    assert isinstance(s + (5,), pybigml.Size)
    assert pybigml.zeros(s).shape == s


def test_new_methods_keep_dtype() -> None:
    x = pybigml.tensor([1, 2], dtype=pybigml.int32)
    for made, shape in (
        (x.new_zeros(2, 3), (2, 3)),
        (x.new_ones((1,)), (1,)),
        (x.new_full((2,), 7), (2,)),
        (x.new_tensor([1.5]), (1,)),
        (x.new_empty(0), (0,)),
    ):
        assert made.dtype is pybigml.int32 and made.shape == shape
    assert x.new_full((2,), 7).tolist() == [7, 7]


# ----------------------------------------------------------------------------- Python protocol
def test_item_tolist_len_iter() -> None:
    assert pybigml.tensor([[2.5]]).item() == 2.5
    assert isinstance(pybigml.tensor(3).item(), int)
    assert isinstance(pybigml.tensor(True).item(), bool)
    assert pybigml.tensor([[1, 2], [3, 4]]).tolist() == [[1, 2], [3, 4]]
    assert pybigml.tensor(1.5).tolist() == 1.5
    x = pybigml.tensor([[1, 2], [3, 4], [5, 6]])
    assert len(x) == 3
    rows = list(x)
    assert [r.tolist() for r in rows] == [[1, 2], [3, 4], [5, 6]]
    assert [1, 2, 3][pybigml.tensor(1)] == 2  # __index__
    assert int(pybigml.tensor([7])) == 7 and float(pybigml.tensor(0.5)) == 0.5


def test_protocol_errors_match_torch() -> None:
    with pytest.raises(
        RuntimeError, match="a Tensor with 2 elements cannot be converted to Scalar"
    ):
        pybigml.tensor([1.0, 2.0]).item()
    with pytest.raises(TypeError, match="len\\(\\) of a 0-d tensor"):
        len(pybigml.tensor(1.0))
    with pytest.raises(TypeError, match="iteration over a 0-d tensor"):
        iter(pybigml.tensor(1.0))
    with pytest.raises(RuntimeError, match="more than one value is ambiguous"):
        bool(pybigml.tensor([1.0, 2.0]))
    with pytest.raises(RuntimeError, match="no values is ambiguous"):
        bool(pybigml.tensor([]))
    assert bool(pybigml.tensor([0.5])) and not bool(pybigml.tensor(0))


def test_int_of_a_multi_element_tensor_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="only one element tensors"):
        int(pybigml.tensor([1, 2]))
    with pytest.raises(ValueError, match="only one element tensors"):
        float(pybigml.tensor([1.0, 2.0]))


def test_iteration_gives_differentiable_rows() -> None:
    x = pybigml.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    total = sum(row.sum() * (i + 1) for i, row in enumerate(x))
    total.backward()
    assert x.grad.tolist() == [[1.0, 1.0], [2.0, 2.0]]


# ----------------------------------------------------------------------------- conversions
def test_to_dtype_and_shorthands() -> None:
    x = pybigml.tensor([1.7, -2.7])
    assert x.to(pybigml.float32) is x  # no copy when nothing changes
    assert x.to(pybigml.int64).tolist() == [1, -2]  # truncation, as torch
    assert x.double().dtype is pybigml.float64
    assert x.long().dtype is pybigml.int64 and x.int().dtype is pybigml.int32
    assert x.bool().tolist() == [True, True] and x.float() is x
    assert x.to(pybigml.zeros(1, dtype=pybigml.float64)).dtype is pybigml.float64
    assert x.to("cpu") is x and x.cpu() is x
    assert x.to("cpu", pybigml.float64).dtype is pybigml.float64
    assert x.to(dtype=pybigml.float64, copy=True).dtype is pybigml.float64
    c = x.to(pybigml.float32, copy=True)
    c[0] = 0.0
    assert x[0].item() != 0.0
    assert x.type() == "pybigml.FloatTensor" and x.device.type == "cpu"


def test_to_cuda_raises_a_clear_error() -> None:
    x = pybigml.ones(2)
    for move in (lambda: x.to("cuda"), lambda: x.cuda(), lambda: pybigml.ones(2, device="cuda")):
        with pytest.raises((RuntimeError, AssertionError), match="(?i)cuda"):
            move()


def test_double_keeps_the_graph() -> None:
    x = pybigml.tensor([1.0, 2.0], requires_grad=True)
    y = x.double()
    assert y.requires_grad and y.dtype is pybigml.float64
    (y * y).sum().backward()
    assert x.grad.tolist() == [2.0, 4.0] and x.grad.dtype is pybigml.float32


# ----------------------------------------------------------------------------- operators
@pytest.mark.parametrize(
    "expr",
    [
        "2 + x", "x + 2", "2 - x", "x - 2", "2 * x", "x * 2.5", "2 / x", "x / 2",
        "2 ** x", "x ** 2", "x ** 0.5", "2 // x", "x // 2", "7 % x", "x % 2",
        "-x", "+x", "abs(-x)", "2 < x", "x >= 2", "2 == x", "x != 2",
        "i * 2", "i / 2", "i // 2", "i % 3", "2.5 * i", "i ** 2", "2 ** i", "True + i",
        "i & 3", "i | 4", "i ^ 1", "~i", "~b", "b & True", "b | b", "b ^ b",
        "x + np.float64(1)", "np.float32(2) * x", "i * np.int64(3)",
        "x + np.array([1.0, 2.0, 3.0])", "x * np.array([1.0, 2.0, 3.0])",
        "x - np.array([1.0, 2.0, 3.0])",
    ],
)  # fmt: skip
def test_operators_with_python_and_numpy_numbers_match_torch(expr: str) -> None:
    def run(lib):
        env = {
            "x": lib.tensor([1.0, 2.0, 4.0]),
            "i": lib.tensor([1, 2, 5]),
            "b": lib.tensor([True, False, True]),
            "np": np,
        }
        return eval(expr, env)

    got, expected = run(pybigml), run(torch)
    assert isinstance(got, pybigml.Tensor)
    assert _name(got.dtype) == _name(expected.dtype)
    np.testing.assert_allclose(
        np.asarray(got.tolist(), float), expected.numpy().astype(float), rtol=1e-6
    )


def test_in_place_operators_keep_dtype_and_identity() -> None:
    x = pybigml.tensor([1.0, 2.0])
    y = x
    x += 1
    x *= 2
    x -= pybigml.tensor([1.0, 1.0])
    x /= 2
    assert x is y and x.tolist() == [1.5, 2.5]
    i = pybigml.tensor([1, 2])
    with pytest.raises(RuntimeError):
        i += 0.5  # the result type float can't be cast to int64, as in torch
    with pytest.raises(RuntimeError):
        i /= 2


def test_operators_with_unsupported_types_raise_type_error() -> None:
    x = pybigml.ones(2)
    with pytest.raises(TypeError):
        x + "a"
    with pytest.raises(TypeError):
        x * None
