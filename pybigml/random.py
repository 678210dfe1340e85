"""Random number generation: ``Generator``, ``manual_seed`` and the default generator.

A ``Generator`` wraps numpy's PCG64 bit generator. Results are reproducible for a given
seed within pybigml (they are not the same numbers PyTorch's Mersenne Twister draws).
"""

from __future__ import annotations

import json

import numpy as np

from ._device import to_device
from ._tensor import Tensor


class Generator:
    """A source of random numbers; pass it as ``generator=`` to random ops and DataLoader."""

    def __init__(self, device: object = "cpu") -> None:
        to_device(device)
        self.device = "cpu"
        self.manual_seed(int(np.random.SeedSequence().entropy % (2**63)))

    def manual_seed(self, seed: int) -> Generator:
        seed = int(seed)
        if not -(2**63) <= seed < 2**64:
            raise RuntimeError(f"manual_seed: seed {seed} is outside the range [-2^63, 2^64)")
        self._seed = seed % 2**64
        self._rng = np.random.Generator(np.random.PCG64(self._seed))
        return self

    def seed(self) -> int:
        s = int(np.random.SeedSequence().entropy % (2**63))
        self.manual_seed(s)
        return s

    def initial_seed(self) -> int:
        return self._seed

    def get_state(self) -> Tensor:
        """The generator's state as a uint8 tensor (restore with ``set_state``)."""
        raw = json.dumps(self._rng.bit_generator.state).encode()
        return Tensor._make(np.frombuffer(raw, dtype=np.uint8).copy())

    def set_state(self, new_state: Tensor) -> Generator:
        data = bytes(np.asarray(new_state._data, dtype=np.uint8).tolist())
        try:
            state = json.loads(data.decode())
            self._rng.bit_generator.state = state
        except (ValueError, TypeError, KeyError) as e:
            raise RuntimeError(
                f"Generator.set_state: not a pybigml generator state ({e})"
            ) from None
        return self


default_generator = Generator()
default_generator.manual_seed(67280421310721)


def _rng(generator: Generator | None) -> np.random.Generator:
    return (generator or default_generator)._rng


def manual_seed(seed: int) -> Generator:
    """Seed the default generator (all of pybigml's random ops)."""
    return default_generator.manual_seed(seed)


def seed() -> int:
    return default_generator.seed()


def initial_seed() -> int:
    return default_generator.initial_seed()


def get_rng_state() -> Tensor:
    return default_generator.get_state()


def set_rng_state(new_state: Tensor) -> None:
    default_generator.set_state(new_state)
