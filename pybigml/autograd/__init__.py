"""Reverse-mode automatic differentiation (``pybigml.autograd``).

``backward`` accumulates gradients into leaves' ``.grad``; ``grad`` returns them instead.
Both take ``retain_graph`` (keep saved tensors for another backward) and ``create_graph``
(record the backward pass itself, for higher-order derivatives).
"""

from __future__ import annotations

from .._tensor import Tensor
from .anomaly_mode import (
    detect_anomaly,
    is_anomaly_check_nan_enabled,
    is_anomaly_enabled,
    set_detect_anomaly,
)
from .engine import backward, grad
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


# ``functional`` (jacobian, hessian, ...) is built on the ops, a layer above this package;
# the package face imports it once the ops are loaded (see autograd/functional.py).
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
