"""Shape and view operations: reshape, permute, expand, squeeze, cat, stack, split ...

A view shares memory *and the version counter* with its base (``autograd.views.make_view``),
so an in-place write through either is seen by both and by autograd's saved-tensor checks.
Every backward here is itself a shape op on the gradient (the adjoint of a view is the
inverse view; of ``expand`` a sum, done by the engine), so any order of derivative works.
"""

from __future__ import annotations

import builtins
import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from .._dtype import result_type, to_dtype
from .._tensor import Size, Tensor, _wrap_dim
from ..autograd.function import Function
from ..autograd.grad_mode import GRAD_STATE
from ..autograd.views import make_view
from .indexing import getitem, index_put
from .pointwise import where

_make = Tensor._make


def _shape_arg(shape: tuple) -> tuple:
    """Accept ``f(2, 3)``, ``f((2, 3))``, ``f([2, 3])`` or ``f(Size)``."""
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    return tuple(int(s) for s in shape)


def _infer_shape(op: str, shape: tuple, numel: int, src: tuple) -> tuple:
    if shape.count(-1) > 1:
        raise RuntimeError(f"{op}: only one dimension can be inferred")
    known = 1
    for s in shape:
        if s != -1:
            if s < 0:
                raise RuntimeError(f"{op}: invalid shape dimension {s}")
            known *= s
    if -1 in shape:
        if known == 0 or numel % known:
            raise RuntimeError(f"shape '{list(shape)}' is invalid for input of size {numel}")
        shape = tuple(numel // known if s == -1 else s for s in shape)
    elif known != numel:
        raise RuntimeError(f"shape '{list(shape)}' is invalid for input of size {numel}")
    return shape


class Reshape(Function):
    """Reshape (a view when strides allow, else a copy);  backward: reshape back."""

    @staticmethod
    def forward(ctx, a, shape, must_view):
        x = a._data
        ctx.in_shape = x.shape
        try:
            return make_view(a, np.reshape(x, shape, copy=False))
        except ValueError:
            if must_view:
                raise RuntimeError(
                    f"view size is not compatible with input tensor's size and stride (shape "
                    f"{tuple(x.shape)} -> {shape}: at least one dimension spans across two "
                    "contiguous subspaces). Use .reshape(...) instead."
                ) from None
            return _make(np.reshape(x, shape))

    @staticmethod
    def backward(ctx, grad):
        return grad.reshape(ctx.in_shape), None, None


def reshape(input: Tensor, *shape: Any) -> Tensor:
    """The same data with a new shape (``-1`` infers one dimension)."""
    shape = _infer_shape("reshape", _shape_arg(shape), input._data.size, input._data.shape)
    if shape == input._data.shape:
        return (
            Reshape.apply(input, shape, False)
            if input._requires_grad
            else make_view(input, input._data)
        )
    return Reshape.apply(input, shape, False)


def view(input: Tensor, *shape: Any) -> Tensor:
    """Like ``reshape`` but always a view; raises when the strides don't allow one."""
    if len(shape) == 1 and not isinstance(shape[0], (tuple, list, int)) and shape[0] is not None:
        d = to_dtype(shape[0])
        return make_view(input, input._data.view(d._np))
    shape = _infer_shape("view", _shape_arg(shape), input._data.size, input._data.shape)
    return Reshape.apply(input, shape, True)


def view_as(input: Tensor, other: Tensor) -> Tensor:
    return view(input, other._data.shape)


def reshape_as(input: Tensor, other: Tensor) -> Tensor:
    return reshape(input, other._data.shape)


def flatten(input: Tensor, start_dim: int = 0, end_dim: int = -1) -> Tensor:
    shape = input._data.shape
    if not shape:
        return reshape(input, (1,))
    s = _wrap_dim(start_dim, len(shape), "flatten")
    e = _wrap_dim(end_dim, len(shape), "flatten")
    if s > e:
        raise RuntimeError("flatten() has invalid args: start_dim cannot come after end_dim")
    n = 1
    for d in shape[s : e + 1]:
        n *= d
    return reshape(input, shape[:s] + (n,) + shape[e + 1 :])


def unflatten(input: Tensor, dim: int, sizes: Sequence[int]) -> Tensor:
    shape = input._data.shape
    d = _wrap_dim(dim, len(shape), "unflatten")
    sizes = _infer_shape("unflatten", tuple(sizes), shape[d], (shape[d],))
    return reshape(input, shape[:d] + sizes + shape[d + 1 :])


def ravel(input: Tensor) -> Tensor:
    return reshape(input, (-1,))


def squeeze(input: Tensor, dim: Any = None) -> Tensor:
    shape = input._data.shape
    if dim is None:
        dims = {i for i, s in enumerate(shape) if s == 1}
    else:
        dims = dim if isinstance(dim, (tuple, list)) else (dim,)
        wrapped = [_wrap_dim(d, len(shape), "squeeze") for d in dims]
        if len(set(wrapped)) != len(wrapped):
            repeated = next(d for d in wrapped if wrapped.count(d) > 1)
            raise RuntimeError(f"dim {repeated} appears multiple times in the list of dims")
        dims = set(wrapped)
        dims = {d for d in dims if len(shape) and shape[d] == 1}
    return reshape(input, tuple(s for i, s in enumerate(shape) if i not in dims))


def unsqueeze(input: Tensor, dim: int) -> Tensor:
    shape = input._data.shape
    d = _wrap_dim(dim, len(shape) + 1, "unsqueeze")
    return reshape(input, shape[:d] + (1,) + shape[d:])


class Permute(Function):
    """Reorder dimensions (a view);  backward: the inverse permutation."""

    @staticmethod
    def forward(ctx, a, dims):
        ctx.dims = dims
        return make_view(a, a._data.transpose(dims))

    @staticmethod
    def backward(ctx, grad):
        return grad.permute(tuple(np.argsort(ctx.dims).tolist())), None


def permute(input: Tensor, *dims: Any) -> Tensor:
    dims = _shape_arg(dims)
    n = input._data.ndim
    if len(dims) != n:
        raise RuntimeError(
            f"permute(sparse_coo): number of dimensions in the tensor input does not match the "
            f"length of the desired ordering of dimensions i.e. input.dim() = {n} is not equal "
            f"to len(dims) = {len(dims)}"
        )
    dims = tuple(_wrap_dim(d, n, "permute") for d in dims)
    if len(set(dims)) != n:
        raise RuntimeError("permute(): duplicate dims are not allowed.")
    return Permute.apply(input, dims)


def transpose(input: Tensor, dim0: int, dim1: int) -> Tensor:
    n = input._data.ndim
    if n == 0:
        return (
            make_view(input, input._data) if not input._requires_grad else Permute.apply(input, ())
        )
    d0, d1 = _wrap_dim(dim0, n, "transpose"), _wrap_dim(dim1, n, "transpose")
    dims = list(range(n))
    dims[d0], dims[d1] = dims[d1], dims[d0]
    return Permute.apply(input, tuple(dims))


swapaxes = swapdims = transpose


def t(input: Tensor) -> Tensor:
    if input._data.ndim > 2:
        raise RuntimeError(
            f"t() expects a tensor with <= 2 dimensions, but self is {input._data.ndim}D"
        )
    return transpose(input, 0, 1) if input._data.ndim == 2 else transpose(input, 0, 0)


def movedim(input: Tensor, source: Any, destination: Any) -> Tensor:
    n = input._data.ndim
    src = source if isinstance(source, (tuple, list)) else (source,)
    dst = destination if isinstance(destination, (tuple, list)) else (destination,)
    src = [_wrap_dim(s, n, "movedim") for s in src]
    dst = [_wrap_dim(d, n, "movedim") for d in dst]
    order = [d for d in range(n) if d not in src]
    for d, s in sorted(zip(dst, src)):
        order.insert(d, s)
    return permute(input, tuple(order))


moveaxis = movedim


class Expand(Function):
    """Broadcast to a larger shape (a stride-0 view);  backward: sum (done by the engine)."""

    @staticmethod
    def forward(ctx, a, shape):
        return make_view(a, np.broadcast_to(a._data, shape))

    @staticmethod
    def backward(ctx, grad):
        return grad, None


def expand(input: Tensor, *sizes: Any) -> Tensor:
    sizes = _shape_arg(sizes)
    shape = input._data.shape
    if len(sizes) < len(shape):
        raise RuntimeError(
            f"expand: the number of sizes provided ({len(sizes)}) must be greater or equal to "
            f"the number of dimensions in the tensor ({len(shape)})"
        )
    lead = len(sizes) - len(shape)
    full = list(sizes)
    for i, s in enumerate(shape):
        want = sizes[lead + i]
        if want == -1:
            full[lead + i] = s
        elif s != want and s != 1:
            raise RuntimeError(
                f"The expanded size of the tensor ({want}) must match the existing size ({s}) at "
                f"non-singleton dimension {lead + i}.  Target sizes: {list(sizes)}.  Tensor "
                f"sizes: {list(shape)}"
            )
    if any(s < 0 for s in full[:lead]):
        raise RuntimeError("expand: -1 is not allowed in a leading, non-existing dimension")
    full = tuple(full)
    if full == shape:
        return Expand.apply(input, full) if input._requires_grad else make_view(input, input._data)
    return Expand.apply(input, full)


def expand_as(input: Tensor, other: Tensor) -> Tensor:
    return expand(input, other._data.shape)


def broadcast_to(input: Tensor, size: Sequence[int]) -> Tensor:
    return expand(input, tuple(size))


def broadcast_shapes(*shapes: Sequence[int]) -> Size:
    try:
        return Size(np.broadcast_shapes(*[tuple(s) for s in shapes]))
    except ValueError:
        raise RuntimeError(
            f"Shape mismatch: objects cannot be broadcast to a single shape: {shapes}"
        ) from None


def broadcast_tensors(*tensors: Tensor) -> tuple:
    shape = broadcast_shapes(*[t._data.shape for t in tensors])
    return tuple(expand(t, shape) for t in tensors)


def _matrix_transpose(input: Tensor) -> Tensor:
    if input._data.ndim < 2:
        raise RuntimeError(
            f"tensor.mT is only supported on matrices or batches of matrices. Got {input._data.ndim}-D tensor."
        )
    return transpose(input, -2, -1)


def _reversed_dims(input: Tensor) -> Tensor:
    """``x.T``: every dim in reverse order."""
    return permute(input, tuple(range(input._data.ndim - 1, -1, -1)))


def _adjoint(input: Tensor) -> Tensor:
    """``x.H``: the conjugate transpose of a matrix (the transpose, for real tensors)."""
    return t(input) if input._data.ndim == 2 else input


class Contiguous(Function):
    """A C-contiguous copy;  backward: identity."""

    @staticmethod
    def forward(ctx, a):
        return _make(np.ascontiguousarray(a._data))

    @staticmethod
    def backward(ctx, grad):
        return grad


def contiguous(input: Tensor, memory_format: Any = None) -> Tensor:
    if input._data.flags.c_contiguous:
        return input
    return Contiguous.apply(input)


class Clone(Function):
    """A copy in new memory;  backward: identity."""

    @staticmethod
    def forward(ctx, a):
        return _make(a._data.copy())

    @staticmethod
    def backward(ctx, grad):
        return grad


def clone(input: Tensor, *, memory_format: Any = None) -> Tensor:
    return Clone.apply(input)


class Flip(Function):
    """Reverse the order along ``dims``;  backward: flip again."""

    @staticmethod
    def forward(ctx, a, dims):
        ctx.dims = dims
        return _make(np.flip(a._data, dims).copy())

    @staticmethod
    def backward(ctx, grad):
        return flip(grad, ctx.dims), None


def flip(input: Tensor, dims: Any) -> Tensor:
    dims = dims if isinstance(dims, (tuple, list)) else (dims,)
    return Flip.apply(input, tuple(_wrap_dim(d, input._data.ndim, "flip") for d in dims))


def fliplr(input: Tensor) -> Tensor:
    return flip(input, (1,))


def flipud(input: Tensor) -> Tensor:
    return flip(input, (0,))


def roll(input: Tensor, shifts: Any, dims: Any = None) -> Tensor:
    if dims is None:
        return reshape(roll(flatten(input), shifts, 0), input._data.shape)
    shifts = shifts if isinstance(shifts, (tuple, list)) else (shifts,)
    dims = dims if isinstance(dims, (tuple, list)) else (dims,)
    out = input
    for s, d in zip(shifts, dims):
        n = input._data.shape[_wrap_dim(d, input._data.ndim, "roll")]
        if n == 0:
            continue
        s %= n
        if s:
            out = cat([narrow(out, d, n - s, s), narrow(out, d, 0, n - s)], d)
    return out


class Cat(Function):
    """Concatenate along ``dim``;  backward: split the gradient into the inputs' pieces."""

    @staticmethod
    def forward(ctx, dim, *tensors):
        rt = result_type(*tensors)._np
        ctx.dim = dim
        ctx.sizes = [t._data.shape[dim] for t in tensors]
        return _make(np.concatenate([t._data for t in tensors], axis=dim, dtype=rt))

    @staticmethod
    def backward(ctx, grad):
        grads, start = [None], 0
        for size, need in zip(ctx.sizes, ctx.needs_input_grad[1:]):
            grads.append(narrow(grad, ctx.dim, start, size) if need else None)
            start += size
        return tuple(grads)


def cat(tensors: Sequence[Tensor], dim: int = 0, *, out: Tensor | None = None) -> Tensor:
    """Concatenate tensors along an existing dimension (1-D empty tensors are skipped, as in torch)."""
    if isinstance(tensors, Tensor):
        raise TypeError("cat(): argument 'tensors' must be a sequence of Tensors, not Tensor")
    tensors = [t for t in tensors]
    if not tensors:
        raise RuntimeError("cat(): expected a non-empty list of Tensors")
    kept = [t for t in tensors if not (t._data.ndim == 1 and t._data.shape[0] == 0)] or tensors[:1]
    ref = max(kept, key=lambda t: t._data.ndim)
    if ref._data.ndim == 0:
        raise RuntimeError("zero-dimensional tensor (at position 0) cannot be concatenated")
    d = _wrap_dim(dim, ref._data.ndim, "cat")
    for i, t in enumerate(kept):
        if t._data.ndim != ref._data.ndim:
            raise RuntimeError(
                f"Tensors must have same number of dimensions: got {ref._data.ndim} and {t._data.ndim}"
            )
        for k, (a, b) in enumerate(zip(t._data.shape, ref._data.shape)):
            if k != d and a != b:
                raise RuntimeError(
                    f"Sizes of tensors must match except in dimension {d}. Expected size {b} but "
                    f"got size {a} for tensor number {i} in the list."
                )
    result = Cat.apply(d, *kept)
    if out is not None:
        out._data = result._data
        out._vc[0] += 1
        return out
    return result


concat = concatenate = cat


def stack(tensors: Sequence[Tensor], dim: int = 0, *, out: Tensor | None = None) -> Tensor:
    """Join tensors of equal shape along a new dimension."""
    tensors = list(tensors)
    if not tensors:
        raise RuntimeError("stack expects a non-empty TensorList")
    shape = tensors[0]._data.shape
    for i, t in enumerate(tensors):
        if t._data.shape != shape:
            raise RuntimeError(
                f"stack expects each tensor to be equal size, but got {list(shape)} at entry 0 "
                f"and {list(t._data.shape)} at entry {i}"
            )
    d = _wrap_dim(dim, len(shape) + 1, "stack")
    return cat([unsqueeze(t, d) for t in tensors], d, out=out)


def hstack(tensors: Sequence[Tensor]) -> Tensor:
    tensors = [atleast_1d(t) for t in tensors]
    return cat(tensors, 0 if tensors[0]._data.ndim == 1 else 1)


def vstack(tensors: Sequence[Tensor]) -> Tensor:
    return cat([atleast_2d(t) for t in tensors], 0)


def atleast_1d(input: Tensor) -> Tensor:
    return reshape(input, (1,)) if input._data.ndim == 0 else input


def atleast_2d(input: Tensor) -> Tensor:
    x = atleast_1d(input)
    return unsqueeze(x, 0) if x._data.ndim == 1 else x


def narrow(input: Tensor, dim: int, start: Any, length: int) -> Tensor:
    """``length`` elements of ``dim`` from ``start`` (a view)."""
    n = input._data.ndim
    if n == 0:
        raise RuntimeError("narrow() cannot be applied to a 0-dim tensor.")
    d = _wrap_dim(dim, n, "narrow")
    size = input._data.shape[d]
    start = int(start)
    if start < 0:
        start += size
    if not 0 <= start <= size or length < 0 or start + length > size:
        raise RuntimeError(f"start ({start}) + length ({length}) exceeds dimension size ({size}).")
    return getitem(input, (slice(None),) * d + (slice(start, start + length),))


def select(input: Tensor, dim: int, index: int) -> Tensor:
    d = _wrap_dim(dim, input._data.ndim, "select")
    size = input._data.shape[d]
    if not -size <= index < size:
        raise IndexError(
            f"select(): index {index} out of range for tensor of size {list(input._data.shape)} at dimension {d}"
        )
    return getitem(input, (slice(None),) * d + (index,))


def split(tensor: Tensor, split_size_or_sections: Any, dim: int = 0) -> tuple:
    """Pieces of ``split_size`` (the last may be smaller), or of the given section sizes."""
    d = _wrap_dim(dim, tensor._data.ndim, "split")
    size = tensor._data.shape[d]
    if isinstance(split_size_or_sections, int):
        step = split_size_or_sections
        if step <= 0 and size:
            raise RuntimeError(
                f"split_size can only be 0 if dimension size is 0, but got dimension size of {size}"
            )
        sections = [min(step, size - s) for s in range(0, size, step)] if size else [0]
    else:
        sections = [int(s) for s in split_size_or_sections]
        if builtins.sum(sections) != size:
            raise RuntimeError(
                f"split_with_sizes expects split_sizes to sum exactly to {size} (input tensor's "
                f"size at dimension {d}), but got split_sizes={sections}"
            )
    pieces, start = [], 0
    for s in sections:
        pieces.append(narrow(tensor, d, start, s))
        start += s
    return tuple(pieces)


def tensor_split(input: Tensor, indices_or_sections: Any, dim: int = 0) -> tuple:
    d = _wrap_dim(dim, input._data.ndim, "tensor_split")
    size = input._data.shape[d]
    if isinstance(indices_or_sections, int):
        n = indices_or_sections
        q, r = divmod(size, n)
        sections = [q + 1] * r + [q] * (n - r)
    else:
        bounds = [
            0,
            *[builtins.min(builtins.max(int(i), 0), size) for i in indices_or_sections],
            size,
        ]
        sections = [builtins.max(b - a, 0) for a, b in zip(bounds, bounds[1:])]
    return split(input, sections, d)


def chunk(input: Tensor, chunks: int, dim: int = 0) -> tuple:
    if chunks <= 0:
        raise RuntimeError("chunk expects `chunks` to be greater than 0, got: " + str(chunks))
    size = input._data.shape[_wrap_dim(dim, input._data.ndim, "chunk")]
    if size == 0:
        return split(input, [0] * chunks, dim)  # PyTorch gives `chunks` empty pieces
    return split(input, -(-size // chunks), dim)


def unbind(input: Tensor, dim: int = 0) -> tuple:
    d = _wrap_dim(dim, input._data.ndim, "unbind")
    return tuple(select(input, d, i) for i in range(input._data.shape[d]))


def narrow_copy(input: Tensor, dim: int, start: Any, length: int) -> Tensor:
    """``narrow`` as a new tensor instead of a view."""
    return clone(narrow(input, dim, start, length))


def unsafe_split(input: Tensor, size: Any, dim: int = 0) -> tuple:
    """``split`` (PyTorch's variant that skips its view checks)."""
    return split(input, size, dim)


# ----------------------------------------------------------------------------- in-place shapes
def resize_(self: Tensor, *sizes: Any) -> Tensor:
    """Give ``self`` the shape ``sizes``, keeping the leading elements in memory order and
    leaving new ones uninitialised (zeros here)."""
    size = tuple(sizes[0]) if len(sizes) == 1 and isinstance(sizes[0], (tuple, list)) else sizes
    if GRAD_STATE.enabled and self.requires_grad:
        raise RuntimeError("cannot resize variables that require grad")
    flat = self._data.reshape(-1)
    n = math.prod(size)
    out = np.zeros(n, dtype=self._data.dtype)
    out[: min(n, flat.size)] = flat[: min(n, flat.size)]
    self._data = out.reshape(size)
    self._vc[0] += 1
    return self


def resize_as_(self: Tensor, other: Tensor) -> Tensor:
    return resize_(self, tuple(other.shape))


class Repeat(Function):
    """Tile the tensor;  backward: sum the gradient over the tiles."""

    @staticmethod
    def forward(ctx, a, reps):
        ctx.in_shape = a._data.shape
        ctx.reps = reps
        return _make(np.tile(a._data, reps))

    @staticmethod
    def backward(ctx, grad):
        reps, shape = ctx.reps, ctx.in_shape
        shape = (1,) * (len(reps) - len(shape)) + tuple(shape)
        interleaved = []
        for r, s in zip(reps, shape):
            interleaved += [r, s]
        g = grad.reshape(tuple(interleaved)).sum(dim=tuple(range(0, 2 * len(reps), 2)))
        return g.reshape(ctx.in_shape), None


def repeat(input: Tensor, *sizes: Any) -> Tensor:
    reps = _shape_arg(sizes)
    if len(reps) < input._data.ndim:
        raise RuntimeError(
            "Number of dimensions of repeat dims can not be smaller than number of dimensions of tensor"
        )
    return Repeat.apply(input, reps)


def tile(input: Tensor, dims: Sequence[int]) -> Tensor:
    dims = tuple(dims)
    dims = (1,) * (input._data.ndim - len(dims)) + dims
    return repeat(input, dims)


def repeat_interleave(input: Tensor, repeats: Any, dim: int | None = None) -> Tensor:
    if dim is None:
        input, dim = flatten(input), 0
    d = _wrap_dim(dim, input._data.ndim, "repeat_interleave")
    r = repeats._data if isinstance(repeats, Tensor) else repeats
    idx = np.repeat(np.arange(input._data.shape[d]), r)
    return getitem(input, (slice(None),) * d + (_make(idx),))


def _triangle(input: Tensor, diagonal: int, upper: bool) -> Tensor:
    rows, cols = input._data.shape[-2:]
    keep = (
        np.triu(np.ones((rows, cols), bool), diagonal)
        if upper
        else np.tril(np.ones((rows, cols), bool), diagonal)
    )
    return where(_make(keep), input, _make(np.zeros((), input._data.dtype)))


def tril(input: Tensor, diagonal: int = 0) -> Tensor:
    return _triangle(input, diagonal, upper=False)


def triu(input: Tensor, diagonal: int = 0) -> Tensor:
    return _triangle(input, diagonal, upper=True)


def diagonal(input: Tensor, offset: int = 0, dim1: int = 0, dim2: int = 1) -> Tensor:
    """The ``offset`` diagonal of the (dim1, dim2) planes, as the last dim (gathered by index)."""
    x = movedim(input, (dim1, dim2), (-2, -1))
    rows, cols = x._data.shape[-2:]
    n = builtins.max(
        0, builtins.min(rows, cols - offset) if offset >= 0 else builtins.min(rows + offset, cols)
    )
    start_r, start_c = (0, offset) if offset >= 0 else (-offset, 0)
    r = np.arange(n) + start_r
    c = np.arange(n) + start_c
    return getitem(x, (Ellipsis, _make(r), _make(c)))


def diag(input: Tensor, diagonal: int = 0) -> Tensor:
    if input._data.ndim == 1:
        n = input._data.shape[0] + abs(diagonal)
        z = _make(np.zeros((n, n), input._data.dtype))
        r = np.arange(input._data.shape[0]) + builtins.max(-diagonal, 0)
        c = np.arange(input._data.shape[0]) + builtins.max(diagonal, 0)
        return index_put(z, (_make(r), _make(c)), input)
    return diagonal_fn(input, diagonal)


diagonal_fn = diagonal


__all__ = [
    "atleast_1d",
    "atleast_2d",
    "broadcast_shapes",
    "broadcast_tensors",
    "broadcast_to",
    "cat",
    "chunk",
    "clone",
    "concat",
    "concatenate",
    "contiguous",
    "diag",
    "diagonal",
    "expand",
    "expand_as",
    "flatten",
    "flip",
    "fliplr",
    "flipud",
    "hstack",
    "moveaxis",
    "movedim",
    "narrow",
    "narrow_copy",
    "permute",
    "ravel",
    "repeat",
    "repeat_interleave",
    "reshape",
    "reshape_as",
    "roll",
    "select",
    "split",
    "squeeze",
    "stack",
    "swapaxes",
    "swapdims",
    "t",
    "tensor_split",
    "tile",
    "transpose",
    "tril",
    "triu",
    "unbind",
    "unflatten",
    "unsqueeze",
    "view",
    "view_as",
    "vstack",
]
