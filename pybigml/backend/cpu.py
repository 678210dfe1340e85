"""The "cpu" backend: numpy arrays in, numpy arrays out, heavy kernels in the native ``pybigml._C``.

This module and nothing else imports ``_C``. Ops reach it through ``backend.of(arrays)``
and call the kernel families below on the arrays that tensors hold; nothing here knows
about ``Tensor`` or autograd. Shape logic (promotion, broadcasting, views) stays in numpy;
the kernels see flat buffers with sizes and strides, and their bindings validate every
array (dtype, shape, strides, overlap, indices) before a kernel runs.

``native(family, dtype, size)`` is the one place that decides whether a family runs natively
for a dtype; where it answers no, ops compute with ``xp`` (numpy) instead.

``set_num_threads`` sets the thread count of pybigml's kernels and of numpy's BLAS together,
so that comparisons between them use the same number of cores.

Example:
    >>> import numpy as np
    >>> from pybigml.backend import cpu
    >>> cpu.matmul(np.ones((2, 3), np.float32), np.ones(3, np.float32))
    array([3., 3.], dtype=float32)
"""

from __future__ import annotations

import math
import numbers

import numpy as np
from threadpoolctl import threadpool_limits

from .._device import CPU

try:
    from .. import _C
except ImportError as error:  # pragma: no cover - only without a built extension
    raise ImportError(
        f"pybigml's native module pybigml._C could not be imported ({error}). Build and install "
        "it from the repository root with `pip install .` (or `pip install -e .` to develop)."
    ) from error

name = "cpu"
device = CPU
array_type = np.ndarray
xp = np  # the array namespace ops use for element-wise math on this device

# ----------------------------------------------------------------------------- what runs natively
_FLOATS = frozenset((np.dtype(np.float32), np.dtype(np.float64)))

# family -> (dtypes its kernels compute in, the size from which the kernel beats numpy).
# Below the size, or for other dtypes, ops compute the family with ``xp``.
_NATIVE = {
    "matmul": (_FLOATS, 0),
    "conv": (_FLOATS, 0),
    "pool": (_FLOATS, 0),
    "attention": (_FLOATS, 0),
    "softmax": (_FLOATS, 0),  # softmax, log_softmax, logsumexp
    # sums, means and extrema: below 32 Ki elements numpy's reductions (one thread, ~2 us a
    # call) beat the cost of planning a strided view for the kernel (~10 us)
    "reduce": (_FLOATS, 1 << 15),
    "layer_norm": (_FLOATS, 0),
    "cross_entropy": (_FLOATS, 0),
    "embedding": (_FLOATS, 0),
    "optim": (_FLOATS, 0),  # fused optimizer steps
    "recurrence": (_FLOATS, 0),
}


def native(family: str, dtype: np.dtype, size: int = 0) -> bool:
    """Whether kernel ``family`` runs natively on arrays of ``dtype`` with ``size`` elements."""
    dtypes, min_size = _NATIVE[family]
    return dtype in dtypes and size >= min_size


# ----------------------------------------------------------------------------- kernel families
# Each is the binding itself (no wrapper on the eager path); csrc/bindings/ documents each
# one's arguments, and every binding checks its arrays before the kernel sees them.

# convolution (csrc/cpu/conv.cpp): 2-D; 1-D runs as 2-D with a height of 1
conv2d_forward = _C.conv2d_forward
conv2d_grad_input = _C.conv2d_grad_input
conv2d_grad_weight = _C.conv2d_grad_weight

# pooling (csrc/cpu/pool.cpp)
max_pool2d = _C.max_pool2d
max_pool2d_backward = _C.max_pool2d_backward
adaptive_max_pool2d = _C.adaptive_max_pool2d
avg_pool2d = _C.avg_pool2d
avg_pool2d_backward = _C.avg_pool2d_backward
adaptive_avg_pool2d = _C.adaptive_avg_pool2d
adaptive_avg_pool2d_backward = _C.adaptive_avg_pool2d_backward

# fused scaled-dot-product attention (csrc/cpu/attention.cpp)
attention_forward = _C.attention_forward
attention_backward = _C.attention_backward

# reductions and the softmax family (csrc/cpu/reduce.cpp)
reduce = _C.reduce
softmax = _C.softmax
softmax_backward = _C.softmax_backward
logsumexp = _C.logsumexp
layer_norm_forward = _C.layer_norm_forward
layer_norm_backward = _C.layer_norm_backward
cross_entropy_forward = _C.cross_entropy_forward
cross_entropy_backward = _C.cross_entropy_backward
embedding_backward = _C.embedding_backward

# fused optimizer steps (csrc/cpu/optim.cpp), in place on param and state
sgd_step = _C.sgd_step
adam_step = _C.adam_step

# GEMM (csrc/cpu/gemm.cpp) on plain matrices: ``gemm(a, b, out=None)``; ``matmul`` below
# adds numpy's batching and 1-D rules on top of it.
gemm = _C.gemm


def matmul(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Matrix product with ``torch.matmul`` (and ``numpy.matmul``) semantics.

    A 1-D ``a`` is treated as a row (1, K) and a 1-D ``b`` as a column (K, 1); the added
    dimension is removed from the result. Dimensions before the last two are batch
    dimensions and broadcast. float32 and float64 run on the native GEMM, with transposed
    views and broadcast batches read in place; other dtypes use ``numpy.matmul``. Both
    operands must have the same dtype (promotion is the caller's job).

    Args:
        a: array of shape (..., M, K) or (K,).
        b: array of shape (..., K, N) or (K,).

    Returns:
        A new array of shape broadcast(...) + (M, N), minus the dimensions of 1-D operands.

    Raises:
        RuntimeError: an operand is 0-D, the inner sizes differ, or the batch dimensions do
            not broadcast, e.g. ``matmul: shapes (3, 4) and (5, 6) cannot be multiplied (4 != 5)``.
    """
    if a.ndim == 0 or b.ndim == 0:
        raise RuntimeError(
            f"both arguments to matmul need to be at least 1D, but they are {a.ndim}D and {b.ndim}D"
        )
    k = a.shape[-1]
    b_k = b.shape[-2] if b.ndim > 1 else b.shape[0]
    if k != b_k:
        raise RuntimeError(
            f"matmul: shapes {a.shape} and {b.shape} cannot be multiplied ({k} != {b_k})"
        )
    if a.dtype not in _FLOATS or b.dtype != a.dtype:
        _broadcast_batch(a, b)  # a torch-style error for batches that do not broadcast
        return np.asarray(np.matmul(a, b))

    if a.ndim == 2 and b.ndim == 2:  # the common case, kept short
        return _C.gemm(_usable(a), _usable(b))
    a2 = a[np.newaxis, :] if a.ndim == 1 else a
    b2 = b[:, np.newaxis] if b.ndim == 1 else b
    m, n = a2.shape[-2], b2.shape[-1]
    batch = a2.shape[:-2] if a2.shape[:-2] == b2.shape[:-2] else _broadcast_batch(a2, b2)
    if b2.ndim == 2 and _mergeable(a2.shape[:-1], a2.strides[:-1]):
        # (..., M, K) @ (K, N) is one (batch * M, K) @ (K, N) product: no batch loop at all.
        product = _C.gemm(_usable(a2.reshape(math.prod(a2.shape[:-1]), k)), _usable(b2))
    else:
        product = _C.gemm(_as_stack(a2, batch), _as_stack(b2, batch))
    result_shape = batch + ((m,) if a.ndim > 1 else ()) + ((n,) if b.ndim > 1 else ())
    return product.reshape(result_shape)


def set_num_threads(n: int) -> None:
    """Sets the number of threads of pybigml's kernels (OpenMP) and of numpy's BLAS.

    Args:
        n: a positive number of threads.

    Raises:
        RuntimeError: ``n`` is not a positive int (as ``torch.set_num_threads``).
    """
    if isinstance(n, bool) or not isinstance(n, numbers.Integral):
        raise RuntimeError(f"set_num_threads expects an int, but got {type(n).__name__}")
    if n < 1:
        raise RuntimeError("set_num_threads expects a positive integer")
    _C.set_num_threads(int(n))
    # Applied to every BLAS library loaded now; the limit stays until changed again.
    threadpool_limits(limits=int(n), user_api="blas")


def get_num_threads() -> int:
    """The number of threads pybigml's kernels use (see ``set_num_threads``)."""
    return _C.get_num_threads()


def _broadcast_batch(a: np.ndarray, b: np.ndarray) -> tuple[int, ...]:
    """The broadcast batch shape of two operands of at least 2 dimensions each."""
    try:
        return np.broadcast_shapes(a.shape[:-2], b.shape[:-2])
    except ValueError:
        raise RuntimeError(
            f"matmul: batch dimensions of shapes {a.shape} and {b.shape} cannot be broadcast "
            f"({a.shape[:-2]} and {b.shape[:-2]})"
        ) from None


def _mergeable(shape: tuple[int, ...], strides: tuple[int, ...]) -> bool:
    """Whether axes with these sizes and strides fold into one axis without a copy.

    They do when each axis steps exactly over the whole of the next one (axes of size 1
    aside), which covers contiguous stacks and stride-0 broadcast batches alike.
    """
    span = None  # bytes covered by one step of the axis to the left, if it is to fold
    for size, stride in zip(reversed(shape), reversed(strides)):
        if size == 1:
            continue
        if span is not None and stride != span:
            return False
        span = stride * size
    return True


def _usable(x: np.ndarray) -> np.ndarray:
    """x itself if the kernel can read its matrices in place, else a C-contiguous copy.

    A matrix (the last two axes) can be read in place when it is row-contiguous or
    column-contiguous (a transposed view) with a leading dimension; see ``_C.gemm``.
    """
    if x.flags.c_contiguous or x.size == 0:  # the usual case, and arrays never read
        return x
    rows, cols = x.shape[-2:]
    row_stride, col_stride = x.strides[-2:]
    item = x.itemsize
    row_major = (cols == 1 or col_stride == item) and (rows == 1 or row_stride >= cols * item)
    column_major = (rows == 1 or row_stride == item) and (cols == 1 or col_stride >= rows * item)
    if (row_major or column_major) and x.flags.aligned:
        return x
    return np.ascontiguousarray(x)


def _as_stack(x: np.ndarray, batch: tuple[int, ...]) -> np.ndarray:
    """x broadcast to ``batch`` + its matrix shape, as a 3-D stack (B, rows, cols).

    Broadcasting gives repeated matrices a batch stride of 0, so they are not copied; the
    batch axes fold into one by a view when their strides allow, else by a copy.
    """
    if x.shape[:-2] != batch:
        x = np.broadcast_to(x, batch + x.shape[-2:])
    if x.ndim != 3:
        if not _mergeable(x.shape[:-2], x.strides[:-2]):
            x = np.ascontiguousarray(x)
        x = x.reshape((math.prod(batch),) + x.shape[-2:])
    return _usable(x)


def build_info() -> dict:
    """How the native module was built (compiler, SIMD paths, OpenMP)."""
    return _C.build_info()
