"""Grad mode: whether operations record a graph.

One process-wide flag, read by every op on its hot path (``GRAD_STATE.enabled``).
``no_grad``, ``enable_grad`` and ``set_grad_enabled`` work as context managers and as
decorators, like PyTorch's.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any


class _GradState:
    __slots__ = ("enabled",)

    def __init__(self) -> None:
        self.enabled = True


GRAD_STATE = _GradState()


def is_grad_enabled() -> bool:
    return GRAD_STATE.enabled


class _GradModeContext:
    """Base: a context manager that sets grad mode, also usable as a decorator."""

    _mode: bool

    def __enter__(self) -> None:
        self._prev = GRAD_STATE.enabled
        GRAD_STATE.enabled = self._mode

    def __exit__(self, *exc: object) -> None:
        GRAD_STATE.enabled = self._prev

    def __call__(self, func: Callable) -> Callable:
        mode = self._mode

        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            prev = GRAD_STATE.enabled
            GRAD_STATE.enabled = mode
            try:
                return func(*args, **kwargs)
            finally:
                GRAD_STATE.enabled = prev

        return wrapper

    def clone(self) -> _GradModeContext:
        return self.__class__()


class _BareDecoratorContext(_GradModeContext):
    """Also usable as a decorator without parentheses: ``@no_grad``."""

    def __new__(cls, orig_func: Callable | None = None) -> Any:
        if orig_func is None:
            return super().__new__(cls)
        return cls()(orig_func)


class no_grad(_BareDecoratorContext):  # noqa: N801 - PyTorch's name
    """Disable graph recording: ``with pybigml.no_grad(): ...`` or ``@pybigml.no_grad``."""

    _mode = False


class enable_grad(_BareDecoratorContext):  # noqa: N801
    """Enable graph recording inside a ``no_grad`` region."""

    _mode = True


class inference_mode(_GradModeContext):  # noqa: N801
    """Like ``no_grad`` (pybigml has no separate inference tensors)."""

    def __init__(self, mode: bool = True) -> None:
        self._mode = not mode

    def clone(self) -> inference_mode:
        return inference_mode(not self._mode)


class set_grad_enabled(_GradModeContext):  # noqa: N801
    """Set grad mode now; as a context manager, restore the previous mode on exit."""

    def __init__(self, mode: bool) -> None:
        self._prev = GRAD_STATE.enabled
        self._mode = bool(mode)
        GRAD_STATE.enabled = self._mode

    def __enter__(self) -> None:
        pass

    def __call__(self, func: Callable) -> Callable:
        GRAD_STATE.enabled = self._prev  # as a decorator it must not change the mode now
        return super().__call__(func)

    def clone(self) -> set_grad_enabled:
        return set_grad_enabled(self._mode)
