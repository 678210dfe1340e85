"""``Parameter`` (a tensor a ``Module`` registers as a learnable weight), ``Buffer`` (one it
registers as state) and ``UninitializedParameter`` (the placeholder of lazy layers)."""

from __future__ import annotations

from typing import Any

from .._dtype import float32, get_default_dtype, to_dtype
from .._tensor import Tensor
from ..ops.creation import empty


class Parameter(Tensor):
    """A ``Tensor`` that ``Module.__setattr__`` registers in the module's parameters.

    ``Parameter(data)`` shares ``data``'s memory and version counter (no copy) and is a leaf
    of the graph that requires grad unless ``requires_grad=False``. Unlike a plain tensor it
    takes arbitrary attributes (``p.no_weight_decay = True``), as PyTorch's does.

    Args:
        data: the tensor to wrap; ``None`` gives an empty float tensor.
        requires_grad: whether the parameter requires gradient (default ``True``; not
            affected by ``no_grad``).

    Example::

        >>> w = nn.Parameter(pybigml.zeros(2, 3))
        >>> w.requires_grad, isinstance(w, pybigml.Tensor)
        (True, True)
    """

    def __init__(self, data: Tensor | None = None, requires_grad: bool = True) -> None:
        array = empty(0, dtype=float32)._data if data is None else data._data
        Tensor._init(self, array, False)
        if data is not None:
            self._vc = data._vc
        self.requires_grad_(requires_grad)

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()

    def __deepcopy__(self, memo: dict) -> Parameter:
        if id(self) in memo:
            return memo[id(self)]
        result = type(self)(Tensor._make(self._data.copy()), self.requires_grad)
        memo[id(self)] = result
        return result

    def __reduce_ex__(self, protocol: int) -> Any:
        return (type(self), (Tensor._make(self._data.copy()), self.requires_grad))


class _BufferMeta(type):
    # ``isinstance(t, Buffer)`` is True for the tensors ``Buffer(...)`` marked: a buffer stays
    # a plain Tensor, as in PyTorch.
    def __instancecheck__(cls, obj: Any) -> bool:
        return isinstance(obj, Tensor) and getattr(obj, "_is_buffer", False)


class Buffer(metaclass=_BufferMeta):
    """Marks a tensor to be registered as a buffer when assigned to a module attribute
    (``self.running = nn.Buffer(pybigml.zeros(3), persistent=False)``).

    Args:
        data: the tensor (detached); ``None`` gives an empty float tensor.
        persistent: whether it goes into ``state_dict``.
    """

    def __new__(cls, data: Tensor | None = None, *, persistent: bool = True) -> Tensor:  # type: ignore[misc]
        t = empty(0, dtype=float32) if data is None else data.detach()
        t._is_buffer = True
        t.persistent = persistent
        return t


class UninitializedParameter(Parameter):
    """A parameter whose shape is not known yet (lazy layers). ``materialize(shape)`` gives
    it its storage in place, so optimizers built before the first forward see the result."""

    cls_to_become = Parameter

    def __init__(self, requires_grad: bool = True, device: Any = None, dtype: Any = None) -> None:
        super().__init__(None, requires_grad)
        self._pending_dtype = get_default_dtype() if dtype is None else to_dtype(dtype)

    def materialize(self, shape: tuple[int, ...], device: Any = None, dtype: Any = None) -> None:
        dtype = self._pending_dtype if dtype is None else to_dtype(dtype)
        self._data = empty(tuple(shape), dtype=dtype)._data
        self.__class__ = self.cls_to_become

    def __repr__(self) -> str:
        return "<UninitializedParameter>"
