"""The backward engine: reverse-mode differentiation over the recorded graph.

``backward`` (accumulate into the leaves' ``.grad``) and ``grad`` (return the gradients) are
the public entry points, re-exported as ``pybigml.autograd.backward`` / ``.grad``; both run
``run_backward``.

``run_backward`` is iterative (an explicit ready-list, no recursion), so a graph of any
depth — a 10,000-step RNN — is fine. It

1. finds every node reachable from the roots and counts, for each node, how many edges
   point into it (its dependencies);
2. with ``inputs`` (``autograd.grad`` or ``backward(inputs=...)``), keeps only the nodes
   from which some input can be reached;
3. runs a node once all of its dependencies have delivered their gradients — reverse
   topological order — summing the gradients that arrive at the same output;
4. reduces each gradient to the shape of the input it flows into (``sum_to``: broadcasting
   in the forward pass is a sum in the backward pass) and casts it to the input's dtype.

Gradient accumulation convention: a leaf's gradient is added into ``leaf.grad`` by ``+=``
(a fresh tensor the first time); ``zero_grad`` sets ``.grad`` to ``None``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from .. import backend
from .._tensor import Tensor
from .function import AccumulateGrad, Function, Node, _edge
from .grad_mode import GRAD_STATE


def sum_to(grad: Tensor, shape: tuple) -> Tensor:
    """Sum ``grad`` down to ``shape`` — the adjoint of broadcasting ``shape`` to ``grad.shape``."""
    gshape = grad._data.shape
    if gshape == shape:
        return grad
    lead = len(gshape) - len(shape)
    if lead < 0:
        raise RuntimeError(f"gradient of shape {tuple(gshape)} cannot be reduced to shape {shape}")
    dims = list(range(lead))
    for i, n in enumerate(shape):
        if n == 1 and gshape[lead + i] != 1:
            dims.append(lead + i)
        elif n != gshape[lead + i]:
            raise RuntimeError(
                f"gradient of shape {tuple(gshape)} is not broadcast-compatible with the "
                f"input's shape {shape}"
            )
    if dims:
        grad = grad.sum(dim=tuple(dims), keepdim=True)
    if lead:
        grad = grad.reshape(shape)
    return grad


def _zeros(meta: tuple) -> Tensor:
    shape, dtype = meta
    return Tensor._make(np.zeros(shape, dtype))


def _call_tensor_hooks(node: Node, grads: list) -> None:
    hooks = node._tensor_hooks
    if hooks:
        for nr, fns in hooks.items():
            for fn in list(fns.values()):
                if grads[nr] is None:
                    break
                res = fn(grads[nr])
                if res is not None:
                    grads[nr] = res
    retain = node._retain
    if retain:
        for nr, ref in retain.items():
            t = ref()
            if t is not None and grads[nr] is not None:
                g = grads[nr]
                if t.grad is None:
                    t.grad = Tensor._make(g._data.copy()) if not GRAD_STATE.enabled else g
                else:
                    t.grad = t.grad + g


def _accumulate(node: AccumulateGrad, grad: Tensor, create_graph: bool) -> None:
    t = node.variable
    if t is None:
        return  # the leaf is gone: nobody can read its gradient
    if t._hooks:
        for fn in list(t._hooks.values()):
            res = fn(grad)
            if res is not None:
                grad = res
    if t.grad is None:
        # Copy unless building a graph: the same gradient object may flow into several
        # leaves, and each .grad is later updated in place.
        t.grad = grad if create_graph else Tensor._make(grad._data.copy())
    elif create_graph or t.grad._requires_grad:
        t.grad = t.grad + grad
    else:
        np.add(t.grad._data, grad._data, out=t.grad._data, casting="unsafe")
        t.grad._vc[0] += 1
    if t._post_acc_hooks:
        for fn in list(t._post_acc_hooks.values()):
            fn(t)


def _discover(roots: list) -> tuple[dict, list]:
    """Dependency count of every node reachable from ``roots``, and the node list."""
    deps: dict = {}
    seen = set(roots)
    stack = list(roots)
    order = []
    while stack:
        node = stack.pop()
        order.append(node)
        for child, _ in node.next_functions:
            if child is None:
                continue
            deps[child] = deps.get(child, 0) + 1
            if child not in seen:
                seen.add(child)
                stack.append(child)
    return deps, order


def _needed_nodes(roots: list, deps: dict, targets: set) -> set:
    """Nodes from which some target node is reachable (the only ones worth running)."""
    remaining = dict(deps)
    ready = [n for n in roots if remaining.get(n, 0) == 0]
    topo = []
    while ready:
        node = ready.pop()
        topo.append(node)
        for child, _ in node.next_functions:
            if child is None:
                continue
            remaining[child] -= 1
            if remaining[child] == 0:
                ready.append(child)
    needed = set()
    for node in reversed(topo):
        if node in targets or any(child in needed for child, _ in node.next_functions):
            needed.add(node)
    return needed


def _as_tuple(x: Any) -> tuple:
    if x is None:
        return ()
    if isinstance(x, Tensor):
        return (x,)
    return tuple(x)


def backward(
    tensors: Tensor | Sequence[Tensor],
    grad_tensors: Any = None,
    retain_graph: bool | None = None,
    create_graph: bool = False,
    inputs: Any = None,
) -> None:
    """Accumulate the gradients of ``tensors`` into the ``.grad`` of the graph's leaves.

    Example::

        >>> w = pybigml.ones(3, requires_grad=True)
        >>> pybigml.autograd.backward((w * 2).sum())
        >>> w.grad
        tensor([2., 2., 2.])
    """
    tensors = _as_tuple(tensors)
    grads = _as_tuple(grad_tensors) if grad_tensors is not None else (None,) * len(tensors)
    if len(grads) != len(tensors):
        raise RuntimeError(f"backward: got {len(tensors)} tensors and {len(grads)} gradients")
    if retain_graph is None:
        retain_graph = create_graph
    inputs = _as_tuple(inputs) or None
    run_backward(tensors, grads, retain_graph, create_graph, inputs=inputs, allow_unused=True)


def grad(
    outputs: Tensor | Sequence[Tensor],
    inputs: Tensor | Sequence[Tensor],
    grad_outputs: Any = None,
    retain_graph: bool | None = None,
    create_graph: bool = False,
    only_inputs: bool = True,
    allow_unused: bool | None = None,
    is_grads_batched: bool = False,
    materialize_grads: bool = False,
) -> tuple:
    """The gradients of ``outputs`` with respect to ``inputs`` (nothing is accumulated).

    Example::

        >>> x = pybigml.tensor(3.0, requires_grad=True)
        >>> (dx,) = pybigml.autograd.grad(x ** 3, x, create_graph=True)   # 3x^2 = 27
        >>> pybigml.autograd.grad(dx, x)                                  # 6x = 18
        (tensor(18.),)
    """
    if is_grads_batched:
        raise NotImplementedError("autograd.grad: is_grads_batched=True is not supported")
    outputs = _as_tuple(outputs)
    inputs = _as_tuple(inputs)
    grads = _as_tuple(grad_outputs) if grad_outputs is not None else (None,) * len(outputs)
    if len(grads) != len(outputs):
        raise RuntimeError(
            f"grad requires one grad_output per output: got {len(outputs)} outputs and "
            f"{len(grads)} grad_outputs"
        )
    if retain_graph is None:
        retain_graph = create_graph
    if allow_unused is None:
        allow_unused = materialize_grads
    result = run_backward(
        outputs,
        grads,
        retain_graph,
        create_graph,
        inputs=inputs,
        allow_unused=allow_unused,
        accumulate=False,
    )
    if materialize_grads:
        result = tuple(_zeros_like(i) if r is None else r for r, i in zip(result, inputs))
    return result


def _zeros_like(t: Tensor) -> Tensor:
    data = t._data
    return Tensor._make(backend.of(data).xp.zeros(data.shape, data.dtype))


def run_backward(
    tensors: Sequence[Tensor],
    grad_tensors: Sequence[Tensor | None],
    retain_graph: bool,
    create_graph: bool,
    inputs: Sequence[Tensor] | None = None,
    allow_unused: bool = False,
    accumulate: bool = True,
) -> tuple | None:
    """Backpropagate from ``tensors``; accumulate into leaves or return grads of ``inputs``."""
    root_grads: dict = {}
    roots = []
    for i, (t, g) in enumerate(zip(tensors, grad_tensors)):
        if not isinstance(t, Tensor):
            raise TypeError(f"backward: expected a Tensor as output {i}, got {type(t).__name__}")
        if not t._requires_grad:
            raise RuntimeError(
                f"element {i} of tensors does not require grad and does not have a grad_fn"
            )
        if g is None:
            if t._data.size != 1:
                raise RuntimeError(
                    f"grad can be implicitly created only for scalar outputs (output {i} has "
                    f"shape {tuple(t.shape)}); pass `gradient=` with the same shape"
                )
            g = Tensor._make(np.ones(t._data.shape, t._data.dtype))
        elif not isinstance(g, Tensor):
            g = Tensor._make(np.asarray(g, dtype=t._data.dtype))
        if g._data.shape != t._data.shape:
            raise RuntimeError(
                f"Mismatch in shape: grad_output[{i}] has a shape of {tuple(g.shape)} and "
                f"output[{i}] has a shape of {tuple(t.shape)}."
            )
        node, nr = _edge(t)
        if node not in root_grads:
            roots.append(node)
            root_grads[node] = [None] * max(len(node._output_meta), 1)
        buf = root_grads[node]
        buf[nr] = g if buf[nr] is None else buf[nr] + g

    deps, _ = _discover(roots)
    captures = None
    needed = None
    if inputs is not None:
        captures = {}
        targets = set()
        for i, t in enumerate(inputs):
            if not isinstance(t, Tensor) or not t._requires_grad:
                raise RuntimeError(
                    f"One of the differentiated Tensors (input {i}) does not require grad"
                )
            node, nr = _edge(t)
            targets.add(node)
            captures.setdefault(node, []).append((i, nr))
        needed = _needed_nodes(roots, deps, targets)
        # recount dependencies among the needed nodes only
        deps = {}
        for node in needed:
            for child, _ in node.next_functions:
                if child is not None and child in needed:
                    deps[child] = deps.get(child, 0) + 1
        roots = [n for n in roots if n in needed]

    results: list = [None] * (len(inputs) if inputs is not None else 0)
    buffers = root_grads
    ready = [n for n in roots if deps.get(n, 0) == 0]
    prev_mode = GRAD_STATE.enabled
    GRAD_STATE.enabled = create_graph
    try:
        while ready:
            node = ready.pop()
            grads = buffers.pop(node)
            if node._pre_hooks:
                for hook in list(node._pre_hooks.values()):
                    res = hook(tuple(grads))
                    if res is not None:
                        grads = list(res)
            if node._tensor_hooks or node._retain:
                _call_tensor_hooks(node, grads)
            if captures is not None and node in captures:
                for i, nr in captures[node]:
                    results[i] = grads[nr]
            if type(node) is AccumulateGrad:
                if accumulate and grads[0] is not None:
                    _accumulate(node, grads[0], create_graph)
                continue
            input_grads = _run_node(node, grads)
            if not retain_graph:
                node.release()
            for (child, nr), meta, g in zip(node.next_functions, node._input_meta, input_grads):
                if child is None or (needed is not None and child not in needed):
                    continue
                if g is not None:
                    if (
                        type(g) is not Tensor
                        or g._data.shape != meta[0]
                        or g._data.dtype != meta[1]
                    ):
                        g = _fit(g, meta, node)
                    buf = buffers.get(child)
                    if buf is None:
                        buffers[child] = buf = [None] * (len(child._output_meta) or 1)
                        buf[nr] = g
                    else:
                        buf[nr] = g if buf[nr] is None else buf[nr] + g
                elif child not in buffers:
                    buffers[child] = [None] * (len(child._output_meta) or 1)
                remaining = deps[child] - 1
                deps[child] = remaining
                if remaining == 0:
                    ready.append(child)
    finally:
        GRAD_STATE.enabled = prev_mode

    if inputs is None:
        return None
    for i, r in enumerate(results):
        if r is None and not allow_unused:
            raise RuntimeError(
                f"One of the differentiated Tensors (input {i}) appears to not have been used "
                "in the graph. Set allow_unused=True if this is the desired behavior."
            )
    return tuple(results)


def _run_node(node: Function, grads: list) -> tuple:
    if node._materialize_grads and (len(grads) > 1 or grads[0] is None):
        grads = [
            _zeros(meta) if g is None and meta is not None else g
            for g, meta in zip(grads, node._output_meta)
        ]
    result = node.backward(node, *grads)
    if type(result) is not tuple:
        result = (result,)
    n_inputs = len(node.next_functions)
    if len(result) != n_inputs:
        if len(result) > n_inputs and all(r is None for r in result[n_inputs:]):
            result = result[:n_inputs]
        else:
            raise RuntimeError(
                f"function {node.name()} returned an incorrect number of gradients "
                f"(expected {n_inputs}, got {len(result)})"
            )
    if node._post_hooks:
        for hook in list(node._post_hooks.values()):
            hook(result, tuple(grads))
    if ANOMALY.enabled:
        _check_nan(node, result)
    return result


class _AnomalyState:
    __slots__ = ("enabled", "check_nan")

    def __init__(self) -> None:
        self.enabled = False
        self.check_nan = True


ANOMALY = _AnomalyState()
"""Anomaly detection (``autograd.detect_anomaly``): check every backward for NaN."""


def _check_nan(node: Function, result: tuple) -> None:
    if not ANOMALY.check_nan:
        return
    for i, g in enumerate(result):
        if isinstance(g, Tensor) and g._data.dtype.kind == "f" and np.isnan(g._data).any():
            raise RuntimeError(f"Function '{node.name()}' returned nan values in its {i}th output.")


def _fit(g: object, meta: tuple, node: Node) -> Tensor:
    """Reduce a gradient to its input's shape and cast it to the input's dtype."""
    if not isinstance(g, Tensor):
        raise TypeError(f"function {node.name()} returned a gradient of type {type(g).__name__}")
    shape, dtype = meta
    if g._data.shape != shape:
        g = sum_to(g, shape)
    if g._data.dtype != dtype:
        g = g.to(Tensor._dtype_of(dtype))
    return g
