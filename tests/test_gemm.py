"""The native GEMM (``pybigml._C.gemm``) and ``pybigml.backend.matmul`` built on it.

The fast kernel is held to the plain triple loop (``_C.gemm_reference``) and to numpy over
drawn sizes that are not multiples of its tiles, both dtypes, every operand layout the
binding accepts (row- or column-contiguous, padded leading dimensions, broadcast and
reversed batches), and a catalogue of bad input that must raise, not crash.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from pybigml import _C
from pybigml.backend import cpu as backend

DTYPES = [np.float32, np.float64]

# Blocking of the fast kernel (csrc/cpu/gemm.cpp): register tile MR x NR (NR = 16 floats or
# 8 doubles); cache blocks of A at most MC x KC and of B at most KC x NC, with KC = 768
# floats or 256 doubles and NC = 1024 floats or 2048 doubles (each loop cuts its extent into
# equal blocks). The shapes below cross these edges for both dtypes.
MR, MC, KC, NC = 6, 72, 768, 2048

LAYOUTS = ["rows", "columns", "padded_rows", "padded_columns"]
BATCH_LAYOUTS = ["distinct", "broadcast", "reversed"]

small = st.integers(0, 40)
dtypes = st.sampled_from(DTYPES)
layouts = st.sampled_from(LAYOUTS)
seeds = st.integers(0, 2**32 - 1)


@pytest.fixture(autouse=True)
def restore_num_threads():
    """Tests may change the thread count; put it back for the rest of the suite."""
    threads = backend.get_num_threads()
    yield
    backend.set_num_threads(threads)


def make_stack(rng, batch, rows, cols, dtype, layout="rows", batch_layout="distinct"):
    """A (batch, rows, cols) stack of values uniform in [-1, 1) laid out in memory as asked.

    layout: "rows" (C order), "columns" (each matrix a transposed view), and "padded_*",
    where each stored row is 3 longer than needed (leading dimension > row length).
    batch_layout: "distinct" matrices, one matrix "broadcast" with batch stride 0, or a
    "reversed" view with a negative batch stride.
    """
    count = 1 if batch_layout == "broadcast" else batch
    pad = 3 if layout.startswith("padded") else 0
    if layout.endswith("columns"):
        storage = rng.uniform(-1, 1, (count, cols, rows + pad)).astype(dtype)
        stack = storage[:, :, :rows].transpose(0, 2, 1)
    else:
        storage = rng.uniform(-1, 1, (count, rows, cols + pad)).astype(dtype)
        stack = storage[:, :, :cols]
    if batch_layout == "broadcast":
        return np.broadcast_to(stack, (batch, rows, cols))
    return stack[::-1] if batch_layout == "reversed" else stack


def make_matrix(rng, rows, cols, dtype, layout="rows"):
    return make_stack(rng, 1, rows, cols, dtype, layout)[0]


def assert_product_close(result, a, b):
    """result == a @ b within the rounding error of a K-term dot product in a's dtype.

    The exact product is taken in float64 (float128 would be overkill: its own error is far
    below float32's). A K-term sum of products carries a rounding error of at most
    K * eps * (|a| @ |b|) in the worst case (Higham, "Accuracy and Stability of Numerical
    Algorithms", 3.1); with random-signed data the errors behave like a random walk and grow
    as sqrt(K) * eps * (|a| @ |b|) (Higham & Mary 2019, probabilistic rounding error
    analysis). Scaling by |a| @ |b| rather than by |a @ b| keeps the test fair where terms
    cancel; the factor 4 leaves room for the error of the float64 product itself, which is
    of the same size when the dtype under test is float64; + 2 covers the final rounding.
    """
    assert result.shape == np.matmul(a, b).shape
    assert result.dtype == a.dtype
    a64, b64 = a.astype(np.float64), b.astype(np.float64)
    k = a.shape[-1]
    tolerance = (4 * np.sqrt(k) + 2) * np.finfo(a.dtype).eps * (np.abs(a64) @ np.abs(b64))
    error = np.abs(result.astype(np.float64) - a64 @ b64)
    assert np.all(error <= tolerance), f"max error {error.max()} > tolerance {tolerance.max()}"


@given(m=small, n=small, k=small, dtype=dtypes, a_layout=layouts, b_layout=layouts, seed=seeds)
def test_gemm_matches_reference_and_numpy(m, n, k, dtype, a_layout, b_layout, seed):
    rng = np.random.default_rng(seed)
    a = make_matrix(rng, m, k, dtype, a_layout)
    b = make_matrix(rng, k, n, dtype, b_layout)
    result = _C.gemm(a, b)
    assert result.flags.c_contiguous
    assert_product_close(result, a, b)
    assert_product_close(_C.gemm_reference(a, b), a, b)
    assert_product_close(np.matmul(a, b), a, b)  # numpy meets the same bound


@given(
    batch=st.integers(0, 5),
    m=small,
    n=small,
    k=small,
    dtype=dtypes,
    a_layout=layouts,
    b_layout=layouts,
    a_batch=st.sampled_from(BATCH_LAYOUTS),
    b_batch=st.sampled_from(BATCH_LAYOUTS),
    seed=seeds,
)
def test_gemm_batched(batch, m, n, k, dtype, a_layout, b_layout, a_batch, b_batch, seed):
    rng = np.random.default_rng(seed)
    a = make_stack(rng, batch, m, k, dtype, a_layout, a_batch)
    b = make_stack(rng, batch, k, n, dtype, b_layout, b_batch)
    result = _C.gemm(a, b)
    assert result.shape == (batch, m, n)
    assert_product_close(result, a, b)
    assert_product_close(_C.gemm_reference(a, b), a, b)


# (batch, m, n, k): each crosses a block edge of the kernel by one, or is large enough for
# the kernel to use two threads (splitting one matrix, possibly leaving a thread without
# rows, or one matrix per thread).
BLOCK_EDGE_SHAPES = [
    (1, MR, 16, 256),
    (1, MR + 1, 17, 257),
    (1, MC + 1, 33, KC + 1),
    (1, 2 * MC + 5, 130, 70),
    (1, 7, NC + 1, 3),
    (1, 1, 1, 600),
    (1, 300, 1, 40),
    (1, 5, 3, 70_000),
    (4, 70, 50, 80),
    (3, 70, 50, 80),
    (9, 31, 45, 60),
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(("batch", "m", "n", "k"), BLOCK_EDGE_SHAPES)
def test_gemm_block_edges(batch, m, n, k, dtype):
    rng = np.random.default_rng(m * 1000 + n + k)
    backend.set_num_threads(2)
    # Both packing paths for each operand: runs of adjacent values, and lines transposed.
    for a_layout, b_layout in [("rows", "columns"), ("columns", "rows")]:
        a = make_stack(rng, batch, m, k, dtype, a_layout)
        b = make_stack(rng, batch, k, n, dtype, b_layout)
        assert_product_close(_C.gemm(a, b), a, b)
    assert_product_close(_C.gemm_reference(a, b), a, b)


@pytest.mark.parametrize("dtype", DTYPES)
def test_gemm_result_does_not_depend_on_thread_count(dtype):
    # Threads split the tiles of C; each entry is summed in the same order whatever the split.
    rng = np.random.default_rng(0)
    cases = [((1, 2 * MC + 5, 130, KC + 9), "distinct"), ((4, 70, 50, 80), "broadcast")]
    for (batch, m, n, k), b_batch in cases:
        a = make_stack(rng, batch, m, k, dtype)
        b = make_stack(rng, batch, k, n, dtype, "columns", b_batch)
        backend.set_num_threads(1)
        one_thread = _C.gemm(a, b)
        backend.set_num_threads(2)
        np.testing.assert_array_equal(_C.gemm(a, b), one_thread)


@pytest.mark.parametrize("dtype", DTYPES)
def test_gemm_writes_out(dtype):
    rng = np.random.default_rng(1)
    a, b = make_matrix(rng, 9, 5, dtype), make_matrix(rng, 5, 20, dtype, "columns")
    out = np.full((9, 20), np.nan, dtype)
    assert _C.gemm(a, b, out=out) is out
    assert_product_close(out, a, b)
    empty_k = np.full((9, 20), np.nan, dtype)  # K = 0: the result is zeros, whatever out held
    _C.gemm(np.empty((9, 0), dtype), np.empty((0, 20), dtype), out=empty_k)
    np.testing.assert_array_equal(empty_k, 0)


def test_build_info_and_peak():
    info = _C.build_info()
    assert set(info) >= {"avx2_fma", "openmp", "cuda", "compiler", "max_threads"}
    assert _C.measure_fma_peak(np.float32, repeats=1) > 0
    with pytest.raises(TypeError, match="float32 or float64"):
        _C.measure_fma_peak(np.int32)


# ---------------------------------------------------------------------------------------
# Bad input: every case raises a Python exception naming the op; nothing reaches the kernel.

f32 = np.ones((3, 4), np.float32)
f32_b = np.ones((4, 5), np.float32)
unaligned = np.frombuffer(np.zeros(13, np.uint8).tobytes(), np.uint8)[1:].view(np.float32)
read_only = np.zeros((3, 5), np.float32)
read_only.flags.writeable = False

BAD_CALLS = [
    ("list operand", lambda: _C.gemm([[1.0]], f32_b), TypeError, "numpy array"),
    ("int dtype", lambda: _C.gemm(f32.astype(np.int64), f32_b), TypeError, "int64"),
    ("float16", lambda: _C.gemm(f32.astype(np.float16), f32_b), TypeError, "float16"),
    ("mixed dtypes", lambda: _C.gemm(f32, f32_b.astype(np.float64)), TypeError, "float64"),
    ("big-endian", lambda: _C.gemm(f32.astype(">f4"), f32_b.astype(">f4")), TypeError, ">f4"),
    ("1-D", lambda: _C.gemm(np.ones(4, np.float32), f32_b), ValueError, r"\(4,\)"),
    ("4-D", lambda: _C.gemm(f32[None, None], f32_b[None, None]), ValueError, "2-D or two 3-D"),
    ("2-D with 3-D", lambda: _C.gemm(f32[None], f32_b), ValueError, r"\(1, 3, 4\)"),
    (
        "mismatched K",
        lambda: _C.gemm(f32, np.ones((5, 6), np.float32)),
        RuntimeError,
        r"gemm: shapes \(3, 4\) and \(5, 6\) cannot be multiplied \(4 != 5\)",
    ),
    (
        "mismatched batch",
        lambda: _C.gemm(np.ones((2, 3, 4), np.float32), np.ones((3, 4, 5), np.float32)),
        RuntimeError,
        r"batch sizes differ .* \(2 != 3\)",
    ),
    (
        "strided columns",
        lambda: _C.gemm(np.ones((3, 8), np.float32)[:, ::2], f32_b),
        ValueError,
        "row- or column-contiguous",
    ),
    (
        "broadcast rows",
        lambda: _C.gemm(np.broadcast_to(f32[0], (3, 4)), f32_b),
        ValueError,
        r"strides \(0, 1\)",
    ),
    ("negative strides", lambda: _C.gemm(f32[::-1], f32_b), ValueError, "row- or column"),
    (
        "unaligned",
        lambda: _C.gemm(unaligned.reshape(3, 1), np.ones((1, 2), np.float32)),
        ValueError,
        "aligned",
    ),
    (
        "out wrong shape",
        lambda: _C.gemm(f32, f32_b, out=np.zeros((3, 6), np.float32)),
        ValueError,
        r"shape \(3, 5\)",
    ),
    (
        "out wrong dtype",
        lambda: _C.gemm(f32, f32_b, out=np.zeros((3, 5))),
        TypeError,
        "float32 array of shape",
    ),
    (
        "out not contiguous",
        lambda: _C.gemm(f32, f32_b, out=np.zeros((5, 3), np.float32).T),
        ValueError,
        "C-contiguous",
    ),
    ("out read-only", lambda: _C.gemm(f32, f32_b, out=read_only), ValueError, "writeable"),
    ("out not an array", lambda: _C.gemm(f32, f32_b, out=[0.0]), TypeError, "numpy array"),
]


@pytest.mark.parametrize(
    ("call", "error", "message"), [c[1:] for c in BAD_CALLS], ids=[c[0] for c in BAD_CALLS]
)
def test_gemm_rejects_bad_input(call, error, message):
    with pytest.raises(error, match=message) as info:
        call()
    assert str(info.value).startswith(("gemm:", "gemm_reference:"))
    np.testing.assert_array_equal(f32, 1)  # inputs are left alone


def test_gemm_rejects_out_overlapping_an_input():
    square = np.zeros((3, 3), np.float32)
    ones = np.ones((3, 3), np.float32)
    for a, b in [(square, ones), (ones, square.T)]:
        with pytest.raises(ValueError, match="shares memory"):
            _C.gemm(a, b, out=square)
    assert _C.gemm(ones, ones).shape == (3, 3)  # still usable afterwards


# ---------------------------------------------------------------------------------------
# backend.matmul: numpy/torch matmul semantics on top of the kernel.

# Pairs of shapes covering 1-D promotion, batch broadcasting (1 against n, missing leading
# axes, batch on one side only) and empty dimensions.
MATMUL_SHAPES = [
    ((4,), (4,)),
    ((4,), (4, 3)),
    ((3, 4), (4,)),
    ((2, 3, 4), (4,)),
    ((4,), (2, 4, 3)),
    ((5, 3, 4), (4, 2)),
    ((3, 4), (5, 4, 2)),
    ((2, 1, 3, 4), (5, 4, 2)),
    ((1, 3, 4), (2, 1, 4, 6)),
    ((0, 3, 4), (4, 2)),
    ((2, 0, 4), (2, 4, 3)),
    ((2, 3, 0), (2, 0, 3)),
]


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int64])
@pytest.mark.parametrize(("a_shape", "b_shape"), MATMUL_SHAPES)
def test_matmul_matches_numpy_semantics(a_shape, b_shape, dtype):
    rng = np.random.default_rng(len(a_shape) * 10 + len(b_shape))
    a = rng.integers(-3, 4, a_shape).astype(dtype)
    b = rng.integers(-3, 4, b_shape).astype(dtype)
    result = backend.matmul(a, b)
    expected = np.matmul(a, b)
    assert isinstance(result, np.ndarray)
    assert result.shape == np.shape(expected)
    assert result.dtype == dtype
    np.testing.assert_array_equal(result, expected)  # small integers: every sum is exact


@given(
    batch=st.lists(st.integers(1, 3), max_size=2),
    m=small,
    n=small,
    k=small,
    dtype=dtypes,
    a_layout=layouts,
    b_layout=layouts,
    seed=seeds,
)
def test_matmul_reads_views(batch, m, n, k, dtype, a_layout, b_layout, seed):
    # Transposed, padded and broadcast operands, the forms ops hand to the backend.
    rng = np.random.default_rng(seed)
    count = int(np.prod(batch))
    a = make_stack(rng, count, m, k, dtype, a_layout).reshape(*batch, m, k)
    b = np.broadcast_to(make_matrix(rng, k, n, dtype, b_layout), (*batch, k, n))
    assert_product_close(backend.matmul(a, b), a, b)
    assert_product_close(backend.matmul(a, b[(0,) * len(batch)]), a, b)


@pytest.mark.parametrize(
    ("a_shape", "b_shape", "message"),
    [
        ((3, 4), (5, 6), r"matmul: shapes \(3, 4\) and \(5, 6\) cannot be multiplied \(4 != 5\)"),
        ((3,), (4,), r"cannot be multiplied \(3 != 4\)"),
        ((2, 3, 4), (3, 4, 5), r"batch dimensions .* cannot be broadcast"),
        ((), (3,), "at least 1D"),
    ],
)
@pytest.mark.parametrize("dtype", [np.float32, np.int64])
def test_matmul_errors(a_shape, b_shape, message, dtype):
    with pytest.raises(RuntimeError, match=message):
        backend.matmul(np.ones(a_shape, dtype), np.ones(b_shape, dtype))


def test_num_threads_sets_kernels_and_blas():
    from threadpoolctl import threadpool_info

    backend.set_num_threads(1)
    assert backend.get_num_threads() == _C.get_num_threads() == 1
    assert all(pool["num_threads"] == 1 for pool in threadpool_info() if pool["user_api"] == "blas")
    for bad, message in [(0, "positive"), (2.0, "got float"), (True, "got bool")]:
        with pytest.raises(RuntimeError, match=message):
            backend.set_num_threads(bad)
    assert backend.get_num_threads() == 1
