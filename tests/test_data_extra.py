"""WeightedRandomSampler, ChainDataset and StackDataset against PyTorch's semantics."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch.utils.data as tud

import pybigml
from pybigml.utils.data import (
    ChainDataset,
    DataLoader,
    IterableDataset,
    StackDataset,
    TensorDataset,
    WeightedRandomSampler,
)


def test_weighted_sampler_frequencies_follow_the_weights():
    weights = [0.1, 0.0, 0.6, 0.3]
    n = 20_000
    draws = list(WeightedRandomSampler(weights, n, generator=pybigml.Generator().manual_seed(0)))
    counts = np.bincount(draws, minlength=4) / n
    # each frequency within 5 binomial standard errors of its probability
    for c, p in zip(counts, weights):
        assert abs(c - p) <= 5 * math.sqrt(p * (1 - p) / n) + 1e-12
    assert counts[1] == 0


def test_weighted_sampler_without_replacement_and_errors():
    draws = list(WeightedRandomSampler([1, 2, 3, 4], 4, replacement=False))
    assert sorted(draws) == [0, 1, 2, 3]
    with pytest.raises(ValueError, match="num_samples"):
        WeightedRandomSampler([1.0], 0)
    with pytest.raises(ValueError, match="1d"):
        WeightedRandomSampler([[1.0]], 1)
    loader = DataLoader(
        TensorDataset(pybigml.arange(4)),
        batch_size=2,
        sampler=WeightedRandomSampler([0, 0, 1, 0], 4),
    )
    assert [b[0].tolist() for b in loader] == [[2, 2], [2, 2]]


class _Range(IterableDataset):
    def __init__(self, start, stop):
        self.start, self.stop = start, stop

    def __iter__(self):
        return iter(range(self.start, self.stop))

    def __len__(self):
        return self.stop - self.start


def test_chain_and_stack_match_torch():
    chained = _Range(0, 3) + _Range(10, 12)
    assert isinstance(chained, ChainDataset)
    assert list(chained) == [0, 1, 2, 10, 11] and len(chained) == 5
    a, b = list(range(5)), list("abcde")
    ours, theirs = StackDataset(a, b), tud.StackDataset(a, b)
    assert [ours[i] for i in range(5)] == [theirs[i] for i in range(5)] and len(ours) == 5
    ours, theirs = StackDataset(x=a, y=b), tud.StackDataset(x=a, y=b)
    assert ours[3] == theirs[3]
    with pytest.raises(ValueError, match="Size mismatch"):
        StackDataset(a, b[:2])
