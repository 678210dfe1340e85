"""``Parameter``: a tensor that a ``Module`` registers as one of its learnable weights."""

from __future__ import annotations

from typing import Any

import numpy as np

from .._tensor import Tensor


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
        array = np.empty(0, dtype=np.float32) if data is None else data._data
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
