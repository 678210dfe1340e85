"""Convolution: the native kernels, ``F.conv*`` with their gradients, and the ``nn`` layers.

* The fast kernels (im2col / col2im around GEMM, csrc/cpu/conv.cpp) against the direct-loop
  references, over drawn geometries whose sizes are not multiples of GEMM's tiles.
* ``F.conv1d/conv2d/conv_transpose1d/conv_transpose2d`` against PyTorch (values and the
  gradients of every input, float32 and float64), with non-contiguous inputs, batch 0, size-1
  dims, groups and depthwise, dilation, ``'same'``/``'valid'`` and ``output_padding``.
* gradcheck and gradgradcheck in float64 (the backward is made of the conv Functions).
* ``nn.Conv*``: default init, shapes, ``extra_repr``, state dicts both ways, padding modes,
  ``output_size``; and PyTorch's errors for bad input.
"""

from __future__ import annotations

import math
import re

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

import pybigml
import pybigml.nn as nn
import pybigml.nn.functional as F
from pybigml import _C
from pybigml.testing import gradcheck, gradgradcheck

DTYPES = [np.float32, np.float64]


def tolerance(dtype: type, terms: int, expected: np.ndarray) -> float:
    """Absolute tolerance for sums of ``terms`` products of O(1) random values in ``dtype``.

    Each addition rounds with a relative error of eps of a partial sum, partial sums are at
    most about as large as the largest result, and the errors of a sum of random signs grow
    like sqrt(terms): eps * sqrt(terms) * max|expected|, times 8 for the different
    summation orders of the two implementations.
    """
    scale = max(1.0, float(np.abs(expected).max(initial=0.0)))
    return 8 * np.finfo(dtype).eps * math.sqrt(max(terms, 1)) * scale


@st.composite
def geometries(draw: st.DrawFn, dims: int = 2, transposed: bool = False) -> dict:
    """A convolution of drawn sizes: batch (0 included), channels, groups, kernel, stride,
    padding, dilation, and an input large enough for the dilated kernel."""
    groups = draw(st.integers(1, 3))
    cin = groups * draw(st.integers(1, 3))
    cout = groups * draw(st.integers(1, 4))  # 1 or 2 per group: the direct path; 3, 4: GEMM
    spatial = []
    for _ in range(dims):
        k = draw(st.integers(1, 4))
        d = draw(st.integers(1, 2))
        s = draw(st.integers(1, 3))
        p = draw(st.integers(0, (d * (k - 1)) // 2 + 1))
        if transposed:
            # output_padding below stride or dilation; an input long enough for an output.
            o = draw(st.integers(0, max(s, d) - 1))
            shortfall = max(0, 2 * p - d * (k - 1) - o)
            size = draw(st.integers(1 + (shortfall + s - 1) // s, 9))
        else:
            o = 0  # an input at least as large as the dilated kernel once padded
            size = draw(st.integers(max(1, d * (k - 1) + 1 - 2 * p), 9))
        spatial.append((k, d, s, p, size, o))
    return {
        "batch": draw(st.sampled_from([0, 1, 2, 3])),
        "cin": cin,
        "cout": cout,
        "groups": groups,
        "kernel": tuple(x[0] for x in spatial),
        "dilation": tuple(x[1] for x in spatial),
        "stride": tuple(x[2] for x in spatial),
        "padding": tuple(x[3] for x in spatial),
        "size": tuple(x[4] for x in spatial),
        "output_padding": tuple(x[5] for x in spatial),
        "bias": draw(st.booleans()),
        "layout": draw(st.sampled_from(["contiguous", "transposed", "strided"])),
    }


def layout(x: np.ndarray, kind: str) -> np.ndarray:
    """The values of x in a non-contiguous array: a transposed copy seen back in x's order, or
    every other element of a twice-as-long array."""
    if kind == "transposed":
        return np.ascontiguousarray(x.T).T
    if kind == "strided":
        wide = np.zeros(x.shape[:-1] + (2 * x.shape[-1],), x.dtype)
        wide[..., ::2] = x
        return wide[..., ::2]
    return x


def compare_with_torch(name: str, arrays: list[np.ndarray | None], kind: str, **kwargs) -> None:
    """F.<name> on pybigml and torch: output and every input's gradient must agree."""
    ours = [None if a is None else pybigml.from_numpy(layout(a, kind)) for a in arrays]
    theirs = [None if a is None else torch.from_numpy(a.copy()) for a in arrays]
    for t in ours + theirs:
        if t is not None:
            t.requires_grad_(True)
    y = getattr(F, name)(*ours, **kwargs)
    expected = getattr(torch.nn.functional, name)(*theirs, **kwargs)
    assert tuple(y.shape) == tuple(expected.shape)
    dtype = arrays[0].dtype.type
    weight = arrays[1]
    terms = math.prod(weight.shape[1:]) * (weight.shape[0] if "transpose" in name else 1)
    expected_values = expected.detach().numpy()
    atol = tolerance(dtype, terms, expected_values)
    np.testing.assert_allclose(y.detach().numpy(), expected_values, atol=atol, rtol=0)
    grad = np.random.default_rng(0).standard_normal(tuple(expected.shape)).astype(dtype)
    y.backward(pybigml.from_numpy(grad))
    expected.backward(torch.from_numpy(grad))
    # A weight gradient sums over the batch and every output position.
    grad_terms = max(terms, math.prod(expected.shape) // max(expected.shape[1], 1) * 4)
    for a, b in zip(ours, theirs):
        if a is not None:
            expected_grad = b.grad.numpy()
            atol = tolerance(dtype, grad_terms, expected_grad)
            np.testing.assert_allclose(a.grad.numpy(), expected_grad, atol=atol, rtol=0)


def draw_arrays(g: dict, dtype: type, transposed: bool) -> list:
    rng = np.random.default_rng(sum(g["size"]) + 7 * g["cin"])
    x = rng.standard_normal((g["batch"], g["cin"]) + g["size"]).astype(dtype)
    if transposed:
        w_shape = (g["cin"], g["cout"] // g["groups"]) + g["kernel"]
    else:
        w_shape = (g["cout"], g["cin"] // g["groups"]) + g["kernel"]
    w = rng.standard_normal(w_shape).astype(dtype)
    b = rng.standard_normal(g["cout"]).astype(dtype) if g["bias"] else None
    return [x, w, b]


# ----------------------------------------------------------------- kernels vs references
def assert_kernels_match_reference(x, w, b, gb, geometry, kernel, size, dtype) -> None:
    """The three fast kernels against the references, each within ``tolerance``."""
    y = _C.conv2d_forward(x, w, b, *geometry)
    expected = _C.conv2d_forward_reference(x, w, b, *geometry)
    np.testing.assert_allclose(y, expected, atol=tolerance(dtype, w[0].size, expected), rtol=0)
    gy = np.random.default_rng(1).standard_normal(y.shape).astype(dtype)
    expected = _C.conv2d_grad_input_reference(gy, w, gb, size, *geometry)
    np.testing.assert_allclose(
        _C.conv2d_grad_input(gy, w, gb, size, *geometry),
        expected,
        atol=tolerance(dtype, w.size, expected),
        rtol=0,
    )
    expected = _C.conv2d_grad_weight_reference(x, gy, kernel, *geometry)
    np.testing.assert_allclose(
        _C.conv2d_grad_weight(x, gy, kernel, *geometry),
        expected,
        atol=tolerance(dtype, y[:, 0].size, expected),
        rtol=0,
    )


@given(g=geometries(), dtype=st.sampled_from(DTYPES))
def test_fast_kernels_match_the_reference(g: dict, dtype: type) -> None:
    x, w, b = draw_arrays(g, dtype, transposed=False)
    # grad_input's optional bias is per input channel (the transposed convolution's bias).
    gb = np.linspace(-1, 1, g["cin"]).astype(dtype) if g["bias"] else None
    geometry = (g["stride"], g["padding"], g["dilation"], g["groups"])
    assert_kernels_match_reference(x, w, b, gb, geometry, g["kernel"], g["size"], dtype)


@pytest.mark.parametrize("threads", [1, 2])
@pytest.mark.parametrize("dtype", DTYPES)
def test_large_shapes_match_the_reference_on_any_thread_count(threads: int, dtype: type) -> None:
    """K = 300 rows (past gemm's depth block for double) and P = 480 output positions, whose
    column matrix (576 KB in float32) is cut into blocks of output positions that start inside
    an output row; samples split over threads."""
    previous = pybigml.get_num_threads()
    pybigml.set_num_threads(threads)
    try:
        rng = np.random.default_rng(threads)
        x = rng.standard_normal((3, 12, 40, 25)).astype(dtype)
        w = rng.standard_normal((70, 12, 5, 5)).astype(dtype)
        b = rng.standard_normal(70).astype(dtype)
        geometry = ((1, 2), (2, 1), (1, 1), 1)
        assert_kernels_match_reference(x, w, b, None, geometry, (5, 5), (40, 25), dtype)
    finally:
        pybigml.set_num_threads(previous)


# The forward writes im2col straight into GEMM's packed panels (16 floats or 8 doubles of
# consecutive output positions per tap) and multiplies them with gemm_prepacked_b. Each case:
# (input shape, weight shape, stride, padding, dilation, groups), chosen for an edge of that
# path: K = 810 taps (past gemm's depth block of 768 floats and 256 doubles, so partial products
# accumulate, onto the bias or not), 63 or 1 output positions (not a multiple of the panel
# width), output rows of 1 or 2 positions (panels meeting many rows), stride 2 (the strided
# copy), dilation, groups with 7 output channels each, and batch 1 (whose product is split
# among threads instead of its samples).
PACKED_FORWARD_CASES = {
    "deep K": ((2, 90, 9, 11), (13, 90, 3, 3), (1, 1), (0, 1), (1, 1), 1),
    "one position": ((1, 90, 3, 3), (8, 90, 3, 3), (1, 1), (0, 0), (1, 1), 1),
    "narrow rows": ((3, 5, 17, 2), (9, 5, 3, 2), (1, 1), (1, 0), (1, 1), 1),
    "stride and dilation": ((2, 6, 19, 23), (20, 3, 3, 3), (2, 2), (2, 1), (2, 3), 2),
    "batch of one": ((1, 16, 30, 29), (64, 16, 3, 3), (1, 1), (1, 1), (1, 1), 1),
}


@pytest.mark.parametrize("with_bias", [False, True])
@pytest.mark.parametrize("threads", [1, 2])
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("case", list(PACKED_FORWARD_CASES))
def test_packed_im2col_forward_matches_the_reference(
    case: str, dtype: type, threads: int, with_bias: bool
) -> None:
    x_shape, w_shape, stride, padding, dilation, groups = PACKED_FORWARD_CASES[case]
    previous = pybigml.get_num_threads()
    pybigml.set_num_threads(threads)
    try:
        rng = np.random.default_rng(len(case))
        x = rng.standard_normal(x_shape).astype(dtype)
        w = rng.standard_normal(w_shape).astype(dtype)
        b = rng.standard_normal(w_shape[0]).astype(dtype) if with_bias else None
        geometry = (stride, padding, dilation, groups)
        y = _C.conv2d_forward(x, w, b, *geometry)
        expected = _C.conv2d_forward_reference(x, w, b, *geometry)
        np.testing.assert_allclose(y, expected, atol=tolerance(dtype, w[0].size, expected), rtol=0)
    finally:
        pybigml.set_num_threads(previous)


@pytest.mark.parametrize(
    "call, error, match",
    [
        (
            lambda: _C.conv2d_forward(
                [1.0], np.ones((1, 1, 1, 1)), None, (1, 1), (0, 0), (1, 1), 1
            ),
            TypeError,
            "expected input to be a numpy array",
        ),
        (
            lambda: _C.conv2d_forward(
                np.ones((1, 1, 3, 3), np.float32),
                np.ones((1, 1, 1, 1)),
                None,
                (1, 1),
                (0, 0),
                (1, 1),
                1,
            ),
            TypeError,
            "float32 or float64 arrays of one dtype",
        ),
        (
            lambda: _C.conv2d_forward(
                np.ones((1, 1, 3)), np.ones((1, 1, 1, 1)), None, (1, 1), (0, 0), (1, 1), 1
            ),
            ValueError,
            "to be 4-D",
        ),
        (
            lambda: _C.conv2d_forward(
                np.ones((1, 1, 3, 3)).transpose(0, 1, 3, 2)[..., ::2],
                np.ones((1, 1, 1, 1)),
                None,
                (1, 1),
                (0, 0),
                (1, 1),
                1,
            ),
            ValueError,
            "must be C-contiguous",
        ),
        (
            lambda: _C.conv2d_forward(
                np.ones((1, 2, 3, 3)), np.ones((1, 1, 1, 1)), None, (1, 1), (0, 0), (1, 1), 1
            ),
            RuntimeError,
            r"weight.shape\[1\] == in_channels / groups = 2",
        ),
        (
            lambda: _C.conv2d_forward(
                np.ones((1, 1, 3, 3)), np.ones((1, 1, 5, 5)), None, (1, 1), (0, 0), (1, 1), 1
            ),
            RuntimeError,
            "larger than the padded input",
        ),
        (
            lambda: _C.conv2d_forward(
                np.ones((1, 1, 3, 3)), np.ones((2, 1, 1, 1)), np.ones(3), (1, 1), (0, 0), (1, 1), 1
            ),
            ValueError,
            r"bias .* shape \(2,\)",
        ),
        (
            lambda: _C.conv2d_forward(
                np.ones((1, 1, 3, 3)), np.ones((1, 1, 1, 1)), None, (0, 1), (0, 0), (1, 1), 1
            ),
            ValueError,
            "stride >= 1",
        ),
        (
            lambda: _C.conv2d_grad_input(
                np.ones((1, 1, 2, 2)),
                np.ones((1, 1, 1, 1)),
                None,
                (3, 3),
                (1, 1),
                (0, 0),
                (1, 1),
                1,
            ),
            RuntimeError,
            r"grad_output of shape \(1, 1, 2, 2\) does not match",
        ),
        (
            lambda: _C.conv2d_grad_weight(
                np.ones((2, 1, 3, 3)), np.ones((1, 1, 3, 3)), (1, 1), (1, 1), (0, 0), (1, 1), 1
            ),
            RuntimeError,
            "does not match",
        ),
    ],
)
def test_bindings_reject_bad_arrays(call, error, match) -> None:
    with pytest.raises(error, match=match):
        call()


# ------------------------------------------------------------------- F.conv* vs PyTorch
@given(g=geometries(), dtype=st.sampled_from(DTYPES))
def test_conv2d_matches_torch(g: dict, dtype: type) -> None:
    x, w, b = draw_arrays(g, dtype, transposed=False)
    compare_with_torch(
        "conv2d",
        [x, w, b],
        g["layout"],
        stride=g["stride"],
        padding=g["padding"],
        dilation=g["dilation"],
        groups=g["groups"],
    )


@given(g=geometries(dims=1), dtype=st.sampled_from(DTYPES))
def test_conv1d_matches_torch(g: dict, dtype: type) -> None:
    x, w, b = draw_arrays(g, dtype, transposed=False)
    compare_with_torch(
        "conv1d",
        [x, w, b],
        g["layout"],
        stride=g["stride"],
        padding=g["padding"],
        dilation=g["dilation"],
        groups=g["groups"],
    )


@given(g=geometries(transposed=True), dtype=st.sampled_from(DTYPES))
def test_conv_transpose2d_matches_torch(g: dict, dtype: type) -> None:
    x, w, b = draw_arrays(g, dtype, transposed=True)
    compare_with_torch(
        "conv_transpose2d",
        [x, w, b],
        g["layout"],
        stride=g["stride"],
        padding=g["padding"],
        output_padding=g["output_padding"],
        groups=g["groups"],
        dilation=g["dilation"],
    )


@given(g=geometries(dims=1, transposed=True), dtype=st.sampled_from(DTYPES))
def test_conv_transpose1d_matches_torch(g: dict, dtype: type) -> None:
    x, w, b = draw_arrays(g, dtype, transposed=True)
    compare_with_torch(
        "conv_transpose1d",
        [x, w, b],
        g["layout"],
        stride=g["stride"],
        padding=g["padding"],
        output_padding=g["output_padding"],
        groups=g["groups"],
        dilation=g["dilation"],
    )


@pytest.mark.parametrize(
    "name, x_shape, w_shape, kwargs",
    [
        ("conv2d", (2, 3, 7, 6), (4, 3, 4, 3), {"padding": "same", "dilation": (1, 2)}),
        ("conv2d", (2, 3, 7, 6), (4, 3, 2, 2), {"padding": "same"}),
        ("conv2d", (2, 3, 7, 6), (4, 3, 3, 3), {"padding": "valid"}),
        ("conv1d", (2, 3, 8), (4, 3, 4), {"padding": "same", "dilation": 3}),
        ("conv2d", (3, 7, 6), (4, 3, 3, 3), {"padding": 1}),  # unbatched
        ("conv1d", (3, 8), (4, 3, 3), {"stride": 2}),  # unbatched
        ("conv2d", (2, 6, 5, 5), (6, 1, 3, 3), {"groups": 6, "padding": 1}),  # depthwise
        ("conv2d", (2, 4, 1, 1), (5, 4, 1, 1), {}),  # 1x1 on 1x1: the no-im2col path
        ("conv2d", (0, 4, 5, 5), (5, 4, 3, 3), {}),  # empty batch
        ("conv_transpose2d", (2, 4, 3, 3), (4, 2, 3, 3), {"stride": 2, "output_padding": 1}),
        (
            "conv_transpose2d",
            (2, 4, 3, 4),
            (4, 2, 3, 3),
            {"stride": (1, 2), "dilation": 3, "output_padding": (2, 1)},
        ),  # out-pad >= stride
        ("conv_transpose1d", (4, 3), (4, 2, 3), {"stride": 2}),  # unbatched
    ],
)
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.filterwarnings("ignore:Using padding='same' with even kernel")  # torch's note
def test_special_cases_match_torch(name, x_shape, w_shape, kwargs, dtype) -> None:
    rng = np.random.default_rng(3)
    out_channels = w_shape[1] if "transpose" in name else w_shape[0]
    arrays = [
        rng.standard_normal(x_shape).astype(dtype),
        rng.standard_normal(w_shape).astype(dtype),
        rng.standard_normal(out_channels).astype(dtype),
    ]
    compare_with_torch(name, arrays, "contiguous", **kwargs)


@pytest.mark.parametrize(
    "name, x_shape, w_shape, kwargs",
    [
        ("conv2d", (2, 4, 5, 4), (4, 2, 3, 2), {"stride": (2, 1), "padding": 1, "groups": 2}),
        ("conv2d", (1, 2, 6, 5), (3, 2, 2, 3), {"dilation": 2, "padding": "same"}),
        ("conv1d", (2, 3, 7), (2, 3, 3), {"stride": 2, "padding": 1}),
        (
            "conv_transpose2d",
            (2, 4, 3, 3),
            (4, 1, 3, 2),
            {"stride": 2, "padding": 1, "output_padding": 1, "groups": 2},
        ),
        ("conv_transpose1d", (1, 2, 4), (2, 3, 3), {"stride": 3, "output_padding": 2}),
    ],
)
def test_gradcheck_and_gradgradcheck(name, x_shape, w_shape, kwargs) -> None:
    rng = np.random.default_rng(4)
    out_channels = w_shape[1] * kwargs.get("groups", 1) if "transpose" in name else w_shape[0]
    inputs = tuple(
        pybigml.tensor(rng.standard_normal(shape), requires_grad=True)
        for shape in (x_shape, w_shape, (out_channels,))
    )

    def fn(x, w, b):
        return getattr(F, name)(x, w, b, **kwargs)

    assert gradcheck(fn, inputs)
    assert gradgradcheck(fn, inputs)


def test_double_backward_matches_torch() -> None:
    """d/dw of |dL/dx|^2 (a gradient penalty) through the conv Functions, against PyTorch."""
    rng = np.random.default_rng(5)
    x_np, w_np = rng.standard_normal((2, 3, 6, 6)), rng.standard_normal((4, 3, 3, 3))
    results = []
    for lib, functional in ((pybigml, F), (torch, torch.nn.functional)):
        x = lib.tensor(x_np, requires_grad=True)
        w = lib.tensor(w_np, requires_grad=True)
        y = functional.conv2d(x, w, stride=2, padding=1).tanh().sum()
        (gx,) = lib.autograd.grad(y, x, create_graph=True)
        (gx * gx).sum().backward()
        results.append((w.grad.numpy(), x.grad.numpy()))
    for ours, theirs in zip(*results):
        np.testing.assert_allclose(ours, theirs, rtol=1e-10, atol=1e-10)


# ------------------------------------------------------------------------- nn layers
LAYERS = [
    ("Conv1d", (6, 4, 3), {"stride": 2, "padding": 1, "groups": 2}),
    ("Conv2d", (3, 8, (3, 2)), {"padding": "same", "dilation": 2, "bias": False}),
    ("Conv2d", (4, 4, 3), {"padding": 1, "groups": 4, "padding_mode": "reflect"}),
    ("Conv2d", (2, 3, 3), {"padding": (1, 2), "padding_mode": "circular"}),
    ("Conv1d", (2, 3, 3), {"padding": 2, "padding_mode": "replicate"}),
    ("ConvTranspose1d", (4, 6, 3), {"stride": 2, "output_padding": 1, "groups": 2}),
    ("ConvTranspose2d", (4, 3, (2, 3)), {"stride": (2, 1), "padding": 1, "dilation": (1, 2)}),
]


@pytest.mark.parametrize("name, args, kwargs", LAYERS)
def test_layers_match_torch_layers_through_state_dicts(name, args, kwargs) -> None:
    ours = getattr(nn, name)(*args, **kwargs)
    theirs = getattr(torch.nn, name)(*args, **kwargs)
    assert repr(ours) == repr(theirs)
    assert {k: tuple(v.shape) for k, v in ours.state_dict().items()} == {
        k: tuple(v.shape) for k, v in theirs.state_dict().items()
    }
    theirs.load_state_dict({k: torch.from_numpy(v.numpy()) for k, v in ours.state_dict().items()})
    x = np.random.default_rng(6).standard_normal((2, args[0]) + (7,) * (len(ours.kernel_size)))
    x = x.astype(np.float32)
    y, expected = ours(pybigml.from_numpy(x)), theirs(torch.from_numpy(x))
    np.testing.assert_allclose(y.detach().numpy(), expected.detach().numpy(), atol=1e-5)
    # ... and back: torch's parameters loaded into a fresh pybigml layer give torch's output.
    fresh = getattr(nn, name)(*args, **kwargs)
    fresh.load_state_dict(
        {k: pybigml.from_numpy(v.numpy()) for k, v in theirs.state_dict().items()}
    )
    np.testing.assert_allclose(fresh(pybigml.from_numpy(x)).detach().numpy(), y.detach().numpy())


@pytest.mark.parametrize("transposed", [False, True])
def test_default_init_is_kaiming_uniform_with_a_sqrt5(transposed: bool) -> None:
    """weight and bias ~ U(-1/sqrt(fan_in), 1/sqrt(fan_in)), fan_in = weight.shape[1] * k*k."""
    pybigml.manual_seed(0)
    layer = (nn.ConvTranspose2d if transposed else nn.Conv2d)(32, 48, 3)
    fan_in = layer.weight.shape[1] * 9
    bound = 1 / math.sqrt(fan_in)
    for p in (layer.weight.detach().numpy(), layer.bias.detach().numpy()):
        assert np.abs(p).max() <= bound
    w = layer.weight.detach().numpy()
    # U(-b, b) has mean 0 and std b / sqrt(3); over ~14k draws both estimates sit well within
    # 5% of b (the standard error of the mean is b / sqrt(3 * 13824) ~ 0.005 b).
    assert abs(w.mean()) < 0.05 * bound
    assert abs(w.std() - bound / math.sqrt(3)) < 0.05 * bound
    assert layer.weight.dtype == pybigml.float32
    double = nn.Conv1d(2, 3, 2, dtype=pybigml.float64)
    assert double.weight.dtype == double.bias.dtype == pybigml.float64


def test_conv_transpose_output_size_matches_torch() -> None:
    ours = nn.ConvTranspose2d(3, 2, 3, stride=3, padding=1)
    theirs = torch.nn.ConvTranspose2d(3, 2, 3, stride=3, padding=1)
    theirs.load_state_dict({k: torch.from_numpy(v.numpy()) for k, v in ours.state_dict().items()})
    x = np.random.default_rng(7).standard_normal((1, 3, 4, 4)).astype(np.float32)
    for size in ([10, 12], [1, 2, 11, 10]):
        y = ours(pybigml.from_numpy(x), output_size=size)
        expected = theirs(torch.from_numpy(x), output_size=size)
        np.testing.assert_allclose(y.detach().numpy(), expected.detach().numpy(), atol=1e-5)
    with pytest.raises(ValueError, match="valid sizes range from"):
        ours(pybigml.from_numpy(x), output_size=[13, 10])


# --------------------------------------------------------------------------- bad input
def _same_error(call) -> None:
    """call(torch-like module, its functional) raises the same type and message in both."""
    outcomes = []
    for lib, functional, module in (
        (pybigml, F, nn),
        (torch, torch.nn.functional, torch.nn),
    ):
        with pytest.raises(Exception) as info:
            call(lib, functional, module)
        # Sets print in hash order: compare their sorted elements.
        message = re.sub(
            r"\{[^}]*\}", lambda m: str(sorted(m[0][1:-1].split(", "))), str(info.value)
        )
        outcomes.append((type(info.value), message))
    assert outcomes[0] == outcomes[1]


BAD_CALLS = {
    "input_dims": lambda lib, F, nn: F.conv2d(lib.ones(2, 3), lib.ones(4, 3, 3, 3)),
    "conv1d_dims": lambda lib, F, nn: F.conv1d(lib.ones(2, 3, 4, 5), lib.ones(4, 3, 3)),
    "weight_dims": lambda lib, F, nn: F.conv1d(lib.ones(2, 3, 8), lib.ones(4, 3, 3, 3)),
    "channels": lambda lib, F, nn: F.conv2d(lib.ones(2, 4, 8, 8), lib.ones(4, 3, 3, 3)),
    "channels_unbatched": lambda lib, F, nn: F.conv2d(lib.ones(4, 8, 8), lib.ones(4, 3, 3, 3)),
    "channels_groups": lambda lib, F, nn: F.conv2d(
        lib.ones(2, 4, 8, 8), lib.ones(4, 1, 3, 3), groups=2
    ),
    "kernel_too_big": lambda lib, F, nn: F.conv2d(lib.ones(2, 3, 2, 2), lib.ones(4, 3, 3, 3)),
    "groups_divide_weight": lambda lib, F, nn: F.conv2d(
        lib.ones(2, 4, 8, 8), lib.ones(3, 2, 3, 3), groups=2
    ),
    "bias_size": lambda lib, F, nn: F.conv2d(
        lib.ones(2, 3, 8, 8), lib.ones(4, 3, 3, 3), lib.ones(5)
    ),
    "negative_padding": lambda lib, F, nn: F.conv2d(
        lib.ones(1, 3, 8, 8), lib.ones(4, 3, 3, 3), padding=-1
    ),
    "zero_stride": lambda lib, F, nn: F.conv2d(
        lib.ones(1, 3, 8, 8), lib.ones(4, 3, 3, 3), stride=0
    ),
    "zero_dilation": lambda lib, F, nn: F.conv2d(  # torch words batch 1 differently
        lib.ones(2, 3, 8, 8), lib.ones(4, 3, 3, 3), dilation=0
    ),
    "zero_groups": lambda lib, F, nn: F.conv2d(
        lib.ones(1, 3, 8, 8), lib.ones(4, 3, 3, 3), groups=0
    ),
    "same_strided": lambda lib, F, nn: F.conv2d(
        lib.ones(1, 3, 8, 8), lib.ones(4, 3, 3, 3), stride=2, padding="same"
    ),
    "padding_string": lambda lib, F, nn: F.conv2d(
        lib.ones(1, 3, 8, 8), lib.ones(4, 3, 3, 3), padding="full"
    ),
    "stride_length": lambda lib, F, nn: F.conv2d(
        lib.ones(1, 3, 8, 8), lib.ones(4, 3, 3, 3), stride=(1, 1, 1)
    ),
    "dtypes": lambda lib, F, nn: F.conv2d(
        lib.ones(1, 3, 8, 8, dtype=lib.float64), lib.ones(4, 3, 3, 3)
    ),
    "bias_dtype": lambda lib, F, nn: F.conv2d(
        lib.ones(1, 3, 8, 8), lib.ones(4, 3, 3, 3), lib.ones(4, dtype=lib.float64)
    ),
    "output_padding": lambda lib, F, nn: F.conv_transpose2d(
        lib.ones(1, 3, 8, 8), lib.ones(3, 4, 3, 3), output_padding=1
    ),
    "transposed_channels": lambda lib, F, nn: F.conv_transpose2d(
        lib.ones(2, 5, 8, 8), lib.ones(3, 4, 3, 3)
    ),
    "layer_channels": lambda lib, F, nn: nn.Conv2d(3, 4, 3)(lib.ones(1, 2, 5, 5)),
    "layer_groups": lambda lib, F, nn: nn.Conv2d(3, 4, 3, groups=2),
    "layer_padding_mode": lambda lib, F, nn: nn.Conv2d(3, 4, 3, padding_mode="mirror"),
    "layer_same_strided": lambda lib, F, nn: nn.Conv1d(3, 4, 3, stride=2, padding="same"),
    "transposed_padding_mode": lambda lib, F, nn: nn.ConvTranspose2d(
        3, 4, 3, padding_mode="reflect"
    ),
}


@pytest.mark.parametrize("case", list(BAD_CALLS))
def test_bad_input_raises_like_torch(case: str) -> None:
    _same_error(BAD_CALLS[case])


def test_transposed_output_too_small_raises() -> None:
    with pytest.raises(RuntimeError, match="Output size is too small"):
        F.conv_transpose2d(pybigml.ones(1, 3, 1, 1), pybigml.ones(3, 4, 1, 1), padding=1)


@pytest.mark.parametrize(
    "kwargs", [{"stride": 2}, {"padding": "same"}, {"unbatched": True, "padding": (1, 0)}]
)
@pytest.mark.filterwarnings("ignore:Using padding='same' with even kernel")  # torch's note
def test_integer_inputs_compute_like_torch(kwargs: dict) -> None:
    x = np.arange(2 * 3 * 5 * 5).reshape(2, 3, 5, 5) % 7
    w = np.arange(4 * 3 * 2 * 2).reshape(4, 3, 2, 2) % 5 - 2
    if kwargs.pop("unbatched", False):
        x = x[0]
    y = F.conv2d(pybigml.from_numpy(x), pybigml.from_numpy(w), **kwargs)
    expected = torch.nn.functional.conv2d(torch.from_numpy(x), torch.from_numpy(w), **kwargs)
    assert y.dtype == pybigml.int64
    np.testing.assert_array_equal(y.numpy(), expected.numpy())


def test_small_cnn_training_step_matches_torch() -> None:
    """Conv2d -> ReLU -> Conv2d (strided, padded) -> flatten -> Linear, cross-entropy, one SGD
    step: the loss, every parameter gradient and the updated parameters agree in float64."""

    def build(lib):
        return lib.nn.Sequential(
            lib.nn.Conv2d(1, 4, 3),
            lib.nn.ReLU(),
            lib.nn.Conv2d(4, 6, 3, stride=2, padding=1),
            lib.nn.Flatten(),
            lib.nn.Linear(6 * 4 * 4, 5),
        ).double()

    ours, theirs = build(pybigml), build(torch)
    ours.load_state_dict({k: pybigml.from_numpy(v.numpy()) for k, v in theirs.state_dict().items()})
    rng = np.random.default_rng(8)
    x, target = rng.standard_normal((3, 1, 9, 9)), rng.integers(0, 5, 3)
    results = []
    for lib, model in ((pybigml, ours), (torch, theirs)):
        optimizer = lib.optim.SGD(model.parameters(), lr=0.1)
        loss = lib.nn.functional.cross_entropy(model(lib.tensor(x)), lib.tensor(target))
        loss.backward()
        grads = [p.grad.numpy().copy() for p in model.parameters()]
        optimizer.step()
        results.append((loss.item(), grads, [p.detach().numpy() for p in model.parameters()]))
    (loss_a, grads_a, params_a), (loss_b, grads_b, params_b) = results
    assert loss_a == pytest.approx(loss_b, rel=1e-12)
    for a, b in zip(grads_a + params_a, grads_b + params_b):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)
