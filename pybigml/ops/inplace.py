"""In-place operations (``x.add_(y)``, ``x[idx] = v``, ``relu_`` ...).

An in-place op writes into the tensor's own memory — so every view of it sees the change —
and bumps its version counter, so a backward that saved the old values refuses to run
(PyTorch's "modified by an inplace operation" error).

When a graph is being recorded, the op is computed out of place on a *snapshot* of the
tensor (a copy that keeps the tensor's place in the graph), the result is copied into the
tensor's memory, and the tensor takes the result's ``grad_fn``: afterwards it is the output
of the in-place op, exactly as in PyTorch.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from .._tensor import Tensor, tensor_method
from ..autograd.grad_mode import GRAD_STATE
from ..autograd.views import rebase_view

_LEAF_MESSAGE = "a leaf Variable that requires grad is being used in an in-place operation."


def _records(self: Tensor, args: tuple) -> bool:
    if not GRAD_STATE.enabled:
        return False
    return self._requires_grad or any(isinstance(a, Tensor) and a._requires_grad for a in args)


def _snapshot(t: Tensor) -> Tensor:
    """A copy of ``t``'s values that stands in ``t``'s place in the graph."""
    snap = Tensor._make(t._data.copy(), t._requires_grad)
    snap.grad_fn = t.grad_fn
    snap._output_nr = t._output_nr
    return snap


def _write(self: Tensor, result: Tensor, op: str) -> None:
    src = result._data
    if not np.can_cast(src.dtype, self._data.dtype, casting="same_kind"):
        raise RuntimeError(
            f"{op}: result type {_name(src.dtype)} can't be cast to the desired output type "
            f"{_name(self._data.dtype)}"
        )
    try:
        np.copyto(self._data, src, casting="same_kind")
    except ValueError as e:
        if not self._data.flags.writeable:
            raise RuntimeError(
                f"{op}: unsupported operation: the tensor (shape {tuple(self._data.shape)}) is an "
                "expanded view whose elements share memory; call .clone() before writing to it"
            ) from None
        raise RuntimeError(
            f"{op}: output with shape {list(self._data.shape)} doesn't match the broadcast "
            f"shape {list(src.shape)}"
        ) from e
    self._vc[0] += 1


def _name(np_dtype: np.dtype) -> str:
    return {
        "float32": "Float",
        "float64": "Double",
        "int64": "Long",
        "int32": "Int",
        "bool": "Bool",
    }.get(np_dtype.name, np_dtype.name)


def apply_inplace(self: Tensor, result: Tensor, op: str = "in-place operation") -> Tensor:
    """Make ``self`` hold ``result`` (same shape): copy the values, bump the version, rewire.

    If ``self`` is a view, its base changed too: the base becomes the output of a node that
    puts ``result`` at the view's positions (PyTorch's CopySlices), so gradients reach both
    the base's old graph and ``result``'s.
    """
    base = self._base
    recording = GRAD_STATE.enabled
    if recording:
        if self.grad_fn is None and self._requires_grad:
            raise RuntimeError(_LEAF_MESSAGE)
        if base is not None and base.grad_fn is None and base._requires_grad:
            raise RuntimeError(
                f"{op}: a view of a leaf Variable that requires grad is being used in an "
                "in-place operation."
            )
    rebase = recording and base is not None and (base._requires_grad or result._requires_grad)
    base_before = _snapshot(base) if rebase else None
    _write(self, result, op)
    if recording and result._requires_grad:
        self.grad_fn = result.grad_fn
        self._output_nr = result._output_nr
        self._requires_grad = True
        _resave_output(result, self)
    if rebase:
        rebase_view(base, base_before, self, result)
    if base is not None:
        self._view_version = self._vc[0]
    return self


def _resave_output(result: Tensor, self: Tensor) -> None:
    """A node that saved its output now guards ``self`` (which holds that output)."""
    saved = getattr(result.grad_fn, "_saved", None)
    if not saved:
        return
    for s in saved:
        if s is not None and s.output_nr == result._output_nr and s.tensor._data is result._data:
            s.tensor = self.detach()
            s.version = self._vc[0]


def inplace(fn: Callable, name: str) -> Callable:
    """The in-place method ``name`` (e.g. ``add_``) of the out-of-place op ``fn``."""

    def method(self: Tensor, *args: Any, **kwargs: Any) -> Tensor:
        if _records(self, args):
            if self.grad_fn is None and self._requires_grad:
                raise RuntimeError(_LEAF_MESSAGE)
            return apply_inplace(self, fn(_snapshot(self), *args, **kwargs), name)
        prev = GRAD_STATE.enabled
        GRAD_STATE.enabled = False
        try:
            result = fn(self, *args, **kwargs)
        finally:
            GRAD_STATE.enabled = prev
        _write(self, result, name)
        return self

    method.__doc__ = f"In-place version of ``{fn.__name__}``."
    return tensor_method(method, name)


def inplace_shape(fn: Callable, name: str) -> Callable:
    """The in-place method ``name`` (e.g. ``squeeze_``) of the shape op ``fn``.

    ``self`` takes the shape of ``fn(self, ...)`` (a view of it) and, when a graph is being
    recorded, that view's place in the graph; no values are written.
    """

    def method(self: Tensor, *args: Any) -> Tensor:
        view = fn(self, *args)
        if GRAD_STATE.enabled and self._requires_grad:
            if self.grad_fn is None:
                raise RuntimeError(f"{name}: {_LEAF_MESSAGE}")
            self.grad_fn, self._output_nr = view.grad_fn, view._output_nr
        self._data = view._data
        return self

    method.__doc__ = f"In-place (shape only) form of ``{name[:-1]}``."
    return tensor_method(method, name)
