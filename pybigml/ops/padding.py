"""``pad``: grow (or, with negative amounts, crop) the last dims of a tensor.

``'constant'`` writes the input into a ``value``-filled tensor; ``'reflect'``,
``'replicate'`` and ``'circular'`` gather, along each padded dim, the input position that
every output position copies (:func:`_source_positions`), so their gradient sums the output
gradient back into each source position (``index_select``'s backward).
"""

from __future__ import annotations

from collections.abc import Sequence

from .. import backend
from .._tensor import Tensor
from .creation import full
from .scatter_gather import index_select

_PAD_MODES = ("constant", "reflect", "replicate", "circular")


def _padded_size(size: int, before: int, after: int, dim: int) -> int:
    padded = size + before + after
    if padded < 0:
        raise RuntimeError(
            f"The input size {size}, plus negative padding {before} and {after} resulted in a "
            f"negative output size, which is invalid. Check dimension {dim} of your input."
        )
    return padded


def _constant_pad(input: Tensor, pad: Sequence[int], value: float) -> Tensor:
    """Write ``input`` (cropped where a pad is negative) into a ``value``-filled tensor."""
    shape = list(input.shape)
    source = [slice(None)] * input.ndim
    target = [slice(None)] * input.ndim
    for k in range(len(pad) // 2):
        dim = input.ndim - 1 - k
        before, after = pad[2 * k], pad[2 * k + 1]
        size = shape[dim]
        shape[dim] = _padded_size(size, before, after, dim)
        kept = slice(max(-before, 0), size - max(-after, 0))
        source[dim] = kept
        start = max(before, 0)
        target[dim] = slice(start, start + max(kept.stop - kept.start, 0))
    out = full(shape, value, dtype=input.dtype)
    out[tuple(target)] = input[tuple(source)]
    return out


def _source_positions(input: Tensor, mode: str, size: int, before: int, after: int) -> Tensor:
    """Which input position each output position copies along one padded dim of ``input``.

    Output position ``i`` sits at input coordinate ``p = i - before``; ``reflect`` mirrors
    ``p`` about the edges without repeating them (period ``2 (size - 1)``), ``replicate``
    clamps it, ``circular`` wraps it.
    """
    xp = backend.of(input._data).xp
    p = xp.arange(-before, size + after)
    if mode == "replicate":
        positions = xp.clip(p, 0, size - 1)
    elif mode == "circular":
        positions = p % size
    else:
        period = 2 * (size - 1)
        folded = xp.abs(p) % period if period else xp.zeros_like(p)
        positions = xp.where(folded < size, folded, period - folded)
    return Tensor._make(positions)


def pad(
    input: Tensor, pad: Sequence[int], mode: str = "constant", value: float | None = None
) -> Tensor:
    """Pad (or, with negative amounts, crop) the last ``len(pad) // 2`` dims.

    ``pad = (last_before, last_after, second_last_before, ...)``. ``'constant'`` fills with
    ``value`` (0 by default) and takes any number of dims; ``'reflect'`` (mirror without the
    edge), ``'replicate'`` (repeat the edge) and ``'circular'`` (wrap) pad the last 1, 2 or 3
    dims of a batched input. The non-constant modes are gathers, so their gradient sums the
    output gradient back into each source position.

    Example::

        >>> F.pad(pybigml.tensor([[1.0, 2.0, 3.0]]), (2, 1), mode="reflect")
        tensor([[3., 2., 1., 2., 3., 2.]])
    """
    pad = [int(p) for p in pad]
    if len(pad) % 2:
        raise RuntimeError("Padding length must be divisible by 2")
    if len(pad) > 2 * input.ndim:
        raise RuntimeError(
            "Padding length should be less than or equal to two times the input dimension but "
            f"got padding length {len(pad)} and input of dimension {input.ndim}"
        )
    if mode == "constant":
        return _constant_pad(input, pad, 0.0 if value is None else value)
    if mode not in _PAD_MODES:
        raise NotImplementedError(f"Unrecognised padding mode {mode}")
    if value is not None and value != 0:
        raise RuntimeError(f'Padding mode "{mode}" doesn\'t take in value argument')
    padded_dims = len(pad) // 2
    if not 1 <= padded_dims <= 3 or input.ndim not in (padded_dims + 1, padded_dims + 2):
        raise NotImplementedError(
            f"Padding size {len(pad)} is not supported for {input.ndim}D input tensor.\n"
            "Supported combinations for non-constant padding:\n"
            "  - 2D or 3D input: padding size = 2 (pads last dimension)\n"
            "  - 3D or 4D input: padding size = 4 (pads last 2 dimensions)\n"
            "  - 4D or 5D input: padding size = 6 (pads last 3 dimensions)"
        )
    out = input
    for k in range(padded_dims):
        dim = input.ndim - 1 - k
        before, after = pad[2 * k], pad[2 * k + 1]
        size = input.shape[dim]
        if mode == "reflect" and (before >= size or after >= size):
            raise RuntimeError(
                "Padding size should be less than the corresponding input dimension, but got: "
                f"padding ({before}, {after}) at dimension {dim} of input {list(input.shape)}"
            )
        if mode == "circular" and (before > size or after > size):
            raise RuntimeError("Padding value causes wrapping around more than once.")
        _padded_size(size, before, after, dim)
        out = index_select(out, dim, _source_positions(input, mode, size, before, after))
    return out
