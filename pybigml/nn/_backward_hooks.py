"""Module backward hooks: ``register_full_backward_pre_hook`` / ``register_full_backward_hook``.

A call of a module with backward hooks wraps its tensors in two identity nodes
(``ops.hooks.BackwardHookFunction``, each handing its gradients to a callback here):

    inputs -> [identity: _run_full_hooks] -> forward(...) -> [identity: _on_output_grads] -> outputs

Backpropagation reaches the outputs' node first with the gradients of the outputs: the
pre-hooks see (and may replace) them there. It reaches the inputs' node last, with the
gradients of the inputs: the full hooks see ``(grad_input, grad_output)`` there and may
replace ``grad_input``. When no input requires grad, the full hooks run at the outputs'
node with ``grad_input`` all ``None``, as in PyTorch.
"""

from __future__ import annotations

from functools import partial
from typing import Any

from .._tensor import Tensor
from ..autograd.grad_mode import GRAD_STATE
from ..ops.hooks import BackwardHookFunction


class _CallState:
    """What the two nodes of one module call share."""

    def __init__(self, module: Any, n_inputs: int) -> None:
        self.module = module
        self.n_inputs = n_inputs
        self.grad_outputs: tuple | None = None


def _checked(op: str, new: Any, old: tuple) -> tuple:
    new = tuple(new) if isinstance(new, (tuple, list)) else (new,)
    if len(new) != len(old):
        raise RuntimeError(
            f"Backward {op} hook returned an invalid number of grad_{'output' if op == 'pre' else 'input'}, "
            f"got {len(new)}, but expected {len(old)}"
        )
    return new


def _run_full_hooks(state: _CallState, grad_input: tuple) -> tuple:
    for hook in list(state.module._backward_hooks.values()):
        result = hook(state.module, grad_input, state.grad_outputs)
        if result is not None:
            grad_input = _checked("", result, grad_input)
    return grad_input


def _on_output_grads(state: _CallState, grads: tuple) -> tuple:
    """At the outputs' node: the pre-hooks see (and may replace) the outputs' gradients."""
    for hook in list(state.module._backward_pre_hooks.values()):
        result = hook(state.module, grads)
        if result is not None:
            grads = _checked("pre", result, grads)
    state.grad_outputs = grads
    if state.n_inputs == 0 and state.module._backward_hooks:
        _run_full_hooks(state, (None,))
    return grads


def _tensor_positions(values: tuple) -> list[int]:
    return [i for i, v in enumerate(values) if isinstance(v, Tensor) and v.requires_grad]


def wrap_inputs(module: Any, args: tuple) -> tuple[tuple, _CallState | None]:
    """``args`` with the tensors that require grad passed through ``InputsIdentity``."""
    if not GRAD_STATE.enabled:
        return args, None
    positions = _tensor_positions(args)
    state = _CallState(module, len(positions))
    if not positions:
        return args, state
    wrapped = BackwardHookFunction.apply(
        partial(_run_full_hooks, state), *(args[i] for i in positions)
    )
    out = list(args)
    for i, t in zip(positions, wrapped):
        out[i] = t
    return tuple(out), state


def wrap_outputs(state: _CallState | None, output: Any) -> Any:
    """``output`` (a tensor or a tuple/list of values) with its tensors that require grad
    passed through ``OutputsIdentity``."""
    if state is None:
        return output
    single = isinstance(output, Tensor)
    values = (output,) if single else tuple(output) if isinstance(output, (tuple, list)) else None
    if values is None:
        return output
    positions = _tensor_positions(values)
    if not positions:
        return output
    wrapped = BackwardHookFunction.apply(
        partial(_on_output_grads, state), *(values[i] for i in positions)
    )
    out = list(values)
    for i, t in zip(positions, wrapped):
        out[i] = t
    if single:
        return out[0]
    return type(output)(out) if isinstance(output, list) else tuple(out)
