"""GEMM: pybigml's native kernel against PyTorch and numpy, same process, same threads.

pybigml runs through ``pybigml.backend.matmul`` on numpy arrays (the path every matmul op
takes), PyTorch through ``torch.matmul`` on tensors sharing those arrays' memory, numpy
through ``numpy.matmul`` (OpenBLAS). For each case the report gives the median time per
call, GFLOP/s (2*M*N*K per product), the percentage of the machine's measured FMA peak
(``pybigml._C.measure_fma_peak`` at the same thread count), and time(pybigml) / time(torch):
below 1 means pybigml is faster. Timing follows ``benchmarks/common.py``: libraries
alternate, each sample follows a burst of untimed calls, and every case waits for the
machine to be quiet (and runs again if other processes woke up meanwhile).

Run from the repository root, after ``pip install -e .``::

    python -m benchmarks.bench_gemm [--threads N] [--repeats R]

or ``python benchmarks/bench_gemm.py``. Results go to ``benchmarks/results/gemm.{json,md}``.
Some machines set ``OPENBLAS_CORETYPE`` / ``OPENBLAS_L2_SIZE`` to pin numpy's OpenBLAS to a
generic kernel; to compare with OpenBLAS at its best, unset them for this command only:
``env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python -m benchmarks.bench_gemm``. The values
in effect are recorded in the report's machine section.
"""

from __future__ import annotations

import argparse
import os
import sys
from dataclasses import dataclass
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make the repository root importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np  # noqa: E402
import torch  # noqa: E402

from benchmarks.common import (  # noqa: E402
    machine_info,
    measure_peaks,
    measure_quietly,
    set_threads,
    time_alternating,
    write_report,
)
from pybigml import backend  # noqa: E402

LIBRARIES = ("pybigml", "torch", "numpy")


@dataclass(frozen=True)
class GemmCase:
    """(batch, M, K) @ (batch, K, N) in one dtype; batch 0 means plain 2-D matrices."""

    name: str
    m: int
    n: int
    k: int
    batch: int = 0
    dtype: str = "float32"

    @property
    def flops(self) -> float:
        return 2.0 * max(self.batch, 1) * self.m * self.n * self.k


CASES = [
    GemmCase("square 256", 256, 256, 256),
    GemmCase("square 512", 512, 512, 512),
    GemmCase("square 1024", 1024, 1024, 1024),
    GemmCase("square 2048", 2048, 2048, 2048),
    GemmCase("MLP 64x784 @ 784x128", 64, 128, 784),
    GemmCase("MLP 256x784 @ 784x128", 256, 128, 784),
    GemmCase("bmm 16x(128x64 @ 64x128)", 128, 128, 64, batch=16),
    GemmCase("square 1024 fp64", 1024, 1024, 1024, dtype="float64"),
]


def run_case(case: GemmCase, repeats: int) -> dict[str, object]:
    """Times one case on every library and checks that they agree."""
    rng = np.random.default_rng(0)
    batch = (case.batch,) if case.batch else ()
    a = rng.standard_normal(batch + (case.m, case.k)).astype(case.dtype)
    b = rng.standard_normal(batch + (case.k, case.n)).astype(case.dtype)
    a_torch, b_torch = torch.from_numpy(a), torch.from_numpy(b)
    runners = {
        "pybigml": lambda: backend.matmul(a, b),
        "torch": lambda: torch.matmul(a_torch, b_torch),
        "numpy": lambda: np.matmul(a, b),
    }
    # Same answer first (a benchmark of a wrong result means nothing): relative to the
    # largest entry, float32 products of K ~ 1000 terms agree to ~1e-5.
    expected = np.matmul(a.astype(np.float64), b.astype(np.float64))
    scale = np.abs(expected).max()
    for name in ("pybigml", "torch"):
        error = np.abs(np.asarray(runners[name]()) - expected).max() / scale
        if error > 1e-4:
            raise AssertionError(f"{case.name}: {name} differs from float64 numpy by {error:.2e}")

    seconds, other_load = measure_quietly(lambda: time_alternating(runners, repeats=repeats))
    row: dict[str, object] = {"case": case.name, "dtype": case.dtype, "other load": other_load}
    for name in LIBRARIES:
        row[f"{name} ms"] = seconds[name] * 1e3
    for name in LIBRARIES:
        row[f"{name} GF/s"] = case.flops / seconds[name] / 1e9
    row["pybigml/torch"] = seconds["pybigml"] / seconds["torch"]
    row["pybigml/numpy"] = seconds["pybigml"] / seconds["numpy"]
    return row


def higher_peaks(peaks: dict[str, float]) -> dict[str, float]:
    """The element-wise maximum of ``peaks`` and a new measurement on a quiet machine."""
    measured, _ = measure_quietly(measure_peaks)
    return {dtype: max(value, measured[dtype]) for dtype, value in peaks.items()}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=os.cpu_count(), help="threads per library")
    parser.add_argument("--repeats", type=int, default=11, help="timed samples per library")
    args = parser.parse_args(argv)

    set_threads(args.threads)
    # The FMA peak is a property of the hardware, but a measurement of it can only come out
    # low (a neighbour on the same physical core, a clock not yet up to speed): it is measured
    # before every case and at the end, and the highest value is kept.
    peaks = {"float32": 0.0, "float64": 0.0}
    rows = []
    for case in CASES:
        peaks = higher_peaks(peaks)
        row = run_case(case, args.repeats)
        rows.append(row)
        print(
            f"{case.name:28s} pybigml {row['pybigml ms']:8.3f} ms  torch {row['torch ms']:8.3f} ms"
            f"  numpy {row['numpy ms']:8.3f} ms  {row['pybigml GF/s']:6.1f} GF/s"
            f"  pybigml/torch {row['pybigml/torch']:.2f}"
        )
    peaks = higher_peaks(peaks)
    for row in rows:
        for name in ("pybigml", "torch"):
            row[f"{name} % peak"] = 100 * row[f"{name} GF/s"] / peaks[row["dtype"]]

    columns = ["case", "pybigml ms", "torch ms", "numpy ms", "pybigml GF/s", "pybigml % peak"]
    columns += ["torch % peak", "pybigml/torch", "pybigml/numpy"]
    notes = (
        "\nms: median time per call; GF/s: 2*M*N*K per product / time; % peak: of the FMA peak"
        " measured at the same thread count; pybigml/torch: time ratio (< 1: pybigml faster).\n"
    )
    json_path, markdown_path = write_report(
        "gemm", "GEMM", columns, rows, machine_info(args.threads, peaks), notes
    )
    print(f"wrote {json_path} and {markdown_path}")


if __name__ == "__main__":
    main()
