"""The benchmark suite: every case of ``cases.py`` on pybigml, PyTorch (and numpy where it
applies), the machine's yardsticks, the attention-memory comparison, and the reports.

Each case is built for every library from the same seeded inputs, run once per library to
compare results (recorded as the relative difference to PyTorch), then timed with
``common.time_samples``: libraries alternate, each sample after a burst of untimed calls.
A case fails alone: a missing pybigml function is reported as ``missing``, any exception
as ``error`` with its message, and the suite goes on.
"""

from __future__ import annotations

import json
import statistics
import time
import traceback
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

import pybigml

from . import attention_memory
from .cases import Case
from .common import (
    MIN_SAMPLE_SECONDS,
    machine_info,
    markdown_table,
    measure_bandwidth,
    measure_peaks,
    measure_quietly,
    time_samples,
)

LIBRARIES = {"pybigml": pybigml, "torch": torch}


@dataclass(frozen=True)
class Settings:
    """How hard to measure.

    Attributes:
        repeats: timed samples per library and case, at most.
        min_repeats: timed samples at least, even in a slow case.
        case_seconds: the time a case's samples should take; slow cases take fewer samples
            (down to ``min_repeats``) to stay near it.
        burst_warmup: seconds of untimed calls before each sample.
        quiet_wait: seconds to wait, before each case, for other processes to leave the CPUs
            alone (0: don't wait).
        peak_repeats: rounds of the FMA-peak and bandwidth measurements.
    """

    repeats: int = 11
    min_repeats: int = 5
    case_seconds: float = 6.0
    burst_warmup: float = 0.1
    quiet_wait: float = 5.0
    peak_repeats: int = 5

    def repeats_for(self, call_seconds: float) -> int:
        """Samples for a case whose libraries together take ``call_seconds`` per round of
        single calls: each sample costs a timed call and, with a burst, at least one more."""
        per_repeat = max(call_seconds, MIN_SAMPLE_SECONDS)
        if self.burst_warmup > 0:
            per_repeat += max(call_seconds, self.burst_warmup)
        return max(self.min_repeats, min(self.repeats, int(self.case_seconds / per_repeat)))


FULL = Settings()
# No bursts in a quick run: a slow case costs 3 timed calls per library, plus 2 to calibrate.
QUICK = Settings(
    repeats=3, min_repeats=3, case_seconds=1.0, burst_warmup=0.0, quiet_wait=0.0, peak_repeats=2
)


def missing_attributes(case: Case) -> list[str]:
    """The attributes ``case.needs`` that pybigml does not have."""
    missing = []
    for path in case.needs:
        target: Any = pybigml
        for part in path.split("."):
            target = getattr(target, part, None)
        if target is None:
            missing.append(f"pybigml.{path}")
    return missing


def _as_arrays(result: Any) -> list[np.ndarray]:
    """The tensors in a case's result, as float64 numpy arrays."""
    if isinstance(result, (list, tuple)):
        return [a for item in result for a in _as_arrays(item)]
    return [np.asarray(result.detach().numpy(), dtype=np.float64)]


def relative_difference(result: Any, reference: Any) -> float:
    """max |result - reference| / max |reference| over all tensors of the results."""
    pairs = zip(_as_arrays(result), _as_arrays(reference), strict=True)
    worst = 0.0
    for got, want in pairs:
        scale = max(float(np.abs(want).max(initial=0.0)), 1e-30)
        worst = max(worst, float(np.abs(got - want).max(initial=0.0)) / scale)
    return worst


def _summary(samples: list[float]) -> dict[str, float]:
    """Median and interquartile range of timed samples, in milliseconds."""
    ms = sorted(1e3 * s for s in samples)
    q1, _, q3 = statistics.quantiles(ms, n=4, method="inclusive") if len(ms) > 1 else ms * 3
    return {"median_ms": statistics.median(ms), "q1_ms": q1, "q3_ms": q3, "iqr_ms": q3 - q1}


def run_case(case: Case, settings: Settings) -> dict[str, Any]:
    """Times one case on every library; never raises (failures are recorded in the row).

    The shares of peak and bandwidth are added later (``add_shares``), once the machine's
    yardsticks have been measured at both ends of the run.
    """
    row: dict[str, Any] = {
        "case": case.name,
        "family": case.family,
        "dtype": case.dtype,
        "flops": case.flops,
        "bytes": case.bytes,
        "goal": {"ratio": case.goal, "stretch": case.stretch, "bandwidth": case.bandwidth_goal},
    }
    missing = missing_attributes(case)
    if missing:
        row.update(status="missing", error="pybigml lacks " + ", ".join(missing))
        return row
    runners: dict[str, Any] = {}
    try:
        for name, lib in LIBRARIES.items():
            runners[name] = case.build(lib)
        if case.numpy is not None:
            runners["numpy"] = case.numpy()
        # Same answer first (a benchmark of a wrong result means nothing); the difference is
        # recorded, not judged: float32 sums in another order differ by ~1e-6 relative.
        results, call_seconds = {}, 0.0
        for name, run in runners.items():
            start = time.perf_counter()
            results[name] = run()
            call_seconds += time.perf_counter() - start
        row["rel_diff_vs_torch"] = relative_difference(results["pybigml"], results["torch"])
        results.clear()
        repeats = settings.repeats_for(call_seconds)
        row["repeats"] = repeats
        samples, other_load = measure_quietly(
            lambda: time_samples(runners, repeats, settings.burst_warmup),
            attempts=2 if settings.quiet_wait > 0 else 1,
            wait_seconds=settings.quiet_wait,
        )
    except Exception as error:  # one broken case must not stop the suite
        row.update(status="error", error=f"{type(error).__name__}: {error}")
        row["traceback"] = traceback.format_exc(limit=-3)
        return row
    finally:
        runners.clear()  # free the inputs (attention cases hold hundreds of MB)
    row["status"] = "ok"
    row["other_load"] = other_load
    row["times"] = {name: _summary(values) for name, values in samples.items()}
    seconds = {name: t["median_ms"] / 1e3 for name, t in row["times"].items()}
    row["ratio"] = seconds["pybigml"] / seconds["torch"]
    if case.flops:
        row["gflops"] = {name: case.flops / s / 1e9 for name, s in seconds.items()}
    if case.bytes:
        row["gbps"] = {name: case.bytes / s / 1e9 for name, s in seconds.items()}
    return row


def add_shares(row: dict[str, Any], peaks: dict[str, Any]) -> None:
    """% of the FMA peak and of the triad bandwidth, and whether the goals are met."""
    if row.get("status") != "ok":
        return
    if "gflops" in row:
        peak = peaks["fma_gflops"][row["dtype"]]
        row["pct_peak"] = {name: 100 * v / peak for name, v in row["gflops"].items()}
    if "gbps" in row:
        bandwidth = peaks["bandwidth_gbps"]["triad"]
        row["pct_bandwidth"] = {name: 100 * v / bandwidth for name, v in row["gbps"].items()}
    goal = row["goal"]
    checks = []
    if goal["ratio"] is not None:
        checks.append(row["ratio"] <= goal["ratio"])
    if goal["bandwidth"] is not None:
        checks.append(row["pct_bandwidth"]["pybigml"] >= 100 * goal["bandwidth"])
    row["met"] = all(checks) if checks else None
    if goal["stretch"] is not None:
        row["stretch_met"] = row["ratio"] <= goal["stretch"]


def measure_yardsticks(settings: Settings) -> dict[str, Any]:
    """FMA peak (GF/s per dtype) and STREAM bandwidth (GB/s), on a quiet machine if possible."""

    def measure() -> dict[str, Any]:
        return {
            "fma_gflops": measure_peaks(settings.peak_repeats),
            "bandwidth_gbps": measure_bandwidth(repeats=settings.peak_repeats),
        }

    result, _ = measure_quietly(measure, attempts=1, wait_seconds=settings.quiet_wait)
    return result


def higher(a: dict[str, Any], b: dict[str, Any]) -> dict[str, Any]:
    """Element-wise maximum of two yardstick measurements: a measurement of a hardware limit
    can only come out low (a busy neighbour, a clock not yet up to speed)."""
    return {
        kind: {key: max(value, b[kind][key]) for key, value in values.items()}
        for kind, values in a.items()
    }


def _cell_ms(row: dict[str, Any], lib: str) -> str:
    times = row.get("times", {}).get(lib)
    return "" if times is None else f"{times['median_ms']:.3g}"


def _goal_text(goal: dict[str, Any]) -> str:
    parts = []
    if goal["ratio"] is not None:
        parts.append(f"<= {goal['ratio']:g}")
    if goal["stretch"] is not None:
        parts.append(f"({goal['stretch']:g})")
    if goal["bandwidth"] is not None:
        parts.append(f">= {100 * goal['bandwidth']:.0f}% bw")
    return " ".join(parts)


def markdown_rows(rows: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """The report's table rows: one line per case, the numbers a reader compares."""
    table = []
    for row in rows:
        ok = row.get("status") == "ok"
        pybigml_times = row.get("times", {}).get("pybigml")
        throughput = ""
        if ok and "gflops" in row:
            throughput = f"{row['gflops']['pybigml']:.3g} GF/s ({row['pct_peak']['pybigml']:.0f}%)"
        elif ok and "gbps" in row:
            throughput = (
                f"{row['gbps']['pybigml']:.3g} GB/s ({row['pct_bandwidth']['pybigml']:.0f}%)"
            )
        torch_share = ""
        if ok and "pct_peak" in row:
            torch_share = f"{row['pct_peak']['torch']:.0f}% peak"
        elif ok and "pct_bandwidth" in row:
            torch_share = f"{row['pct_bandwidth']['torch']:.0f}% bw"
        met = {True: "yes", False: "**no**", None: ""}[row.get("met")]
        table.append(
            {
                "case": row["case"],
                "pybigml ms": _cell_ms(row, "pybigml"),
                "IQR %": f"{100 * pybigml_times['iqr_ms'] / pybigml_times['median_ms']:.0f}"
                if pybigml_times
                else "",
                "torch ms": _cell_ms(row, "torch"),
                "numpy ms": _cell_ms(row, "numpy"),
                "pybigml/torch": f"{row['ratio']:.3g}" if ok else "",
                "goal": _goal_text(row["goal"]),
                "met": met,
                "pybigml throughput": throughput,
                "torch": torch_share,
                "status": row["status"] if row["status"] != "error" else f"error: {row['error']}",
            }
        )
    return table


MARKDOWN_COLUMNS = [
    "case",
    "pybigml ms",
    "IQR %",
    "torch ms",
    "numpy ms",
    "pybigml/torch",
    "goal",
    "met",
    "pybigml throughput",
    "torch",
    "status",
]


def markdown_report(report: dict[str, Any]) -> str:
    """The whole report as markdown: machine, summary of goals, case table, attention memory."""
    machine, rows = report["machine"], report["results"]
    peaks = machine["fma_peak_gflops"]
    bandwidth = machine["bandwidth_gbps"]
    lines = [
        f"# pybigml benchmarks, {machine['date']}",
        "",
        f"{machine['cpu']}, {machine['threads']} threads for every library (of "
        f"{machine['cores']} cores). Measured FMA peak: float32 {peaks['float32']:.0f} GF/s, "
        f"float64 {peaks['float64']:.0f} GF/s; STREAM bandwidth: triad "
        f"{bandwidth['triad']:.1f} GB/s, copy {bandwidth['copy']:.1f} GB/s. numpy "
        f"{machine['numpy']}, torch {machine['torch']}, settings: {report['settings']}.",
        "",
    ]
    with_goal = [r for r in rows if r.get("met") is not None]
    met = sum(r["met"] for r in with_goal)
    statuses = [r["status"] for r in rows]
    lines.append(
        f"Goals met: {met} of {len(with_goal)} measured cases with a goal; "
        f"{statuses.count('missing')} missing, {statuses.count('error')} errors, "
        f"{len(rows)} cases in all."
    )
    lines += ["", markdown_table(MARKDOWN_COLUMNS, markdown_rows(rows)), ""]
    lines += [
        "ms: median time per call (IQR %: pybigml's interquartile range relative to its "
        "median); pybigml/torch: ratio of medians (< 1: pybigml faster); throughput: flops or "
        "bytes counted per case (see benchmarks/README.md) per median time, and its share of "
        "the measured FMA peak or triad bandwidth; goal: ratio at most, and bandwidth share "
        "at least.",
        "",
    ]
    memory = report.get("attention_memory")
    if memory:
        lines += [
            "## Attention memory (forward + backward, fresh process each)",
            "",
            markdown_table(
                ["implementation", "shape", "peak RSS growth MiB", "seconds", "status"],
                [
                    {
                        "implementation": m["implementation"],
                        "shape": m["shape"],
                        "peak RSS growth MiB": m.get("growth_mib", ""),
                        "seconds": m.get("seconds", ""),
                        "status": m["status"],
                    }
                    for m in memory
                ],
            ),
            "",
            "Peak RSS growth: the process's peak resident memory (VmHWM, the high-water mark "
            "of ru_maxrss for this address space) after the pass, minus its value after "
            "imports and input creation.",
            "",
        ]
    return "\n".join(lines)


def run_suite(
    cases: Sequence[Case],
    threads: int,
    settings: Settings,
    out_dir: Path,
    attention_seqs: Sequence[int] = (1024, 4096),
) -> dict[str, Path]:
    """Runs the cases and writes ``<date>.json``, ``<date>.md`` and the plots in ``out_dir``.

    Returns:
        kind of output ("json", "markdown", plot names) -> path written.
    """
    from .common import set_threads

    set_threads(threads)
    yardsticks = measure_yardsticks(settings)
    rows = []
    started = time.perf_counter()
    for number, case in enumerate(cases, 1):
        case_started = time.perf_counter()
        row = run_case(case, settings)
        row["wall_seconds"] = time.perf_counter() - case_started
        rows.append(row)
        print(_progress_line(number, len(cases), row), flush=True)
    # The yardsticks again at the end; the shares use the higher of the two measurements.
    yardsticks = higher(yardsticks, measure_yardsticks(settings))
    for row in rows:
        add_shares(row, yardsticks)
    memory = [
        attention_memory.measure_in_subprocess(implementation, seq, threads)
        for seq in attention_seqs
        for implementation in attention_memory.IMPLEMENTATIONS
    ]
    for m in memory:
        print(f"attention memory {m['implementation']:9s} {m['shape']}: {m}", flush=True)
    machine = machine_info(threads, yardsticks["fma_gflops"])
    machine["bandwidth_gbps"] = yardsticks["bandwidth_gbps"]
    report = {
        "machine": machine,
        "settings": settings.__dict__,
        "wall_seconds": time.perf_counter() - started,
        "results": rows,
        "attention_memory": memory,
    }
    out_dir.mkdir(parents=True, exist_ok=True)
    stem = time.strftime("%Y-%m-%d")
    paths = {"json": out_dir / f"{stem}.json", "markdown": out_dir / f"{stem}.md"}
    paths["json"].write_text(json.dumps(report, indent=2) + "\n")
    paths["markdown"].write_text(markdown_report(report))
    try:
        from . import plots
    except ImportError as error:  # matplotlib is the optional `plot` extra
        print(f"no plots ({error}); install pybigml[plot] for them")
    else:
        paths.update(plots.write_plots(report, out_dir, stem))
    return paths


def _progress_line(number: int, total: int, row: dict[str, Any]) -> str:
    head = f"[{number:2d}/{total}] {row['case']:50s}"
    if row["status"] != "ok":
        return f"{head} {row['status']}: {row['error']}"
    times = row["times"]
    return (
        f"{head} pybigml {times['pybigml']['median_ms']:9.3f} ms  "
        f"torch {times['torch']['median_ms']:9.3f} ms  ratio {row['ratio']:.2f}"
    )
