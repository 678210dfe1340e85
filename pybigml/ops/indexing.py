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
from ..autograd.views import make_view
from .inplace import _snapshot, _write, apply_inplace

_make = Tensor._make


def _convert_key(key: Any) -> tuple:
    """The indexing *steps* for ``key``: a tuple of ``(numpy_key, is_basic)``.

    Basic keys (ints, slices, None, ...) are one basic step: a view. A key with tensors or
    lists is advanced. When it also holds integers, PyTorch applies the integers first (as
    ``select``) and then the advanced part, which differs from numpy where the integers join
    the advanced indices: ``x[1, :, [0, 2]]`` on a (2, 3, 4) tensor is (3, 2), not (2, 3).
    So such a key becomes two steps: the basic part, then the advanced part.
    """
    if not isinstance(key, tuple):
        key = (key,)
    out = []
    basic = True
    has_int = has_bool_scalar = False
    for k in key:
        if isinstance(k, Tensor):
            k = k._data
        elif isinstance(k, (list, range)):
            k = np.asarray(k)
            if k.size == 0:
                k = k.astype(np.int64)
        if isinstance(k, np.ndarray):
            if k.dtype.kind not in "biu":
                raise IndexError(
                    "tensors used as indices must be long, int, byte or bool tensors "
                    f"(got {k.dtype})"
                )
            basic = False
        elif isinstance(k, (bool, np.bool_)):
            basic = False
            has_bool_scalar = True
        elif isinstance(k, (int, np.integer)):
            k = int(k)
            has_int = True
        elif k is None or k is Ellipsis or isinstance(k, slice):
            if isinstance(k, slice) and k.step is not None and k.step <= 0:
                raise ValueError("step must be greater than zero")
        elif hasattr(k, "__index__"):
            k = k.__index__()
            has_int = True
        else:
            raise IndexError(
                "only integers, slices (`:`), ellipsis (`...`), None and long or byte "
                f"Variables are valid indices (got {type(k).__name__})"
            )
        out.append(k)
    if basic:
        if not any(k is Ellipsis for k in out):
            out.append(Ellipsis)  # keeps a full integer index a 0-d *view* instead of a scalar
        return ((tuple(out), True),)
    if not has_int or has_bool_scalar:
        return ((tuple(out), False),)
    first, second = [], []
    for k in out:
        if isinstance(k, np.ndarray):
            first.extend([slice(None)] * max(k.ndim if k.dtype == np.bool_ else 1, 1))
            second.append(k)
        elif isinstance(k, int):
            first.append(k)
        else:
            first.append(k)
            second.append(k if k is Ellipsis else slice(None))
    if not any(k is Ellipsis for k in first):
        first.append(Ellipsis)
    return ((tuple(first), True), (tuple(second), False))


def _index(x: np.ndarray, steps: tuple, op: str) -> np.ndarray:
    try:
        for key, _ in steps:
            x = x[key]
        return x
    except IndexError as e:
        raise IndexError(f"{op}: {e} (tensor of shape {list(x.shape)})") from None


def _is_view(steps: tuple) -> bool:
    return all(basic for _, basic in steps)


def _put(target: np.ndarray, steps: tuple, values: Any, accumulate: bool) -> None:
    """``target[steps] = values`` (``+=`` with repeats adding up when ``accumulate``)."""
    for key, _ in steps[:-1]:
        target = target[key]  # basic steps: views into target
    key, basic = steps[-1]
    if accumulate and not basic:
        np.add.at(target, key, values)
    elif accumulate:
        target[key] += values
    else:
        target[key] = values


class Index(Function):
    """y = x[key];  backward: zeros of x's shape with the gradient put (added) at key."""

    @staticmethod
    def forward(ctx, a, steps):
        ctx.in_shape = a._data.shape
        ctx.steps = steps
        r = _index(a._data, steps, "index")
        return make_view(a, r) if _is_view(steps) else _make(r)

    @staticmethod
    def backward(ctx, grad):
        return IndexPutZeros.apply(grad, ctx.in_shape, ctx.steps), None


class IndexPutZeros(Function):
    """z = zeros(shape); z[key] += g  — the adjoint of ``Index``."""

    @staticmethod
    def forward(ctx, g, shape, steps):
        ctx.steps = steps
        z = np.zeros(shape, g._data.dtype)
        _put(z, steps, g._data, accumulate=True)
        return _make(z)

    @staticmethod
    def backward(ctx, grad):
        return Index.apply(grad, ctx.steps), None, None


def getitem(input: Tensor, key: Any) -> Tensor:
    steps = _convert_key(key)
    if _is_view(steps) and not (GRAD_STATE.enabled and input._requires_grad):
        return make_view(input, _index(input._data, steps, "index"))
    return Index.apply(input, steps)


class IndexPut(Function):
    """y = x with y[key] = v;  dy/dx: the gradient with key's positions zeroed, dy/dv: grad[key]."""

    @staticmethod
    def forward(ctx, a, steps, value, accumulate):
        ctx.steps, ctx.accumulate = steps, accumulate
        v = value._data if isinstance(value, Tensor) else value
        ctx.value_shape = np.shape(v)
        out = a._data.copy()
        _put(out, steps, np.asarray(v, dtype=out.dtype) if accumulate else v, accumulate)
        return _make(out)

    @staticmethod
    def backward(ctx, grad):
        ga = gv = None
        if ctx.needs_input_grad[0]:
            ga = grad if ctx.accumulate else IndexPut.apply(grad, ctx.steps, 0.0, False)
        if ctx.needs_input_grad[2]:
            gv = Index.apply(grad, ctx.steps)
            shape = ctx.value_shape
            lead = gv._data.ndim - len(shape)
            if lead > 0:
                gv = gv.sum(dim=tuple(range(lead)))
            elif lead < 0:
                gv = gv.reshape((1,) * -lead + tuple(gv._data.shape))
        return ga, None, gv, None


def _value_for(target: Tensor, value: Any, op: str) -> Any:
    if isinstance(value, Tensor):
        return value
    if isinstance(value, (int, float, bool, np.generic)):
        return value
    return _make(np.asarray(value, dtype=target._data.dtype))


def setitem(input: Tensor, key: Any, value: Any) -> None:
    """``input[key] = value`` in place (value broadcast to the indexed shape)."""
    steps = _convert_key(key)
    value = _value_for(input, value, "setitem")
    v_grad = isinstance(value, Tensor) and value._requires_grad
    if GRAD_STATE.enabled and (input._requires_grad or v_grad):
        result = IndexPut.apply(_snapshot(input), steps, value, False)
        apply_inplace(input, result, "index_put_")
        return
    v = value._data if isinstance(value, Tensor) else value
    if not input._data.flags.writeable:
        raise RuntimeError(
            "setitem: unsupported operation: the tensor is an expanded view whose elements "
            "share memory; call .clone() before writing to it"
        )
    try:
        _put(input._data, steps, v, accumulate=False)
    except IndexError as e:
        raise IndexError(f"index_put_: {e} (tensor of shape {list(input._data.shape)})") from None
    except ValueError as e:
        raise RuntimeError(
            f"setitem: shape mismatch: value tensor of shape {list(np.shape(v))} cannot be "
            f"broadcast to indexing result ({e})"
        ) from None
    input._vc[0] += 1


def index_put(input: Tensor, indices: tuple, values: Any, accumulate: bool = False) -> Tensor:
    """Out-of-place ``input[indices] = values`` (or ``+=`` with ``accumulate=True``)."""
    steps = _convert_key(tuple(indices))
    return IndexPut.apply(input, steps, _value_for(input, values, "index_put"), accumulate)


def index_put_(input: Tensor, indices: tuple, values: Any, accumulate: bool = False) -> Tensor:
    source = _snapshot(input) if GRAD_STATE.enabled and input._requires_grad else input
    result = index_put(source, indices, values, accumulate)
    if GRAD_STATE.enabled and result._requires_grad:
        return apply_inplace(input, result, "index_put_")
    _write(input, result, "index_put_")
    return input
