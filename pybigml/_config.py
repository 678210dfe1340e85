"""Process-wide switches PyTorch scripts set, and what they mean for pybigml.

pybigml's CPU kernels are deterministic (a fixed reduction order for a given thread count)
and compute float32 matmuls in float32, so these switches record the caller's choice and
report it back; none changes a result. ``compile`` returns the function unchanged: pybigml
runs eagerly.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ._device import device as _device

_state: dict[str, Any] = {
    "deterministic": False,
    "deterministic_warn_only": False,
    "matmul_precision": "highest",
    "default_device": _device("cpu"),
}

_PRECISIONS = ("highest", "high", "medium")


def use_deterministic_algorithms(mode: bool, *, warn_only: bool = False) -> None:
    """Record the request for deterministic algorithms (pybigml's always are)."""
    _state["deterministic"], _state["deterministic_warn_only"] = bool(mode), bool(warn_only)


def are_deterministic_algorithms_enabled() -> bool:
    return _state["deterministic"]


def is_deterministic_algorithms_warn_only_enabled() -> bool:
    return _state["deterministic_warn_only"]


def set_float32_matmul_precision(precision: str) -> None:
    """Record the float32 matmul precision ('highest', 'high' or 'medium'); pybigml always
    multiplies float32 in float32 ('highest')."""
    if precision not in _PRECISIONS:
        raise RuntimeError(
            f"Invalid precision {precision!r}: expected one of 'highest', 'high', 'medium'"
        )
    _state["matmul_precision"] = precision


def get_float32_matmul_precision() -> str:
    return _state["matmul_precision"]


def set_default_device(device: Any) -> None:
    """Only the CPU is a device pybigml computes on; anything else raises."""
    d = _device(device if device is not None else "cpu")
    if d.type != "cpu":
        raise RuntimeError(f"set_default_device: pybigml computes on the CPU only, got {d}")
    _state["default_device"] = d


def get_default_device() -> _device:
    return _state["default_device"]


def compile(model: Callable | None = None, **kwargs: Any) -> Any:  # noqa: A001
    """``torch.compile``'s signature; pybigml runs eagerly, so the model comes back as is
    (used as ``@compile(...)`` it returns the identity decorator)."""
    if model is None:
        return lambda fn: fn
    return model
