"""Tensor methods PyTorch has for its wider world (complex numbers, devices, storages,
in-place shape changes), each with its meaning for pybigml's real CPU tensors.

They are bound onto ``Tensor`` by ``_methods`` like every other method.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ._tensor import Tensor
from .autograd.grad_mode import GRAD_STATE
from .ops import linalg, shape
from .ops.inplace import inplace

_make = Tensor._make


# ----------------------------------------------------------------------------- real tensors
def _self(self: Tensor) -> Tensor:
    return self


def _false(self: Tensor) -> bool:
    return False


def imag(self: Tensor) -> Tensor:
    raise RuntimeError("imag is not implemented for tensors with non-complex dtypes.")


def is_signed(self: Tensor) -> bool:
    return self.dtype.is_signed


def is_nonzero(self: Tensor) -> bool:
    """The truth of a one-element tensor."""
    if self.numel() != 1:
        raise RuntimeError(
            "Boolean value of Tensor with no values is ambiguous"
            if self.numel() == 0
            else "Boolean value of Tensor with more than one value is ambiguous"
        )
    return bool(self._data.reshape(()))


def is_same_size(self: Tensor, other: Tensor) -> bool:
    return tuple(self.shape) == tuple(other.shape)


def get_device(self: Tensor) -> int:
    """-1: the CPU."""
    return -1


def dim_order(self: Tensor) -> tuple[int, ...]:
    """The dims from outermost to innermost in memory (by decreasing stride)."""
    strides = self._data.strides
    return tuple(sorted(range(self.ndim), key=lambda d: (-abs(strides[d]), d)))


# ----------------------------------------------------------------------------- in-place shapes
def _reshape_in_place(self: Tensor, view: Tensor, op: str) -> Tensor:
    """Make ``self`` take the shape of ``view`` (a view of it), keeping its graph."""
    if GRAD_STATE.enabled and self.requires_grad:
        if self.is_leaf:
            raise RuntimeError(
                f"{op}: a leaf Variable that requires grad is being used in an in-place operation."
            )
        self.grad_fn, self._output_nr = view.grad_fn, view._output_nr
    self._data = view._data
    return self


def _metadata_inplace(name: str, fn: Any) -> Any:
    def method(self: Tensor, *args: Any) -> Tensor:
        return _reshape_in_place(self, fn(self, *args), name)

    method.__name__ = name
    method.__doc__ = f"In-place (shape only) form of ``{name[:-1]}``."
    return method


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


# ----------------------------------------------------------------------------- writes
def fill_diagonal_(self: Tensor, fill_value: float, wrap: bool = False) -> Tensor:
    """Write ``fill_value`` on the main diagonal (all dims equal, or a tall matrix where
    ``wrap`` restarts the diagonal every ``cols + 1`` rows)."""
    if self.ndim < 2:
        raise RuntimeError("dimensions must larger than 1")
    if self.ndim > 2 and len(set(self.shape)) != 1:
        raise RuntimeError("all dimensions of input must be of equal length")
    mask = np.zeros(self._data.shape, dtype=bool)
    if self.ndim == 2:
        rows, cols = self.shape
        limit = rows if wrap else min(rows, cols)
        r = np.arange(limit)
        keep = (r % (cols + 1)) < cols if wrap else np.ones(limit, dtype=bool)
        mask[r[keep], (r % (cols + 1))[keep] if wrap else r] = True
    else:
        idx = np.arange(self.shape[0])
        mask[(idx,) * self.ndim] = True
    return self.masked_fill_(_make(mask), fill_value)


def put(self: Tensor, index: Tensor, source: Tensor, accumulate: bool = False) -> Tensor:
    """``self`` with the elements at flat ``index`` replaced by (or, with ``accumulate``,
    increased by) ``source``."""
    flat = self.reshape(-1)
    idx = index.reshape(-1)
    src = source.reshape(-1)
    if accumulate:
        out = flat.index_add(0, idx, src)
    else:
        out = flat.index_copy(0, idx, src)
    return out.reshape(tuple(self.shape))


def renorm(self: Tensor, p: float, dim: int, maxnorm: float) -> Tensor:
    """Each slice along ``dim`` rescaled so its p-norm is at most ``maxnorm``."""
    others = tuple(d for d in range(self.ndim) if d != dim % self.ndim)
    norms = self.norm(p, dim=others, keepdim=True)
    # the same 1e-7 as PyTorch keeps the divisor off zero; slices within the bound are untouched
    factor = (maxnorm / (norms + 1e-7)).where(norms > maxnorm, norms * 0 + 1)
    return self * factor


def new(self: Tensor, *args: Any) -> Tensor:
    """Legacy constructor: ``x.new(data)`` or ``x.new(*sizes)`` in ``x``'s dtype."""
    if len(args) == 1 and not isinstance(args[0], int):
        return self.new_tensor(args[0])
    return self.new_empty(args)


def apply_(self: Tensor, callable: Any) -> Tensor:
    """Replace each element ``x`` by ``callable(x)`` (a Python function; slow, CPU only)."""
    if self.requires_grad:
        raise RuntimeError("apply_ is only implemented on CPU tensors that don't require grad")
    values = np.vectorize(callable, otypes=[self._data.dtype])(self._data)
    self._data[...] = values
    self._vc[0] += 1
    return self


def map_(self: Tensor, tensor: Tensor, callable: Any) -> Tensor:
    """Replace each element ``x`` by ``callable(x, y)`` with ``y`` from ``tensor``."""
    values = np.vectorize(callable, otypes=[self._data.dtype])(self._data, tensor._data)
    self._data[...] = values
    self._vc[0] += 1
    return self


def histogram(
    self: Tensor,
    bins: Any = 100,
    *,
    range: tuple[float, float] | None = None,  # noqa: A002
    weight: Tensor | None = None,
    density: bool = False,
) -> tuple[Tensor, Tensor]:
    """``(hist, bin_edges)`` as ``numpy.histogram``."""
    b = bins._data if isinstance(bins, Tensor) else bins
    hist, edges = np.histogram(
        self._data,
        bins=b,
        range=range,
        weights=None if weight is None else weight._data,
        density=density,
    )
    dtype = self._data.dtype
    return _make(hist.astype(dtype)), _make(edges.astype(dtype))


def nextafter(self: Tensor, other: Tensor) -> Tensor:
    """The next representable number after ``self`` towards ``other``."""
    return _make(np.nextafter(self._data, other._data))


def _scatter_into(self: Tensor, src: Tensor, key: Any) -> Tensor:
    out = self.clone()
    out[key] = src
    return out


def select_scatter(self: Tensor, src: Tensor, dim: int, index: int) -> Tensor:
    """``self`` with ``self.select(dim, index)`` replaced by ``src``."""
    key = (slice(None),) * (dim % self.ndim) + (index,)
    return _scatter_into(self, src, key)


def slice_scatter(
    self: Tensor,
    src: Tensor,
    dim: int = 0,
    start: int | None = None,
    end: int | None = None,
    step: int = 1,
) -> Tensor:
    """``self`` with the slice ``start:end:step`` of ``dim`` replaced by ``src``."""
    key = (slice(None),) * (dim % self.ndim) + (slice(start, end, step),)
    return _scatter_into(self, src, key)


def diagonal_scatter(
    self: Tensor, src: Tensor, offset: int = 0, dim1: int = 0, dim2: int = 1
) -> Tensor:
    """``self`` with ``self.diagonal(offset, dim1, dim2)`` replaced by ``src``."""
    moved = self.movedim((dim1, dim2), (-2, -1))
    rows, cols = moved.shape[-2:]
    r = np.arange(max(0, -offset), min(rows, cols - offset)) if cols - offset > 0 else np.arange(0)
    c = r + offset
    key = (Ellipsis, _make(r.astype(np.int64)), _make(c.astype(np.int64)))
    return _scatter_into(moved, src, key).movedim((-2, -1), (dim1, dim2))


def svd(self: Tensor, some: bool = True, compute_uv: bool = True) -> tuple[Tensor, Tensor, Tensor]:
    """``torch.svd``: ``(U, S, V)`` with ``self = U diag(S) V^T`` (note V, not Vh)."""
    from . import linalg as _linalg

    U, S, Vh = _linalg.svd(self, full_matrices=not some)
    if not compute_uv:
        return U * 0, S, Vh.mT * 0
    return U, S, Vh.mT


def cholesky(self: Tensor, upper: bool = False) -> Tensor:
    from . import linalg as _linalg

    return _linalg.cholesky(self, upper=upper)


def qr(self: Tensor, some: bool = True) -> tuple[Tensor, Tensor]:
    from . import linalg as _linalg

    return _linalg.qr(self, "reduced" if some else "complete")


METHODS = {
    "conj": _self,
    "conj_physical": _self,
    "resolve_conj": _self,
    "resolve_neg": _self,
    "real": property(_self),
    "imag": property(imag),
    "is_conj": _false,
    "is_neg": _false,
    "is_inference": _false,
    "is_pinned": _false,
    "is_shared": _false,
    "pin_memory": _self,
    "share_memory_": _self,
    "is_signed": is_signed,
    "is_nonzero": is_nonzero,
    "is_same_size": is_same_size,
    "get_device": get_device,
    "dim_order": dim_order,
    "squeeze_": _metadata_inplace("squeeze_", shape.squeeze),
    "unsqueeze_": _metadata_inplace("unsqueeze_", shape.unsqueeze),
    "t_": _metadata_inplace("t_", shape.t),
    "transpose_": _metadata_inplace("transpose_", shape.transpose),
    "swapaxes_": _metadata_inplace("swapaxes_", shape.transpose),
    "swapdims_": _metadata_inplace("swapdims_", shape.transpose),
    "resize_": resize_,
    "resize_as_": resize_as_,
    "fill_diagonal_": fill_diagonal_,
    "put": put,
    "put_": inplace(put, "put_"),
    "renorm": renorm,
    "renorm_": inplace(renorm, "renorm_"),
    "new": new,
    "apply_": apply_,
    "map_": map_,
    "histogram": histogram,
    "nextafter": nextafter,
    "nextafter_": inplace(nextafter, "nextafter_"),
    "narrow_copy": lambda self, dim, start, length: self.narrow(dim, start, length).clone(),
    "select_scatter": select_scatter,
    "slice_scatter": slice_scatter,
    "diagonal_scatter": diagonal_scatter,
    "unsafe_chunk": lambda self, chunks, dim=0: self.chunk(chunks, dim),
    "unsafe_split": lambda self, size, dim=0: self.split(size, dim),
    "unsafe_split_with_sizes": lambda self, sizes, dim=0: self.split_with_sizes(sizes, dim),
    "addmm_": inplace(linalg.addmm, "addmm_"),
    "addmv_": inplace(linalg.addmv, "addmv_"),
    "addr_": inplace(linalg.addr, "addr_"),
    "baddbmm_": inplace(linalg.baddbmm, "baddbmm_"),
    "addbmm_": inplace(linalg.addbmm, "addbmm_"),
    "svd": svd,
    "cholesky": cholesky,
    "qr": qr,
}
"""Method name -> function (or property), bound onto Tensor by ``_methods``."""

TOP_LEVEL = {
    "is_nonzero": is_nonzero,
    "is_same_size": is_same_size,
    "is_signed": is_signed,
    "conj": _self,
    "resolve_conj": _self,
    "resolve_neg": _self,
    "real": _self,
    "imag": imag,
    "histogram": histogram,
    "nextafter": nextafter,
    "renorm": renorm,
    "narrow_copy": METHODS["narrow_copy"],
    "select_scatter": select_scatter,
    "slice_scatter": slice_scatter,
    "diagonal_scatter": diagonal_scatter,
    "svd": svd,
    "cholesky": cholesky,
    "qr": qr,
    "is_complex": lambda input: False,
    "is_conj": _false,
    "is_inference": _false,
    "put": put,
}
"""The ones PyTorch also has as ``torch.<name>``."""
