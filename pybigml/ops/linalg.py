"""Products of tensors: ``matmul`` and its family (mm, bmm, mv, dot, outer ...) and ``einsum``.

Every product is one of two differentiable ops:

* ``MatMul`` — numpy's matmul semantics (a 1-D left operand is a row vector, a 1-D right
  operand a column vector, leading batch dimensions broadcast). The forward product and both
  gradient products go through the backend's ``matmul`` (the native GEMM for float32/float64):

      out = a @ b,    grad_a = grad @ b^T,    grad_b = a^T @ grad

  where ``^T`` swaps the last two dimensions (a view, never a copy). The gradient products are
  themselves ``MatMul`` ops, so the backward can be differentiated again.

* ``Einsum`` — Einstein summation, forward by ``numpy.einsum``. Its gradient with respect to
  one operand is another einsum: contract the output gradient with all the *other* operands
  onto that operand's subscripts (see ``_einsum_operand_grad``).

The rest (mm, bmm, mv, dot, inner, outer, tensordot, addmm ...) check their arguments the way
PyTorch does and then call one of the two.
"""

from __future__ import annotations

import functools
import math
import string
from collections.abc import Sequence
from typing import Any

import numpy as np

from .. import backend
from .._tensor import Tensor
from ..autograd.function import Function
from .pointwise import _out, mul
from .shape import expand, reshape, squeeze, transpose, unsqueeze

__all__ = [
    "matmul",
    "mm",
    "bmm",
    "mv",
    "dot",
    "vdot",
    "inner",
    "outer",
    "ger",
    "addmm",
    "addmv",
    "addr",
    "baddbmm",
    "addbmm",
    "tensordot",
    "einsum",
]

_make = Tensor._make

# PyTorch names dtypes by their C type in matmul's messages and by ScalarType in others.
_C_NAMES = {
    "float16": "c10::Half",
    "float32": "float",
    "float64": "double",
    "int8": "signed char",
    "uint8": "unsigned char",
    "int16": "short int",
    "int32": "int",
    "int64": "long int",
    "bool": "bool",
}
_SCALAR_NAMES = {
    "float16": "Half",
    "float32": "Float",
    "float64": "Double",
    "int8": "Char",
    "uint8": "Byte",
    "int16": "Short",
    "int32": "Int",
    "int64": "Long",
    "bool": "Bool",
}


def _dims(shape: tuple) -> str:
    return "x".join(str(s) for s in shape)


def _check_matmul_dtypes(a: Tensor, b: Tensor) -> None:
    da, db = a._data.dtype, b._data.dtype
    if da != db:
        raise RuntimeError(
            "expected m1 and m2 to have the same dtype, but got: "
            f"{_C_NAMES.get(da.name, da.name)} != {_C_NAMES.get(db.name, db.name)}"
        )
    if da == np.bool_:
        raise NotImplementedError("\"addmm_impl_cpu_\" not implemented for 'Bool'")


def _check_batches(sa: tuple, sb: tuple) -> None:
    """Raise PyTorch's message when two batch shapes do not broadcast."""
    n = max(len(sa), len(sb))
    padded_a, padded_b = (1,) * (n - len(sa)) + sa, (1,) * (n - len(sb)) + sb
    for i, (x, y) in enumerate(zip(padded_a, padded_b)):
        if x != y and x != 1 and y != 1:
            raise RuntimeError(
                f"The size of tensor a ({x}) must match the size of tensor b ({y}) at "
                f"non-singleton dimension {i}"
            )


def _check_matmul_shapes(sa: tuple, sb: tuple) -> None:
    """Raise PyTorch's errors for operands that ``matmul`` cannot multiply."""
    if not sa or not sb:
        raise RuntimeError(
            "both arguments to matmul need to be at least 1D, but they are "
            f"{len(sa)}D and {len(sb)}D"
        )
    k_a = sa[-1]
    k_b = sb[-2] if len(sb) >= 2 else sb[0]
    if k_a != k_b:
        if len(sa) == 1 and len(sb) == 1:
            raise RuntimeError(
                f"inconsistent tensor size, expected tensor [{k_a}] and src [{k_b}] to have "
                f"the same number of elements, but got {k_a} and {k_b} elements respectively"
            )
        if len(sb) == 1:
            raise RuntimeError(
                f"size mismatch, got input ({_dims(sa[:-1])}), mat ({_dims(sa)}), vec ({k_b})"
            )
        left = sa if len(sa) >= 2 else (1,) + sa
        raise RuntimeError(
            f"mat1 and mat2 shapes cannot be multiplied ({_dims(left)} and {_dims(sb)})"
        )
    _check_batches(sa[:-2], sb[:-2])


# ----------------------------------------------------------------------------- matmul
class Linear(Function):
    """y = x W^T + b over the last dimension of x, as one node (``nn.functional.linear``).

    With the leading dimensions of x and g = dL/dy flattened into rows:

        grad_x = g W        grad_W = g^T x        grad_b = sum of the rows of g

    The forward hands the kernel W^T as a transposed view (no copy) and adds the bias into
    the fresh product in place.
    """

    @staticmethod
    def forward(ctx, x, weight, bias):
        xd, wd = x._data, weight._data
        rows = xd.reshape(-1, xd.shape[-1]) if xd.ndim != 2 else xd
        out = backend.of(rows, wd).matmul(rows, wd.T)
        if bias is not None:
            out += bias._data
        ctx.save_for_backward(x, weight)
        return _make(out.reshape(xd.shape[:-1] + wd.shape[:1]))

    @staticmethod
    def backward(ctx, grad):
        x, weight = ctx.saved_tensors
        need_x, need_w, need_b = ctx.needs_input_grad
        out_features, in_features = weight.shape
        rows = math.prod(grad.shape[:-1])
        g_rows = grad if grad.ndim == 2 else reshape(grad, (rows, out_features))
        grad_x = MatMul.apply(grad, weight) if need_x else None
        grad_w = None
        if need_w:
            x_rows = x if x.ndim == 2 else reshape(x, (rows, in_features))
            grad_w = MatMul.apply(transpose(g_rows, 0, 1), x_rows)
        grad_b = g_rows.sum(0) if need_b else None
        return grad_x, grad_w, grad_b


def linear(input: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """``input @ weight.T + bias`` as one graph node; shapes and dtypes checked as PyTorch does."""
    x, w = input._data, weight._data
    if w.ndim != 2 or x.ndim == 0 or x.shape[-1] != w.shape[1]:
        rows = x.size // max(x.shape[-1], 1) if x.ndim else 1
        cols = x.shape[-1] if x.ndim else 1
        raise RuntimeError(
            f"linear: mat1 and mat2 shapes cannot be multiplied ({rows}x{cols} and "
            f"{'x'.join(map(str, w.shape[::-1]))}) (input {tuple(x.shape)}, weight {tuple(w.shape)})"
        )
    dtypes = [x.dtype, w.dtype] + ([bias._data.dtype] if bias is not None else [])
    if len(set(dtypes)) != 1 or x.dtype.kind != "f":
        names = ", ".join(Tensor._dtype_of(d).name for d in dtypes)
        raise RuntimeError(
            f"linear: expected input, weight and bias of one floating dtype, got {names}"
        )
    if bias is not None and bias._data.shape not in ((w.shape[0],), ()):
        raise RuntimeError(
            f"linear: bias of shape {tuple(bias._data.shape)} does not match "
            f"out_features {w.shape[0]}"
        )
    return Linear.apply(input, weight, bias)


class MatMul(Function):
    """out = a @ b with numpy/PyTorch matmul semantics.

    Gradients, with 1-D operands promoted to matrices (a -> (1, k), b -> (k, 1)) as the
    forward did and the added dimension dropped again at the end:

        grad_a = grad @ b^T        grad_b = a^T @ grad

    Batch dimensions that were broadcast come back summed: the engine reduces each gradient
    to its input's shape.
    """

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return _make(backend.of(a._data, b._data).matmul(a._data, b._data))

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        need_a, need_b = ctx.needs_input_grad
        a_vec, b_vec = a.ndim == 1, b.ndim == 1
        a2 = unsqueeze(a, 0) if a_vec else a
        b2 = unsqueeze(b, 1) if b_vec else b
        # The gradient of the promoted product: the output with the dropped dims put back.
        g_shape = grad.shape[: grad.ndim - (0 if a_vec else 1) - (0 if b_vec else 1)]
        g2 = reshape(grad, tuple(g_shape) + (a2.shape[-2], b2.shape[-1]))
        grad_a = grad_b = None
        if need_a:
            grad_a = MatMul.apply(g2, transpose(b2, -2, -1))
            if a_vec:
                grad_a = squeeze(grad_a, -2)
        if need_b:
            if b2.ndim == 2 and a2.ndim > 2:
                # A batch of left operands times one matrix (a Linear layer on a sequence):
                # fold the batch into the rows, one GEMM instead of a batch of them summed.
                rows = math.prod(a2.shape[:-1])
                grad_b = MatMul.apply(
                    transpose(reshape(a2, (rows, a2.shape[-1])), 0, 1),
                    reshape(g2, (rows, g2.shape[-1])),
                )
            else:
                grad_b = MatMul.apply(transpose(a2, -2, -1), g2)
            if b_vec:
                grad_b = squeeze(grad_b, -1)
        return grad_a, grad_b


def matmul(input: Tensor, other: Tensor, *, out: Tensor | None = None) -> Tensor:
    """Matrix product with PyTorch's rules for 1-D operands and broadcast batch dimensions.

    1-D x 1-D is a dot product; a 1-D left operand acts as a row vector and a 1-D right
    operand as a column vector (the added dimension is removed from the result); dimensions
    before the last two are batch dimensions and broadcast.

    Args:
        input: the left operand (at least 1-D).
        other: the right operand (at least 1-D), same dtype as ``input``.
        out: optional tensor to write the result into.

    Returns:
        The product, of shape ``broadcast(batch) + (n,) + (p,)`` minus promoted dims.

    Example::

        >>> a = pybigml.ones(2, 3, 4)
        >>> b = pybigml.ones(4, 5)
        >>> pybigml.matmul(a, b).shape
        pybigml.Size([2, 3, 5])
    """
    a, b = input._data, other._data
    if a.dtype != b.dtype or a.dtype == np.bool_:
        _check_matmul_dtypes(input, other)
    sa, sb = a.shape, b.shape
    # Fast path for the common valid case; anything else gets the full check and its message.
    if not (
        sa and sb and sa[-1] == (sb[-2] if len(sb) > 1 else sb[0]) and (len(sa) < 3 or len(sb) < 3)
    ):
        _check_matmul_shapes(sa, sb)
    result = MatMul.apply(input, other)
    return result if out is None else _out(result, out)


def mm(input: Tensor, mat2: Tensor, *, out: Tensor | None = None) -> Tensor:
    """Product of two matrices: ``(n, m) @ (m, p) -> (n, p)``.

    Args:
        input: an ``(n, m)`` matrix.
        mat2: an ``(m, p)`` matrix of the same dtype.
        out: optional tensor to write the result into.

    Returns:
        The ``(n, p)`` product.
    """
    if input.ndim != 2:
        raise RuntimeError(f"self must be a matrix (mm got a {input.ndim}-D tensor)")
    if mat2.ndim != 2:
        raise RuntimeError(f"mat2 must be a matrix (mm got a {mat2.ndim}-D tensor)")
    return matmul(input, mat2, out=out)


def _check_bmm(batch1: Tensor, batch2: Tensor) -> None:
    if batch1.ndim != 3:
        raise RuntimeError(f"batch1 must be a 3D tensor (got a {batch1.ndim}-D tensor)")
    if batch2.ndim != 3:
        raise RuntimeError(f"batch2 must be a 3D tensor (got a {batch2.ndim}-D tensor)")
    b, _, m = batch1.shape
    if batch2.shape[0] != b or batch2.shape[1] != m:
        raise RuntimeError(
            f"Expected size for first two dimensions of batch2 tensor to be: {[b, m]} but "
            f"got: {list(batch2.shape[:2])}."
        )


def bmm(input: Tensor, mat2: Tensor, *, out: Tensor | None = None) -> Tensor:
    """Batched matrix product without broadcasting: ``(b, n, m) @ (b, m, p) -> (b, n, p)``.

    Args:
        input: a ``(b, n, m)`` batch of matrices.
        mat2: a ``(b, m, p)`` batch of matrices of the same dtype.
        out: optional tensor to write the result into.

    Returns:
        The ``(b, n, p)`` batch of products.
    """
    _check_bmm(input, mat2)
    return matmul(input, mat2, out=out)


def mv(input: Tensor, vec: Tensor) -> Tensor:
    """Matrix-vector product: ``(n, m) @ (m,) -> (n,)``.

    Args:
        input: an ``(n, m)`` matrix.
        vec: an ``(m,)`` vector of the same dtype.

    Returns:
        The ``(n,)`` product.
    """
    if input.ndim != 2 or vec.ndim != 1:
        raise RuntimeError(f"vector + matrix @ vector expected, got 1, {input.ndim}, {vec.ndim}")
    return matmul(input, vec)


def dot(input: Tensor, tensor: Tensor) -> Tensor:
    """Inner product of two 1-D tensors of the same size and dtype (a 0-d result).

    Args:
        input: a 1-D tensor.
        tensor: a 1-D tensor of the same length and dtype.

    Returns:
        ``sum(input * tensor)`` as a 0-d tensor.
    """
    if input.ndim != 1 or tensor.ndim != 1:
        raise RuntimeError(f"1D tensors expected, but got {input.ndim}D and {tensor.ndim}D tensors")
    da, db = input._data.dtype.name, tensor._data.dtype.name
    if da != db:
        raise RuntimeError(
            "dot : expected both vectors to have same dtype, but found "
            f"{_SCALAR_NAMES.get(da, da)} and {_SCALAR_NAMES.get(db, db)}"
        )
    return matmul(input, tensor)


vdot = dot  # for real tensors conjugating the first operand changes nothing


def inner(input: Tensor, other: Tensor) -> Tensor:
    """Inner product over the last dimension; a 0-d operand multiplies instead.

    ``out[i..., j...] = sum_k input[i..., k] * other[j..., k]``.

    Args:
        input: a tensor.
        other: a tensor whose last dimension matches ``input``'s.

    Returns:
        A tensor of shape ``input.shape[:-1] + other.shape[:-1]``.
    """
    if input.ndim == 0 or other.ndim == 0:
        return mul(input, other)
    if input.shape[-1] != other.shape[-1]:
        raise RuntimeError(
            "inner() the last dimension must match on both input tensors but got shapes "
            f"{list(input.shape)} and {list(other.shape)}"
        )
    return tensordot(input, other, dims=([-1], [-1]))


def outer(input: Tensor, vec2: Tensor) -> Tensor:
    """Outer product of two vectors: ``out[i, j] = input[i] * vec2[j]`` (dtypes promote).

    Args:
        input: a 1-D tensor of size n.
        vec2: a 1-D tensor of size m.

    Returns:
        The ``(n, m)`` outer product.
    """
    for name, v in (("vec1", input), ("vec2", vec2)):
        if v.ndim != 1:
            raise RuntimeError(f"outer: Expected 1-D argument {name}, but got {v.ndim}-D")
    return mul(unsqueeze(input, 1), vec2)


ger = outer


class ScaledAdd(Function):
    """out = beta * input + alpha * product  (``input`` broadcast to the product's shape).

    With ``beta == 0`` the input is ignored, so nan/inf in it do not propagate (as in
    PyTorch); its gradient is then zero. grad_input = beta * grad, grad_product = alpha * grad.
    """

    @staticmethod
    def forward(ctx, input, product, beta, alpha):
        ctx.scales = (beta, alpha)
        dtype = product._data.dtype
        out = np.multiply(product._data, alpha).astype(dtype, copy=False)
        if beta != 0:
            out = out + np.multiply(input._data, beta).astype(dtype, copy=False)
        return _make(out)

    @staticmethod
    def backward(ctx, grad):
        beta, alpha = ctx.scales
        need_input, need_product = ctx.needs_input_grad[:2]
        grad_input = mul(grad, beta) if need_input else None
        grad_product = (grad if alpha == 1 else mul(grad, alpha)) if need_product else None
        return grad_input, grad_product, None, None


def _scaled_sum(input: Tensor, product: Tensor, beta: Any, alpha: Any, op: str) -> Tensor:
    """``beta * input + alpha * product`` after PyTorch's checks of ``input``."""
    if input._data.dtype != product._data.dtype:
        raise RuntimeError(
            f"{op}: self and mat2 must have the same dtype, but got "
            f"{_SCALAR_NAMES.get(input._data.dtype.name)} and "
            f"{_SCALAR_NAMES.get(product._data.dtype.name)}"
        )
    shape = product._data.shape
    try:
        fits = np.broadcast_shapes(input._data.shape, shape) == shape
    except ValueError:
        fits = False
    if not fits:
        raise RuntimeError(
            f"{op}: the input of shape {list(input.shape)} does not broadcast to the product's "
            f"shape {list(shape)}"
        )
    return ScaledAdd.apply(input, product, beta, alpha)


def addmm(input: Tensor, mat1: Tensor, mat2: Tensor, *, beta: Any = 1, alpha: Any = 1) -> Tensor:
    """``beta * input + alpha * (mat1 @ mat2)`` for matrices (a Linear layer's affine map).

    Args:
        input: a tensor broadcastable to ``(n, p)``.
        mat1: an ``(n, m)`` matrix.
        mat2: an ``(m, p)`` matrix.
        beta: multiplier of ``input`` (0 ignores it).
        alpha: multiplier of the product.

    Returns:
        The ``(n, p)`` result.
    """
    return _scaled_sum(input, mm(mat1, mat2), beta, alpha, "addmm")


def addmv(input: Tensor, mat: Tensor, vec: Tensor, *, beta: Any = 1, alpha: Any = 1) -> Tensor:
    """``beta * input + alpha * (mat @ vec)``.

    Args:
        input: a tensor broadcastable to ``(n,)``.
        mat: an ``(n, m)`` matrix.
        vec: an ``(m,)`` vector.
        beta: multiplier of ``input``.
        alpha: multiplier of the product.

    Returns:
        The ``(n,)`` result.
    """
    return _scaled_sum(input, mv(mat, vec), beta, alpha, "addmv")


def addr(input: Tensor, vec1: Tensor, vec2: Tensor, *, beta: Any = 1, alpha: Any = 1) -> Tensor:
    """``beta * input + alpha * outer(vec1, vec2)``.

    Args:
        input: a tensor broadcastable to ``(n, m)``.
        vec1: an ``(n,)`` vector.
        vec2: an ``(m,)`` vector.
        beta: multiplier of ``input``.
        alpha: multiplier of the outer product.

    Returns:
        The ``(n, m)`` result.
    """
    return _scaled_sum(input, outer(vec1, vec2), beta, alpha, "addr")


def baddbmm(
    input: Tensor, batch1: Tensor, batch2: Tensor, *, beta: Any = 1, alpha: Any = 1
) -> Tensor:
    """``beta * input + alpha * bmm(batch1, batch2)``.

    Args:
        input: a tensor broadcastable to ``(b, n, p)``.
        batch1: a ``(b, n, m)`` batch of matrices.
        batch2: a ``(b, m, p)`` batch of matrices.
        beta: multiplier of ``input``.
        alpha: multiplier of the product.

    Returns:
        The ``(b, n, p)`` result.
    """
    return _scaled_sum(input, bmm(batch1, batch2), beta, alpha, "baddbmm")


def addbmm(
    input: Tensor, batch1: Tensor, batch2: Tensor, *, beta: Any = 1, alpha: Any = 1
) -> Tensor:
    """``beta * input + alpha * sum_b batch1[b] @ batch2[b]``.

    Args:
        input: a tensor broadcastable to ``(n, p)``.
        batch1: a ``(b, n, m)`` batch of matrices.
        batch2: a ``(b, m, p)`` batch of matrices.
        beta: multiplier of ``input``.
        alpha: multiplier of the summed product.

    Returns:
        The ``(n, p)`` result.
    """
    _check_bmm(batch1, batch2)
    return _scaled_sum(input, einsum("bnm,bmp->np", batch1, batch2), beta, alpha, "addbmm")


def tensordot(a: Tensor, b: Tensor, dims: Any = 2) -> Tensor:
    """Contract the last ``dims`` dimensions of ``a`` with the first ``dims`` of ``b``.

    ``dims`` may also be a pair of lists ``([dims of a], [dims of b])`` contracted pairwise.

    Args:
        a: the left tensor.
        b: the right tensor, same dtype.
        dims: how many trailing/leading dimensions to contract, or the pair of lists.

    Returns:
        A tensor with ``a``'s free dimensions followed by ``b``'s.

    Example::

        >>> pybigml.tensordot(pybigml.ones(3, 4), pybigml.ones(4, 5), dims=1).shape
        pybigml.Size([3, 5])
    """
    if a._data.dtype != b._data.dtype:
        raise RuntimeError(
            f"both inputs should have same dtype (tensordot got {a.dtype} and {b.dtype})"
        )
    if isinstance(dims, Tensor):
        dims = dims.tolist()
    if isinstance(dims, int):
        if dims < 0:
            raise RuntimeError(f"tensordot expects dims >= 0, but got dims={dims}")
        dims_a, dims_b = list(range(a.ndim - dims, a.ndim)), list(range(dims))
    else:
        dims_a, dims_b = ([d] if isinstance(d, int) else list(d) for d in dims)
    if len(dims_a) != len(dims_b):
        raise RuntimeError("both dimension lists should have same length")
    dims_a = [d % a.ndim for d in dims_a]
    dims_b = [d % b.ndim for d in dims_b]
    letters = iter(string.ascii_letters)
    subs_a = [next(letters) for _ in range(a.ndim)]
    subs_b = [next(letters) for _ in range(b.ndim)]
    for da, db in zip(dims_a, dims_b):
        if a.shape[da] != b.shape[db]:
            raise RuntimeError(
                f"contracted dimensions need to match, but first has size {a.shape[da]} in dim "
                f"{da} and second has size {b.shape[db]} in dim {db}"
            )
        subs_b[db] = subs_a[da]
    free = [s for i, s in enumerate(subs_a) if i not in dims_a]
    free += [s for i, s in enumerate(subs_b) if i not in dims_b]
    return Einsum.apply(("".join(subs_a), "".join(subs_b)), "".join(free), a, b)


# ----------------------------------------------------------------------------- einsum
_LABELS = string.ascii_uppercase + string.ascii_lowercase  # ASCII order = implicit output order


class Einsum(Function):
    """Einstein summation over explicit subscripts (one letter per operand dimension).

    ``inputs`` holds each operand's subscripts and ``output`` the result's; ellipses and
    implicit outputs were already resolved by ``einsum``. A letter may repeat within one
    operand (a diagonal), and a size-1 dimension broadcasts against the same letter's size
    elsewhere. The gradient is another einsum (``_einsum_operand_grad``).
    """

    @staticmethod
    def forward(ctx, inputs, output, *operands):
        arrays = [op._data for op in operands]
        equation = ",".join(inputs) + "->" + output
        # optimize: contract pairwise through tensordot/BLAS rather than one nested loop.
        result = np.asarray(np.einsum(equation, *arrays, optimize=len(arrays) > 1))
        if any(np.may_share_memory(result, x) for x in arrays):
            result = result.copy()  # numpy returns views for "ij->ji", "ii->i": own the memory
        ctx.spec = (inputs, output)
        ctx.save_for_backward(*operands)
        return _make(result)

    @staticmethod
    def backward(ctx, grad):
        operands = ctx.saved_tensors
        inputs, output = ctx.spec
        needs = ctx.needs_input_grad[2:]
        grads = [
            _einsum_operand_grad(grad, output, inputs, operands, i) if need else None
            for i, need in enumerate(needs)
        ]
        return (None, None, *grads)


def _einsum_operand_grad(
    grad: Tensor, output: str, inputs: tuple, operands: tuple, i: int
) -> Tensor:
    """d(einsum)/d(operand i), contracted with ``grad``, as einsums of tensors.

    For out = einsum(s_0, ..., s_n -> o), the output is linear in operand i, so

        grad_i[s_i] = einsum(o, s_0, ..., (skip i), ..., s_n -> s_i)(grad, other operands)

    with two corrections the plain formula cannot express:

    * a letter of s_i found nowhere else was summed away in the forward; the output does not
      depend on where along it an element sits, so the gradient is broadcast along it;
    * a letter repeated in s_i (``'ii->i'``) picks a diagonal; its gradient is zero off the
      diagonal: ``grad_i[a, b] = g[a] * eye[a, b]``, an einsum with identity matrices.
    """
    subs = inputs[i]
    unique = "".join(dict.fromkeys(subs))
    others = [j for j in range(len(inputs)) if j != i]
    seen_elsewhere = set(output).union(*(inputs[j] for j in others))
    kept = "".join(c for c in unique if c in seen_elsewhere)
    g = Einsum.apply(
        (output, *(inputs[j] for j in others)), kept, grad, *(operands[j] for j in others)
    )

    sizes = dict(zip(subs, operands[i].shape))
    if kept != unique:
        g = reshape(g, tuple(g.shape[kept.index(c)] if c in kept else 1 for c in unique))
    # A size-1 letter in the gradient broadcasts up to the operand's size; the opposite case
    # (a size-1 letter of the operand) is summed back to the operand's shape by the engine.
    target = tuple(sizes[c] if n == 1 else n for c, n in zip(unique, g.shape))
    if target != tuple(g.shape):
        g = expand(g, target)

    if len(unique) == len(subs):
        return g
    # Diagonal letters: each repeat of letter c gets a fresh letter f and a factor eye[c, f].
    used = set("".join(inputs) + output)
    fresh = iter(c for c in _LABELS if c not in used)
    eye_terms, eyes, out_subs = [], [], []
    for c in subs:
        if c in out_subs:
            f = next(fresh)
            n = target[unique.index(c)]
            eye_terms.append(c + f)
            eyes.append(_make(np.eye(n, dtype=g._data.dtype)))
            out_subs.append(f)
        else:
            out_subs.append(c)
    return Einsum.apply((unique, *eye_terms), "".join(out_subs), g, *eyes)


def _einsum_error(message: str) -> RuntimeError:
    return RuntimeError("einsum(): " + message)


def _split_terms(equation: str, n_operands: int) -> tuple[list[str], str | None]:
    """Split ``'ij,jk->ik'`` into input terms and output term (None when implicit)."""
    eq = equation.replace(" ", "")
    lhs, arrow, rhs = eq.partition("->")
    for offset, part, allowed in ((0, lhs, _LABELS + ".,"), (len(lhs) + 2, rhs, _LABELS + ".")):
        for idx, ch in enumerate(part):
            if ch not in allowed:
                raise _einsum_error(
                    f"invalid subscript given at index {offset + idx} in the equation string, "
                    "subscripts must be in [a-zA-Z]"
                )
    terms = lhs.split(",")
    if len(terms) > n_operands:
        raise _einsum_error("fewer operands were provided than specified in the equation")
    if len(terms) < n_operands:
        raise _einsum_error("more operands were provided than specified in the equation")
    for i, term in enumerate(terms + ([rhs] if arrow else [])):
        rest = term.replace("...", "", 1)
        if "..." in rest:
            raise _einsum_error(
                f"found '.' for operand {i} for which an ellipsis was already found"
            )
        if "." in rest:
            raise _einsum_error(f"found '.' for operand {i} that is not part of any ellipsis")
    return terms, (rhs if arrow else None)


@functools.lru_cache(maxsize=512)
def _einsum_spec(equation: str, shapes: tuple) -> tuple[tuple[str, ...], str]:
    """Resolve an equation for operands of the given shapes into explicit subscripts.

    Ellipses become letters unused by the equation (right-aligned, so they broadcast like
    numpy/PyTorch batch dimensions); an implicit output is the ellipsis letters followed by
    the letters used exactly once, in alphabetical (ASCII) order.

    Returns:
        ``(input subscripts, output subscripts)``.
    """
    terms, rhs = _split_terms(equation, len(shapes))
    n_ellipsis = 0
    for i, (term, shape) in enumerate(zip(terms, shapes)):
        n_letters = len(term.replace("...", ""))
        if "..." in term:
            if n_letters > len(shape):
                raise _einsum_error(
                    f"the number of subscripts in the equation ({n_letters}) is more than the "
                    f"number of dimensions ({len(shape)}) for operand {i}"
                )
            n_ellipsis = max(n_ellipsis, len(shape) - n_letters)
        elif n_letters != len(shape):
            raise _einsum_error(
                f"the number of subscripts in the equation ({n_letters}) does not match the "
                f"number of dimensions ({len(shape)}) for operand {i} and no ellipsis was given"
            )
    free_letters = [c for c in _LABELS if c not in equation]
    if n_ellipsis > len(free_letters):
        raise _einsum_error(f"too many dimensions: {n_ellipsis} under the ellipsis")
    ellipsis = "".join(free_letters[:n_ellipsis])
    inputs = tuple(
        t.replace("...", ellipsis[n_ellipsis - (len(s) - len(t.replace("...", ""))) :])
        for t, s in zip(terms, shapes)
    )

    letters = "".join(t.replace("...", "") for t in terms)
    if rhs is None:
        output = ellipsis + "".join(sorted(c for c in set(letters) if letters.count(c) == 1))
    else:
        for c in rhs.replace("...", ""):
            if c not in letters:
                raise _einsum_error(
                    f"output subscript {c} does not appear in the equation for any input operand"
                )
            if rhs.count(c) > 1:
                raise _einsum_error(f"output subscript {c} appears more than once in the output")
        output = rhs.replace("...", ellipsis)

    sizes: dict = {}
    for i, (subs, shape) in enumerate(zip(inputs, shapes)):
        own: dict = {}
        for c, n in zip(subs, shape):
            if c in own and own[c] != n:
                raise _einsum_error(
                    f"subscript {c} is repeated for operand {i} but the sizes don't match, "
                    f"{n} != {own[c]}"
                )
            own[c] = n
            seen = sizes.get(c)
            if seen is not None and seen != n and seen != 1 and n != 1:
                raise _einsum_error(
                    f"subscript {c} has size {n} for operand {i} which does not broadcast with "
                    f"previously seen size {seen}"
                )
            sizes[c] = n if seen in (None, 1) else seen
    return inputs, output


def _sublist_equation(args: Sequence[Any]) -> tuple[str, list]:
    """Turn ``einsum(op0, [0, 1], op1, [1, 2], [0, 2])`` into ``'AB,BC->AC'`` and operands."""

    def term(sublist: Sequence[Any]) -> str:
        out = []
        for s in sublist:
            if s is Ellipsis:
                out.append("...")
            elif isinstance(s, int) and 0 <= s < len(_LABELS):
                out.append(_LABELS[s])
            else:
                raise ValueError(
                    f"einsum(): subscript in subscript list is not within the valid range [0, 52), got {s!r}"
                )
        return "".join(out)

    operands = list(args[0::2][: len(args) // 2])
    terms = [term(s) for s in args[1::2][: len(args) // 2]]
    equation = ",".join(terms)
    if len(args) % 2:
        equation += "->" + term(args[-1])
    return equation, operands


def einsum(equation: Any, *operands: Any) -> Tensor:
    """Einstein summation, as ``torch.einsum``.

    Each operand's dimensions are named by letters; letters absent from the output are
    summed over. Supports ``'...'`` (broadcast batch dimensions), implicit outputs (no
    ``'->'``), repeated letters within an operand (diagonals: ``'ii->i'``, trace ``'ii'``),
    operands given as one list, and the sublist form ``einsum(x, [0, 1], y, [1, 2], [0, 2])``.

    Args:
        equation: the subscripts, e.g. ``'bij,bjk->bik'``.
        *operands: tensors of one dtype (or a single list of them).

    Returns:
        The contracted tensor.

    Example::

        >>> a, b = pybigml.ones(2, 3), pybigml.ones(3, 4)
        >>> pybigml.einsum("ij,jk->ik", a, b).shape
        pybigml.Size([2, 4])
    """
    if not isinstance(equation, str):
        equation, operands = _sublist_equation((equation, *operands))
    elif len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    for i, op in enumerate(operands):
        if not isinstance(op, Tensor):
            raise TypeError(f"einsum(): operand {i} must be a Tensor, got {type(op).__name__}")
    if not operands:
        raise _einsum_error("must provide at least one operand")
    first = operands[0]._data.dtype
    for op in operands[1:]:
        if op._data.dtype != first:
            raise _einsum_error(
                f"expected scalar type {_SCALAR_NAMES.get(first.name)} but found "
                f"{_SCALAR_NAMES.get(op._data.dtype.name)} (all operands must have one dtype)"
            )
    if first == np.bool_:
        raise NotImplementedError("einsum(): not implemented for 'Bool' operands")
    inputs, output = _einsum_spec(equation, tuple(op._data.shape for op in operands))
    return Einsum.apply(inputs, output, *operands)
