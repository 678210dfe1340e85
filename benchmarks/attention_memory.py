"""Peak memory of one attention forward + backward: fused kernel against composed ops.

The composed path (``pybigml.ops.attention.composed_attention``) materialises the S x S
score and probability matrices and keeps them for backward, so its memory grows as S^2;
a fused kernel (``pybigml.nn.functional.scaled_dot_product_attention``) works on tiles and
keeps only O(S) statistics. PyTorch's ``scaled_dot_product_attention`` is measured too.

Each measurement runs in a fresh Python process, so that memory freed by earlier work does
not hide the peak: the process imports everything and creates its inputs, reads its peak
resident set size (``VmHWM``, the high-water mark ``getrusage``'s ``ru_maxrss`` reports,
for this address space only), runs one forward + backward, and reports how much the peak
grew. Run by the suite; alone::

    python -m benchmarks.attention_memory --implementation composed --seq 4096
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

IMPLEMENTATIONS = ("fused", "composed", "torch")

# The shape (batch, heads, S, D) of the measurement; S is chosen per run.
BATCH, HEADS, DIM = 1, 1, 64


def _peak_rss_mib() -> float:
    """The process's peak resident set size so far, in MiB.

    Linux's ``ru_maxrss`` is the high-water mark of the whole process history, including the
    parent's memory that the child inherited at fork before it exec'd Python, so a child of
    a large process would read the parent's peak; ``VmHWM`` in /proc/self/status is the same
    high-water mark for the current address space only. ``ru_maxrss`` elsewhere.
    """
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024  # kB
    except OSError:
        pass
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 2**20 if sys.platform == "darwin" else peak / 1024  # bytes on macOS


def measure(implementation: str, seq: int, threads: int) -> dict[str, Any]:
    """Peak RSS growth of one forward + backward in this process (call it in a fresh one)."""
    import numpy as np

    if implementation == "torch":
        import torch as lib

        attention = lib.nn.functional.scaled_dot_product_attention
    else:
        import pybigml as lib
        from pybigml.ops.attention import composed_attention

        attention = (
            composed_attention
            if implementation == "composed"
            else lib.nn.functional.scaled_dot_product_attention
        )
    lib.set_num_threads(threads)
    rng = np.random.default_rng(0)

    def forward_backward(seq: int) -> float:
        shape = (BATCH, HEADS, seq, DIM)
        q, k, v = (
            lib.from_numpy(rng.standard_normal(shape).astype("float32")).requires_grad_()
            for _ in range(3)
        )
        grad_out = lib.from_numpy(rng.standard_normal(shape).astype("float32"))
        start = time.perf_counter()
        lib.autograd.grad(attention(q, k, v), (q, k, v), grad_out)
        return time.perf_counter() - start

    # A tiny pass first: one-time costs (thread pools, lazily loaded kernels) are not the
    # attention's memory. The inputs of the measured pass (4 * S * D floats) are counted,
    # 1 MiB at S=1024.
    forward_backward(16)
    baseline = _peak_rss_mib()
    seconds = forward_backward(seq)
    return {
        "baseline_mib": baseline,
        "peak_mib": _peak_rss_mib(),
        "growth_mib": _peak_rss_mib() - baseline,
        "seconds": seconds,
    }


def measure_in_subprocess(
    implementation: str, seq: int, threads: int, timeout: float = 300.0
) -> dict[str, Any]:
    """``measure`` in a fresh interpreter; failures are returned as a status, not raised."""
    record: dict[str, Any] = {
        "implementation": implementation,
        "shape": f"B{BATCH} H{HEADS} S{seq} D{DIM}",
        "seq": seq,
        "threads": threads,
    }
    root = Path(__file__).resolve().parent.parent
    command = [sys.executable, "-m", "benchmarks.attention_memory"]
    command += ["--implementation", implementation, "--seq", str(seq), "--threads", str(threads)]
    env = dict(os.environ, OMP_NUM_THREADS=str(threads))
    try:
        done = subprocess.run(
            command, cwd=root, env=env, capture_output=True, text=True, timeout=timeout
        )
    except subprocess.TimeoutExpired:
        return {**record, "status": f"error: timed out after {timeout:.0f} s"}
    if done.returncode != 0:
        last_line = (done.stderr.strip().splitlines() or ["no output"])[-1]
        return {**record, "status": f"error: {last_line}"}
    return {**record, **json.loads(done.stdout.strip().splitlines()[-1]), "status": "ok"}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--implementation", choices=IMPLEMENTATIONS, required=True)
    parser.add_argument("--seq", type=int, default=1024, help="sequence length S")
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args(argv)
    print(json.dumps(measure(args.implementation, args.seq, args.threads)))


if __name__ == "__main__":
    main()
