"""Devices. pybigml runs on "cpu"; "cuda" is the seam a later backend fills."""

from __future__ import annotations


class device:  # noqa: N801 - PyTorch's name
    """Where a tensor lives: ``device("cpu")``, ``device("cuda", 0)``, ``device("cuda:0")``."""

    __slots__ = ("type", "index")

    def __init__(self, type: str | device, index: int | None = None) -> None:  # noqa: A002
        if isinstance(type, device):
            self.type, self.index = type.type, type.index
            return
        if not isinstance(type, str):
            raise TypeError(f"device(): expected a string, got {type!r}")
        if ":" in type:
            type, idx = type.split(":", 1)
            if index is not None:
                raise ValueError("device(): index given twice")
            index = int(idx)
        if type not in ("cpu", "cuda"):
            raise RuntimeError(
                f"Expected one of cpu, cuda device type at start of device string: {type}"
            )
        self.type = type
        self.index = index

    def __eq__(self, other: object) -> bool:
        if isinstance(other, str):
            other = device(other)
        return (
            isinstance(other, device)
            and self.type == other.type
            and (self.index == other.index or self.type == "cpu")
        )

    def __hash__(self) -> int:
        return hash((self.type, self.index))

    def __repr__(self) -> str:
        idx = "" if self.index is None else f", index={self.index}"
        return f"device(type='{self.type}'{idx})"

    def __str__(self) -> str:
        return self.type if self.index is None else f"{self.type}:{self.index}"


CPU = device("cpu")


def to_device(d: object) -> device:
    """Normalise a device argument; only "cpu" is available in this build."""
    if d is None:
        return CPU
    if isinstance(d, int):
        d = device("cuda", d)
    dev = d if isinstance(d, device) else device(d)
    if dev.type != "cpu":
        raise RuntimeError(
            f"device {dev} is not available: this pybigml build has no CUDA backend "
            "(pybigml.cuda.is_available() is False)"
        )
    return CPU
