"""Indexing: ``x[key]`` and ``x[key] = value`` with PyTorch/numpy semantics.

A key may mix ints, slices (with steps), ``None``, ``...``, bool masks and integer tensors.
Basic keys (ints, slices, None, ...) give a view; any tensor or list in the key is advanced
indexing and gives a copy.

The two Functions are each other's adjoint: the gradient of ``Index`` scatters the incoming
gradient into zeros of the input's shape (adding where an advanced index repeats a
position), and the gradient of that scatter is ``Index`` again — so double backward works.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._tensor import Tensor
from ..autograd.function import Function
from ..autograd.grad_mode import GRAD_STATE
from .inplace import apply_inplace, _snapshot, _write
from .shape import _view

_make = Tensor._make


def _convert_key(key: Any) -> tuple[tuple, bool]:
    """The numpy key for ``key`` and whether it is basic (a view) or advanced (a copy)."""
    if not isinstance(key, tuple):
        key = (key,)
    out = []
    basic = True
    for k in key:
        if isinstance(k, Tensor):
            k = k._data
        elif isinstance(k, (list, range)):
            k = np.asarray(k)
            if k.size == 0:
                k = k.astype(np.int64)
        if isinstance(k, np.ndarray):
            if k.dtype.kind == "b":
                basic = False
            elif k.dtype.kind in "iu":
                basic = False
            else:
                raise IndexError(
                    "tensors used as indices must be long, int, byte or bool tensors "
                    f"(got {k.dtype})"
                )
        elif isinstance(k, (bool, np.bool_)):
            basic = False
        elif isinstance(k, (int, np.integer)):
            k = int(k)
        elif k is None or k is Ellipsis or isinstance(k, slice):
            if isinstance(k, slice) and k.step is not None and k.step <= 0:
                raise ValueError("step must be greater than zero")
        elif hasattr(k, "__index__"):
            k = k.__index__()
        else:
            raise IndexError(
                "only integers, slices (`:`), ellipsis (`...`), None and long or byte "
                f"Variables are valid indices (got {type(k).__name__})"
            )
        out.append(k)
    if basic and not any(k is Ellipsis for k in out):
        out.append(Ellipsis)  # keeps a full integer index a 0-d *view* instead of a scalar
    return tuple(out), basic


def _index(x: np.ndarray, key: tuple, op: str) -> np.ndarray:
    try:
        return x[key]
    except IndexError as e:
        raise IndexError(f"{op}: {e} (tensor of shape {list(x.shape)})") from None


class Index(Function):
    """y = x[key];  backward: zeros of x's shape with the gradient put (added) at key."""

    @staticmethod
    def forward(ctx, a, key, basic):
        ctx.in_shape = a._data.shape
        ctx.key, ctx.basic = key, basic
        r = _index(a._data, key, "index")
        return _view(a, r) if basic else _make(r)

    @staticmethod
    def backward(ctx, grad):
        return IndexPutZeros.apply(grad, ctx.in_shape, ctx.key, ctx.basic), None, None


class IndexPutZeros(Function):
    """z = zeros(shape); z[key] += g  — the adjoint of ``Index``."""

    @staticmethod
    def forward(ctx, g, shape, key, basic):
        ctx.key, ctx.basic = key, basic
        z = np.zeros(shape, g._data.dtype)
        if basic:
            z[key] = g._data
        else:
            np.add.at(z, key, g._data)
        return _make(z)

    @staticmethod
    def backward(ctx, grad):
        return Index.apply(grad, ctx.key, ctx.basic), None, None, None


def getitem(input: Tensor, key: Any) -> Tensor:
    np_key, basic = _convert_key(key)
    if basic and not (GRAD_STATE.enabled and input._requires_grad):
        return _view(input, _index(input._data, np_key, "index"))
    return Index.apply(input, np_key, basic)


class IndexPut(Function):
    """y = x with y[key] = v;  dy/dx: the gradient with key's positions zeroed, dy/dv: grad[key]."""

    @staticmethod
    def forward(ctx, a, key, basic, value, accumulate):
        ctx.key, ctx.basic, ctx.accumulate = key, basic, accumulate
        v = value._data if isinstance(value, Tensor) else value
        ctx.value_shape = np.shape(v)
        out = a._data.copy()
        if accumulate:
            np.add.at(out, key, np.asarray(v, dtype=out.dtype))
        else:
            out[key] = v
        return _make(out)

    @staticmethod
    def backward(ctx, grad):
        ga = gv = None
        if ctx.needs_input_grad[0]:
            ga = grad if ctx.accumulate else IndexPut.apply(grad, ctx.key, ctx.basic, 0.0, False)
        if ctx.needs_input_grad[3]:
            gv = Index.apply(grad, ctx.key, ctx.basic)
            shape = ctx.value_shape
            if gv._data.ndim < len(shape) and gv._data.size == int(np.prod(shape)):
                gv = gv.reshape(shape)
            elif gv._data.ndim > len(shape):
                lead = gv._data.ndim - len(shape)
                gv = gv.sum(dim=tuple(range(lead))) if lead else gv
        return ga, None, None, gv, None


def _value_for(target: Tensor, value: Any, op: str) -> Any:
    if isinstance(value, Tensor):
        return value
    if isinstance(value, (int, float, bool, np.generic)):
        return value
    return _make(np.asarray(value, dtype=target._data.dtype))


def setitem(input: Tensor, key: Any, value: Any) -> None:
    """``input[key] = value`` in place (value broadcast to the indexed shape)."""
    np_key, basic = _convert_key(key)
    value = _value_for(input, value, "setitem")
    v_grad = isinstance(value, Tensor) and value._requires_grad
    if GRAD_STATE.enabled and (input._requires_grad or v_grad):
        result = IndexPut.apply(_snapshot(input), np_key, basic, value, False)
        apply_inplace(input, result, "index_put_")
        return
    v = value._data if isinstance(value, Tensor) else value
    try:
        input._data[np_key] = v
    except IndexError as e:
        raise IndexError(f"index_put_: {e} (tensor of shape {list(input._data.shape)})") from None
    except ValueError as e:
        if not input._data.flags.writeable:
            raise RuntimeError(
                "setitem: unsupported operation: the tensor is an expanded view whose elements "
                "share memory; call .clone() before writing to it"
            ) from None
        raise RuntimeError(
            f"setitem: shape mismatch: value tensor of shape {list(np.shape(v))} cannot be "
            f"broadcast to indexing result ({e})"
        ) from None
    input._vc[0] += 1


def index_put(input: Tensor, indices: tuple, values: Any, accumulate: bool = False) -> Tensor:
    """Out-of-place ``input[indices] = values`` (or ``+=`` with ``accumulate=True``)."""
    np_key, basic = _convert_key(tuple(indices))
    return IndexPut.apply(input, np_key, basic, _value_for(input, values, "index_put"), accumulate)


def index_put_(input: Tensor, indices: tuple, values: Any, accumulate: bool = False) -> Tensor:
    result = index_put(_snapshot(input) if input._requires_grad else input, indices, values, accumulate)
    if GRAD_STATE.enabled and result._requires_grad:
        return apply_inplace(input, result, "index_put_")
    _write(input, result, "index_put_")
    return input
