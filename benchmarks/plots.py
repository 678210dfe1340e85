"""Plots of a suite report (needs matplotlib, the ``plot`` extra).

* ``<date>-ratio.png``: time ratio pybigml/torch per case on a log scale, with each case's
  goal marked and the bar coloured by whether it is met.
* ``<date>-throughput.png``: achieved GF/s of the compute-bound cases against the measured
  FMA peak, and achieved GB/s of the memory-bound ones against the measured bandwidth,
  for pybigml and torch side by side.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")  # files only, no display needed
import matplotlib.pyplot as plt  # noqa: E402

COLOURS = {True: "tab:green", False: "tab:red", None: "tab:gray"}


def _ratio_plot(rows: list[dict[str, Any]], path: Path) -> None:
    fig, ax = plt.subplots(figsize=(9, 1.5 + 0.22 * len(rows)))
    positions = range(len(rows))
    ax.barh(
        positions,
        [r["ratio"] for r in rows],
        color=[COLOURS[r.get("met")] for r in rows],
    )
    goals = [(i, r["goal"]["ratio"]) for i, r in enumerate(rows) if r["goal"]["ratio"]]
    ax.scatter([g for _, g in goals], [i for i, _ in goals], marker="|", s=200, c="k", label="goal")
    ax.axvline(1.0, color="k", linewidth=0.8)
    ax.set_xscale("log")
    ax.set_yticks(list(positions), [r["case"] for r in rows], fontsize=7)
    ax.invert_yaxis()
    ax.set_xlabel("time pybigml / time torch (median; < 1: pybigml faster)")
    ax.legend(loc="lower right")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def _throughput_axis(
    ax: Any, rows: list[dict[str, Any]], key: str, bound: float, unit: str, bound_label: str
) -> None:
    positions = range(len(rows))
    height = 0.4
    for offset, lib, colour in (
        (-height / 2, "pybigml", "tab:blue"),
        (height / 2, "torch", "tab:orange"),
    ):
        ax.barh(
            [p + offset for p in positions],
            [r[key][lib] for r in rows],
            height,
            label=lib,
            color=colour,
        )
    ax.axvline(bound, color="k", linestyle="--", label=bound_label)
    ax.set_yticks(list(positions), [r["case"] for r in rows], fontsize=7)
    ax.invert_yaxis()
    ax.set_xlabel(unit)
    ax.legend(loc="lower right", fontsize=7)


def _throughput_plot(report: dict[str, Any], rows: list[dict[str, Any]], path: Path) -> bool:
    """Writes the throughput plot; False if no case counts flops or bytes."""
    machine = report["machine"]
    compute = [r for r in rows if "gflops" in r and r["dtype"] == "float32"]
    memory = [r for r in rows if "gflops" not in r and "gbps" in r]
    panels = [
        (compute, "gflops", machine["fma_peak_gflops"]["float32"], "GF/s (float32)", "FMA peak"),
        (memory, "gbps", machine["bandwidth_gbps"]["triad"], "GB/s", "STREAM triad"),
    ]
    panels = [p for p in panels if p[0]]
    if not panels:
        return False
    height = 1.5 + 0.22 * max(len(p[0]) for p in panels)
    fig, axes = plt.subplots(1, len(panels), figsize=(8 * len(panels), height), squeeze=False)
    for ax, (panel_rows, key, bound, unit, label) in zip(axes[0], panels):
        _throughput_axis(ax, panel_rows, key, bound, unit, label)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return True


def write_plots(report: dict[str, Any], out_dir: Path, stem: str) -> dict[str, Path]:
    """Writes the two plots of ``report`` into ``out_dir``; returns name -> path."""
    rows = [r for r in report["results"] if r.get("status") == "ok"]
    if not rows:
        return {}
    paths = {"ratio plot": out_dir / f"{stem}-ratio.png"}
    _ratio_plot(rows, paths["ratio plot"])
    throughput = out_dir / f"{stem}-throughput.png"
    if _throughput_plot(report, rows, throughput):
        paths["throughput plot"] = throughput
    return paths
