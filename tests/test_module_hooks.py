"""Module backward hooks, state-dict hooks, extra state and member lookup, against PyTorch.

Each scenario runs the same script on both libraries (``lib`` is ``pybigml`` or ``torch``)
and compares what the hooks saw and what came out.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch

import pybigml

LIBS = (pybigml, torch)


def _shapes(grads):
    return [None if g is None else tuple(g.shape) for g in grads]


def _backward_log(lib):
    lib.manual_seed(0)
    model = lib.nn.Sequential(lib.nn.Linear(3, 4), lib.nn.Tanh(), lib.nn.Linear(4, 2)).double()
    with torch.no_grad(), pybigml.no_grad():
        for i, p in enumerate(model.parameters()):
            p.copy_(lib.tensor(np.linspace(-1, 1, p.numel()).reshape(tuple(p.shape)) * (i + 1)))
    log = []
    model[0].register_full_backward_pre_hook(lambda m, go: log.append(("pre0", _shapes(go))))
    model[2].register_full_backward_hook(
        lambda m, gi, go: log.append(("full2", _shapes(gi), _shapes(go)))
    )
    # doubling the gradient that leaves the last layer doubles every earlier gradient
    model[2].register_full_backward_hook(lambda m, gi, go: tuple(2 * g for g in gi))
    model[0].register_full_backward_hook(
        lambda m, gi, go: log.append(("full0", _shapes(gi), _shapes(go)))
    )
    x = lib.tensor(np.linspace(-1, 1, 15).reshape(5, 3), requires_grad=True)
    model(x).pow(2).sum().backward()
    grads = [p.grad.detach().numpy().copy() for p in model.parameters()]
    return log, grads, x.grad.detach().numpy()


def test_full_backward_hooks_match_torch():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ours, theirs = _backward_log(pybigml), _backward_log(torch)
    assert ours[0] == theirs[0]
    for a, b in zip(ours[1], theirs[1]):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(ours[2], theirs[2], rtol=1e-5, atol=1e-6)


def test_backward_pre_hook_can_replace_grad_output_and_handles_remove():
    for lib in LIBS:
        layer = lib.nn.Linear(2, 2)
        handle = layer.register_full_backward_pre_hook(lambda m, go: (go[0] * 0,))
        x = lib.ones(3, 2, requires_grad=True)
        layer(x).sum().backward()
        assert not x.grad.detach().numpy().any()
        handle.remove()
        x.grad = None
        layer(x).sum().backward()
        assert x.grad.detach().numpy().any()


def _state_dict_scenario(lib):
    class WithState(lib.nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = lib.nn.Linear(2, 2)
            self.counter = 3

        def get_extra_state(self):
            return {"counter": self.counter}

        def set_extra_state(self, state):
            self.counter = state["counter"]

    seen = []
    m = WithState()
    m.register_state_dict_pre_hook(lambda mod, prefix, keep: seen.append(("pre", prefix)))
    m.register_state_dict_post_hook(lambda mod, sd, prefix, meta: seen.append(("post", sorted(sd))))
    sd = m.state_dict()
    m2 = WithState()
    m2.counter = 0
    m2.register_load_state_dict_post_hook(
        lambda mod, keys: seen.append(("load", list(keys.missing_keys)))
    )
    m2.load_state_dict(sd)
    with pytest.raises(RuntimeError, match="_extra_state"):
        lib.nn.Linear(2, 2).load_state_dict({**lib.nn.Linear(2, 2).state_dict(), "_extra_state": 1})
    return seen, m2.counter, sorted(sd)


def test_state_dict_hooks_and_extra_state_match_torch():
    assert _state_dict_scenario(pybigml) == _state_dict_scenario(torch)


def test_member_lookup_matches_torch():
    for lib in LIBS:
        model = lib.nn.Sequential(lib.nn.Linear(2, 3), lib.nn.BatchNorm1d(3))
        assert model.get_parameter("0.weight") is model[0].weight
        assert model.get_buffer("1.running_mean") is model[1].running_mean
        with pytest.raises(AttributeError, match="not an nn.Parameter"):
            model.get_parameter("1.running_mean")
        with pytest.raises(AttributeError, match="not a buffer"):
            model.get_buffer("0.weight")
        new = lib.nn.Linear(2, 3)
        model.set_submodule("0", new)
        assert model[0] is new
        assert model.share_memory() is model
        assert model.type(lib.float64)[0].weight.dtype == lib.float64
