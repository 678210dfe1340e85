"""The kernel seam: which backend computes on an array, decided by the array's type.

A tensor holds one array (``Tensor._data``). Its type names the device: ``numpy.ndarray``
is "cpu" (numpy + the native ``pybigml._C``, :mod:`pybigml.backend.cpu`); a CUDA backend
registers ``cupy.ndarray`` the same way. An op asks ``backend.of(*arrays)`` once — one
dict lookup — and calls the kernel family it needs on the answer::

    be = backend.of(x._data, w._data)
    y = be.conv2d_forward(x._data, w._data, None, *geometry)
    z = be.xp.exp(y)               # element-wise math through the array namespace

A backend is a module with these attributes (see ``cpu.py`` for the full list):

* ``name`` ("cpu"), ``device`` (a :class:`pybigml.device`), ``array_type``, ``xp`` (its
  numpy-compatible array namespace: numpy, or CuPy);
* ``native(family, dtype, size=0)``: whether ``family`` runs on a native kernel for arrays of
  ``dtype`` with ``size`` elements — the one place that decides native-or-``xp``;
* one function per kernel family (``matmul``, ``conv2d_forward``, ``softmax`` ...), taking and
  returning arrays of its own type.

Nothing here knows about ``Tensor`` or autograd.
"""

from __future__ import annotations

from types import ModuleType
from typing import Any

from . import cpu

__all__ = ["cpu", "get_num_threads", "of", "register", "set_num_threads"]

# array type -> backend module; read by every op, so kept a plain dict.
_BY_TYPE: dict[type, ModuleType] = {}


def register(backend: ModuleType) -> None:
    """Make ``backend`` the one that computes on arrays of ``backend.array_type``."""
    _BY_TYPE[backend.array_type] = backend


register(cpu)


def of(*arrays: Any) -> ModuleType:
    """The backend of ``arrays``; all must be on one device.

    Entries that are not arrays (``None``, Python or numpy scalars) have no device of their
    own and are skipped; with no array at all the answer is the CPU.

    Raises:
        RuntimeError: the arrays live on different devices, in PyTorch's words:
            ``expected all tensors to be on the same device, but found cpu and cuda:0``.
    """
    found = None
    for array in arrays:
        backend = _BY_TYPE.get(type(array))
        if backend is None or backend is found:
            continue
        if found is not None:
            raise RuntimeError(
                "expected all tensors to be on the same device, but found "
                f"{found.device} and {backend.device}"
            )
        found = backend
    return cpu if found is None else found


def is_array(obj: Any) -> bool:
    """Whether ``obj`` is an array some backend computes on (no conversion needed)."""
    return type(obj) in _BY_TYPE


# Thread control is the CPU's: OpenMP and the BLAS pool of the host.
set_num_threads = cpu.set_num_threads
get_num_threads = cpu.get_num_threads
