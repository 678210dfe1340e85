"""Tensor creation: from data (``tensor``, ``as_tensor``, ``from_numpy``, DLPack), filled
(``zeros``, ``ones``, ``full``, ``arange``, ``linspace``, ``eye``) and random (``rand``,
``randn``, ``randint``, ``randperm``, ``normal``, ``bernoulli``, ``multinomial``), plus the
in-place fills used by ``nn.init`` (``uniform_``, ``normal_``, ``fill_`` ...).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from .. import _dtype
from .._device import to_device
from .._dtype import from_numpy_dtype, get_default_dtype, to_dtype
from .._tensor import Tensor
from ..autograd.function import Function
from ..autograd.grad_mode import GRAD_STATE
from ..random import Generator, _rng
from .inplace import _LEAF_MESSAGE, inplace
from .shape import _shape_arg

_make = Tensor._make


def _finish(data: np.ndarray, requires_grad: bool) -> Tensor:
    t = _make(data)
    if requires_grad:
        t.requires_grad_(True)
    return t


def _np_dtype(dtype: Any, default: _dtype.dtype | None = None) -> np.dtype:
    return to_dtype(dtype)._np if dtype is not None else (default or get_default_dtype())._np


def _infer_array(data: Any) -> np.ndarray:
    """An array for ``data`` with PyTorch's dtype inference (Python floats -> default float)."""
    if isinstance(data, Tensor):
        return data._data.copy()
    if isinstance(data, np.ndarray):
        from_numpy_dtype(data.dtype)
        return data.copy()
    if isinstance(data, np.generic):
        return np.array(data)
    if hasattr(data, "__dlpack__") and not isinstance(data, (list, tuple)):
        return np.from_dlpack(data).copy()
    arr = np.array(_unwrap(data))
    if arr.dtype == object:
        raise ValueError(
            f"tensor(): could not infer dtype of {type(data).__name__} (ragged or mixed data)"
        )
    kind = arr.dtype.kind
    if kind == "f":
        with np.errstate(over="ignore"):  # out-of-range Python floats become inf, as in torch
            return arr.astype(get_default_dtype()._np)
    if kind in "iu":
        return arr.astype(np.int64)
    if kind == "b":
        return arr
    raise TypeError(f"tensor(): could not infer dtype of {arr.dtype}")


def _unwrap(data: Any) -> Any:
    """Replace tensors nested in lists by Python numbers/lists."""
    if isinstance(data, Tensor):
        return data._data.tolist()
    if isinstance(data, (list, tuple)):
        return [_unwrap(d) for d in data]
    return data


def tensor(
    data: Any,
    dtype: Any = None,
    device: Any = None,
    requires_grad: bool = False,
    pin_memory: bool = False,
) -> Tensor:
    """A new tensor holding a copy of ``data`` (nested lists, numbers, arrays, tensors).

    >>> pybigml.tensor([[1, 2], [3, 4]]).dtype
    pybigml.int64
    """
    to_device(device)
    if dtype is not None and not isinstance(data, (Tensor, np.ndarray)):
        arr = np.array(_unwrap(data), dtype=to_dtype(dtype)._np)  # no detour through float32
    else:
        arr = _infer_array(data)
        if dtype is not None:
            arr = arr.astype(to_dtype(dtype)._np)
    return _finish(arr, requires_grad)


def as_tensor(data: Any, dtype: Any = None, device: Any = None) -> Tensor:
    """Like ``tensor`` but shares memory with a numpy array or tensor when the dtype allows."""
    to_device(device)
    if isinstance(data, Tensor):
        return data if dtype is None or to_dtype(dtype)._np == data._data.dtype else data.to(dtype)
    if isinstance(data, np.ndarray):
        from_numpy_dtype(data.dtype)
        if dtype is None or to_dtype(dtype)._np == data.dtype:
            return _make(data)
        return _make(data.astype(to_dtype(dtype)._np))
    return tensor(data, dtype=dtype)


asarray = as_tensor


def from_numpy(ndarray: np.ndarray) -> Tensor:
    """A tensor sharing memory with ``ndarray`` (writes are seen by both)."""
    if not isinstance(ndarray, np.ndarray):
        raise TypeError(f"expected np.ndarray (got {type(ndarray).__name__})")
    from_numpy_dtype(ndarray.dtype)
    return _make(ndarray)


def from_dlpack(ext_tensor: Any) -> Tensor:
    """A tensor sharing memory with any DLPack producer (numpy, PyTorch, CuPy on CPU ...)."""
    if isinstance(ext_tensor, Tensor):
        return ext_tensor
    arr = np.from_dlpack(ext_tensor)
    from_numpy_dtype(arr.dtype)
    return _make(arr)


def _filled(size: tuple, value: Any, dtype: Any, requires_grad: bool, device: Any) -> Tensor:
    to_device(device)
    shape = _shape_arg(size)
    if any(s < 0 for s in shape):
        raise RuntimeError(f"Trying to create tensor with negative dimension: {list(shape)}")
    return _finish(np.full(shape, value, dtype=_np_dtype(dtype)), requires_grad)


def zeros(
    *size: Any,
    dtype: Any = None,
    device: Any = None,
    requires_grad: bool = False,
    out: Any = None,
    layout: Any = None,
) -> Tensor:
    return _filled(size, 0, dtype, requires_grad, device)


def ones(
    *size: Any,
    dtype: Any = None,
    device: Any = None,
    requires_grad: bool = False,
    out: Any = None,
    layout: Any = None,
) -> Tensor:
    return _filled(size, 1, dtype, requires_grad, device)


def empty(
    *size: Any,
    dtype: Any = None,
    device: Any = None,
    requires_grad: bool = False,
    out: Any = None,
    layout: Any = None,
    memory_format: Any = None,
    pin_memory: bool = False,
) -> Tensor:
    to_device(device)
    return _finish(np.empty(_shape_arg(size), dtype=_np_dtype(dtype)), requires_grad)


def full(
    size: Sequence[int],
    fill_value: Any,
    *,
    dtype: Any = None,
    device: Any = None,
    requires_grad: bool = False,
    out: Any = None,
    layout: Any = None,
) -> Tensor:
    if dtype is None:
        if isinstance(fill_value, Tensor):
            fill_value = fill_value.item()
        dtype = _dtype.default_dtype_for_category(_dtype.scalar_category(fill_value))
    return _filled(
        (tuple(size),) if not isinstance(size, int) else (size,),
        fill_value,
        dtype,
        requires_grad,
        device,
    )


def _like(input: Tensor, dtype: Any) -> _dtype.dtype:
    return to_dtype(dtype) if dtype is not None else input.dtype


def zeros_like(
    input: Tensor,
    *,
    dtype: Any = None,
    device: Any = None,
    requires_grad: bool = False,
    memory_format: Any = None,
    layout: Any = None,
) -> Tensor:
    return zeros(input._data.shape, dtype=_like(input, dtype), requires_grad=requires_grad)


def ones_like(
    input: Tensor,
    *,
    dtype: Any = None,
    device: Any = None,
    requires_grad: bool = False,
    memory_format: Any = None,
    layout: Any = None,
) -> Tensor:
    return ones(input._data.shape, dtype=_like(input, dtype), requires_grad=requires_grad)


def empty_like(
    input: Tensor,
    *,
    dtype: Any = None,
    device: Any = None,
    requires_grad: bool = False,
    memory_format: Any = None,
    layout: Any = None,
) -> Tensor:
    return empty(input._data.shape, dtype=_like(input, dtype), requires_grad=requires_grad)


def full_like(
    input: Tensor,
    fill_value: Any,
    *,
    dtype: Any = None,
    device: Any = None,
    requires_grad: bool = False,
    memory_format: Any = None,
    layout: Any = None,
) -> Tensor:
    return full(
        input._data.shape, fill_value, dtype=_like(input, dtype), requires_grad=requires_grad
    )


def arange(
    start: Any,
    end: Any = None,
    step: Any = 1,
    *,
    dtype: Any = None,
    device: Any = None,
    requires_grad: bool = False,
    out: Any = None,
) -> Tensor:
    """Values from ``start`` to ``end`` (exclusive) by ``step``: ``ceil((end-start)/step)`` of them."""
    to_device(device)
    if end is None:
        start, end = 0, start
    start, end, step = (x.item() if isinstance(x, Tensor) else x for x in (start, end, step))
    if step == 0:
        raise RuntimeError("arange: step must be nonzero")
    if (end - start) * step < 0:
        raise RuntimeError(
            f"arange: upper bound and larger bound inconsistent with step sign (start={start}, end={end}, step={step})"
        )
    if dtype is None:
        is_float = any(isinstance(x, float) for x in (start, end, step))
        dtype = get_default_dtype() if is_float else _dtype.int64
    n = max(math.ceil((end - start) / step), 0)
    values = start + step * np.arange(
        n, dtype=np.float64 if to_dtype(dtype).is_floating_point else np.int64
    )
    return _finish(values.astype(to_dtype(dtype)._np), requires_grad)


def linspace(
    start: Any,
    end: Any,
    steps: int,
    *,
    dtype: Any = None,
    device: Any = None,
    requires_grad: bool = False,
    out: Any = None,
) -> Tensor:
    to_device(device)
    if steps < 0:
        raise RuntimeError("linspace: number of steps must be non-negative")
    return _finish(
        np.linspace(start, end, steps, dtype=np.float64).astype(_np_dtype(dtype)), requires_grad
    )


def logspace(
    start: Any,
    end: Any,
    steps: int,
    base: float = 10.0,
    *,
    dtype: Any = None,
    device: Any = None,
    requires_grad: bool = False,
) -> Tensor:
    return _finish(
        np.logspace(start, end, steps, base=base).astype(_np_dtype(dtype)), requires_grad
    )


def eye(
    n: int,
    m: int | None = None,
    *,
    dtype: Any = None,
    device: Any = None,
    requires_grad: bool = False,
    out: Any = None,
) -> Tensor:
    to_device(device)
    return _finish(np.eye(n, n if m is None else m, dtype=_np_dtype(dtype)), requires_grad)


# ----------------------------------------------------------------------------- random
def _float_dtype(dtype: Any, op: str) -> np.dtype:
    d = _np_dtype(dtype)
    if d.kind != "f":
        raise RuntimeError(f"\"{op}\" not implemented for '{from_numpy_dtype(d).name}'")
    return d


def _sample(
    draw: str, size: tuple, generator: Any, dtype: Any, device: Any, requires_grad: bool
) -> Tensor:
    """Floats from the generator's ``draw`` method ("random" or "standard_normal")."""
    to_device(device)
    d = _float_dtype(dtype, "rand" if draw == "random" else "randn")
    method = getattr(_rng(generator), draw)
    data = method(_shape_arg(size), dtype=np.float32 if d == np.float16 else d)
    return _finish(data.astype(d, copy=False), requires_grad)


def rand(
    *size: Any,
    generator: Generator | None = None,
    dtype: Any = None,
    device: Any = None,
    requires_grad: bool = False,
    out: Any = None,
) -> Tensor:
    """Uniform samples on [0, 1)."""
    return _sample("random", size, generator, dtype, device, requires_grad)


def randn(
    *size: Any,
    generator: Generator | None = None,
    dtype: Any = None,
    device: Any = None,
    requires_grad: bool = False,
    out: Any = None,
) -> Tensor:
    """Standard normal samples."""
    return _sample("standard_normal", size, generator, dtype, device, requires_grad)


def randint(
    low: int,
    high: Any = None,
    size: Any = None,
    *,
    generator: Generator | None = None,
    dtype: Any = None,
    device: Any = None,
    requires_grad: bool = False,
) -> Tensor:
    """Integers uniform on [low, high); ``randint(high, size)`` takes low = 0."""
    to_device(device)
    if size is None:
        low, high, size = 0, low, high
    if size is None:
        raise TypeError("randint() missing required argument 'size'")
    if high <= low:
        raise RuntimeError(
            f"random_ expects 'from' to be less than 'to', but got from={low} >= to={high}"
        )
    data = _rng(generator).integers(low, high, size=tuple(size))
    return _finish(data.astype(_np_dtype(dtype, _dtype.int64)), requires_grad)


def randperm(
    n: int,
    *,
    generator: Generator | None = None,
    dtype: Any = None,
    device: Any = None,
    requires_grad: bool = False,
) -> Tensor:
    to_device(device)
    return _finish(
        _rng(generator).permutation(n).astype(_np_dtype(dtype, _dtype.int64)), requires_grad
    )


def rand_like(
    input: Tensor,
    *,
    dtype: Any = None,
    device: Any = None,
    requires_grad: bool = False,
    memory_format: Any = None,
) -> Tensor:
    return rand(input._data.shape, dtype=_like(input, dtype), requires_grad=requires_grad)


def randn_like(
    input: Tensor,
    *,
    dtype: Any = None,
    device: Any = None,
    requires_grad: bool = False,
    memory_format: Any = None,
) -> Tensor:
    return randn(input._data.shape, dtype=_like(input, dtype), requires_grad=requires_grad)


def randint_like(
    input: Tensor,
    low: int = 0,
    high: Any = None,
    *,
    dtype: Any = None,
    device: Any = None,
    requires_grad: bool = False,
) -> Tensor:
    if high is None:
        low, high = 0, low
    return randint(
        low, high, tuple(input._data.shape), dtype=_like(input, dtype), requires_grad=requires_grad
    )


def normal(
    mean: Any = 0.0,
    std: Any = 1.0,
    size: Any = None,
    *,
    generator: Generator | None = None,
    dtype: Any = None,
    out: Any = None,
) -> Tensor:
    """Normal samples; ``mean``/``std`` may be tensors (broadcast) or numbers with ``size``."""
    m = mean._data if isinstance(mean, Tensor) else mean
    s = std._data if isinstance(std, Tensor) else std
    shape = tuple(size) if size is not None else np.broadcast_shapes(np.shape(m), np.shape(s))
    ref = mean if isinstance(mean, Tensor) else std if isinstance(std, Tensor) else None
    d = ref._data.dtype if ref is not None else _np_dtype(dtype)
    return _make((m + s * _rng(generator).standard_normal(shape)).astype(d))


def bernoulli(input: Tensor, p: Any = None, *, generator: Generator | None = None) -> Tensor:
    """1 with probability ``input`` (or ``p``), else 0; same dtype as ``input``."""
    prob = input._data if p is None else p
    draws = _rng(generator).random(input._data.shape)
    return _make((draws < prob).astype(input._data.dtype))


def multinomial(
    input: Tensor,
    num_samples: int,
    replacement: bool = False,
    *,
    generator: Generator | None = None,
) -> Tensor:
    """Draw category indices with the (unnormalised) row probabilities of ``input``."""
    probs = input._data.astype(np.float64)
    if probs.ndim not in (1, 2):
        raise RuntimeError(f"prob_dist must be 1 or 2 dim (got {probs.ndim})")
    if np.any(probs < 0) or not np.all(np.isfinite(probs)):
        raise RuntimeError("probability tensor contains either `inf`, `nan` or element < 0")
    rows = probs.reshape(-1, probs.shape[-1])
    rng = _rng(generator)
    out = np.empty((rows.shape[0], num_samples), np.int64)
    for i, row in enumerate(rows):
        total = row.sum()
        if total <= 0:
            raise RuntimeError("invalid multinomial distribution (sum of probabilities <= 0)")
        if not replacement and num_samples > np.count_nonzero(row):
            raise RuntimeError(
                "cannot sample n_sample > prob_dist.size(-1) samples without replacement"
            )
        out[i] = rng.choice(row.shape[0], size=num_samples, replace=replacement, p=row / total)
    return _make(out.reshape(probs.shape[:-1] + (num_samples,)))


# ----------------------------------------------------------------------------- x.new_*
# New tensors in ``self``'s dtype unless told otherwise (``x.new_zeros(2, 3)``).
def new_tensor(
    self: Tensor, data: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False
) -> Tensor:
    return tensor(data, dtype=dtype or self.dtype, device=device, requires_grad=requires_grad)


def new_zeros(
    self: Tensor, *size: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False
) -> Tensor:
    return zeros(*size, dtype=dtype or self.dtype, device=device, requires_grad=requires_grad)


def new_ones(
    self: Tensor, *size: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False
) -> Tensor:
    return ones(*size, dtype=dtype or self.dtype, device=device, requires_grad=requires_grad)


def new_full(
    self: Tensor,
    size: Any,
    fill_value: Any,
    dtype: Any = None,
    device: Any = None,
    requires_grad: bool = False,
) -> Tensor:
    return full(
        size, fill_value, dtype=dtype or self.dtype, device=device, requires_grad=requires_grad
    )


def new_empty(
    self: Tensor, *size: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False
) -> Tensor:
    return empty(*size, dtype=dtype or self.dtype, device=device, requires_grad=requires_grad)


def new(self: Tensor, *args: Any) -> Tensor:
    """Legacy constructor: ``x.new(data)`` or ``x.new(*sizes)`` in ``x``'s dtype."""
    if len(args) == 1 and not isinstance(args[0], int):
        return new_tensor(self, args[0])
    return new_empty(self, args)


# ----------------------------------------------------------------------------- in-place fills
def _fill(self: Tensor, values: Any) -> Tensor:
    """Overwrite ``self`` with values that carry no gradient (initialisers, ``fill_``)."""
    if GRAD_STATE.enabled and self._requires_grad and self.grad_fn is None:
        raise RuntimeError(_LEAF_MESSAGE)
    self._data[...] = values
    self._vc[0] += 1
    if GRAD_STATE.enabled and self.grad_fn is not None:
        self.grad_fn = None  # the old values no longer influence the tensor
        self._requires_grad = False
    return self


def fill_(self: Tensor, value: Any) -> Tensor:
    return _fill(self, value.item() if isinstance(value, Tensor) else value)


def zero_(self: Tensor) -> Tensor:
    return _fill(self, 0)


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


def uniform_(
    self: Tensor, a: float = 0.0, b: float = 1.0, *, generator: Generator | None = None
) -> Tensor:
    return _fill(self, _rng(generator).uniform(a, b, self._data.shape))


def normal_(
    self: Tensor, mean: float = 0.0, std: float = 1.0, *, generator: Generator | None = None
) -> Tensor:
    return _fill(self, mean + std * _rng(generator).standard_normal(self._data.shape))


def bernoulli_(self: Tensor, p: float = 0.5, *, generator: Generator | None = None) -> Tensor:
    return _fill(self, _rng(generator).random(self._data.shape) < p)


def exponential_(self: Tensor, lambd: float = 1.0, *, generator: Generator | None = None) -> Tensor:
    return _fill(self, _rng(generator).exponential(1.0 / lambd, self._data.shape))


def random_(
    self: Tensor, from_: int = 0, to: int | None = None, *, generator: Generator | None = None
) -> Tensor:
    if to is None:
        from_, to = 0, from_ if from_ else 2**24
    return _fill(self, _rng(generator).integers(from_, to, self._data.shape))


class CopyFrom(Function):
    """The values of ``src`` broadcast to ``shape`` in ``dtype``;  backward: to src (summed)."""

    @staticmethod
    def forward(ctx, src, shape, dtype):
        data = src._data if isinstance(src, Tensor) else np.asarray(src)
        return _make(np.broadcast_to(data, shape).astype(dtype, copy=True))

    @staticmethod
    def backward(ctx, grad):
        return grad, None, None


def _copy_values(self: Tensor, src: Any, non_blocking: bool = False) -> Tensor:
    if isinstance(src, Tensor):
        try:
            np.broadcast_shapes(src._data.shape, self._data.shape)
        except ValueError:
            raise RuntimeError(
                f"copy_: the size of tensor src {list(src._data.shape)} must be broadcastable to "
                f"the destination shape {list(self._data.shape)}"
            ) from None
    return CopyFrom.apply(src, self._data.shape, self._data.dtype)


_copy_inplace = inplace(_copy_values, "copy_")


def copy_(self: Tensor, src: Any, non_blocking: bool = False) -> Tensor:
    """Copy ``src`` (broadcast, any dtype) into ``self``; gradients flow to ``src``."""
    if isinstance(src, Tensor) and src._data.dtype != self._data.dtype:
        # any dtype converts on copy (unlike arithmetic in-place ops)
        src = src.to(self.dtype) if src._data.dtype.kind == "f" or not src._requires_grad else src
        if src._data.dtype != self._data.dtype:
            src = _make(src._data.astype(self._data.dtype))
    return _copy_inplace(self, src)


__all__ = [
    "arange",
    "as_tensor",
    "asarray",
    "bernoulli",
    "empty",
    "empty_like",
    "eye",
    "from_dlpack",
    "from_numpy",
    "full",
    "full_like",
    "linspace",
    "logspace",
    "multinomial",
    "normal",
    "ones",
    "ones_like",
    "rand",
    "rand_like",
    "randint",
    "randint_like",
    "randn",
    "randn_like",
    "randperm",
    "tensor",
    "zeros",
    "zeros_like",
]


def log_normal_(
    self: Tensor, mean: float = 1.0, std: float = 2.0, *, generator: Generator | None = None
) -> Tensor:
    """Fill with ``exp(N(mean, std^2))`` draws."""
    return _fill(self, np.exp(mean + std * _rng(generator).standard_normal(self._data.shape)))


def cauchy_(
    self: Tensor, median: float = 0.0, sigma: float = 1.0, *, generator: Generator | None = None
) -> Tensor:
    """Fill with Cauchy draws, ``median + sigma * tan(pi (u - 1/2))``."""
    u = _rng(generator).random(self._data.shape)
    return _fill(self, median + sigma * np.tan(np.pi * (u - 0.5)))


def geometric_(self: Tensor, p: float, *, generator: Generator | None = None) -> Tensor:
    """Fill with the number of Bernoulli(p) trials up to the first success (1, 2, ...)."""
    return _fill(self, _rng(generator).geometric(p, self._data.shape))
