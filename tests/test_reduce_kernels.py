"""The native reduction kernels (csrc/cpu/reduce.cpp) against their plain references, numpy and
PyTorch, and the ops built on them (sum/mean/amax/argmax, softmax family, layer_norm,
cross_entropy, embedding) against PyTorch, gradients included.

Tolerances: the fast kernels and the references both accumulate in double (long double for
the references), so they differ by a few roundings of the output: float32 results to ~1e-6
relative (plus ~1 ulp of the polynomial exp), float64 to ~1e-12. Gradients against PyTorch in
float32 carry both libraries' roundings of sums over up to ~200 terms: rtol 1e-4.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import assume, given
from hypothesis import strategies as st

import pybigml
import pybigml.nn.functional as F
from pybigml import _C
from pybigml.testing import gradcheck, gradgradcheck

DTYPES = (np.float32, np.float64)
TOL = {np.float32: {"rtol": 2e-5, "atol": 2e-6}, np.float64: {"rtol": 1e-11, "atol": 1e-12}}
TORCH_TOL = {np.float32: {"rtol": 1e-4, "atol": 1e-5}, np.float64: {"rtol": 1e-9, "atol": 1e-10}}

# sizes around the vector widths (8 floats, 4 doubles) and the column block (256)
sizes = st.sampled_from([0, 1, 2, 3, 5, 7, 8, 9, 15, 17, 31, 33, 100, 257])
small = st.integers(0, 5)


def close(actual: np.ndarray, expected: np.ndarray, dtype: type, tol: dict = TOL) -> None:
    np.testing.assert_allclose(actual, expected, **tol[dtype])


def rand(rng: np.random.Generator, shape: tuple, dtype: type, scale: float = 3.0) -> np.ndarray:
    return (rng.standard_normal(shape) * scale).astype(dtype)


def layouts(x: np.ndarray) -> list[np.ndarray]:
    """x itself, a transposed copy seen through a transpose (same values, other strides), and
    a stepped slice."""
    t = np.ascontiguousarray(x.transpose(2, 1, 0)).transpose(2, 1, 0)
    stepped = np.repeat(x, 2, axis=1)[:, ::2]
    return [x, t, stepped]


# --------------------------------------------------------------------------- kernels vs reference
@given(outer=small, n=sizes, inner=st.sampled_from([1, 3, 9, 300]), seed=st.integers(0, 99))
@pytest.mark.parametrize("dtype", DTYPES)
def test_reduce_matches_reference_and_numpy(dtype, outer, n, inner, seed):
    rng = np.random.default_rng(seed)
    for x in layouts(rand(rng, (outer, n, inner), dtype)):
        total = x.astype(np.float64).sum(axis=1)
        for op, expected in (("sum", total), ("mean", total / n if n else total * np.nan)):
            close(_C.reduce(x, op), _C.reduce_reference(x, op), dtype)
            close(_C.reduce(x, op), expected, dtype)
        if n == 0:
            continue
        for op, fn in (
            ("max", np.max),
            ("min", np.min),
            ("argmax", np.argmax),
            ("argmin", np.argmin),
        ):
            np.testing.assert_array_equal(_C.reduce(x, op), fn(x, axis=1))
            np.testing.assert_array_equal(_C.reduce_reference(x, op), fn(x, axis=1))


@pytest.mark.parametrize("dtype", DTYPES)
def test_full_reduction_splits_across_threads(dtype):
    # one output over 10^6 values: the threads split the row, then combine
    rng = np.random.default_rng(0)
    x = rand(rng, (1, 1_000_003, 1), dtype)
    x[0, 777_777, 0] = 50.0
    x[0, 999_999, 0] = 50.0  # a later tie: argmax keeps the first
    np.testing.assert_allclose(_C.reduce(x, "sum")[0, 0], x.astype(np.float64).sum(), rtol=1e-6)
    assert _C.reduce(x, "argmax")[0, 0] == 777_777
    assert _C.reduce(x, "max")[0, 0] == 50.0
    # a (1, 3001, 257) sum over the middle axis: the threads split the rows, each into its own
    # buffer of column sums
    cols = rand(rng, (1, 3001, 257), dtype)
    close(_C.reduce(cols, "mean"), cols.astype(np.float64).mean(axis=1), dtype)


def test_float32_sum_accumulates_in_double():
    # 1 + 2^24 ones: a float accumulator stops growing at 2^24, numpy's pairwise sum does not
    x = np.ones((1, 2**24 + 1, 1), np.float32)
    assert _C.reduce(x, "sum")[0, 0] == np.float32(2**24 + 1)


def test_nan_propagates_and_wins_arg_reductions():
    x = np.array([[1.0, np.nan, 3.0, np.nan], [2.0, 5.0, 5.0, 0.0]], np.float32)[:, :, None]
    for xx in (x, np.ascontiguousarray(x.transpose(1, 0, 2)).reshape(1, 4, 2)):
        ref = xx[:, :, :]
        for op, fn in (
            ("max", np.max),
            ("min", np.min),
            ("argmax", np.argmax),
            ("argmin", np.argmin),
        ):
            np.testing.assert_array_equal(_C.reduce(xx, op), fn(ref, axis=1))


@given(outer=small, n=sizes, inner=st.sampled_from([1, 2, 9, 300]), seed=st.integers(0, 99))
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("op", ["softmax", "log_softmax"])
def test_softmax_kernels_match_reference(op, dtype, outer, n, inner, seed):
    rng = np.random.default_rng(seed)
    x = rand(rng, (outer, n, inner), dtype, scale=10.0)
    y = _C.softmax(x, op)
    close(y, _C.softmax_reference(x, op), dtype)
    g = rand(rng, x.shape, dtype, scale=1.0)
    close(_C.softmax_backward(y, g, op), _C.softmax_backward_reference(y, g, op), dtype)
    close(_C.logsumexp(x), _C.logsumexp_reference(x), dtype)


def test_float32_exp_is_accurate_over_the_whole_range():
    # log_softmax's backward computes grad - exp(y) * sum(grad): with rows (y, 0) and
    # grad (0, -1) it returns exp(y) itself, by the vectorised exp
    xs = np.linspace(-104.0, 88.7, 400_001).astype(np.float32)
    y = np.stack([xs, np.zeros_like(xs)], 1)[:, :, None].copy()
    g = np.zeros_like(y)
    g[:, 1] = -1.0
    e = _C.softmax_backward(y, g, "log_softmax")[:, 0, 0].astype(np.float64)
    exact = np.exp(xs.astype(np.float64))
    ulp = np.spacing(exact.astype(np.float32)).astype(np.float64)
    assert np.max(np.abs(e - exact) / ulp) <= 1.5  # ~1 ulp of float32, denormals included


def test_softmax_special_values_like_torch():
    inf, nan = float("inf"), float("nan")
    x = torch.tensor([[1.0, nan, 2.0], [inf, 1.0, 2.0], [-inf, -inf, -inf], [-inf, 0.0, 1.0]])
    p = pybigml.tensor(x.numpy())
    for fn in ("softmax", "log_softmax"):
        np.testing.assert_allclose(getattr(p, fn)(-1).numpy(), getattr(x, fn)(-1).numpy(), 1e-6)
    np.testing.assert_allclose(p.logsumexp(-1).numpy(), x.logsumexp(-1).numpy(), 1e-6)


@given(rows=small, cols=sizes.filter(bool), seed=st.integers(0, 99), affine=st.booleans())
@pytest.mark.parametrize("dtype", DTYPES)
def test_layer_norm_kernels_match_reference(dtype, rows, cols, seed, affine):
    rng = np.random.default_rng(seed)
    x = rand(rng, (rows, cols), dtype) + 5.0
    # rstd = 1 / std multiplies the rounding of x - mean: keep rows away from constant ones
    assume(cols == 1 or rows == 0 or x.std(-1).min() > 0.1)
    w, b = (rand(rng, (cols,), dtype), rand(rng, (cols,), dtype)) if affine else (None, None)
    fast = _C.layer_norm_forward(x, w, b, 1e-5)
    ref = _C.layer_norm_forward_reference(x, w, b, 1e-5)
    for a, r in zip(fast, ref):
        close(a, r, dtype)
    g = rand(rng, (rows, cols), dtype)
    fast = _C.layer_norm_backward(g, x, ref[1], ref[2], w)
    for a, r in zip(fast, _C.layer_norm_backward_reference(g, x, ref[1], ref[2], w)):
        close(a, r, dtype, TORCH_TOL)


@given(rows=small, classes=sizes.filter(bool), seed=st.integers(0, 99))
@pytest.mark.parametrize("dtype", DTYPES)
def test_cross_entropy_kernels_match_reference(dtype, rows, classes, seed):
    rng = np.random.default_rng(seed)
    z = rand(rng, (rows, classes), dtype)
    target = rng.integers(0, classes, rows)
    target[rng.random(rows) < 0.3] = -100
    scale = rand(rng, (rows,), dtype, 1.0)
    for weight in (None, rng.random(classes).astype(dtype)):
        for eps in (0.0, 0.25):
            args = (z, target, weight)
            loss, lse = _C.cross_entropy_forward(*args, -100, eps)
            ref_loss, ref_lse = _C.cross_entropy_forward_reference(*args, -100, eps)
            close(loss, ref_loss, dtype)
            close(lse, ref_lse, dtype)
            grad = _C.cross_entropy_backward(*args, lse, scale, -100, eps)
            close(grad, _C.cross_entropy_backward_reference(*args, lse, scale, -100, eps), dtype)


@given(n=sizes, dim=st.sampled_from([1, 3, 8, 33]), seed=st.integers(0, 99))
@pytest.mark.parametrize("dtype", DTYPES)
def test_embedding_backward_matches_reference(dtype, n, dim, seed):
    rng = np.random.default_rng(seed)
    g = rand(rng, (n, dim), dtype)
    idx = rng.integers(0, 6, n)
    for padding in (-1, 2):
        for freq in (False, True):
            close(
                _C.embedding_backward(g, idx, 6, padding, freq),
                _C.embedding_backward_reference(g, idx, 6, padding, freq),
                dtype,
            )


# --------------------------------------------------------------------------- ops vs torch
def both(array: np.ndarray, grad: bool = True) -> tuple[pybigml.Tensor, torch.Tensor]:
    return (
        pybigml.tensor(array, requires_grad=grad),
        torch.tensor(array, requires_grad=grad),
    )


@given(shape=st.lists(st.integers(0, 6), min_size=1, max_size=4), seed=st.integers(0, 99))
@pytest.mark.parametrize("dtype", DTYPES)
def test_reductions_over_dims_like_torch(dtype, shape, seed):
    rng = np.random.default_rng(seed)
    x = rand(rng, tuple(shape), dtype)
    p, t = pybigml.tensor(x), torch.tensor(x)
    pt, tt = p.transpose(0, -1), t.transpose(0, -1)  # a strided view
    last = len(shape) - 1
    for dims in {(0,), (last,), tuple(range(len(shape))), tuple(sorted({0, last}))}:
        for a, b in ((p, t), (pt, tt)):
            close(a.sum(dims).numpy(), b.sum(dims).numpy(), dtype, TORCH_TOL)
            close(
                a.mean(dims, keepdim=True).numpy(),
                b.mean(dims, keepdim=True).numpy(),
                dtype,
                TORCH_TOL,
            )
            if all(a.shape[d] for d in dims):
                np.testing.assert_array_equal(a.amax(dims).numpy(), b.amax(dims).numpy())
    if x.size:
        for d in range(len(shape)):
            if shape[d]:
                np.testing.assert_array_equal(p.argmax(d).numpy(), t.argmax(d).numpy())
                np.testing.assert_array_equal(pt.argmin(d).numpy(), tt.argmin(d).numpy())


@pytest.mark.parametrize("dtype", DTYPES)
def test_large_reductions_use_the_kernel_like_torch(dtype):
    # above _NATIVE_REDUCE_MIN_SIZE elements the ops run on the kernel: every dim set that
    # merges into one run, on a contiguous tensor and on a permuted view, and one that does not
    rng = np.random.default_rng(5)
    x = rand(rng, (24, 37, 41), dtype)
    x[3, 5, 7] = x.max() + 1.0  # a unique maximum, so argmax has one answer
    p, t = pybigml.tensor(x), torch.tensor(x)
    for a, b in ((p, t), (p.permute(2, 0, 1), t.permute(2, 0, 1))):
        for dims in ((0,), (1,), (2,), (0, 1), (1, 2), (0, 1, 2), (0, 2)):
            close(a.sum(dims).numpy(), b.sum(dims).numpy(), dtype, TORCH_TOL)
            close(a.mean(dims).numpy(), b.mean(dims).numpy(), dtype, TORCH_TOL)
            np.testing.assert_array_equal(a.amax(dims).numpy(), b.amax(dims).numpy())
            np.testing.assert_array_equal(a.amin(dims).numpy(), b.amin(dims).numpy())
        for d in range(3):
            np.testing.assert_array_equal(a.argmax(d).numpy(), b.argmax(d).numpy())
            np.testing.assert_array_equal(a.max(d).indices.numpy(), b.max(d).indices.numpy())
        assert a.argmax().item() == b.argmax().item()
        close(a.logsumexp((1, 2)).numpy(), b.logsumexp((1, 2)).numpy(), dtype, TORCH_TOL)


@given(shape=st.lists(st.integers(0, 7), min_size=1, max_size=3), seed=st.integers(0, 99))
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("fn", ["softmax", "log_softmax"])
def test_softmax_and_gradient_like_torch(fn, dtype, shape, seed):
    rng = np.random.default_rng(seed)
    x = rand(rng, tuple(shape), dtype)
    g = rand(rng, tuple(shape), dtype, 1.0)
    for dim in range(-len(shape), len(shape)):
        p, t = both(x)
        getattr(p, fn)(dim).backward(pybigml.tensor(g))
        getattr(t, fn)(dim).backward(torch.tensor(g))
        close(p.grad.numpy(), t.grad.numpy(), dtype, TORCH_TOL)
        close(
            getattr(p, fn)(dim).detach().numpy(),
            getattr(t, fn)(dim).detach().numpy(),
            dtype,
            TORCH_TOL,
        )


@pytest.mark.parametrize("fn", ["softmax", "log_softmax"])
def test_softmax_double_backward(fn):
    x = pybigml.tensor(np.random.default_rng(0).standard_normal((3, 5)), requires_grad=True)
    assert gradgradcheck(lambda t: getattr(t, fn)(1), (x,))
    assert gradgradcheck(lambda t: getattr(t, fn)(0), (x,))


@given(
    lead=st.lists(st.integers(1, 4), min_size=0, max_size=2),
    norm=st.lists(st.integers(1, 9), min_size=1, max_size=2),
    seed=st.integers(0, 99),
    affine=st.sampled_from(["none", "weight", "both"]),
)
@pytest.mark.parametrize("dtype", DTYPES)
def test_layer_norm_and_gradients_like_torch(dtype, lead, norm, seed, affine):
    rng = np.random.default_rng(seed)
    x = rand(rng, (*lead, *norm), dtype) + 2.0
    rows = x.reshape(-1, int(np.prod(norm)))
    # as above, no near-constant rows; nor single-value rows, where x_hat is exactly 0 here
    # but PyTorch's float32 x * rstd - mean * rstd leaves a rounding error times rstd ~ 316
    assume(rows.shape[1] > 1 and rows.std(-1).min() > 0.1)
    g = rand(rng, x.shape, dtype, 1.0)
    args_p, args_t = [], []
    for name in ("weight", "bias"):
        if affine == "both" or (affine == "weight" and name == "weight"):
            p, t = both(rand(rng, tuple(norm), dtype, 1.0))
        else:
            p = t = None
        args_p.append(p)
        args_t.append(t)
    xp, xt = both(x)
    F.layer_norm(xp, norm, *args_p).backward(pybigml.tensor(g))
    torch.nn.functional.layer_norm(xt, norm, *args_t).backward(torch.tensor(g))
    # rstd = 1 / std amplifies the rounding of x - mean: float32 rows of values within ~0.1
    # differ from PyTorch's by more than the usual tolerance
    tol = {np.float32: {"rtol": 1e-3, "atol": 1e-4}, np.float64: TORCH_TOL[np.float64]}
    close(xp.grad.numpy(), xt.grad.numpy(), dtype, tol)
    for p, t in zip(args_p, args_t):
        if p is not None:
            close(p.grad.numpy(), t.grad.numpy(), dtype, TORCH_TOL)


def test_layer_norm_double_backward():
    rng = np.random.default_rng(1)
    x, w, b = (
        pybigml.tensor(rng.standard_normal(s), requires_grad=True) for s in ((3, 4), (4,), (4,))
    )
    assert gradgradcheck(lambda x, w, b: F.layer_norm(x, (4,), w, b), (x, w, b))


CE_CASES = [
    dict(),
    dict(reduction="sum"),
    dict(reduction="none"),
    dict(label_smoothing=0.2),
    dict(label_smoothing=0.2, reduction="sum"),
    dict(label_smoothing=0.2, reduction="none", ignore_index=1),
    dict(weighted=True),
    dict(weighted=True, label_smoothing=0.3),
    dict(weighted=True, label_smoothing=0.3, ignore_index=2),
    dict(weighted=True, reduction="none", ignore_index=0),
    dict(weighted=True, reduction="sum", label_smoothing=1.0),
]


@given(
    batch=st.integers(0, 6),
    classes=st.integers(1, 11),
    extra=st.sampled_from([(), (3,), (2, 1)]),
    seed=st.integers(0, 99),
)
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(
    "case", CE_CASES, ids=lambda c: "-".join(f"{k}={v}" for k, v in c.items()) or "default"
)
def test_cross_entropy_like_torch(case, dtype, batch, classes, extra, seed):
    case = dict(case)
    rng = np.random.default_rng(seed)
    z = rand(rng, (batch, classes, *extra), dtype)
    target = rng.integers(0, classes, (batch, *extra))
    ignore = case.pop("ignore_index", -100)
    if ignore != -100:
        target[rng.random(target.shape) < 0.4] = ignore % classes
    kwargs = dict(case, ignore_index=ignore % classes if ignore != -100 else -100)
    weights = rng.random(classes).astype(dtype) + 0.1
    weighted = kwargs.pop("weighted", False)
    zp, zt = both(z)
    lp = F.cross_entropy(
        zp, pybigml.tensor(target), pybigml.tensor(weights) if weighted else None, **kwargs
    )
    lt = torch.nn.functional.cross_entropy(
        zt, torch.tensor(target), torch.tensor(weights) if weighted else None, **kwargs
    )
    close(lp.detach().numpy(), lt.detach().numpy(), dtype, TORCH_TOL)
    if np.isfinite(lt.detach().numpy()).all():
        g = rand(rng, tuple(lt.shape), dtype, 1.0)
        lp.backward(pybigml.tensor(g))
        lt.backward(torch.tensor(g))
        close(zp.grad.numpy(), zt.grad.numpy(), dtype, TORCH_TOL)


def test_cross_entropy_double_backward():
    rng = np.random.default_rng(2)
    z = pybigml.tensor(rng.standard_normal((4, 5)), requires_grad=True)
    target = pybigml.tensor([0, 3, 4, 1])
    weight = pybigml.tensor(rng.random(5) + 0.5)
    for kwargs in (
        dict(),
        dict(label_smoothing=0.1, weight=weight, ignore_index=3),
        dict(reduction="none"),
    ):

        def loss(z, kwargs=kwargs):
            return F.cross_entropy(z, target, **kwargs)

        assert gradcheck(loss, (z,))
        assert gradgradcheck(loss, (z,))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("padding_idx", [None, 1, -1])
@pytest.mark.parametrize("freq", [False, True])
def test_embedding_gradient_like_torch(dtype, padding_idx, freq):
    rng = np.random.default_rng(3)
    w = rand(rng, (6, 5), dtype)
    idx = rng.integers(0, 6, (4, 7))
    wp, wt = both(w)
    out_p = F.embedding(pybigml.tensor(idx), wp, padding_idx, scale_grad_by_freq=freq)
    out_t = torch.nn.functional.embedding(
        torch.tensor(idx), wt, padding_idx, scale_grad_by_freq=freq
    )
    g = rand(rng, tuple(out_t.shape), dtype, 1.0)
    out_p.backward(pybigml.tensor(g))
    out_t.backward(torch.tensor(g))
    close(wp.grad.numpy(), wt.grad.numpy(), dtype, TORCH_TOL)


def test_embedding_double_backward():
    rng = np.random.default_rng(4)
    w0, go, v = (
        rng.standard_normal((5, 3)),
        rng.standard_normal((2, 3, 3)),
        rng.standard_normal((5, 3)),
    )
    idx = [[0, 2, 2], [4, 1, 0]]
    w = pybigml.tensor(w0, requires_grad=True)
    assert gradgradcheck(lambda w: F.embedding(pybigml.tensor(idx), w) ** 2, (w,))
    # with padding_idx and scale_grad_by_freq the gradient is a convention, not the
    # derivative: the second derivative follows PyTorch's instead of a numerical check
    grads = []
    for lib, functional in ((pybigml, F), (torch, torch.nn.functional)):
        w = lib.tensor(w0, requires_grad=True)
        out = functional.embedding(lib.tensor(idx), w, 2, scale_grad_by_freq=True) ** 2
        (g,) = lib.autograd.grad(out, w, lib.tensor(go), create_graph=True)
        grads.append(lib.autograd.grad(g, w, lib.tensor(v))[0].numpy())
    np.testing.assert_allclose(grads[0], grads[1], rtol=1e-12)


# --------------------------------------------------------------------------- bad input
@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (lambda: _C.reduce(np.zeros((2, 3)), "sum"), ValueError, r"reduce: expected x to be 3-D"),
        (lambda: _C.reduce(np.zeros((1, 2, 1), np.int32), "sum"), TypeError, "float32 or float64"),
        (lambda: _C.reduce(np.zeros((1, 2, 1)), "prod"), ValueError, "unknown op 'prod'"),
        (lambda: _C.reduce(np.zeros((1, 0, 1)), "max"), RuntimeError, "empty axis"),
        (
            lambda: _C.softmax(np.zeros((2, 3, 4)).transpose(2, 1, 0), "softmax"),
            ValueError,
            "C-contiguous",
        ),
        (
            lambda: _C.softmax_backward(np.zeros((1, 2, 1)), np.zeros((1, 2, 1), np.float32)),
            TypeError,
            "dtype float64",
        ),
        (
            lambda: _C.softmax_backward(np.zeros((1, 2, 1)), np.zeros((1, 3, 1))),
            RuntimeError,
            r"grad_y of shape \(1, 2, 1\)",
        ),
        (
            lambda: _C.layer_norm_forward(np.zeros((2, 3)), np.zeros(4), None, 1e-5),
            RuntimeError,
            r"weight of shape \(3,\)",
        ),
        (
            lambda: _C.cross_entropy_forward(np.zeros((2, 3)), np.array([0, 3]), None, -100, 0.0),
            IndexError,
            "Target 3 is out of bounds",
        ),
        (
            lambda: _C.cross_entropy_forward(
                np.zeros((2, 3)), np.array([0, 1], np.int32), None, -100, 0.0
            ),
            TypeError,
            "int64",
        ),
        (
            lambda: _C.cross_entropy_forward(np.zeros((2, 3)), np.array([0, 1]), None, -100, 1.5),
            RuntimeError,
            "label_smoothing",
        ),
        (
            lambda: _C.embedding_backward(np.zeros((2, 3)), np.array([0, 7]), 5),
            IndexError,
            "index 7 is out of bounds",
        ),
    ],
)
def test_bad_input_raises_naming_the_op(call, error, match):
    with pytest.raises(error, match=match):
        call()


def test_cross_entropy_bad_target_like_torch():
    z = pybigml.zeros(2, 3)
    with pytest.raises(IndexError, match="out of bounds"):
        F.cross_entropy(z, pybigml.tensor([0, 5]))
