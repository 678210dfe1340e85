"""``pybigml.func``: PyTorch's function transforms, built on the eager autograd.

* ``functional_call(module, params_and_buffers, args)`` runs a module with other tensors in
  place of its parameters and buffers (swapped in for the call, then restored; it is Module
  machinery, so it lives in ``nn.utils.stateless`` and is re-exported here);
* ``grad``, ``grad_and_value``, ``vjp``, ``jacrev``, ``jacfwd``, ``hessian`` differentiate a
  function of tensors with reverse mode (``jacfwd`` too: pybigml has no forward mode, and
  the Jacobian is the same);
* ``vmap`` maps a function over a batch dim by calling it once per slice and stacking the
  results: the semantics of PyTorch's, at the speed of a Python loop.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from typing import Any

from ._tensor import Tensor
from .autograd import functional as _functional
from .autograd import grad as _grad
from .autograd.grad_mode import enable_grad
from .nn.utils.stateless import functional_call
from .ops.shape import stack

__all__ = [
    "functional_call",
    "grad",
    "grad_and_value",
    "hessian",
    "jacfwd",
    "jacrev",
    "vjp",
    "vmap",
]


# ----------------------------------------------------------------------------- derivatives
def _argnums_tuple(argnums: int | tuple[int, ...]) -> tuple[int, ...]:
    return (argnums,) if isinstance(argnums, int) else tuple(argnums)


def _leaves(tree: Any) -> list[Tensor]:
    """The tensors of a nested dict/list/tuple (a "pytree"), in order."""
    if isinstance(tree, Tensor):
        return [tree]
    if isinstance(tree, Mapping):
        return [leaf for v in tree.values() for leaf in _leaves(v)]
    if isinstance(tree, (list, tuple)):
        return [leaf for v in tree for leaf in _leaves(v)]
    return []


def _rebuild(tree: Any, leaves: Any) -> Any:
    """``tree`` with its tensors replaced, in order, by the next items of ``leaves``."""
    if isinstance(tree, Tensor):
        return next(leaves)
    if isinstance(tree, Mapping):
        return type(tree)((k, _rebuild(v, leaves)) for k, v in tree.items())
    if isinstance(tree, (list, tuple)):
        return type(tree)(_rebuild(v, leaves) for v in tree)
    return tree


def grad_and_value(
    func: Callable, argnums: int | tuple[int, ...] = 0, has_aux: bool = False
) -> Callable:
    """A function returning ``(gradient of func's scalar output w.r.t. args[argnums],
    func's output)`` (``(grad, (output, aux))`` with ``has_aux``). An argument may be a
    tensor or a dict/list/tuple of tensors; its gradient has the same structure."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        nums = _argnums_tuple(argnums)
        with enable_grad():
            args = list(args)
            for i in nums:
                fresh = iter([t.detach().requires_grad_(True) for t in _leaves(args[i])])
                args[i] = _rebuild(args[i], fresh)
            out = func(*args, **kwargs)
            value, aux = (out[0], out[1]) if has_aux else (out, None)
            if not isinstance(value, Tensor) or value.numel() != 1:
                raise RuntimeError(
                    "grad_and_value(f)(*args): Expected f(*args) to return a scalar Tensor, got "
                    f"{type(value).__name__}"
                )
            inputs = [leaf for i in nums for leaf in _leaves(args[i])]
            flat = iter(_grad(value, inputs, allow_unused=True, materialize_grads=True))
        grads = tuple(_rebuild(args[i], flat) for i in nums)
        g = grads[0] if isinstance(argnums, int) else grads
        value = value.detach()
        return (g, (value, aux)) if has_aux else (g, value)

    return wrapper


def grad(func: Callable, argnums: int | tuple[int, ...] = 0, has_aux: bool = False) -> Callable:
    """A function returning the gradient of ``func``'s scalar output w.r.t. ``args[argnums]``
    (and ``aux`` with ``has_aux``)."""
    inner = grad_and_value(func, argnums, has_aux)

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        g, value = inner(*args, **kwargs)
        return (g, value[1]) if has_aux else g

    return wrapper


def vjp(func: Callable, *primals: Tensor, has_aux: bool = False) -> tuple:
    """``(func(*primals), vjp_fn)`` where ``vjp_fn(v)`` gives ``v^T J`` for each primal."""
    with enable_grad():
        inputs = [p.detach().requires_grad_(True) for p in primals]
        out = func(*inputs)
        output, aux = (out[0], out[1]) if has_aux else (out, None)

    def vjp_fn(cotangent: Any) -> tuple:
        with enable_grad():
            return _grad(
                output,
                inputs,
                cotangent,
                retain_graph=True,
                allow_unused=True,
                materialize_grads=True,
            )

    result = (output.detach(), vjp_fn)
    return (*result, aux) if has_aux else result


def _over_argnums(transform: Callable, func: Callable, argnums: int | tuple[int, ...]) -> Callable:
    """``transform`` (an autograd.functional derivative) of ``func`` as a function of
    ``args[argnums]``, the other arguments held fixed."""

    def wrapper(*args: Any) -> Any:
        nums = _argnums_tuple(argnums)

        def of_selected(*selected: Tensor) -> Any:
            full = list(args)
            for i, t in zip(nums, selected):
                full[i] = t
            return func(*full)

        chosen = tuple(args[i] for i in nums)
        return transform(of_selected, chosen[0] if isinstance(argnums, int) else chosen)

    return wrapper


def jacrev(func: Callable, argnums: int | tuple[int, ...] = 0) -> Callable:
    """A function returning the Jacobian of ``func`` w.r.t. ``args[argnums]``."""
    return _over_argnums(_functional.jacobian, func, argnums)


jacfwd = jacrev


def hessian(func: Callable, argnums: int | tuple[int, ...] = 0) -> Callable:
    """A function returning the Hessian of ``func``'s scalar output w.r.t. ``args[argnums]``."""
    return _over_argnums(_functional.hessian, func, argnums)


# ----------------------------------------------------------------------------- vmap
def _slice(x: Any, dim: int | None, i: int) -> Any:
    return x if dim is None else x.select(dim, i)


def vmap(
    func: Callable,
    in_dims: Any = 0,
    out_dims: Any = 0,
    randomness: str = "error",
    *,
    chunk_size: int | None = None,
) -> Callable:
    """``func`` mapped over dim ``in_dims`` of its tensor arguments (an int for all, or one
    entry per argument, None for an argument passed whole); the results are stacked along
    ``out_dims``. Runs ``func`` once per batch element."""

    @functools.wraps(func)
    def wrapper(*args: Any) -> Any:
        dims = in_dims if isinstance(in_dims, (tuple, list)) else (in_dims,) * len(args)
        if len(dims) != len(args):
            raise ValueError(
                f"vmap: in_dims is not compatible with the structure of inputs: in_dims has "
                f"{len(dims)} entries but there are {len(args)} inputs"
            )
        sizes = {a.shape[d] for a, d in zip(args, dims) if d is not None and isinstance(a, Tensor)}
        if not sizes:
            raise ValueError("vmap: at least one input must be a Tensor mapped over a dim")
        if len(sizes) > 1:
            raise ValueError(
                f"vmap: Expected all tensors to have the same size in the mapped dimension, got sizes {sorted(sizes)}"
            )
        (n,) = sizes
        results = [func(*(_slice(a, d, i) for a, d in zip(args, dims))) for i in range(n)]
        first = results[0]
        if isinstance(first, tuple):
            outs = out_dims if isinstance(out_dims, (tuple, list)) else (out_dims,) * len(first)
            return tuple(stack([r[j] for r in results], outs[j]) for j in range(len(first)))
        return stack(results, out_dims)

    return wrapper
