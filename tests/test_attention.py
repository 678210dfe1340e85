"""Scaled dot-product attention: the fused native kernels, the composed path and PyTorch.

The fast kernels (``_C.attention_forward``/``attention_backward``) are held to the one-thread
references that materialise the scores, over drawn sizes that cross their tiles (64 or 128
queries x 64 or 128 keys, 16-float / 8-double register panels); the public
``F.scaled_dot_product_attention`` (fused) and ``composed_attention`` are held to PyTorch's
values and gradients over shapes, masks, layouts and dtypes; gradcheck runs in float64.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

import pybigml
import pybigml.nn.functional as F
from pybigml import _C
from pybigml.backend import cpu as backend
from pybigml.ops.attention import FusedAttention, composed_attention
from pybigml.testing import gradcheck, gradgradcheck

DTYPES = [np.float32, np.float64]
seeds = st.integers(0, 2**32 - 1)

# Tolerances, relative to the size of the values compared. Each output or gradient entry is a
# sum of at most a few hundred products of O(1) terms, computed in a different order (and with
# a different exp) by each implementation: the rounding error grows like sqrt(n) * eps for
# random signs (Higham & Mary 2019), so 2e-5 for float32 (eps 1.2e-7) and 1e-12 for float64
# (eps 2.2e-16) leave a margin of ~10x at the sizes drawn here.
TOLERANCE = {np.float32: 2e-5, np.float64: 1e-12}


@pytest.fixture(autouse=True)
def restore_num_threads():
    """Tests may change the thread count; put it back for the rest of the suite."""
    threads = backend.get_num_threads()
    yield
    backend.set_num_threads(threads)


def assert_close(actual, expected, dtype, what=""):
    actual, expected = np.asarray(actual), np.asarray(expected)
    assert actual.shape == expected.shape, (what, actual.shape, expected.shape)
    if expected.size == 0:
        return
    scale = max(1.0, float(np.abs(expected).max()))
    error = float(np.abs(actual - expected).max())
    assert error <= TOLERANCE[dtype] * scale, f"{what}: max error {error:.3g} (scale {scale:.3g})"


def make_mask(rng, kind, shape, dtype):
    """None, a bool mask (True = attend) or an additive float mask with some -inf entries."""
    if kind == "none":
        return None
    if kind == "bool":
        return rng.random(shape) > 0.3
    bias = rng.standard_normal(shape).astype(dtype)
    bias[rng.random(shape) < 0.2] = -np.inf
    return bias


# Broadcast patterns of a mask over (B, H, L, S): full, key padding, per head, one (L, S).
MASK_SHAPES = {
    "full": lambda b, h, l, s: (b, h, l, s),
    "key_padding": lambda b, h, l, s: (b, 1, 1, s),
    "per_head": lambda b, h, l, s: (1, h, l, 1),
    "shared": lambda b, h, l, s: (l, s),
}


# --- the fast kernels against the references --------------------------------------------------


@given(
    batch=st.integers(1, 2),
    kv_heads=st.integers(1, 2),
    groups=st.integers(1, 3),
    length=st.sampled_from([0, 1, 5, 63, 64, 65, 130]),
    keys=st.sampled_from([0, 1, 7, 64, 129, 200]),
    head_dim=st.sampled_from([1, 3, 8, 17, 64]),
    value_dim=st.sampled_from([1, 5, 16, 33]),
    dtype=st.sampled_from(DTYPES),
    causal=st.booleans(),
    mask_kind=st.sampled_from(["none", "bool", "float"]),
    mask_shape=st.sampled_from(sorted(MASK_SHAPES)),
    seed=seeds,
)
def test_fast_kernels_match_references(
    batch,
    kv_heads,
    groups,
    length,
    keys,
    head_dim,
    value_dim,
    dtype,
    causal,
    mask_kind,
    mask_shape,
    seed,
):
    rng = np.random.default_rng(seed)
    heads = kv_heads * groups
    q = rng.standard_normal((batch, heads, length, head_dim)).astype(dtype)
    k = rng.standard_normal((batch, kv_heads, keys, head_dim)).astype(dtype)
    v = rng.standard_normal((batch, kv_heads, keys, value_dim)).astype(dtype)
    mask = None if causal else make_mask(rng, mask_kind, (1, 1, length, keys), dtype)
    if mask is not None:  # drawn at full size, then cut down to the broadcast pattern
        shape = MASK_SHAPES[mask_shape](batch, heads, length, keys)
        mask = np.broadcast_to(mask, (batch, heads, length, keys))
        mask = mask[tuple(slice(0, 1) if n == 1 else slice(None) for n in shape[-4:])]
        mask = mask.reshape((1,) * (4 - mask.ndim) + mask.shape)
    scale = 1 / math.sqrt(head_dim)
    out, lse = _C.attention_forward(q, k, v, mask, scale, causal)
    ref_out, ref_lse = _C.attention_forward_reference(q, k, v, mask, scale, causal)
    assert_close(out, ref_out, dtype, "out")
    live = np.isfinite(ref_lse)
    assert np.array_equal(np.isfinite(lse), live)
    assert_close(lse[live], ref_lse[live], dtype, "lse")

    grad_out = rng.standard_normal(out.shape).astype(dtype)
    grads = _C.attention_backward(q, k, v, mask, out, lse, grad_out, scale, causal)
    ref_grads = _C.attention_backward_reference(q, k, v, mask, out, lse, grad_out, scale, causal)
    for name, grad, ref in zip(("grad_q", "grad_k", "grad_v"), grads, ref_grads):
        assert_close(grad, ref, dtype, name)


@pytest.mark.parametrize("threads", [1, 3])
def test_backward_split_over_key_tiles_matches_reference(threads):
    """One head and several threads: the backward splits the head's key tiles into chunks
    whose query gradients are summed."""
    backend.set_num_threads(threads)
    rng = np.random.default_rng(0)
    q, k, v = (rng.standard_normal((1, 1, 150, 24)) for _ in range(3))
    out, lse = _C.attention_forward(q, k, v, None, 0.3, True)
    grad_out = rng.standard_normal(out.shape)
    grads = _C.attention_backward(q, k, v, None, out, lse, grad_out, 0.3, True)
    ref = _C.attention_backward_reference(q, k, v, None, out, lse, grad_out, 0.3, True)
    for grad, expected in zip(grads, ref):
        assert_close(grad, expected, np.float64)


def test_fully_masked_rows_give_zero_output_and_infinite_lse():
    rng = np.random.default_rng(1)
    q, k, v = (rng.standard_normal((1, 2, 6, 4)) for _ in range(3))
    mask = np.ones((1, 1, 6, 6), bool)
    mask[..., 2, :] = False
    out, lse = _C.attention_forward(q, k, v, mask, 0.5, False)
    assert np.all(out[:, :, 2] == 0) and np.all(np.isposinf(lse[:, :, 2]))
    grads = _C.attention_backward(q, k, v, mask, out, lse, np.ones_like(out), 0.5, False)
    assert np.all(grads[0][:, :, 2] == 0)
    assert all(np.isfinite(g).all() for g in grads)


# --- the public function against PyTorch ------------------------------------------------------


def run_both(arrays, mask, kwargs, grad_out_seed=0, fn=F.scaled_dot_product_attention):
    """Output and gradients of q, k, v from pybigml's ``fn`` and torch's SDPA."""
    ours = [pybigml.tensor(a, requires_grad=True) for a in arrays]
    theirs = [torch.tensor(a, requires_grad=True) for a in arrays]
    ours_mask = None if mask is None else pybigml.tensor(mask)
    theirs_mask = None if mask is None else torch.tensor(mask)
    out = fn(*ours, attn_mask=ours_mask, **kwargs)
    expected = torch.nn.functional.scaled_dot_product_attention(
        *theirs, attn_mask=theirs_mask, **kwargs
    )
    grad = np.random.default_rng(grad_out_seed).standard_normal(tuple(expected.shape))
    grad = grad.astype(arrays[0].dtype)
    out.backward(pybigml.tensor(grad))
    expected.backward(torch.tensor(grad))
    return out, expected, ours, theirs


def check_against_torch(arrays, mask, kwargs, fn=F.scaled_dot_product_attention):
    dtype = arrays[0].dtype.type
    out, expected, ours, theirs = run_both(arrays, mask, kwargs, fn=fn)
    assert_close(out.detach().numpy(), expected.detach().numpy(), dtype, "out")
    for name, a, b in zip("qkv", ours, theirs):
        assert_close(a.grad.numpy(), b.grad.numpy(), dtype, f"grad {name}")
    return out


@given(
    batch=st.integers(1, 2),
    heads=st.integers(1, 3),
    length=st.integers(1, 70),
    keys=st.integers(1, 70),
    head_dim=st.integers(1, 20),
    value_dim=st.integers(1, 20),
    dtype=st.sampled_from(DTYPES),
    causal=st.booleans(),
    mask_kind=st.sampled_from(["none", "bool", "float"]),
    mask_shape=st.sampled_from(sorted(MASK_SHAPES)),
    transposed=st.booleans(),
    seed=seeds,
)
def test_sdpa_matches_torch(
    batch,
    heads,
    length,
    keys,
    head_dim,
    value_dim,
    dtype,
    causal,
    mask_kind,
    mask_shape,
    transposed,
    seed,
):
    """Values and gradients, fused and composed, against torch; with transposed, q, k and v
    are (B, L, H, E) arrays seen as (B, H, L, E), as multi-head layers make them."""
    rng = np.random.default_rng(seed)

    def operand(rows, cols):
        if transposed:
            return rng.standard_normal((batch, rows, heads, cols)).astype(dtype).swapaxes(1, 2)
        return rng.standard_normal((batch, heads, rows, cols)).astype(dtype)

    arrays = [operand(length, head_dim), operand(keys, head_dim), operand(keys, value_dim)]
    shape = MASK_SHAPES[mask_shape](batch, heads, length, keys)
    mask = None if causal else make_mask(rng, mask_kind, shape, dtype)
    kwargs = {"is_causal": causal}
    out = check_against_torch(arrays, mask, kwargs)
    assert isinstance(out.grad_fn, FusedAttention)
    check_against_torch(arrays, mask, kwargs, fn=composed_attention)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(
    "q_shape, k_shape, v_shape, mask_shape, kwargs",
    [
        ((9, 4), (5, 4), (5, 3), None, {"is_causal": True}),  # causal, L > S: top-left aligned
        ((2, 4, 4), (2, 9, 4), (2, 9, 3), None, {"is_causal": True}),  # causal, L < S
        ((3, 7, 4), (7, 4), (7, 6), None, {"scale": 0.7}),  # k, v broadcast over a batch
        ((1, 4, 5, 8), (2, 4, 6, 8), (2, 4, 6, 8), None, {}),  # q broadcast over the batch
        ((2, 4, 5, 8), (2, 1, 6, 8), (2, 1, 6, 8), None, {}),  # one k/v head for all
        ((2, 6, 5, 8), (2, 2, 6, 8), (2, 2, 6, 3), None, {"enable_gqa": True}),
        ((2, 2, 3, 5, 4), (2, 2, 3, 7, 4), (2, 2, 3, 7, 6), (2, 1, 1, 1, 7), {}),  # 5-D
        ((2, 3, 5, 4), (2, 3, 7, 4), (2, 3, 7, 6), (3, 5, 7), {}),  # mask over heads
        ((2, 0, 5, 4), (2, 0, 7, 4), (2, 0, 7, 6), None, {}),  # no heads
        ((2, 3, 0, 4), (2, 3, 7, 4), (2, 3, 7, 6), None, {}),  # no queries
        ((2, 3, 5, 4), (2, 3, 0, 4), (2, 3, 0, 6), None, {}),  # no keys: zero output
        ((2, 3, 5, 0), (2, 3, 7, 0), (2, 3, 7, 6), None, {}),  # no features: uniform weights
        ((2, 3, 5, 4), (2, 3, 7, 4), (2, 3, 7, 0), None, {}),  # empty values
    ],
)
def test_sdpa_shapes_match_torch(dtype, q_shape, k_shape, v_shape, mask_shape, kwargs):
    rng = np.random.default_rng(3)
    arrays = [rng.standard_normal(s).astype(dtype) for s in (q_shape, k_shape, v_shape)]
    mask = None if mask_shape is None else rng.random(mask_shape) > 0.3
    check_against_torch(arrays, mask, kwargs)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("mask_kind", ["bool", "float"])
def test_fully_masked_rows_match_torch(dtype, mask_kind):
    """A query that may attend to no key outputs 0 and passes no gradient (torch 2.13)."""
    rng = np.random.default_rng(4)
    arrays = [rng.standard_normal((2, 3, 6, 5)).astype(dtype) for _ in range(3)]
    keep = rng.random((2, 1, 6, 6)) > 0.3
    keep[0, :, 1] = False
    keep[1, :, 4] = False
    mask = keep if mask_kind == "bool" else np.where(keep, 0.0, -np.inf).astype(dtype)
    out = check_against_torch(arrays, mask, {})
    assert np.all(out.detach().numpy()[0, :, 1] == 0)


def test_float_mask_requiring_grad_and_dropout_take_the_composed_path():
    rng = np.random.default_rng(5)
    q, k, v = (pybigml.tensor(rng.standard_normal((2, 4, 3)), requires_grad=True) for _ in "qkv")
    bias = pybigml.tensor(rng.standard_normal((4, 4)), requires_grad=True)
    out = F.scaled_dot_product_attention(q, k, v, attn_mask=bias)
    assert not isinstance(out.grad_fn, FusedAttention)
    out.sum().backward()
    torch_bias = torch.tensor(bias.detach().numpy(), requires_grad=True)
    torch.nn.functional.scaled_dot_product_attention(
        *(torch.tensor(t.detach().numpy()) for t in (q, k, v)), attn_mask=torch_bias
    ).sum().backward()
    assert_close(bias.grad.numpy(), torch_bias.grad.numpy(), np.float64, "grad mask")

    dropped = F.scaled_dot_product_attention(q, k, v, dropout_p=0.5)
    assert not isinstance(dropped.grad_fn, FusedAttention)
    # Each weight is zeroed or scaled by 2: the output stays finite and differs from dropout 0.
    assert np.isfinite(dropped.detach().numpy()).all()


@pytest.mark.parametrize(
    "kwargs, mask_shape",
    [({}, None), ({"is_causal": True}, None), ({}, (1, 3, 5)), ({"scale": 0.3}, (2, 1, 5))],
)
def test_gradcheck(kwargs, mask_shape):
    rng = np.random.default_rng(6)
    q, k, v = (
        pybigml.tensor(rng.standard_normal(s), requires_grad=True)
        for s in ((2, 3, 4), (2, 5, 4), (2, 5, 3))
    )
    mask = None if mask_shape is None else pybigml.tensor(rng.random(mask_shape) > 0.3)

    def attention(q, k, v):
        return F.scaled_dot_product_attention(q, k, v, attn_mask=mask, **kwargs)

    assert gradcheck(attention, (q, k, v))
    # Double backward goes through the composed path (create_graph=True).
    assert gradgradcheck(attention, (q, k, v))


def test_double_backward_matches_torch():
    rng = np.random.default_rng(7)
    arrays = [rng.standard_normal(s) for s in ((2, 3, 4), (2, 5, 4), (2, 5, 3))]
    ours = [pybigml.tensor(a, requires_grad=True) for a in arrays]
    theirs = [torch.tensor(a, requires_grad=True) for a in arrays]
    out = F.scaled_dot_product_attention(*ours, is_causal=True)
    expected = torch.nn.functional.scaled_dot_product_attention(*theirs, is_causal=True)
    grads = pybigml.autograd.grad((out * out).sum(), ours, create_graph=True)
    torch_grads = torch.autograd.grad((expected * expected).sum(), theirs, create_graph=True)
    sum(g.sum() for g in grads).backward()
    sum(g.sum() for g in torch_grads).backward()
    for a, b in zip(ours, theirs):
        assert_close(a.grad.numpy(), b.grad.numpy(), np.float64)


# --- errors -----------------------------------------------------------------------------------


def test_public_errors_match_torch():
    q = pybigml.ones(2, 3, 4)
    with pytest.raises(RuntimeError, match="explicit attn_mask should not be set"):
        F.scaled_dot_product_attention(q, q, q, attn_mask=pybigml.ones(3, 3).bool(), is_causal=True)
    with pytest.raises(RuntimeError, match="same dtype"):
        F.scaled_dot_product_attention(q, q.double(), q)
    with pytest.raises(RuntimeError, match="embedding size"):
        F.scaled_dot_product_attention(q, pybigml.ones(2, 3, 5), q)
    with pytest.raises(RuntimeError):
        F.scaled_dot_product_attention(q, q, q, attn_mask=pybigml.ones(4, 4).bool())
    with pytest.raises(RuntimeError, match="Expected attn_mask dtype to be bool or float"):
        F.scaled_dot_product_attention(q, q, q, attn_mask=pybigml.zeros(3, 3, dtype=pybigml.int64))
    # float32 masks are accepted with float64 queries, as in torch.
    q64 = pybigml.ones(2, 3, 4, dtype=pybigml.float64)
    assert F.scaled_dot_product_attention(q64, q64, q64, attn_mask=pybigml.zeros(3, 3)).dtype == (
        pybigml.float64
    )


def kernel_arrays(dtype=np.float32, b=1, h=2, length=3, keys=4, e=5, ev=6):
    return (
        np.zeros((b, h, length, e), dtype),
        np.zeros((b, h, keys, e), dtype),
        np.zeros((b, h, keys, ev), dtype),
    )


@pytest.mark.parametrize(
    "change, error, message",
    [
        (lambda q, k, v, m: (q.astype(np.float64), k, v, m), TypeError, "one dtype"),
        (lambda q, k, v, m: (q.astype(np.int64), k, v, m), TypeError, "float32 or float64"),
        (lambda q, k, v, m: (q[0], k, v, m), ValueError, "4-D"),
        (lambda q, k, v, m: (q[..., :4], k, v, m), RuntimeError, "do not agree"),
        (lambda q, k, v, m: (q, k, v[:, :, :3], m), RuntimeError, "do not agree"),
        (lambda q, k, v, m: (q, k[:, :1], v[:, :1], m), None, None),  # shared k/v head: fine
        (lambda q, k, v, m: (np.zeros((1, 3, 3, 5), np.float32), k, v, m), RuntimeError, "H a"),
        (lambda q, k, v, m: (np.asfortranarray(q), k, v, m), ValueError, "contiguous rows"),
        (lambda q, k, v, m: (q, k, v, np.ones((1, 2, 3, 5), bool)), RuntimeError, "broadcast"),
        (lambda q, k, v, m: (q, k, v, np.ones((3, 4), bool)), RuntimeError, "broadcast"),
        (lambda q, k, v, m: (q, k, v, np.ones((1, 1, 3, 4), np.int32)), TypeError, "bool mask"),
        (lambda q, k, v, m: (q, k, v, np.ones((1, 1, 3, 4))), TypeError, "bool mask"),
        (lambda q, k, v, m: (q.tolist(), k, v, m), TypeError, "numpy array"),
    ],
)
def test_kernel_binding_rejects_bad_input(change, error, message):
    q, k, v, mask = change(*kernel_arrays(), None)
    if error is None:
        _C.attention_forward(q, k, v, mask, 1.0, False)
        return
    with pytest.raises(error, match=message) as info:
        _C.attention_forward(q, k, v, mask, 1.0, False)
    assert "attention_forward" in str(info.value)


def test_backward_binding_checks_saved_arrays():
    q, k, v = kernel_arrays()
    out, lse = _C.attention_forward(q, k, v, None, 1.0, False)
    grad = np.zeros_like(out)
    with pytest.raises(ValueError, match="lse"):
        _C.attention_backward(q, k, v, None, out, lse[:, :1], grad, 1.0, False)
    with pytest.raises(ValueError, match="out"):
        _C.attention_backward(q, k, v, None, out.astype(np.float64), lse, grad, 1.0, False)
    with pytest.raises(TypeError, match="grad_out"):
        _C.attention_backward(q, k, v, None, out, lse, grad.astype(np.float64), 1.0, False)
    with pytest.raises(RuntimeError, match="grad_out"):
        _C.attention_backward(q, k, v, None, out, lse, grad[:, :, :2], 1.0, False)
