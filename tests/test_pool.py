"""Pooling and interpolation against PyTorch, the fast kernels against their references.

Max pooling picks elements, so its values and indices must equal PyTorch's exactly. Average
pooling sums a window in an order that may differ from PyTorch's: float32 results agree to a
few ulps of the window's magnitude (rtol 1e-5, atol 1e-6 for unit-normal data), float64 to
1e-12. Gradients of max pooling sum overlapping windows' contributions, with the same bounds.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from hypothesis import assume, given
from hypothesis import strategies as st

import pybigml
import pybigml.nn as nn
import pybigml.nn.functional as F
from pybigml import _C
from pybigml.testing import gradcheck, gradgradcheck

TOLERANCES = {np.float32: {"rtol": 1e-5, "atol": 1e-6}, np.float64: {"rtol": 1e-12, "atol": 1e-12}}
DTYPES = st.sampled_from([np.float32, np.float64])


def _pair_inputs(data: np.ndarray, transposed: bool) -> tuple:
    """The same values as a pybigml and a torch tensor requiring grad; with ``transposed`` the
    pybigml one is a non-contiguous view (its last two axes swapped twice)."""
    if transposed:
        view = pybigml.tensor(np.ascontiguousarray(np.swapaxes(data, -1, -2))).transpose(-1, -2)
        mine = view.detach().requires_grad_(True)
    else:
        mine = pybigml.tensor(data, requires_grad=True)
    return mine, torch.tensor(data, requires_grad=True)


def _compare(mine_fn, torch_fn, data: np.ndarray, exact: bool, transposed: bool = False) -> None:
    """Forward values (and indices if returned) and input gradients of both functions."""
    x, tx = _pair_inputs(data, transposed)
    out, tout = mine_fn(x), torch_fn(tx)
    if isinstance(tout, tuple):
        np.testing.assert_array_equal(out[1].numpy(), tout[1].numpy())
        out, tout = out[0], tout[0]
    assert tuple(out.shape) == tuple(tout.shape)
    assert out.dtype == (pybigml.float32 if data.dtype == np.float32 else pybigml.float64)
    tol = TOLERANCES[data.dtype.type]
    if exact:
        np.testing.assert_array_equal(out.detach().numpy(), tout.detach().numpy())
    else:
        np.testing.assert_allclose(out.detach().numpy(), tout.detach().numpy(), **tol)
    grad = np.random.default_rng(0).standard_normal(tuple(tout.shape)).astype(data.dtype)
    out.backward(pybigml.tensor(grad))
    tout.backward(torch.tensor(grad))
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), **tol)


@st.composite
def windows(draw, spatial: int, max_pool: bool) -> dict:
    """Window parameters and an input they fit: odd sizes, padding up to the limit, strides
    larger than the kernel, dilation (max pooling), ceil_mode; batch 0 and size-1 axes."""
    kernel = [draw(st.integers(1, 4)) for _ in range(spatial)]
    dilation = [draw(st.integers(1, 3)) if max_pool else 1 for _ in range(spatial)]
    padding = [draw(st.integers(0, k // 2)) for k in kernel]
    stride = [draw(st.integers(1, 4)) for _ in range(spatial)]
    sizes = [draw(st.integers(1, 13)) for _ in range(spatial)]
    ceil_mode = draw(st.booleans())
    for n, k, p, d, s in zip(sizes, kernel, padding, dilation, stride):
        assume(n + 2 * p >= d * (k - 1) + 1)
        # A dilated window can hold only padding: PyTorch then returns -inf with an index past
        # the plane, and its backward writes out of bounds; pybigml drops that gradient.
        out = _C.pool_output_size(n, k, s, p, d, ceil_mode)
        assume(all(any(0 <= o * s - p + j * d < n for j in range(k)) for o in range(out)))
    batch = draw(st.sampled_from([(), (0, 2), (1, 1), (2, 3)]))
    return {
        "shape": batch + (draw(st.integers(1, 3)),) * (len(batch) == 0) + tuple(sizes),
        "kernel_size": tuple(kernel),
        "stride": tuple(stride),
        "padding": tuple(padding),
        "dilation": tuple(dilation),
        "ceil_mode": ceil_mode,
    }


def _draw_data(draw, shape: tuple, dtype) -> np.ndarray:
    # Small integers make ties common, so the tie rule is exercised.
    seed = draw(st.integers(0, 2**16))
    rng = np.random.default_rng(seed)
    if draw(st.booleans()):
        return rng.integers(-3, 4, size=shape).astype(dtype)
    return rng.standard_normal(shape).astype(dtype)


# ------------------------------------------------------------------------- vs torch
@pytest.mark.parametrize("spatial", [1, 2])
@given(data=st.data(), dtype=DTYPES, transposed=st.booleans())
def test_max_pool_matches_torch(spatial, data, dtype, transposed):
    w = data.draw(windows(spatial, max_pool=True))
    x = _draw_data(data.draw, w.pop("shape"), dtype)
    name = f"max_pool{spatial}d"
    _compare(
        lambda t: getattr(F, name)(t, **w, return_indices=True),
        lambda t: getattr(TF, name)(t, **w, return_indices=True),
        x,
        exact=True,
        transposed=transposed,
    )


@pytest.mark.parametrize("spatial", [1, 2])
@given(data=st.data(), dtype=DTYPES, transposed=st.booleans(), include=st.booleans())
def test_avg_pool_matches_torch(spatial, data, dtype, transposed, include):
    w = data.draw(windows(spatial, max_pool=False))
    del w["dilation"]
    x = _draw_data(data.draw, w.pop("shape"), dtype)
    name = f"avg_pool{spatial}d"
    if spatial == 2:
        w["divisor_override"] = data.draw(st.sampled_from([None, None, 3, -2]))
    _compare(
        lambda t: getattr(F, name)(t, **w, count_include_pad=include),
        lambda t: getattr(TF, name)(t, **w, count_include_pad=include),
        x,
        exact=False,
        transposed=transposed,
    )


@pytest.mark.parametrize("kind", ["avg", "max"])
@pytest.mark.parametrize("spatial", [1, 2])
@given(data=st.data(), dtype=DTYPES)
def test_adaptive_pool_matches_torch(kind, spatial, data, dtype):
    sizes = tuple(data.draw(st.integers(1, 11)) for _ in range(spatial))
    batch = data.draw(st.sampled_from([(3,), (0, 2), (2, 3)]))
    out = [data.draw(st.one_of(st.integers(1, 12), st.none())) for _ in range(spatial)]
    output_size = out[0] if spatial == 1 and out[0] is not None else tuple(out)
    assume(output_size != (None,))
    x = _draw_data(data.draw, batch + sizes, dtype)
    name = f"adaptive_{kind}_pool{spatial}d"
    extra = {"return_indices": True} if kind == "max" else {}
    _compare(
        lambda t: getattr(F, name)(t, output_size, **extra),
        lambda t: getattr(TF, name)(t, output_size, **extra),
        x,
        exact=kind == "max",
    )


def test_nan_propagates_with_torch_index():
    x = np.arange(32, dtype=np.float32).reshape(1, 2, 4, 4)
    x[0, 0, 0, 1] = x[0, 0, 1, 0] = np.nan
    x[0, 1, 2, 2] = np.nan
    out, idx = F.max_pool2d(pybigml.tensor(x), 2, return_indices=True)
    tout, tidx = TF.max_pool2d(torch.tensor(x), 2, return_indices=True)
    np.testing.assert_array_equal(out.numpy(), tout.numpy())
    np.testing.assert_array_equal(idx.numpy(), tidx.numpy())


def test_windows_of_padding_only_give_minus_infinity_and_no_gradient():
    # L = 1, kernel 2, dilation 2, padding 1: the one window reads positions -1 and 1.
    x = pybigml.tensor(np.ones((1, 1, 1)), requires_grad=True)
    out, idx = F.max_pool1d(x, 2, 1, 1, dilation=2, return_indices=True)
    tout, tidx = TF.max_pool1d(torch.ones(1, 1, 1), 2, 1, 1, dilation=2, return_indices=True)
    np.testing.assert_array_equal(out.detach().numpy(), tout.numpy())
    np.testing.assert_array_equal(idx.numpy(), tidx.numpy())
    assert np.isneginf(out.detach().numpy()).all()
    out.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [[[0.0]]])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("stride", [1, 2])
def test_windows_of_minus_infinity_point_at_their_first_element(dtype, stride):
    # Wide enough for the SIMD runs, whose lanes must start at each window's first tap.
    x = np.full((1, 1, 5, 40), -np.inf, dtype=dtype)
    _, idx = F.max_pool2d(pybigml.tensor(x), 3, stride, 1, return_indices=True)
    _, tidx = TF.max_pool2d(torch.tensor(x), 3, stride, 1, return_indices=True)
    np.testing.assert_array_equal(idx.numpy(), tidx.numpy())


@pytest.mark.parametrize(
    ("spatial", "shape", "window", "output_size"),
    [
        (2, (2, 3, 7, 6), {"kernel_size": 2}, None),
        (2, (2, 3, 7, 6), {"kernel_size": 2}, (7, 6)),
        (2, (3, 8, 9), {"kernel_size": (2, 3), "stride": (2, 3), "padding": 1}, (8, 9)),
        (1, (2, 3, 9), {"kernel_size": 2, "stride": 2, "padding": 1}, [2, 3, 9]),
        (1, (3, 8), {"kernel_size": 2}, None),
    ],
)
def test_max_unpool_matches_torch(spatial, shape, window, output_size):
    # Windows do not overlap, so indices are distinct and unpooling is differentiable.
    x = np.random.default_rng(9).permutation(int(np.prod(shape))).reshape(shape) / 7.0
    pool, unpool = f"max_pool{spatial}d", f"max_unpool{spatial}d"
    pooled, idx = getattr(F, pool)(pybigml.tensor(x), **window, return_indices=True)
    tpooled, tidx = getattr(TF, pool)(torch.tensor(x), **window, return_indices=True)
    _compare(
        lambda t: getattr(F, unpool)(t, idx, **window, output_size=output_size),
        lambda t: getattr(TF, unpool)(t, tidx, **window, output_size=output_size),
        pooled.numpy(),
        exact=True,
    )
    values = pybigml.tensor(pooled.numpy(), requires_grad=True)
    fn = getattr(F, unpool)
    assert gradcheck(lambda v: fn(v, idx, **window, output_size=output_size), (values,))
    assert gradgradcheck(lambda v: fn(v, idx, **window, output_size=output_size), (values,))


# ------------------------------------------------------------------ fast vs reference
@given(data=st.data(), dtype=DTYPES)
def test_fast_kernels_match_references(data, dtype):
    w = data.draw(windows(2, max_pool=True))
    shape = w["shape"] if len(w["shape"]) == 4 else (1,) + w["shape"]
    # Wide rows so the SIMD runs of max pooling are taken.
    shape = shape[:-1] + (shape[-1] + 17,)
    x = _draw_data(data.draw, shape, dtype)
    args = (w["kernel_size"], w["stride"], w["padding"], w["dilation"], w["ceil_mode"])
    out, idx = _C.max_pool2d(x, *args)
    ref_out, ref_idx = _C.max_pool2d_reference(x, *args)
    np.testing.assert_array_equal(out, ref_out)
    np.testing.assert_array_equal(idx, ref_idx)
    grad = np.random.default_rng(1).standard_normal(out.shape).astype(dtype)
    tol = TOLERANCES[dtype]
    np.testing.assert_allclose(
        _C.max_pool2d_backward(grad, idx, x.shape[-2:]),
        _C.max_pool2d_backward_reference(grad, idx, x.shape[-2:]),
        **tol,
    )
    avg_args = (w["kernel_size"], w["stride"], w["padding"], w["ceil_mode"], True, None)
    avg = _C.avg_pool2d(x, *avg_args)
    np.testing.assert_allclose(avg, _C.avg_pool2d_reference(x, *avg_args), **tol)
    np.testing.assert_allclose(
        _C.avg_pool2d_backward(avg, x.shape[-2:], *avg_args),
        _C.avg_pool2d_backward_reference(avg, x.shape[-2:], *avg_args),
        **tol,
    )
    size = tuple(data.draw(st.integers(1, 9)) for _ in range(2))
    ada = _C.adaptive_avg_pool2d(x, size)
    np.testing.assert_allclose(ada, _C.adaptive_avg_pool2d_reference(x, size), **tol)
    np.testing.assert_allclose(
        _C.adaptive_avg_pool2d_backward(ada, x.shape[-2:]),
        _C.adaptive_avg_pool2d_backward_reference(ada, x.shape[-2:]),
        **tol,
    )
    mx, mi = _C.adaptive_max_pool2d(x, size)
    ref_mx, ref_mi = _C.adaptive_max_pool2d_reference(x, size)
    np.testing.assert_array_equal(mx, ref_mx)
    np.testing.assert_array_equal(mi, ref_mi)


# ------------------------------------------------------------------------- gradients
GRAD_CASES = [
    lambda x: F.max_pool2d(x, 2, 1, 1),
    lambda x: F.max_pool1d(x.flatten(-2), 3, 2, 1, dilation=2, ceil_mode=True),
    lambda x: F.avg_pool2d(x, (2, 3), 2, 1, ceil_mode=True, count_include_pad=False),
    lambda x: F.avg_pool1d(x.flatten(-2), 3, 2, 1),
    lambda x: F.adaptive_avg_pool2d(x, (2, 3)),
    lambda x: F.adaptive_max_pool2d(x, (3, 2)),
    lambda x: F.interpolate(x, scale_factor=1.5, mode="bilinear"),
    lambda x: F.interpolate(x, size=(5, 2), mode="bilinear", align_corners=True),
    lambda x: F.interpolate(x, size=(6, 7), mode="nearest"),
    lambda x: F.interpolate(x, scale_factor=(0.6, 1.4), mode="nearest-exact"),
    lambda x: F.interpolate(x, size=(3, 2), mode="area"),
    lambda x: F.interpolate(x.flatten(-2), size=13, mode="linear"),
]


@pytest.mark.parametrize("fn", GRAD_CASES)
def test_gradcheck_and_gradgradcheck(fn):
    # Distinct values keep every max away from a tie, where max pooling is not differentiable.
    values = np.random.default_rng(3).permutation(2 * 3 * 4 * 5) / 10.0
    x = pybigml.tensor(values.reshape(2, 3, 4, 5), requires_grad=True)
    assert gradcheck(fn, (x,))
    assert gradgradcheck(fn, (x,))


# ------------------------------------------------------------------------- interpolate
INTERPOLATE_CASES = [
    ("nearest", None, {"size": (5, 7)}),
    ("nearest", None, {"scale_factor": 2}),
    ("nearest", None, {"scale_factor": (1.7, 0.6)}),
    ("nearest", None, {"size": 3}),
    ("nearest-exact", None, {"scale_factor": (0.7, 2.3)}),
    ("bilinear", False, {"size": (9, 3)}),
    ("bilinear", False, {"scale_factor": 1.3, "recompute_scale_factor": True}),
    ("bilinear", True, {"scale_factor": (2.5, 1.5)}),
    ("bilinear", None, {"size": (1, 1)}),
    ("area", None, {"size": (3, 4)}),
    ("linear", False, {"size": 11}),
    ("linear", True, {"scale_factor": 0.5}),
    ("nearest", None, {"size": 9}),
]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize(("mode", "align_corners", "kwargs"), INTERPOLATE_CASES)
def test_interpolate_matches_torch(dtype, mode, align_corners, kwargs):
    one_d = mode == "linear" or "size" in kwargs and kwargs["size"] == 9
    shape = (2, 3, 7) if one_d else (2, 3, 4, 6)
    x = np.random.default_rng(4).standard_normal(shape).astype(dtype)
    _compare(
        lambda t: F.interpolate(t, mode=mode, align_corners=align_corners, **kwargs),
        lambda t: TF.interpolate(t, mode=mode, align_corners=align_corners, **kwargs),
        x,
        exact=mode.startswith("nearest"),
    )


# ------------------------------------------------------------------------- modules
MODULES = [
    ("MaxPool1d", (3,), {"stride": 2, "padding": 1}),
    ("MaxPool2d", ((2, 3),), {"dilation": 2, "ceil_mode": True}),
    ("MaxPool2d", (2,), {"return_indices": True}),
    ("AvgPool1d", (3,), {"count_include_pad": False}),
    ("AvgPool2d", (3, 2, 1), {"divisor_override": 2}),
    ("AdaptiveAvgPool1d", (4,), {}),
    ("AdaptiveAvgPool2d", ((None, 2),), {}),
    ("AdaptiveMaxPool1d", (3,), {}),
    ("AdaptiveMaxPool2d", (2,), {"return_indices": True}),
    ("Upsample", (), {"scale_factor": 2, "mode": "nearest"}),
    ("Upsample", (), {"size": (5, 3), "mode": "bilinear", "align_corners": False}),
    ("UpsamplingBilinear2d", (), {"scale_factor": 2}),
    ("UpsamplingNearest2d", (), {"size": 4}),
    ("MaxUnpool1d", (3, 2, 1), {}),
    ("MaxUnpool2d", (2,), {}),
]


@pytest.mark.parametrize(("name", "args", "kwargs"), MODULES)
def test_modules_match_torch(name, args, kwargs):
    mine, theirs = getattr(nn, name)(*args, **kwargs), getattr(torch.nn, name)(*args, **kwargs)
    assert repr(mine) == repr(theirs)
    if "Unpool" in name:
        return  # called with indices: test_max_unpool_matches_torch
    one_d = name.endswith("1d")
    shape = (2, 3, 9) if one_d else (2, 3, 6, 7)
    x = np.random.default_rng(5).standard_normal(shape)
    exact = "Avg" not in name and "Bilinear" not in name and "bilinear" not in kwargs.values()
    _compare(mine, theirs, x, exact=exact)


# ------------------------------------------------------------------------- errors
ERRORS = [
    (lambda F, x: F.max_pool2d(x, 3, padding=2), RuntimeError, "at most half of effective"),
    (lambda F, x: F.max_pool2d(x, 3, padding=2, dilation=2), RuntimeError, "half of kernel size"),
    (lambda F, x: F.avg_pool2d(x, 3, padding=2), RuntimeError, "at most half of effective"),
    (lambda F, x: F.max_pool2d(x, 7), RuntimeError, "Output size is too small"),
    (lambda F, x: F.avg_pool2d(x, 7), RuntimeError, "Output size is too small"),
    (lambda F, x: F.max_pool2d(x, 2, stride=0), RuntimeError, "stride should not be zero"),
    (lambda F, x: F.max_pool2d(x, 2, dilation=0), RuntimeError, "dilation should be greater"),
    (lambda F, x: F.max_pool2d(x, 2, padding=-1), RuntimeError, "pad must be non-negative"),
    (lambda F, x: F.max_pool2d(x[0, 0], 2), RuntimeError, "3D or 4D"),
    (lambda F, x: F.max_pool2d(x[:, :0], 2), RuntimeError, "3D or 4D"),
    (lambda F, x: F.max_pool2d(x, (2, 2, 2)), RuntimeError, "kernel_size must"),
    (lambda F, x: F.max_pool2d(x, 2.0), TypeError, "kernel_size"),
    (lambda F, x: F.avg_pool2d(x, 2, divisor_override=0), RuntimeError, "divisor must be not"),
    (lambda F, x: F.adaptive_avg_pool2d(x, (2, 2, 2)), RuntimeError, "output_size must be 2"),
    (lambda F, x: F.adaptive_avg_pool2d(x[:, :, :0], 2), RuntimeError, "non-zero size"),
    (lambda F, x: F.adaptive_avg_pool1d(x[0], (2, 2)), RuntimeError, "should contain one int"),
    (lambda F, x: F.max_pool1d(x[0], 7), RuntimeError, "Output size is too small"),
    (lambda F, x: F.interpolate(x, size=2, scale_factor=2), ValueError, "only one of size"),
    (lambda F, x: F.interpolate(x), ValueError, "either size or scale_factor"),
    (lambda F, x: F.interpolate(x, size=2, align_corners=True), ValueError, "align_corners"),
    (lambda F, x: F.interpolate(x, size=2, mode="linear"), NotImplementedError, "needs 3D"),
    (lambda F, x: F.interpolate(x, size=(2, 2, 2)), ValueError, "same number of spatial"),
    (lambda F, x: F.interpolate(x, size=0), RuntimeError, "greater than 0"),
    (lambda F, x: F.interpolate(x, size=3, antialias=True), ValueError, "Anti-alias"),
    (lambda F, x: F.max_unpool2d(x, x.long() * 0 + 999, 2), RuntimeError, "invalid max index"),
    (lambda F, x: F.max_unpool2d(x, x[:, :1].long(), 2), RuntimeError, "shape of indices"),
    (lambda F, x: F.max_unpool2d(x, x.long() * 0, 2, output_size=(20, 9)), ValueError, "dim 0"),
]


@pytest.mark.parametrize(("call", "error", "message"), ERRORS)
def test_errors_match_torch(call, error, message):
    x = np.random.default_rng(6).standard_normal((1, 2, 5, 5)).astype(np.float32)
    with pytest.raises(error, match=message):
        call(F, pybigml.tensor(x))
    with pytest.raises(error):
        call(TF, torch.tensor(x))


def test_upsample_is_interpolate_with_a_warning():
    x = pybigml.tensor(np.random.default_rng(8).standard_normal((1, 2, 3, 3)))
    with pytest.warns(UserWarning, match="deprecated"):
        up = F.upsample(x, scale_factor=2, mode="bilinear", align_corners=False)
    np.testing.assert_array_equal(
        up.numpy(), F.interpolate(x, scale_factor=2, mode="bilinear", align_corners=False).numpy()
    )


def test_integer_input_is_refused_clearly():
    with pytest.raises(NotImplementedError, match="adaptive_avg_pool2d.*Long"):
        F.adaptive_avg_pool2d(pybigml.ones(1, 2, 3, 3, dtype=pybigml.int64), 1)


def test_bindings_check_arrays_and_indices():
    x = np.zeros((1, 2, 4, 4), np.float32)
    with pytest.raises(TypeError, match="float32 or float64"):
        _C.max_pool2d(x.astype(np.int32), (2, 2), (2, 2), (0, 0), (1, 1), False)
    with pytest.raises(ValueError, match="C-contiguous"):
        _C.avg_pool2d(x.transpose(0, 1, 3, 2), (2, 2), (2, 2), (0, 0), False, True, None)
    grad = np.ones((1, 2, 2, 2), np.float32)
    bad = np.full((1, 2, 2, 2), 16, np.int64)
    with pytest.raises(RuntimeError, match=r"indices must lie in \[0, 16\)"):
        _C.max_pool2d_backward(grad, bad, (4, 4))
    with pytest.raises(RuntimeError, match="expected grad_output of shape"):
        _C.avg_pool2d_backward(grad, (5, 5), (2, 2), (1, 1), (0, 0), False, True, None)


def test_double_backward_of_max_pool_is_a_gather():
    # d/dx of sum(grad_x * v), grad_x = scatter(g): zero; d/dg of it = v gathered at indices.
    x = pybigml.tensor(np.random.default_rng(7).standard_normal((1, 1, 4, 4)), requires_grad=True)
    g = pybigml.ones(1, 1, 2, 2, dtype=pybigml.float64, requires_grad=True)
    out, idx = F.max_pool2d(x, 2, return_indices=True)
    (grad_x,) = pybigml.autograd.grad(out, x, g, create_graph=True)
    v = pybigml.arange(16.0, dtype=pybigml.float64).reshape(1, 1, 4, 4)
    (grad_g,) = pybigml.autograd.grad((grad_x * v).sum(), g)
    np.testing.assert_array_equal(grad_g.numpy().ravel(), idx.numpy().ravel().astype(np.float64))
