"""Activation checkpointing: trade compute for memory by recomputing a segment in the backward
(the op under ``pybigml.utils.checkpoint``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .. import random
from .._tensor import Tensor
from ..autograd import backward as _backward
from ..autograd.function import Function
from ..autograd.grad_mode import enable_grad, no_grad
from .creation import zeros

__all__ = ["Checkpoint", "recomputed"]


class Checkpoint(Function):
    """``fn(*args)``, kept as its inputs only and recomputed in the backward.

    Forward: ``fn`` runs under ``no_grad``; its outputs are detached. Backward: ``fn`` runs
    again on detached stand-ins of the saved inputs with the graph recorded (and the random
    state of the forward run restored, so dropout draws the same mask); a backward through
    that fresh graph accumulates into the segment's parameters, and the stand-ins' gradients
    are this node's.
    """

    @staticmethod
    def forward(ctx, fn, preserve_rng_state, anchor, *args):
        ctx.fn = fn
        ctx.rng_state = random.get_rng_state() if preserve_rng_state else None
        ctx.tensor_positions = [i for i, a in enumerate(args) if isinstance(a, Tensor)]
        ctx.args = args
        ctx.save_for_backward(*(args[i] for i in ctx.tensor_positions))
        with no_grad():
            out = fn(*args)
        ctx.single = not isinstance(out, tuple)
        if ctx.single:
            return out.detach()
        return tuple(o.detach() if isinstance(o, Tensor) else o for o in out)

    @staticmethod
    def backward(ctx, *grads):
        args = list(ctx.args)
        saved = ctx.saved_tensors
        inputs = []
        for i, t in zip(ctx.tensor_positions, saved):
            leaf = t.detach().requires_grad_(t.requires_grad)
            args[i] = leaf
            inputs.append(leaf)
        if ctx.rng_state is not None:
            current = random.get_rng_state()
            random.set_rng_state(ctx.rng_state)
        try:
            with enable_grad():
                out = ctx.fn(*args)
        finally:
            if ctx.rng_state is not None:
                random.set_rng_state(current)
        outputs = (out,) if ctx.single else out
        pairs = [
            (o, g)
            for o, g in zip(outputs, grads)
            if isinstance(o, Tensor) and o.requires_grad and g is not None
        ]
        # A backward through the recomputed graph accumulates into every leaf it reaches:
        # the parameters the segment used, and the stand-ins for its tensor inputs, whose
        # gradients are handed on as this node's.
        if pairs:
            _backward([o for o, _ in pairs], [g for _, g in pairs])
        grads_in: list[Any] = [None] * len(ctx.args)
        for i, x in zip(ctx.tensor_positions, inputs):
            grads_in[i] = x.grad
        return (None, None, None, *grads_in)


def recomputed(function: Callable, preserve_rng_state: bool, *args: Any) -> Any:
    """``function(*args)`` through a :class:`Checkpoint` node."""
    # The anchor requires grad, so the node is recorded even when no argument does: the
    # segment's parameters still get their gradients (PyTorch's non-reentrant behaviour).
    anchor = zeros((), requires_grad=True)
    return Checkpoint.apply(function, preserve_rng_state, anchor, *args)
