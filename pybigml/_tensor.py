"""The ``Tensor``: one array plus what autograd needs to know about it.

Storage is one array of a backend (``t._data``: a ``numpy.ndarray`` on "cpu"); shape tricks
(views, transposes, broadcasting, slicing) are views of it, so a view and its base share
memory and a *version counter* (``t._vc``, a one-element list bumped by every in-place
write). Autograd state is ``requires_grad``, ``grad``, ``grad_fn`` (the graph node that made
this tensor) and ``_output_nr`` (which output of that node it is).

This module imports nothing above ``pybigml.backend``: everything that computes — the math,
conversions, ``backward`` and hooks — lives in ``pybigml.ops`` and ``pybigml.autograd``, and
the method table ``pybigml.ops.methods`` binds it onto this class as methods and operators,
so this file stays about what a tensor *is*. ``pybigml/_tensor.pyi`` lists the whole class
with signatures for editors and type checkers (``python -m pybigml.ops.tensor_stub``).
"""

from __future__ import annotations

import sys
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

import numpy as np

from . import _device, _dtype, backend
from ._device import to_device
from ._dtype import from_numpy_dtype
from ._repr import tensor_repr

_new = object.__new__
_is_array = backend.is_array


class Size(tuple):
    """A tensor's shape: a tuple of ints (``torch.Size``)."""

    def numel(self) -> int:
        n = 1
        for s in self:
            n *= s
        return n

    def __repr__(self) -> str:
        return f"pybigml.Size({list(self)})"

    def __getitem__(self, item: Any) -> Any:
        r = tuple.__getitem__(self, item)
        return Size(r) if isinstance(item, slice) else r

    def __add__(self, other: tuple) -> Size:
        return Size(tuple.__add__(self, tuple(other)))

    def __radd__(self, other: tuple) -> Size:
        return Size(tuple(other) + tuple(self))


class Tensor:
    """A multi-dimensional array that records the operations applied to it.

    Example::

        >>> x = pybigml.tensor([1.0, 2.0, 3.0], requires_grad=True)
        >>> (x * x).sum().backward()
        >>> x.grad
        tensor([2., 4., 6.])
    """

    # Every tensor sets the first three; the rest keep their class-level default until an
    # op or the user sets one (stored in the instance dict), so creating a tensor — the
    # most frequent thing pybigml does — costs three attribute writes.
    __slots__ = ("_data", "_requires_grad", "_vc", "__dict__", "__weakref__")
    _data: Any  # the array: numpy.ndarray on "cpu"
    _requires_grad: bool
    _vc: list[int]  # the version counter, shared with every view of the same memory

    grad: Tensor | None = None
    grad_fn: Any = None
    _output_nr: int = 0
    _base: Tensor | None = None  # the tensor whose memory a view looks at
    _acc: Any = None  # a leaf's AccumulateGrad node
    _hooks: OrderedDict | None = None  # a leaf's gradient hooks, by handle id
    _post_acc_hooks: OrderedDict | None = None
    _view_version: int = 0  # views only: the version their grad_fn was derived at

    __array_priority__ = 1000  # numpy defers to Tensor's reflected operators

    def __init__(self, *args: Any, dtype: Any = None, device: Any = None) -> None:
        """Legacy constructor: ``Tensor(data)`` or ``Tensor(*sizes)`` (uninitialised), float."""
        to_device(device)
        d = _dtype.to_dtype(dtype)._np if dtype is not None else _dtype.get_default_dtype()._np
        if len(args) == 1 and not isinstance(args[0], (int, np.integer)):
            arg = args[0]
            data = np.array(arg._data if isinstance(arg, Tensor) else arg, dtype=d)
        else:
            data = np.empty(tuple(int(a) for a in args), dtype=d)
        Tensor._init(self, data, False)

    @staticmethod
    def _init(t: Tensor, data: np.ndarray, requires_grad: bool) -> None:
        t._data = data
        t._requires_grad = requires_grad
        t._vc = [0]

    @staticmethod
    def _make(data: Any, requires_grad: bool = False) -> Tensor:
        """Wrap an array as a new tensor (no copy, no checks): the ops' constructor.

        Arrays of any backend are kept as they are; anything else (a numpy scalar, say)
        becomes a numpy array. The first test is the common case, made without a call.
        """
        if type(data) is not np.ndarray and not _is_array(data):
            data = np.asarray(data)
        t = _new(Tensor)
        t._data = data
        t._requires_grad = requires_grad
        t._vc = [0]
        return t

    @staticmethod
    def _dtype_of(np_dtype: np.dtype) -> _dtype.dtype:
        return from_numpy_dtype(np_dtype)

    # ----------------------------------------------------------------- metadata
    @property
    def shape(self) -> Size:
        return Size(self._data.shape)

    def size(self, dim: int | None = None) -> Size | int:
        if dim is None:
            return Size(self._data.shape)
        return self._data.shape[_wrap_dim(dim, self._data.ndim, "size")]

    @property
    def dtype(self) -> _dtype.dtype:
        return from_numpy_dtype(self._data.dtype)

    @property
    def device(self) -> _device.device:
        """Where the tensor lives: the device of its array's backend."""
        return backend.of(self._data).device

    @property
    def is_cuda(self) -> bool:
        return backend.of(self._data).device.type == "cuda"

    @property
    def is_cpu(self) -> bool:
        return backend.of(self._data).device.type == "cpu"

    @property
    def ndim(self) -> int:
        return self._data.ndim

    def dim(self) -> int:
        return self._data.ndim

    ndimension = dim

    def numel(self) -> int:
        return self._data.size

    nelement = numel

    def element_size(self) -> int:
        return self._data.itemsize

    @property
    def itemsize(self) -> int:
        return self._data.itemsize

    @property
    def nbytes(self) -> int:
        return self._data.nbytes

    def stride(self, dim: int | None = None) -> tuple | int:
        """Strides in elements (numpy keeps bytes)."""
        item = self._data.itemsize
        strides = tuple(s // item for s in self._data.strides)
        return strides if dim is None else strides[_wrap_dim(dim, self._data.ndim, "stride")]

    def storage_offset(self) -> int:
        base = self._data
        while isinstance(base.base, np.ndarray):
            base = base.base
        start = self._data.__array_interface__["data"][0]
        return (start - base.__array_interface__["data"][0]) // self._data.itemsize

    def data_ptr(self) -> int:
        return self._data.__array_interface__["data"][0]

    def is_contiguous(self, memory_format: Any = None) -> bool:
        return self._data.flags.c_contiguous

    def is_floating_point(self) -> bool:
        return self._data.dtype.kind == "f"

    def is_complex(self) -> bool:
        return False

    @property
    def is_leaf(self) -> bool:
        return self.grad_fn is None

    @property
    def _version(self) -> int:
        return self._vc[0]

    def _bump_version(self) -> None:
        self._vc[0] += 1

    @property
    def is_sparse(self) -> bool:
        return False

    @property
    def layout(self) -> str:
        return "strided"

    # ----------------------------------------------------------------- autograd
    @property
    def requires_grad(self) -> bool:
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, value: bool) -> None:
        self.requires_grad_(value)

    def requires_grad_(self, requires_grad: bool = True) -> Tensor:
        if self.grad_fn is not None and not requires_grad:
            raise RuntimeError(
                "you can only change requires_grad flags of leaf variables. If you want to use "
                "a computed variable in a subgraph that doesn't require differentiation use "
                "var_no_grad = var.detach()."
            )
        if requires_grad and self._data.dtype.kind != "f":
            raise RuntimeError(
                f"only Tensors of floating point dtype can require gradients (got {self.dtype})"
            )
        self._requires_grad = bool(requires_grad)
        return self

    def detach(self) -> Tensor:
        """A tensor on the same memory and version counter, cut from the graph."""
        t = Tensor._make(self._data)
        t._vc = self._vc
        return t

    def detach_(self) -> Tensor:
        self.grad_fn = None
        self._requires_grad = False
        return self

    @property
    def data(self) -> Tensor:
        return self.detach()

    @data.setter
    def data(self, value: Tensor) -> None:
        self._data = value._data if isinstance(value, Tensor) else np.asarray(value)

    # ----------------------------------------------------------------- conversion
    def numpy(self, *, force: bool = False) -> np.ndarray:
        """The underlying array, sharing memory (like ``torch.Tensor.numpy``)."""
        if self._requires_grad and not force:
            raise RuntimeError(
                "Can't call numpy() on Tensor that requires grad. Use tensor.detach().numpy() instead."
            )
        return self._data

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        if dtype is None or np.dtype(dtype) == self._data.dtype:
            return self._data.copy() if copy else self._data
        return self._data.astype(dtype)

    def item(self) -> Any:
        if self._data.size != 1:
            raise RuntimeError(
                f"a Tensor with {self._data.size} elements cannot be converted to Scalar"
            )
        return self._data.reshape(()).item()

    def tolist(self) -> Any:
        return self._data.tolist()

    def __dlpack__(self, stream: Any = None, **kwargs: Any) -> Any:
        if self._requires_grad:
            raise RuntimeError("Can't export tensors that require gradient, use tensor.detach()")
        return self._data.__dlpack__(stream=stream, **kwargs)

    def __dlpack_device__(self) -> tuple:
        return self._data.__dlpack_device__()

    # ----------------------------------------------------------------- Python protocol
    def __len__(self) -> int:
        if self._data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self._data.shape[0]

    def __iter__(self) -> Any:
        if self._data.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return iter(self.unbind(0))

    def __bool__(self) -> bool:
        if self._data.size != 1:
            raise RuntimeError(
                f"Boolean value of Tensor with {'no values' if self._data.size == 0 else 'more than one value'} "
                "is ambiguous"
            )
        return bool(self._data.reshape(()))

    def __float__(self) -> float:
        return float(self._scalar())

    def __int__(self) -> int:
        return int(self._scalar())

    def _scalar(self) -> Any:
        if self._data.size != 1:
            raise ValueError("only one element tensors can be converted to Python scalars")
        return self._data.reshape(()).item()

    def __index__(self) -> int:
        if self._data.dtype.kind not in "iub" or self._data.size != 1:
            raise TypeError("only integer tensors of a single element can be converted to an index")
        return int(self.item())

    def __complex__(self) -> complex:
        return complex(self.item())

    __hash__ = object.__hash__

    def __repr__(self) -> str:
        return tensor_repr(self)

    def __format__(self, spec: str) -> str:
        if self._data.ndim == 0:
            return self.item().__format__(spec)
        return object.__format__(self, spec)

    def __reduce_ex__(self, protocol: int) -> Any:
        return (_rebuild, (self._data.copy(), self._requires_grad))

    def __deepcopy__(self, memo: dict) -> Tensor:
        if self.grad_fn is not None:
            raise RuntimeError(
                "Only Tensors created explicitly by the user (graph leaves) support the "
                "deepcopy protocol at the moment."
            )
        t = type(self).__new__(type(self))
        Tensor._init(t, self._data.copy(), self._requires_grad)
        if self.grad is not None:
            t.grad = Tensor._make(self.grad._data.copy())
        memo[id(self)] = t
        return t


def _rebuild(data: np.ndarray, requires_grad: bool) -> Tensor:
    return Tensor._make(data, requires_grad)


def _wrap_dim(dim: int, ndim: int, op: str) -> int:
    """Turn a possibly negative ``dim`` into an index in ``[0, ndim)`` (a 0-d tensor has one)."""
    n = max(ndim, 1)
    if not -n <= dim < n:
        raise IndexError(
            f"{op}: Dimension out of range (expected to be in range of [{-n}, {n - 1}], but got {dim})"
        )
    return dim % n


def tensor_method(fn: Callable, name: str) -> Callable:
    """Name ``fn`` as the method ``Tensor.<name>`` and return it.

    For the functions that exist only as methods (operators, in-place forms): their
    ``__qualname__`` and their code's name become ``Tensor.<name>``, so a traceback through
    ``a @ b`` reads ``in Tensor.__matmul__`` whichever module the function was written in.
    """
    qualname = f"Tensor.{name}"
    code = fn.__code__.replace(co_name=qualname)
    if sys.version_info >= (3, 11):
        code = code.replace(co_qualname=qualname)
    fn.__code__ = code
    fn.__name__ = name
    fn.__qualname__ = qualname
    return fn
