"""Side-by-side benchmarks of pybigml against PyTorch and numpy (see common.py)."""

import os as _os

# Before torch or pybigml loads an OpenMP runtime: both (pybigml's libgomp and the one torch
# ships) then let idle threads sleep, so the library that runs next in an alternating
# comparison does not share the cores with the other's spinning workers.
_os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
# The same for numpy's OpenBLAS, whose threads otherwise busy-wait about 2^28 cycles (~0.1 s)
# after each call: in the cases numpy takes part in, they took a core from the library timed
# after it (measured: pybigml's GEMM 1.5-2x slower right after numpy than right after torch).
# 2^4 cycles: its threads go to sleep at once.
_os.environ.setdefault("OPENBLAS_THREAD_TIMEOUT", "4")
