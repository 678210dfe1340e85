"""``autograd.functional``: Jacobians, Hessians and vector products of whole functions.

Each is built on reverse mode (:func:`pybigml.autograd.grad`): a vector-Jacobian product
``v^T J`` is one backward pass; a Jacobian is one backward pass per output element; a
Jacobian-vector product ``J v`` is the derivative of ``u -> v^T ... `` — computed with the
double-backward trick, ``J v = d/du (u^T J v)`` where ``u^T J`` is itself a backward pass
taken with ``create_graph=True``. Hessians are Jacobians of gradients.

Layering: this module is the one exception to "autograd imports nothing above autograd":
it builds its results with ops (``zeros_like``, ``stack``), so ``pybigml.autograd`` does not
import it; the package face imports it after the ops, and ``pybigml.autograd.functional``
works as in PyTorch.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from .._tensor import Tensor
from ..ops.creation import zeros_like
from ..ops.shape import stack
from .engine import grad as _grad
from .grad_mode import enable_grad


def _as_tuple(x: Any) -> tuple[bool, tuple]:
    if isinstance(x, Tensor):
        return True, (x,)
    return False, tuple(x)


def _prepare(inputs: tuple, create_graph: bool) -> tuple:
    """Inputs the function is differentiated at: fresh leaves (so the caller's tensors gather
    no gradient), or, with ``create_graph``, views that keep an input's own graph."""
    return tuple(
        t.view_as(t) if create_graph and t.requires_grad else t.detach().requires_grad_(True)
        for t in inputs
    )


def _grads(
    outputs: Any, inputs: tuple, grad_outputs: Any, create_graph: bool, strict: bool
) -> tuple:
    if not isinstance(outputs, Tensor) or not outputs.requires_grad:
        if strict:
            raise RuntimeError(
                "The output of the user-provided function is independent of the inputs. This "
                "is not allowed in strict mode."
            )
        return tuple(zeros_like(t) for t in inputs)
    result = _grad(
        outputs,
        inputs,
        grad_outputs,
        retain_graph=True,
        create_graph=create_graph,
        allow_unused=True,
    )
    if strict and any(r is None for r in result):
        raise RuntimeError(
            "The output of the user-provided function is independent of input 0. This is not "
            "allowed in strict mode."
        )
    return tuple(zeros_like(t) if r is None else r for r, t in zip(result, inputs))


def _finish(values: tuple, single: bool, create_graph: bool) -> Any:
    if not create_graph:
        values = tuple(v.detach() for v in values)
    return values[0] if single else values


def vjp(
    func: Callable, inputs: Any, v: Any = None, create_graph: bool = False, strict: bool = False
) -> tuple[Any, Any]:
    """``(func(inputs), v^T J)``: the vector-Jacobian product at ``inputs``."""
    single, xs = _as_tuple(inputs)
    with enable_grad():
        xs = _prepare(xs, create_graph)
        out = func(*xs)
        if v is None and out.numel() != 1:
            raise RuntimeError(
                "The vector v can only be None if the user-provided function returns a single "
                "Tensor with a single element."
            )
        g = _grads(out, xs, v, create_graph, strict)
    return (out if create_graph else out.detach()), _finish(g, single, create_graph)


def jvp(
    func: Callable, inputs: Any, v: Any = None, create_graph: bool = False, strict: bool = False
) -> tuple[Any, Any]:
    """``(func(inputs), J v)``: the Jacobian-vector product, by the double-backward trick."""
    single, xs = _as_tuple(inputs)
    vs = xs if v is None else ((v,) if isinstance(v, Tensor) else tuple(v))
    if v is None and any(t.numel() != 1 for t in xs):
        raise RuntimeError(
            "The vector v can only be None if the input to the user-provided function is a "
            "single Tensor with a single element."
        )
    with enable_grad():
        xs = _prepare(xs, create_graph)
        out = func(*xs)
        u = zeros_like(out).requires_grad_(True)
        (ut_j) = _grads(out, xs, u, True, strict)
        total = sum(((g * vi).sum() for g, vi in zip(ut_j, vs)), start=u.sum() * 0)
        (jv,) = _grad(total, (u,), create_graph=create_graph, allow_unused=True)
    jv = zeros_like(out) if jv is None else jv
    return (out if create_graph else out.detach()), (jv if create_graph else jv.detach())


def jacobian(
    func: Callable,
    inputs: Any,
    create_graph: bool = False,
    strict: bool = False,
    vectorize: bool = False,
    strategy: str = "reverse-mode",
) -> Any:
    """The Jacobian of ``func`` at ``inputs``: for output shape ``O`` and input shape ``I``, a
    tensor of shape ``O + I`` (tuples of them for several inputs/outputs)."""
    single_in, xs = _as_tuple(inputs)
    with enable_grad():
        xs = _prepare(xs, create_graph)
        outs = func(*xs)
        single_out, ys = _as_tuple(outs)
        blocks = []
        for y in ys:
            rows = []
            flat = y.reshape(-1)
            for k in range(flat.numel()):
                rows.append(_grads(flat[k], xs, None, create_graph, strict))
            per_input = []
            for j, x in enumerate(xs):
                if rows:
                    block = stack([r[j] for r in rows]).reshape(tuple(y.shape) + tuple(x.shape))
                else:
                    block = zeros_like(x).reshape(-1)[:0].reshape(tuple(y.shape) + tuple(x.shape))
                per_input.append(block if create_graph else block.detach())
            blocks.append(per_input[0] if single_in else tuple(per_input))
    return blocks[0] if single_out else tuple(blocks)


def hessian(
    func: Callable,
    inputs: Any,
    create_graph: bool = False,
    strict: bool = False,
    vectorize: bool = False,
    outer_jacobian_strategy: str = "reverse-mode",
) -> Any:
    """The Hessian of a scalar ``func`` at ``inputs`` (shape ``I + I``; nested tuples for
    several inputs)."""
    single_in, xs = _as_tuple(inputs)

    def gradient(*args: Tensor) -> Any:
        out = func(*args)
        if out.numel() != 1:
            raise RuntimeError(
                "The function given to hessian should return a single Tensor with a single element"
            )
        g = _grads(out.reshape(()), args, None, True, strict)
        return g[0] if single_in else g

    return jacobian(gradient, xs[0] if single_in else xs, create_graph, strict)


def vhp(
    func: Callable, inputs: Any, v: Any = None, create_graph: bool = False, strict: bool = False
) -> tuple[Any, Any]:
    """``(func(inputs), v^T H)``."""
    single, xs = _as_tuple(inputs)
    vs = xs if v is None else ((v,) if isinstance(v, Tensor) else tuple(v))
    with enable_grad():
        xs = _prepare(xs, create_graph)
        out = func(*xs)
        g = _grads(out, xs, None, True, strict)
        total = sum(((gi * vi).sum() for gi, vi in zip(g, vs)), start=out * 0)
        h = _grads(total, xs, None, create_graph, strict)
    return (out if create_graph else out.detach()), _finish(h, single, create_graph)


def hvp(
    func: Callable, inputs: Any, v: Any = None, create_graph: bool = False, strict: bool = False
) -> tuple[Any, Any]:
    """``(func(inputs), H v)``; the Hessian is symmetric, so this equals :func:`vhp`."""
    return vhp(func, inputs, v, create_graph, strict)


__all__: Sequence[str] = ["hessian", "hvp", "jacobian", "jvp", "vhp", "vjp"]
