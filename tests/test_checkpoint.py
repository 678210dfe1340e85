"""utils.checkpoint: the recomputed segment gives the gradients of the plain run, replays
dropout's random draws, and stores no graph in between. Exact equality: the same ops run on
the same numbers in the same order."""

from __future__ import annotations

import numpy as np
import pytest

import pybigml
from pybigml import nn
from pybigml.utils.checkpoint import checkpoint, checkpoint_sequential


def _model():
    pybigml.manual_seed(0)
    return nn.Sequential(
        nn.Linear(4, 8), nn.Tanh(), nn.Dropout(0.3), nn.Linear(8, 8), nn.ReLU(), nn.Linear(8, 2)
    )


def _grads(model):
    return [p.grad.numpy().copy() for p in model.parameters()]


@pytest.mark.parametrize("use_reentrant", [True, False])
def test_checkpoint_gradients_equal_the_plain_run(use_reentrant):
    x = pybigml.randn(5, 4, requires_grad=True)
    model = _model()
    pybigml.manual_seed(1)
    model(x).pow(2).sum().backward()
    plain, plain_x = _grads(model), x.grad.numpy().copy()
    model.zero_grad()
    x.grad = None
    pybigml.manual_seed(1)
    out = checkpoint(model, x, use_reentrant=use_reentrant)
    assert out.grad_fn is not None
    out.pow(2).sum().backward()
    for a, b in zip(_grads(model), plain):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(x.grad.numpy(), plain_x)


def test_checkpoint_sequential_matches_plain_run():
    x = pybigml.randn(5, 4)
    model = _model().eval()
    model(x).sum().backward()
    plain = _grads(model)
    model.zero_grad()
    checkpoint_sequential(model, 3, x, use_reentrant=False).sum().backward()
    for a, b in zip(_grads(model), plain):
        np.testing.assert_array_equal(a, b)


def test_segment_runs_without_graph_until_backward():
    calls = []

    def segment(a, scale):
        calls.append(pybigml.is_grad_enabled())
        return a * scale

    a = pybigml.ones(3, requires_grad=True)
    out = checkpoint(segment, a, 2.0, use_reentrant=False)
    assert calls == [False]
    out.sum().backward()
    assert calls == [False, True]
    np.testing.assert_array_equal(a.grad.numpy(), [2.0, 2.0, 2.0])
