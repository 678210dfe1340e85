"""Reverse-mode automatic differentiation (``pybigml.autograd``).

``backward`` accumulates gradients into leaves' ``.grad``; ``grad`` returns them instead.
Both take ``retain_graph`` (keep saved tensors for another backward) and ``create_graph``
(record the backward pass itself, for higher-order derivatives).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .._tensor import Tensor
from . import engine
from .anomaly_mode import (
    detect_anomaly,
    is_anomaly_check_nan_enabled,
    is_anomaly_enabled,
    set_detect_anomaly,
)
from .function import Function, FunctionCtx, Node, once_differentiable
from .grad_mode import (
    enable_grad,
    inference_mode,
    is_grad_enabled,
    no_grad,
    set_grad_enabled,
)


def Variable(data: Tensor, requires_grad: bool = False, volatile: bool = False) -> Tensor:  # noqa: N802
    """The old ``Variable`` wrapper: tensors are variables now; returns ``data`` itself,
    with ``requires_grad`` set when asked for."""
    return data.requires_grad_(True) if requires_grad else data


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
    engine.run_backward(
        tensors, grads, retain_graph, create_graph, inputs=inputs, allow_unused=True
    )


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
    result = engine.run_backward(
        outputs,
        grads,
        retain_graph,
        create_graph,
        inputs=inputs,
        allow_unused=allow_unused,
        accumulate=False,
    )
    if materialize_grads:
        from ..ops.creation import zeros_like

        result = tuple(zeros_like(i) if r is None else r for r, i in zip(result, inputs))
    return result


def __getattr__(name: str) -> Any:
    # torch.autograd.gradcheck / gradgradcheck live in pybigml.testing (imported on first use)
    if name in ("gradcheck", "gradgradcheck"):
        import importlib

        return getattr(importlib.import_module("pybigml.testing.gradcheck"), name)
    raise AttributeError(f"module 'pybigml.autograd' has no attribute '{name}'")


from . import functional  # noqa: E402  (uses grad, defined above)

__all__ = [
    "Variable",
    "detect_anomaly",
    "functional",
    "is_anomaly_check_nan_enabled",
    "is_anomaly_enabled",
    "set_detect_anomaly",
    "Function",
    "FunctionCtx",
    "Node",
    "backward",
    "enable_grad",
    "grad",
    "inference_mode",
    "is_grad_enabled",
    "no_grad",
    "once_differentiable",
    "set_grad_enabled",
]
