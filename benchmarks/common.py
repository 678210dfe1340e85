"""Shared machinery of pybigml's benchmarks: fair timing, facts about the machine, reports.

Every benchmark runs pybigml, PyTorch (and numpy where it applies) in one process, on the
same data, with the same thread count (``set_threads``). ``time_alternating`` runs the libraries one after
another in a rotating order, each sample after a burst of untimed calls, so a change of
clock speed or of load on the machine hits all of them alike; it reports medians.
``measure_quietly`` waits for other processes to leave the CPUs alone and measures again
if they did not. ``measure_peaks`` and ``measure_bandwidth`` measure the machine's yardsticks
(FMA peak, STREAM bandwidth) with native kernels. ``write_report`` stores the results as JSON and as a markdown table in
``benchmarks/results/``.
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import torch

from pybigml import _C, backend

RESULTS_DIR = Path(__file__).resolve().parent / "results"

T = TypeVar("T")

# Each timed sample runs a case enough times to last at least this long, so that the
# resolution of the clock and the cost of the timing loop do not matter.
MIN_SAMPLE_SECONDS = 5e-3


def set_threads(n: int) -> None:
    """Gives pybigml's kernels, numpy's BLAS and PyTorch the same number of threads."""
    backend.set_num_threads(n)
    torch.set_num_threads(n)


def _calls_per_sample(run: Callable[[], object]) -> int:
    """How many calls of ``run`` last at least MIN_SAMPLE_SECONDS (run is warm)."""
    calls = 1
    while True:
        start = time.perf_counter()
        for _ in range(calls):
            run()
        if time.perf_counter() - start >= MIN_SAMPLE_SECONDS:
            return calls
        calls *= 2


def _run_for(run: Callable[[], object], seconds: float) -> None:
    """Calls ``run`` repeatedly for about ``seconds`` (at least once if ``seconds > 0``)."""
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        run()


def time_alternating(
    runners: dict[str, Callable[[], object]], repeats: int = 15, burst_warmup: float = 0.15
) -> dict[str, float]:
    """Median seconds per call of each runner, timed in alternation (see ``time_samples``)."""
    samples = time_samples(runners, repeats, burst_warmup)
    return {name: statistics.median(values) for name, values in samples.items()}


def time_samples(
    runners: dict[str, Callable[[], object]], repeats: int = 15, burst_warmup: float = 0.15
) -> dict[str, list[float]]:
    """Timed samples (seconds per call) of each runner, taken in alternation.

    Each timed sample is preceded by ``burst_warmup`` seconds of untimed calls of the same
    runner. Switching libraries costs time that belongs to neither: the previous library's
    worker threads keep spinning for a while after their last call (OpenBLAS about 0.1 s)
    and take cores from the next one, and on a virtual machine a core that went idle is slow
    to come back. After the burst each library is timed as it runs in a loop of its own
    calls, while alternation still spreads drifts of the machine over all of them.

    Args:
        runners: library name -> a function doing one unit of work.
        repeats: timed samples per runner; each sample averages as many calls as last
            MIN_SAMPLE_SECONDS.
        burst_warmup: seconds of untimed calls before each sample.

    Returns:
        library name -> ``repeats`` samples of seconds per call.
    """
    names = list(runners)
    calls = {}
    for name in names:
        _run_for(runners[name], burst_warmup)
        calls[name] = _calls_per_sample(runners[name])
    samples: dict[str, list[float]] = {name: [] for name in names}
    for repeat in range(repeats):
        order = names[repeat % len(names) :] + names[: repeat % len(names)]
        for name in order:
            run, count = runners[name], calls[name]
            _run_for(run, burst_warmup)
            start = time.perf_counter()
            for _ in range(count):
                run()
            samples[name].append((time.perf_counter() - start) / count)
    return samples


class OtherLoad:
    """The share of the machine's CPU time used by other processes since construction.

    On a shared machine a busy neighbour takes cores from whichever library is being timed,
    and multi-threaded kernels suffer most: a thread waiting at a barrier for a descheduled
    partner loses a whole scheduler tick. Reads /proc/stat (Linux); elsewhere share() is None.
    """

    def __init__(self) -> None:
        self._start = self._snapshot()

    @staticmethod
    def _snapshot() -> tuple[float, float, float] | None:
        """(busy seconds of all CPUs, total seconds of all CPUs, CPU seconds of this process)."""
        try:
            with open("/proc/stat") as stat:
                # user nice system idle iowait irq softirq steal (in clock ticks)
                ticks = [int(value) for value in stat.readline().split()[1:9]]
        except (OSError, ValueError):
            return None
        per_second = os.sysconf("SC_CLK_TCK")
        own = os.times()  # this process and the children it has waited for
        idle = ticks[3] + ticks[4]
        busy = sum(ticks) - idle
        own_seconds = own.user + own.system + own.children_user + own.children_system
        return busy / per_second, sum(ticks) / per_second, own_seconds

    def share(self) -> float | None:
        end = self._snapshot()
        if self._start is None or end is None:
            return None
        busy, total, own = (after - before for after, before in zip(end, self._start))
        return max(busy - own, 0.0) / max(total, 1e-9)


def wait_for_quiet_machine(
    max_share: float = 0.1, window_seconds: float = 1.0, timeout_seconds: float = 600.0
) -> None:
    """Waits until other processes use at most ``max_share`` of the CPUs for a whole window
    (or until the timeout)."""
    deadline = time.monotonic() + timeout_seconds
    while time.monotonic() < deadline:
        load = OtherLoad()
        time.sleep(window_seconds)
        share = load.share()
        if share is None or share <= max_share:
            return


def measure_quietly(
    measure: Callable[[], T],
    max_share: float = 0.1,
    attempts: int = 5,
    wait_seconds: float = 600.0,
) -> tuple[T, float | None]:
    """Runs ``measure`` on a quiet machine, again if other processes woke up meanwhile.

    Args:
        measure: the measurement.
        max_share: the share of the CPUs other processes may use for the machine to count
            as quiet.
        attempts: measurements at most.
        wait_seconds: how long to wait for a quiet machine before each attempt (0: don't).

    Returns:
        measure's result from the first attempt during which other processes used at most
        ``max_share`` of the CPUs (else from the last attempt), and that share.
    """
    for _ in range(attempts):
        if wait_seconds > 0:
            wait_for_quiet_machine(max_share, timeout_seconds=wait_seconds)
        load = OtherLoad()
        result = measure()
        share = load.share()
        if share is None or share <= max_share:
            break
    return result, share


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def machine_info(threads: int, peak_gflops: dict[str, float]) -> dict[str, Any]:
    """What a reader needs to judge the numbers: hardware, versions, threads, FMA peak."""
    return {
        "cpu": _cpu_model(),
        "cores": os.cpu_count(),
        "threads": threads,
        "fma_peak_gflops": peak_gflops,
        "platform": platform.platform(),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "torch": torch.__version__,
        "pybigml_build": _C.build_info(),
        "environment": {
            key: os.environ[key]
            for key in (
                "OMP_NUM_THREADS",
                "OMP_WAIT_POLICY",
                "OPENBLAS_CORETYPE",
                "OPENBLAS_L2_SIZE",
            )
            if key in os.environ
        },
        "date": time.strftime("%Y-%m-%d %H:%M:%S"),
    }


def measure_peaks(repeats: int = 5) -> dict[str, float]:
    """Measured FMA peak in GFLOP/s for float32 and float64 at the current thread count."""
    return {dtype: _C.measure_fma_peak(dtype, repeats=repeats) for dtype in ("float32", "float64")}


def measure_bandwidth(array_mib: int = 64, repeats: int = 5) -> dict[str, float]:
    """Measured STREAM copy and triad bandwidth in GB/s at the current thread count."""
    return _C.measure_bandwidth(array_mib=array_mib, repeats=repeats)


def markdown_table(columns: Sequence[str], rows: Sequence[dict[str, Any]]) -> str:
    """A markdown table of ``rows`` (dicts) with the given columns; floats get 3 digits."""

    def cell(value: Any) -> str:
        if isinstance(value, float):
            return f"{value:.3g}" if abs(value) < 100 else f"{value:.0f}"
        return str(value)

    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(cell(row[column]) for column in columns) + " |" for row in rows]
    return "\n".join(lines)


def write_report(
    name: str,
    title: str,
    columns: Sequence[str],
    rows: Sequence[dict[str, Any]],
    machine: dict[str, Any],
    notes: str = "",
) -> tuple[Path, Path]:
    """Writes results/<name>.json (machine + rows) and results/<name>.md (a table).

    Returns:
        The paths of the JSON file and of the markdown file.
    """
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    json_path = RESULTS_DIR / f"{name}.json"
    markdown_path = RESULTS_DIR / f"{name}.md"
    json_path.write_text(json.dumps({"machine": machine, "results": list(rows)}, indent=2) + "\n")
    peaks = ", ".join(f"{k} {v:.0f} GF/s" for k, v in machine["fma_peak_gflops"].items())
    header = (
        f"# {title}\n\n"
        f"{machine['cpu']}, {machine['threads']} threads (of {machine['cores']} cores), "
        f"measured FMA peak: {peaks}. numpy {machine['numpy']}, torch {machine['torch']}, "
        f"{machine['date']}.\n\n"
    )
    markdown_path.write_text(header + markdown_table(columns, rows) + "\n" + notes)
    return json_path, markdown_path
