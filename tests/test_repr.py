"""Printing: ``repr(pybigml.tensor(x))`` must read as ``repr(torch.tensor(x))`` with ``pybigml.``.

The one allowed difference is where a ``dtype=`` suffix wraps: ``pybigml.float64`` is two
characters longer than ``torch.float64``, so near the 80-column edge the suffix may move to
its own line in one and not the other. ``_normalise`` joins such a wrapped suffix back.
"""

from __future__ import annotations

import re

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import pybigml

rng = np.random.default_rng(0)

CASES = {
    "floats": np.array([1.0, 2.0, 3.0], np.float32),
    "decimals": np.array([[0.1, 0.2], [0.3, 0.4]], np.float32),
    "negative": np.array([-1.5, 2.25, 0.0], np.float32),
    "zero_d_float": np.array(3.5, np.float32),
    "zero_d_int": np.array(7),
    "zero_d_bool": np.array(True),
    "zero_d_float64": np.array(-2.0),
    "tiny": np.array([1e-5], np.float32),
    "wide_range": np.array([1e-5, 1.0], np.float32),
    "range_1000": np.array([1000.5, 1.0], np.float32),
    "range_1001": np.array([1001.0, 1.0], np.float32),
    "huge": np.array([1e9, 1.0], np.float32),
    "extreme_exponents": np.array([1e-100, 1e100]),
    "rounds_up": np.array([9.99996, 1.0], np.float32),
    "large_integers": np.array([123456.0, -7.0], np.float32),
    "nonfinite": np.array([1.0, np.nan, np.inf, -np.inf], np.float32),
    "only_nan": np.array([np.nan, np.inf], np.float32),
    "zeros": np.array([0.0, -0.0], np.float32),
    "ints": np.array([1, -20, 300]),
    "bools": np.array([True, False]),
    "int32": np.arange(100, dtype=np.int32),
    "uint8": np.ones((1, 1, 1), np.uint8),
    "float16": np.arange(30, dtype=np.float16) / 7,
    "float64_matrix": rng.standard_normal((2, 3, 4)),
    "matrix": rng.standard_normal((5, 7)).astype(np.float32),
    "wrapped_rows": rng.standard_normal((3, 30)).astype(np.float32) * 1e-6,
    "rank4": (rng.standard_normal((3, 3, 3, 3)) * 100).astype(np.float32),
    "int_matrix": rng.integers(-1000, 1000, (4, 50)),
    "summarised_vector": rng.standard_normal(2000).astype(np.float32),
    "summarised_matrix": rng.standard_normal((40, 40)).astype(np.float32),
    "summarised_ints": np.arange(2000).reshape(10, 200),
    "summarised_cube": rng.standard_normal((11, 11, 11)).astype(np.float32),
    "summarised_scientific": (rng.standard_normal(1500) * 1e5).astype(np.float32),
    "empty": np.zeros((0,), np.float32),
    "empty_int": np.zeros((0,), np.int64),
    "empty_matrix": np.zeros((0, 3), np.float32),
    "empty_float64": np.zeros((2, 0, 3)),
}


def _normalise(text: str) -> str:
    return re.sub(r",\n *dtype=", ", dtype=", text)


def _torch_repr(x: np.ndarray, requires_grad: bool = False) -> str:
    return repr(torch.tensor(x, requires_grad=requires_grad)).replace("torch.", "pybigml.")


@pytest.mark.parametrize("name", CASES)
def test_repr_matches_torch(name):
    x = CASES[name]
    assert _normalise(repr(pybigml.tensor(x))) == _normalise(_torch_repr(x))


@pytest.mark.parametrize("name", [n for n, x in CASES.items() if x.dtype.kind == "f"])
def test_repr_requires_grad_matches_torch(name):
    x = CASES[name]
    got = repr(pybigml.tensor(x, requires_grad=True))
    assert _normalise(got) == _normalise(_torch_repr(x, requires_grad=True))


@given(
    hnp.arrays(
        np.float32,
        hnp.array_shapes(min_dims=0, max_dims=3, max_side=6),
        elements=st.floats(-1e6, 1e6, width=32) | st.sampled_from([0.0, 1e-7, np.nan, np.inf]),
    )
)
def test_repr_matches_torch_for_drawn_arrays(x):
    assert _normalise(repr(pybigml.tensor(x))) == _normalise(_torch_repr(x))


def test_grad_fn_suffix():
    y = pybigml.tensor([1.0, 2.0], requires_grad=True) * 2
    assert re.fullmatch(r"tensor\(\[2\., 4\.\], grad_fn=<\w+>\)", repr(y))
    assert repr(y).endswith(f"grad_fn=<{y.grad_fn.name()}>)")


OPTIONS = [
    {"precision": 2},
    {"sci_mode": True},
    {"sci_mode": False},
    {"threshold": 5},
    {"threshold": 5, "edgeitems": 1},
    {"threshold": 3, "edgeitems": 0},
    {"linewidth": 40},
    {"profile": "short"},
]


@pytest.mark.parametrize("options", OPTIONS, ids=str)
def test_set_printoptions_matches_torch(options):
    arrays = [
        np.array([1.5, 1e-6, 3.0]),
        np.arange(20.0, dtype=np.float32),
        rng.standard_normal((4, 5)).astype(np.float32),
        np.arange(10),
        np.array(3.25, np.float32),
    ]
    try:
        torch.set_printoptions(**options)
        pybigml.set_printoptions(**options)
        for x in arrays:
            assert _normalise(repr(pybigml.tensor(x))) == _normalise(_torch_repr(x))
    finally:
        torch.set_printoptions(profile="default")
        pybigml.set_printoptions(profile="default")


def test_print_uses_repr(capsys):
    print(pybigml.tensor([1, 2]))
    assert capsys.readouterr().out == "tensor([1, 2])\n"
