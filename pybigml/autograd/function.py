"""Graph nodes and the public ``Function`` base class.

Every differentiable op is a ``Function`` subclass with ``forward`` and ``backward`` side by
side, exactly as ``torch.autograd.Function``. ``apply`` runs ``forward`` with grad mode off
and, when grad mode is on and some input requires grad, turns the ``ctx`` object into the
graph node of the outputs: ``ctx`` *is* the node (``y.grad_fn is ctx``).

A node knows:
  * ``next_functions`` — one ``(node, output_nr)`` edge per forward argument (``(None, 0)``
    for arguments that are not tensors requiring grad). A leaf's edge points at its
    ``AccumulateGrad`` node, which adds the incoming gradient into ``leaf.grad``.
  * ``_input_meta`` — shape and dtype of each differentiable input, so the engine can reduce
    a broadcast gradient back to the input's shape (``sum_to``) and keep its dtype.
  * ``_output_meta`` — shape and dtype of each output, to build zero gradients for outputs
    that received none.
  * the tensors saved by ``ctx.save_for_backward``, with the version of each at save time.
"""

from __future__ import annotations

import functools
import weakref
from collections import OrderedDict
from typing import Any

from .._tensor import Tensor
from .grad_mode import GRAD_STATE, no_grad
from .hooks import RemovableHandle, add_hook
from .views import refresh_view

_FREED_MESSAGE = (
    "Trying to backward through the graph a second time (or directly access saved tensors "
    "after they have already been freed). Saved intermediate values of the graph are freed "
    "when you call .backward() or autograd.grad(). Specify retain_graph=True if you need to "
    "backward through the graph a second time or if you need to access saved tensors after "
    "calling backward."
)


class Node:
    """A node of the backward graph (``tensor.grad_fn``)."""

    next_functions: tuple = ()
    _input_meta: tuple = ()
    _output_meta: tuple = ()
    # hooks by handle id (see autograd.hooks), created on the first registration
    _tensor_hooks: dict | None = None  # output_nr -> {id: hook(grad) -> grad | None}
    _retain: dict | None = None  # output_nr -> weakref to a tensor that retains its grad
    _post_hooks: OrderedDict | None = None  # {id: hook(grad_inputs, grad_outputs)}
    _pre_hooks: OrderedDict | None = None  # {id: hook(grad_outputs) -> grad_outputs | None}

    def name(self) -> str:
        """PyTorch's node names: ``MulBackward0`` for built-in ops, ``MyFnBackward`` for users'."""
        cls = type(self)
        if cls.__module__.startswith("pybigml.ops"):
            return f"{cls.__name__}Backward0"
        return f"{cls.__name__}Backward"

    def register_hook(self, hook: Any) -> RemovableHandle:
        """Run ``hook(grad_inputs, grad_outputs)`` after this node's backward."""
        if self._post_hooks is None:
            self._post_hooks = OrderedDict()
        return add_hook(self._post_hooks, hook)

    def register_prehook(self, hook: Any) -> RemovableHandle:
        """Run ``hook(grad_outputs)`` before this node's backward; it may return new grads."""
        if self._pre_hooks is None:
            self._pre_hooks = OrderedDict()
        return add_hook(self._pre_hooks, hook)

    def _add_tensor_hook(self, output_nr: int, hook: Any) -> RemovableHandle:
        """Run ``hook(grad)`` on the gradient of output ``output_nr`` (``Tensor.register_hook``)."""
        if self._tensor_hooks is None:
            self._tensor_hooks = {}
        hooks = self._tensor_hooks.get(output_nr)
        if hooks is None:
            hooks = self._tensor_hooks[output_nr] = OrderedDict()
        return add_hook(hooks, hook)

    def __repr__(self) -> str:
        return f"<{self.name()} object at {id(self):#x}>"


NO_EDGE = (None, 0)  # the edge of an input that needs no gradient, as in PyTorch


class AccumulateGrad(Node):
    """The node of a leaf tensor: adds the incoming gradient into ``variable.grad``.

    The leaf owns its node (``leaf._acc``) and the node refers back weakly, so a leaf and
    its node die together without a reference cycle.
    """

    def __init__(self, variable: Tensor) -> None:
        self._variable = weakref.ref(variable)

    @property
    def variable(self) -> Tensor | None:
        return self._variable()


class _SavedTensor:
    """One tensor saved for backward, with its version at save time.

    An output of the node itself is stored as a detached alias (same memory, same version
    counter) so the node does not hold a reference cycle through its own output; when
    unpacked under ``create_graph`` it is re-attached to the node so double backward sees it.
    """

    __slots__ = ("tensor", "version", "output_nr")

    def __init__(self, tensor: Tensor, output_nr: int = -1) -> None:
        self.tensor = tensor
        self.version = tensor._vc[0]
        self.output_nr = output_nr

    def unpack(self, node: Function) -> Tensor:
        t = self.tensor
        if t._vc[0] != self.version:
            if self.output_nr >= 0:
                origin = f", which is output {self.output_nr} of {node.name()},"
            elif t.grad_fn is not None:
                origin = f", which is output {t._output_nr} of {t.grad_fn.name()},"
            else:
                origin = ""
            raise RuntimeError(
                "one of the variables needed for gradient computation has been modified by an "
                f"inplace operation: [{t.type()} {list(t.shape)}]{origin} is at version "
                f"{t._vc[0]}; expected version {self.version} instead. (needed by {node.name()})"
            )
        if self.output_nr >= 0 and GRAD_STATE.enabled:
            out = Tensor._make(t._data, True)
            out._vc = t._vc
            out.grad_fn = node
            out._output_nr = self.output_nr
            return out
        return t


class FunctionCtx:
    """The context API available to ``forward``/``backward`` (mixed into ``Function``)."""

    _to_save: tuple | None = None
    _saved: tuple | None = None
    _freed: bool = False
    _dirty: tuple = ()
    _non_differentiable: tuple = ()
    _materialize_grads: bool = True
    needs_input_grad: tuple = ()

    def save_for_backward(self, *tensors: Tensor | None) -> None:
        self._to_save = tensors

    @property
    def saved_tensors(self) -> tuple:
        if self._freed:
            raise RuntimeError(_FREED_MESSAGE)
        saved = self._saved
        if saved is None:
            return self._to_save or ()
        return tuple(None if s is None else s.unpack(self) for s in saved)

    def mark_dirty(self, *tensors: Tensor) -> None:
        self._dirty = tensors

    def mark_non_differentiable(self, *tensors: Tensor) -> None:
        self._non_differentiable = tensors

    def set_materialize_grads(self, value: bool) -> None:
        self._materialize_grads = value


class Function(FunctionCtx, Node):
    """Base class of differentiable operations (same API as ``torch.autograd.Function``).

    Example::

        class Cube(pybigml.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                ctx.save_for_backward(x)
                return x * x * x

            @staticmethod
            def backward(ctx, grad):
                (x,) = ctx.saved_tensors
                return 3 * x * x * grad   # d(x^3)/dx = 3x^2

        y = Cube.apply(pybigml.tensor([2.0], requires_grad=True))
    """

    @staticmethod
    def forward(ctx: Any, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(
            "You must implement the forward function for custom autograd.Function."
        )

    @staticmethod
    def backward(ctx: Any, *grad_outputs: Any) -> Any:
        raise NotImplementedError(
            "You must implement the backward function for custom autograd.Function."
        )

    @classmethod
    def apply(cls, *args: Any, **kwargs: Any) -> Any:
        ctx = cls.__new__(cls)
        try:
            if GRAD_STATE.enabled:
                needs = tuple([isinstance(a, Tensor) and a._requires_grad for a in args])
                if True in needs:
                    ctx.needs_input_grad = needs
                    GRAD_STATE.enabled = False  # forward is not recorded, as in PyTorch
                    try:
                        out = cls.forward(ctx, *args, **kwargs)
                    finally:
                        GRAD_STATE.enabled = True
                    return _connect(ctx, args, needs, out)
            # nothing to record: no input requires grad, or grad mode is off
            return cls.forward(ctx, *args, **kwargs)
        except ValueError as error:
            if "could not be broadcast" in str(error):
                raise RuntimeError(_broadcast_message(cls, args)) from None
            raise

    def release(self) -> None:
        """Free what was saved for backward (called by the engine unless retain_graph)."""
        self._saved = None
        self._to_save = None
        self._freed = True


def _broadcast_message(cls: type, args: tuple) -> str:
    """PyTorch's message for operands whose shapes do not broadcast."""
    shapes = [a._data.shape for a in args if isinstance(a, Tensor)]
    if len(shapes) >= 2:
        a, b = shapes[0], shapes[1]
        for i in range(1, min(len(a), len(b)) + 1):
            if a[-i] != b[-i] and a[-i] != 1 and b[-i] != 1:
                return (
                    f"The size of tensor a ({a[-i]}) must match the size of tensor b ({b[-i]}) "
                    f"at non-singleton dimension {max(len(a), len(b)) - i}"
                )
    return f"{cls.__name__}: shapes {[list(s) for s in shapes]} cannot be broadcast together"


def _edge(t: Tensor) -> tuple:
    """The edge into the graph for tensor ``t`` (which requires grad)."""
    if t._base is not None and t._view_version != t._vc[0]:
        refresh_view(t)
    fn = t.grad_fn
    if fn is not None:
        return (fn, t._output_nr)
    acc = t._acc
    if acc is None:
        acc = t._acc = AccumulateGrad(t)
    return (acc, 0)


def _connect(ctx: Function, args: tuple, needs: tuple, out: Any) -> Any:
    """Make ``ctx`` the grad_fn of the outputs and record its edges and saved tensors.

    Returns the outputs; an input returned unchanged (and not marked dirty) is replaced by
    a new tensor sharing its memory, so the input keeps its own place in the graph.
    """
    edges = []
    in_meta = []
    returns_input = False
    for a, n in zip(args, needs):
        if n:
            edges.append(_edge(a))
            data = a._data
            in_meta.append((data.shape, data.dtype))
        else:
            edges.append(NO_EDGE)
            in_meta.append(None)
        if a is out:
            returns_input = True
    ctx.next_functions = tuple(edges)
    ctx._input_meta = tuple(in_meta)
    if type(out) is Tensor and not returns_input and not ctx._dirty and not ctx._non_differentiable:
        # the common case: one new output tensor
        data = out._data
        ctx._output_meta = ((data.shape, data.dtype),)
        if data.dtype.kind == "f":
            out.grad_fn = ctx
            out._requires_grad = True
        outputs = (out,)
    else:
        out, outputs = _connect_outputs(ctx, args, out)
    if ctx._to_save:
        _save(ctx, outputs)
    return out


def _connect_outputs(ctx: Function, args: tuple, out: Any) -> tuple:
    """The general case of ``_connect``: several outputs, dirty or non-differentiable ones."""
    single = not isinstance(out, tuple)
    outputs = (out,) if single else out
    dirty = ctx._dirty
    if any(isinstance(o, Tensor) and any(o is a for a in args) for o in outputs):
        outputs = tuple(
            _alias(o) if any(o is a for a in args) and not any(o is d for d in dirty) else o
            for o in outputs
        )
        out = outputs[0] if single else outputs
    meta = []
    non_diff = ctx._non_differentiable
    for i, o in enumerate(outputs):
        if not isinstance(o, Tensor):
            meta.append(None)
            continue
        meta.append((o._data.shape, o._data.dtype))
        if non_diff and any(o is nd for nd in non_diff):
            continue
        if any(o is d for d in dirty):
            if o.grad_fn is None and o._requires_grad:
                raise RuntimeError(
                    "a leaf Variable that requires grad is being used in an in-place operation."
                )
            o._vc[0] += 1
        if o._data.dtype.kind != "f":
            continue  # integer and bool outputs are never differentiable
        o.grad_fn = ctx
        o._output_nr = i
        o._requires_grad = True
    ctx._output_meta = tuple(meta)
    return out, outputs


def _save(ctx: Function, outputs: tuple) -> None:
    """Turn ``ctx.save_for_backward``'s tensors into version-checked saved tensors."""
    saved = []
    for t in ctx._to_save:
        if t is None:
            saved.append(None)
            continue
        nr = -1
        for i, o in enumerate(outputs):
            if o is t:
                nr = i
                break
        saved.append(_SavedTensor(_alias(t), nr) if nr >= 0 else _SavedTensor(t))
    ctx._saved = tuple(saved)
    ctx._to_save = None


def _alias(t: Tensor) -> Tensor:
    """A new tensor object on the same memory and version counter, outside any graph."""
    alias = Tensor._make(t._data)
    alias._vc = t._vc
    return alias


def once_differentiable(fn: Any) -> Any:
    """Decorate a ``backward`` that cannot itself be differentiated.

    Under ``create_graph=True`` the gradients it returns carry a node that raises a clear
    error if anything tries to backpropagate through them.
    """

    @functools.wraps(fn)
    def wrapper(ctx: Any, *grads: Any) -> Any:
        with no_grad():
            result = fn(ctx, *grads)
        if not GRAD_STATE.enabled:
            return result
        if not any(isinstance(g, Tensor) and g._requires_grad for g in grads):
            return result
        single = not isinstance(result, tuple)
        results = (result,) if single else result
        name = type(ctx).__name__
        wrapped = tuple(
            _DoubleBackwardError.apply(r, name, *grads) if isinstance(r, Tensor) else r
            for r in results
        )
        return wrapped[0] if single else wrapped

    return wrapper


class _DoubleBackwardError(Function):
    @staticmethod
    def forward(ctx: Any, x: Tensor, name: str, *grads: Tensor) -> Tensor:
        ctx.op = name
        return Tensor._make(x._data)

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Any:
        raise RuntimeError(
            f"trying to differentiate twice a function that was marked with "
            f"@once_differentiable ({ctx.op})"
        )
