"""Anomaly detection: make a backward that produces NaN fail where it happens.

Inside ``detect_anomaly()`` (or after ``set_detect_anomaly(True)``) the engine checks the
gradients each node returns and raises ``RuntimeError: Function 'MulBackward' returned nan
values in its 0th output.`` at the first NaN, instead of letting it spread to the leaves.
"""

from __future__ import annotations

import functools
import warnings
from collections.abc import Callable
from typing import Any

from .engine import ANOMALY


def is_anomaly_enabled() -> bool:
    return ANOMALY.enabled


def is_anomaly_check_nan_enabled() -> bool:
    return ANOMALY.check_nan


class _AnomalyContext:
    def __init__(self, mode: bool, check_nan: bool) -> None:
        self.mode, self.check_nan = mode, check_nan

    def __enter__(self) -> None:
        self.prev = (ANOMALY.enabled, ANOMALY.check_nan)
        ANOMALY.enabled, ANOMALY.check_nan = self.mode, self.check_nan

    def __exit__(self, *exc: object) -> None:
        ANOMALY.enabled, ANOMALY.check_nan = self.prev

    def __call__(self, fn: Callable) -> Callable:
        mode, check_nan = self.mode, self.check_nan

        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with _AnomalyContext(mode, check_nan):
                return fn(*args, **kwargs)

        return wrapper


class detect_anomaly(_AnomalyContext):  # noqa: N801 - PyTorch's name
    """Context manager (or decorator) that turns anomaly detection on."""

    def __init__(self, check_nan: bool = True) -> None:
        warnings.warn(
            "Anomaly Detection has been enabled. This mode will increase the runtime and should "
            "only be enabled for debugging.",
            stacklevel=2,
        )
        super().__init__(True, check_nan)


class set_detect_anomaly(_AnomalyContext):  # noqa: N801 - PyTorch's name
    """Turn anomaly detection on or off, now (as a function) or inside a ``with`` block."""

    def __init__(self, mode: bool, check_nan: bool = True) -> None:
        self.prev = (ANOMALY.enabled, ANOMALY.check_nan)
        super().__init__(mode, check_nan)
        ANOMALY.enabled, ANOMALY.check_nan = mode, check_nan

    def __enter__(self) -> None:
        pass
