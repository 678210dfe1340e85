"""``utils.checkpoint``: trade compute for memory by recomputing a segment in the backward.

``checkpoint(fn, *args)`` runs ``fn`` without recording a graph, keeping only its inputs.
When the backward reaches it, ``fn`` runs again on those inputs with the graph recorded (and
the random-number state of the first run restored, so dropout draws the same mask), and the
gradients flow through that fresh graph.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .. import random as _random
from .._tensor import Tensor
from ..autograd import backward as _backward
from ..autograd.function import Function
from ..autograd.grad_mode import enable_grad, no_grad


class _Checkpoint(Function):
    @staticmethod
    def forward(ctx, fn, preserve_rng_state, anchor, *args):
        ctx.fn = fn
        ctx.rng_state = _random.get_rng_state() if preserve_rng_state else None
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
            current = _random.get_rng_state()
            _random.set_rng_state(ctx.rng_state)
        try:
            with enable_grad():
                out = ctx.fn(*args)
        finally:
            if ctx.rng_state is not None:
                _random.set_rng_state(current)
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


def checkpoint(
    function: Callable,
    *args: Any,
    use_reentrant: bool | None = None,
    preserve_rng_state: bool = True,
    **kwargs: Any,
) -> Any:
    """``function(*args)``, recomputed during the backward instead of stored.

    Args:
        function: the segment to run (any function of tensors and other values).
        *args: its arguments.
        use_reentrant: accepted as in PyTorch (both variants behave alike here).
        preserve_rng_state: replay the random state of the forward run in the recomputation.

    Returns:
        What ``function`` returns (a tensor or a tuple).
    """
    if kwargs:
        raise ValueError(f"Unexpected keyword arguments: {','.join(kwargs)}")
    if use_reentrant is None:
        warnings.warn(
            "torch.utils.checkpoint: the use_reentrant parameter should be passed explicitly.",
            stacklevel=2,
        )
    # The anchor requires grad, so the node is recorded even when no argument does: the
    # segment's parameters still get their gradients (PyTorch's non-reentrant behaviour).
    anchor = Tensor._make(np.zeros(()), requires_grad=True)
    return _Checkpoint.apply(function, preserve_rng_state, anchor, *args)


def checkpoint_sequential(
    functions: Sequence[Callable] | Any,
    segments: int,
    input: Tensor,
    use_reentrant: bool | None = None,
    **kwargs: Any,
) -> Tensor:
    """Run a sequence of modules in ``segments`` checkpointed chunks (the last one normally)."""
    fns = list(functions.children()) if hasattr(functions, "children") else list(functions)
    size = max(len(fns) // segments, 1)

    def run(start: int, end: int) -> Callable:
        def segment(x: Tensor) -> Tensor:
            for f in fns[start:end]:
                x = f(x)
            return x

        return segment

    done = 0
    for start in range(0, size * (segments - 1), size):
        input = checkpoint(run(start, start + size), input, use_reentrant=use_reentrant, **kwargs)
        done = start + size
    return run(done, len(fns))(input)
