"""``python -m benchmarks``: the whole suite, pybigml against PyTorch (and numpy).

Runs every case of ``benchmarks/cases.py`` (GEMM, convolution, attention, softmax-family
kernels, reductions, pooling, a training step) on every library in one process, alternating,
after warm-up, with the same thread count; measures the machine's FMA peak and memory
bandwidth; compares the peak memory of fused and composed attention in fresh processes; and
writes ``<date>.json``, ``<date>.md`` and PNG plots (with matplotlib) into ``--out``.

    python -m benchmarks [--only SUBSTRING ...] [--quick] [--threads N] [--out DIR]
"""

from __future__ import annotations

import argparse
from pathlib import Path

from .cases import all_cases
from .common import RESULTS_DIR
from .suite import FULL, QUICK, run_suite


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks", description=__doc__.split("\n")[0]
    )
    parser.add_argument(
        "--only",
        action="append",
        default=[],
        metavar="SUBSTRING",
        help="run only cases whose name contains SUBSTRING (case-insensitive; repeatable)",
    )
    parser.add_argument(
        "--quick", action="store_true", help="fewer, shorter samples and no waiting for quiet"
    )
    parser.add_argument("--threads", type=int, default=2, help="threads for every library")
    parser.add_argument("--out", type=Path, default=RESULTS_DIR, help="directory of the reports")
    parser.add_argument(
        "--no-attention-memory",
        action="store_true",
        help="skip the fused vs composed attention memory measurement",
    )
    args = parser.parse_args(argv)

    wanted = [s.lower() for s in args.only]
    cases = [c for c in all_cases() if not wanted or any(w in c.name.lower() for w in wanted)]
    if not cases:
        parser.error(f"no case matches {args.only}")
    paths = run_suite(
        cases,
        threads=args.threads,
        settings=QUICK if args.quick else FULL,
        out_dir=args.out,
        attention_seqs=() if args.no_attention_memory else (1024, 4096),
    )
    for kind, path in paths.items():
        print(f"wrote {kind}: {path}")


if __name__ == "__main__":
    main()
