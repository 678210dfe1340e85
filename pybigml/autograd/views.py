"""Views in the graph: what autograd keeps track of when tensors share memory.

A view (``x[1:]``, ``x.t()``, ``x.view(...)``) is a tensor on part of its base's memory. It
shares the base's *version counter* (``t._vc``), so an in-place write through either one
is seen by autograd's saved-tensor checks, and it remembers its base (``t._base``) and the
version its ``grad_fn`` was derived at (``t._view_version``). Two things then keep the
graph true to the memory, as PyTorch's view tracking does:

* after a write *through a view*, the base is rewired to the output of "the old base with
  the written values put at the view's positions" (``rebase_view``, PyTorch's CopySlices);
* a view whose base was written since its ``grad_fn`` was taken re-derives it as "the
  base's values at the view's positions" before it enters the graph again (``refresh_view``).

Both gather and scatter through flat positions in the base (``view_positions``) with the
Tensor's own indexing methods, so this bookkeeping needs no op of its own.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._tensor import Tensor


def make_view(base: Tensor, array: Any) -> Tensor:
    """A tensor on ``array`` (a view of ``base``'s memory) sharing its version counter."""
    t = Tensor._make(array)
    t._vc = base._vc
    t._base = base if base._base is None else base._base
    t._view_version = base._vc[0]
    return t


def view_positions(view: Tensor, base: Tensor) -> np.ndarray:
    """Flat positions in ``base`` of each element of ``view`` (a numpy view of its memory)."""
    b, v = base._data, view._data
    if not b.flags.c_contiguous:
        raise RuntimeError(
            "in-place operation on a view of a non-contiguous tensor that requires grad is not "
            "supported; call .contiguous() on the base first"
        )
    item = b.itemsize
    offset = (v.__array_interface__["data"][0] - b.__array_interface__["data"][0]) // item
    flat = np.arange(b.size, dtype=np.int64)[offset:]
    strides = tuple(s // item * flat.itemsize for s in v.strides)
    return np.lib.stride_tricks.as_strided(flat, shape=v.shape, strides=strides).copy()


def rebase_view(base: Tensor, base_before: Tensor, view: Tensor, values: Tensor) -> None:
    """After ``view`` was overwritten with ``values``, make ``base``'s graph say so.

    base_new = base_before with ``values`` put at the view's positions: its gradient goes to
    ``base_before``'s graph everywhere else and to ``values`` at those positions.
    """
    positions = view_positions(view, base).reshape(-1)
    flat = base_before.reshape(-1)
    new = flat.index_put((positions,), values.reshape(-1)).reshape(base._data.shape)
    base.grad_fn = new.grad_fn
    base._output_nr = new._output_nr
    base._requires_grad = True


def refresh_view(view: Tensor) -> None:
    """A view whose base was written in place since it was taken: re-derive its graph."""
    base = view._base
    view._view_version = view._vc[0]
    if not base._requires_grad:
        return
    positions = view_positions(view, base)
    fresh = base.reshape(-1)[positions]
    view.grad_fn = fresh.grad_fn
    view._output_nr = fresh._output_nr
    view._requires_grad = True
