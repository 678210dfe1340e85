"""Benchmark of the eager path: the Python cost of one op, and of small training steps.

A small model's training step is hundreds of ops, so the cost of recording one op matters
as much as the kernels. Cases, each run on pybigml and PyTorch in one process, alternating,
after warm-up, with the same thread count:

* ``add`` of two 1-element tensors, without and with a graph node recorded;
* a 10-layer MLP of width 32 on a batch of 16: one SGD step (forward, backward, update);
* the seed MLP (``pybigml.models.mlp.MLP``, 784-128-10, batch 64): one SGD step.

Usage: ``python -m benchmarks.bench_eager [--threads N] [--repeats R]``. Writes
``benchmarks/results/eager.json`` and ``eager.md``.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any

import numpy as np
import torch

import pybigml

from .cases import seed_mlp_step
from .common import (
    machine_info,
    measure_peaks,
    measure_quietly,
    set_threads,
    time_alternating,
    write_report,
)

LIBRARIES = {"pybigml": pybigml, "torch": torch}


def _add_case(lib: Any, requires_grad: bool) -> Callable[[], object]:
    a = lib.ones(1, requires_grad=requires_grad)
    b = lib.ones(1)
    return lambda: a + b


def _training_step(lib: Any, widths: list[int], batch: int) -> Callable[[], object]:
    """One SGD step of an MLP with the given layer widths, on fixed random data."""
    rng = np.random.default_rng(0)
    layers: list[Any] = []
    for i, (n_in, n_out) in enumerate(zip(widths, widths[1:])):
        linear = lib.nn.Linear(n_in, n_out)
        with lib.no_grad():  # the same weights in both libraries
            bound = 1 / np.sqrt(n_in)
            linear.weight.copy_(lib.tensor(rng.uniform(-bound, bound, (n_out, n_in)).astype("f4")))
            linear.bias.copy_(lib.tensor(rng.uniform(-bound, bound, n_out).astype("f4")))
        layers.append(linear)
        if i < len(widths) - 2:
            layers.append(lib.nn.ReLU())
    model = lib.nn.Sequential(*layers)
    optimizer = lib.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    loss_fn = lib.nn.CrossEntropyLoss()
    x = lib.tensor(rng.standard_normal((batch, widths[0])).astype("f4"))
    y = lib.tensor(rng.integers(0, widths[-1], batch))

    def step() -> object:
        optimizer.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        optimizer.step()
        return loss

    return step


CASES: dict[str, Callable[[Any], Callable[[], object]]] = {
    "add 1 element, no grad": lambda lib: _add_case(lib, requires_grad=False),
    "add 1 element, recording a node": lambda lib: _add_case(lib, requires_grad=True),
    "10-layer MLP (width 32, batch 16) SGD step": lambda lib: _training_step(
        lib, [32] * 11, batch=16
    ),
    "seed MLP (784-128-10, batch 64) SGD step": seed_mlp_step,
}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=1, help="threads per library")
    parser.add_argument("--repeats", type=int, default=15, help="timed samples per library")
    args = parser.parse_args(argv)

    set_threads(args.threads)
    rows = []
    for name, make in CASES.items():
        runners = {lib_name: make(lib) for lib_name, lib in LIBRARIES.items()}
        seconds, other_load = measure_quietly(
            lambda runners=runners: time_alternating(runners, repeats=args.repeats)
        )
        row = {
            "case": name,
            "pybigml us": seconds["pybigml"] * 1e6,
            "torch us": seconds["torch"] * 1e6,
            "pybigml/torch": seconds["pybigml"] / seconds["torch"],
            "other load": other_load,
        }
        rows.append(row)
        print(
            f"{name:45s} pybigml {row['pybigml us']:9.1f} us  torch {row['torch us']:9.1f} us"
            f"  pybigml/torch {row['pybigml/torch']:.2f}"
        )
    peaks, _ = measure_quietly(measure_peaks)
    notes = (
        "\nus: median microseconds per call; pybigml/torch: time ratio (< 1: pybigml faster). "
        "Both libraries run with the same thread count.\n"
    )
    columns = ["case", "pybigml us", "torch us", "pybigml/torch"]
    json_path, markdown_path = write_report(
        "eager", "Eager path", columns, rows, machine_info(args.threads, peaks), notes
    )
    print(f"wrote {json_path} and {markdown_path}")


if __name__ == "__main__":
    main()
