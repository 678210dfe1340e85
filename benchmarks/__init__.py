"""Side-by-side benchmarks of pybigml against PyTorch and numpy (see common.py)."""

import os as _os

# Before torch or pybigml loads an OpenMP runtime: both (pybigml's libgomp and the one torch
# ships) then let idle threads sleep, so the library that runs next in an alternating
# comparison does not share the cores with the other's spinning workers.
_os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
