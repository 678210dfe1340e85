"""nn.init's truncated-normal, orthogonal, eye, dirac and sparse initialisers.

The random ones are checked by their defining properties: values in range with the moments
of the truncated normal (tolerances: 5 standard errors of the sample mean and std over
20,000 draws), orthonormal rows or columns to float64 rounding, the zero fraction of sparse_.
The deterministic ones are compared with PyTorch exactly.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
import torch

import pybigml
from pybigml import nn


def _truncated_moments(a: float, b: float) -> tuple[float, float]:
    """Mean and std of a standard normal truncated to [a, b]."""
    pdf = lambda x: math.exp(-x * x / 2) / math.sqrt(2 * math.pi)  # noqa: E731
    cdf = lambda x: (1 + math.erf(x / math.sqrt(2))) / 2  # noqa: E731
    z = cdf(b) - cdf(a)
    mean = (pdf(a) - pdf(b)) / z
    var = 1 + (a * pdf(a) - b * pdf(b)) / z - mean**2
    return mean, math.sqrt(var)


@pytest.mark.parametrize(("a", "b"), [(-2.0, 2.0), (-0.5, 3.0), (0.0, 1.0)])
def test_trunc_normal_has_the_truncated_moments(a, b):
    n = 20_000
    w = nn.init.trunc_normal_(pybigml.empty(n, dtype=pybigml.float64), mean=1.0, std=2.0, a=a, b=b)
    x = w.numpy()
    assert x.min() >= a and x.max() <= b
    mean, std = _truncated_moments((a - 1.0) / 2.0, (b - 1.0) / 2.0)
    assert abs(x.mean() - (1.0 + 2.0 * mean)) < 5 * 2.0 * std / math.sqrt(n)
    assert abs(x.std() - 2.0 * std) < 5 * 2.0 * std / math.sqrt(2 * n)


@pytest.mark.parametrize("shape", [(5, 3), (3, 5), (4, 2, 3), (6, 6)])
def test_orthogonal_rows_or_columns_are_orthonormal(shape):
    w = nn.init.orthogonal_(pybigml.empty(*shape, dtype=pybigml.float64), gain=2.0)
    m = w.numpy().reshape(shape[0], -1)
    small = min(m.shape)
    gram = m.T @ m if m.shape[0] >= m.shape[1] else m @ m.T
    np.testing.assert_allclose(gram, 4.0 * np.eye(small), atol=1e-12)


def test_generator_makes_random_initialisers_reproducible():
    for init in (nn.init.trunc_normal_, nn.init.orthogonal_):
        a = init(pybigml.empty(4, 3), generator=pybigml.Generator().manual_seed(3))
        b = init(pybigml.empty(4, 3), generator=pybigml.Generator().manual_seed(3))
        assert np.array_equal(a.numpy(), b.numpy())


def test_eye_and_dirac_match_torch():
    assert np.array_equal(
        nn.init.eye_(pybigml.empty(3, 5)).numpy(), torch.nn.init.eye_(torch.empty(3, 5)).numpy()
    )
    for shape, groups in (((4, 2, 3), 1), ((6, 3, 3, 3), 2), ((2, 4, 1, 3, 3), 1)):
        ours = nn.init.dirac_(pybigml.empty(*shape), groups)
        theirs = torch.nn.init.dirac_(torch.empty(*shape), groups)
        assert np.array_equal(ours.numpy(), theirs.numpy()), shape


def test_sparse_zeroes_the_fraction_of_each_column():
    w = nn.init.sparse_(pybigml.empty(10, 6), sparsity=0.3, std=0.5)
    zeros_per_column = (w.numpy() == 0).sum(axis=0)
    assert np.all(zeros_per_column >= 3)


def test_init_of_parameters_keeps_them_leaves_and_errors_match_torch():
    layer = nn.Linear(4, 3)
    nn.init.orthogonal_(layer.weight)
    nn.init.trunc_normal_(layer.bias, std=0.02)
    assert layer.weight.is_leaf and layer.weight.requires_grad
    with pytest.raises(ValueError, match="2 or more"):
        nn.init.orthogonal_(pybigml.empty(3))
    with pytest.raises(ValueError, match="3, 4, or 5"):
        nn.init.dirac_(pybigml.empty(3, 3))


def test_deprecated_names_warn_and_forward():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        w = nn.init.xavier_uniform(pybigml.empty(3, 3))
    assert w.shape == (3, 3)
    assert any(issubclass(c.category, FutureWarning) for c in caught)
