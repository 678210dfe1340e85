"""The CUDA seam: this build has no GPU backend, so CUDA is never available."""

from __future__ import annotations


def is_available() -> bool:
    return False


def device_count() -> int:
    return 0


def manual_seed(seed: int) -> None:
    """Seeding CUDA is a no-op without a CUDA backend (as in PyTorch without a GPU)."""


def manual_seed_all(seed: int) -> None:
    """Seeding CUDA is a no-op without a CUDA backend."""


def synchronize(device: object = None) -> None:
    """Nothing to wait for without a CUDA backend."""
