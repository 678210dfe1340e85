"""The benchmark suite's machinery on tiny cases: what it writes, and that a missing or broken
case is reported rather than fatal. Timings are never asserted."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from benchmarks import attention_memory
from benchmarks.__main__ import main
from benchmarks.cases import Case, Input, all_cases, op_case
from benchmarks.suite import Settings, run_suite
from pybigml import _C

TINY = Settings(repeats=2, burst_warmup=0.001, quiet_wait=0.0, peak_repeats=1)


def _broken(lib: object) -> object:
    raise ValueError("cannot build")


CASES = [
    op_case(
        "gemm tiny 8x8",
        "gemm",
        lambda lib, a, b: lib.matmul(a, b),
        [Input((8, 8)), Input((8, 8))],
        flops=2 * 8**3,
        bytes=4 * 3 * 64,
        goal=1e9,  # met whatever the timing
        bandwidth_goal=1e-9,
    ),
    op_case(
        "softmax tiny fwd+bwd",
        "memory-bound",
        lambda lib, x: lib.nn.functional.softmax(x, dim=-1),
        [Input((4, 5), requires_grad=True)],
        backward=True,
        bytes=4 * 5 * 20,
    ),
    Case("conv tiny", "conv", _broken, needs=("nn.functional.no_such_op",)),
    Case("broken tiny", "conv", _broken),
]


def test_suite_writes_json_and_markdown_without_matplotlib(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "benchmarks.plots", None)  # import fails: no matplotlib
    paths = run_suite(CASES, threads=1, settings=TINY, out_dir=tmp_path, attention_seqs=())
    assert set(paths) == {"json", "markdown"} and not list(tmp_path.glob("*.png"))
    report = json.loads(paths["json"].read_text())
    machine = report["machine"]
    assert machine["threads"] == 1
    assert set(machine["fma_peak_gflops"]) == {"float32", "float64"}
    assert set(machine["bandwidth_gbps"]) == {"copy", "triad"}
    rows = {row["case"]: row for row in report["results"]}
    assert [row["status"] for row in rows.values()] == ["ok", "ok", "missing", "error"]

    gemm = rows["gemm tiny 8x8"]
    assert set(gemm["times"]) == {"pybigml", "torch"}
    assert set(gemm["times"]["pybigml"]) == {"median_ms", "q1_ms", "q3_ms", "iqr_ms"}
    assert gemm["ratio"] == pytest.approx(
        gemm["times"]["pybigml"]["median_ms"] / gemm["times"]["torch"]["median_ms"]
    )
    assert set(gemm["gflops"]) == set(gemm["pct_peak"]) == set(gemm["pct_bandwidth"])
    assert gemm["met"] is True and gemm["rel_diff_vs_torch"] < 1e-5
    softmax = rows["softmax tiny fwd+bwd"]
    assert "gflops" not in softmax and softmax["met"] is None  # no goal, reported only
    assert softmax["rel_diff_vs_torch"] < 1e-5  # the gradients agree
    assert rows["conv tiny"]["error"] == "pybigml lacks pybigml.nn.functional.no_such_op"
    assert rows["broken tiny"]["error"] == "ValueError: cannot build"

    markdown = paths["markdown"].read_text()
    assert markdown.startswith("# pybigml benchmarks")
    assert "| case | pybigml ms |" in markdown
    assert "| conv tiny |" in markdown and "missing" in markdown
    assert "Goals met: 1 of 1 measured cases with a goal" in markdown


def test_attention_memory_in_a_fresh_process() -> None:
    record = attention_memory.measure_in_subprocess("composed", seq=64, threads=1)
    assert record["status"] == "ok", record["status"]
    assert record["growth_mib"] >= 0 and record["peak_mib"] >= record["baseline_mib"]


def test_case_names_are_unique_and_filter_rejects_no_match() -> None:
    names = [case.name for case in all_cases()]
    assert len(names) == len(set(names))
    with pytest.raises(SystemExit):
        main(["--only", "no case has this name"])


def test_measure_bandwidth_checks_its_argument() -> None:
    with pytest.raises(ValueError, match="array_mib must be in"):
        _C.measure_bandwidth(array_mib=0)
