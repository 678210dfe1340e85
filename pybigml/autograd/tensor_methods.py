"""The Tensor methods autograd provides: ``backward``, gradient hooks and ``retain_grad``.

They are functions of ``self`` bound onto ``Tensor`` by the method table
(:mod:`pybigml.ops.methods`); ``_tensor.py`` only holds the state they read
(``_hooks``, ``_post_acc_hooks``, ``grad_fn``, ``_output_nr``).
"""

from __future__ import annotations

import weakref
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from .._tensor import Tensor
from . import engine
from .hooks import RemovableHandle, add_hook


def backward(
    self: Tensor,
    gradient: Tensor | None = None,
    retain_graph: bool | None = None,
    create_graph: bool = False,
    inputs: Any = None,
) -> None:
    """Accumulate d(self)/d(leaf) into every leaf's ``.grad`` (see ``autograd.backward``)."""
    engine.backward(self, gradient, retain_graph, create_graph, inputs=inputs)


def register_hook(self: Tensor, hook: Callable) -> RemovableHandle:
    """Call ``hook(grad)`` when this tensor's gradient is computed; it may return a new grad."""
    if not self._requires_grad:
        raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
    if self.grad_fn is not None:
        return self.grad_fn._add_tensor_hook(self._output_nr, hook)
    if self._hooks is None:
        self._hooks = OrderedDict()
    return add_hook(self._hooks, hook)


def register_post_accumulate_grad_hook(self: Tensor, hook: Callable) -> RemovableHandle:
    """Call ``hook(tensor)`` after a gradient was accumulated into this leaf's ``.grad``."""
    if self.grad_fn is not None:
        raise RuntimeError("post accumulate grad hooks cannot be registered on non-leaf tensors")
    if self._post_acc_hooks is None:
        self._post_acc_hooks = OrderedDict()
    return add_hook(self._post_acc_hooks, hook)


def retain_grad(self: Tensor) -> None:
    """Populate ``.grad`` for this non-leaf tensor during backward."""
    if not self._requires_grad:
        raise RuntimeError("can't retain_grad on Tensor that has requires_grad=False")
    if self.grad_fn is None:
        return
    fn = self.grad_fn
    if fn._retain is None:
        fn._retain = {}
    fn._retain[self._output_nr] = weakref.ref(self)


def retains_grad(self: Tensor) -> bool:
    """Whether backward populates ``.grad`` of this non-leaf (``retain_grad`` was called)."""
    fn = self.grad_fn
    return fn is not None and bool(fn._retain) and self._output_nr in fn._retain
