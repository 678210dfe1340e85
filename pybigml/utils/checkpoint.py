"""``utils.checkpoint``: trade compute for memory by recomputing a segment in the backward.

``checkpoint(fn, *args)`` runs ``fn`` without recording a graph, keeping only its inputs;
the backward runs it again with the graph recorded (the op, ``Checkpoint``, is in
``ops/checkpoint.py``).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from typing import Any

from .._tensor import Tensor
from ..ops.checkpoint import recomputed


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
    return recomputed(function, preserve_rng_state, *args)


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
