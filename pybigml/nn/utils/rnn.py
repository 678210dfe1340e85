"""Batches of sequences of different lengths: padding and packing.

A padded batch is one ``(T, B, *)`` tensor (``(B, T, *)`` with ``batch_first``) whose
sequence ``b`` fills the first ``lengths[b]`` steps. A ``PackedSequence`` keeps only the real
steps, time-major: with the sequences sorted by decreasing length, step ``t`` holds
``batch_sizes[t]`` rows (the sequences still running at ``t``), and ``data`` is those rows of
step 0, then of step 1, and so on. That is the layout recurrent layers consume: at step
``t`` they update the first ``batch_sizes[t]`` rows of their state and leave the others as
they are. ``sorted_indices`` records the sort (``sorted[i] = original[sorted_indices[i]]``)
and ``unsorted_indices`` undoes it.

Packing and unpacking are row gathers (``index_select``), so gradients flow through them;
which rows they gather is worked out from the sizes in :mod:`pybigml.ops.sequence`.

Example::

    >>> from pybigml.nn.utils.rnn import pack_sequence, pad_packed_sequence
    >>> packed = pack_sequence([pybigml.ones(2, 1), pybigml.ones(3, 1)], enforce_sorted=False)
    >>> packed.batch_sizes
    tensor([2, 2, 1])
    >>> pad_packed_sequence(packed)[1]
    tensor([2, 3])
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, NamedTuple

from ..._dtype import float16, float32, float64, int32, int64
from ..._tensor import Tensor
from ...ops.creation import as_tensor, full
from ...ops.sequence import invert_permutation, pack_indices, pad_indices
from ...ops.shape import cat, stack

__all__ = [
    "PackedSequence",
    "invert_permutation",
    "pack_padded_sequence",
    "pack_sequence",
    "pad_packed_sequence",
    "pad_sequence",
    "unpack_sequence",
    "unpad_sequence",
]


class _PackedFields(NamedTuple):
    data: Tensor
    batch_sizes: Tensor
    sorted_indices: Tensor | None
    unsorted_indices: Tensor | None


class PackedSequence(_PackedFields):
    """The real steps of a batch of sequences, time-major (see the module docstring).

    Made by ``pack_padded_sequence`` or ``pack_sequence``, not by hand.

    Attributes:
        data: ``(sum(batch_sizes), *)``, the rows of step 0, then step 1, ...
        batch_sizes: int64 ``(T,)``, the number of sequences running at each step.
        sorted_indices: int64 ``(B,)`` or ``None`` when the batch was already sorted.
        unsorted_indices: the inverse permutation of ``sorted_indices``.
    """

    def __new__(
        cls,
        data: Tensor,
        batch_sizes: Tensor | None = None,
        sorted_indices: Tensor | None = None,
        unsorted_indices: Tensor | None = None,
    ) -> PackedSequence:
        if unsorted_indices is None:
            unsorted_indices = invert_permutation(sorted_indices)
        if batch_sizes is None:  # PackedSequence((data, batch_sizes)), as PyTorch allows
            if not (isinstance(data, (list, tuple)) and len(data) == 2):
                raise AssertionError("Expected data to be a list or tuple of length 2")
            data, batch_sizes = data
        return super().__new__(cls, data, batch_sizes, sorted_indices, unsorted_indices)

    def to(self, *args: Any, **kwargs: Any) -> PackedSequence:
        """The same sequence with ``data`` converted by ``Tensor.to`` (indices stay int64)."""
        data = self.data.to(*args, **kwargs)
        if data is self.data:
            return self
        return type(self)(data, self.batch_sizes, self.sorted_indices, self.unsorted_indices)

    def cpu(self) -> PackedSequence:
        return self

    def double(self) -> PackedSequence:
        return self.to(dtype=float64)

    def float(self) -> PackedSequence:
        return self.to(dtype=float32)

    def half(self) -> PackedSequence:
        return self.to(dtype=float16)

    def long(self) -> PackedSequence:
        return self.to(dtype=int64)

    def int(self) -> PackedSequence:
        return self.to(dtype=int32)

    @property
    def is_cuda(self) -> bool:
        return self.data.is_cuda

    def is_pinned(self) -> bool:
        return False


def _lengths_list(lengths: Tensor | Sequence[int]) -> list[int]:
    """``lengths`` as Python ints, with PyTorch's error for anything but a 1-d sequence."""
    if isinstance(lengths, Tensor):
        lengths = lengths.to(int64)
    else:
        lengths = as_tensor(lengths, dtype=int64)
    if lengths.dim() != 1:
        raise RuntimeError(
            "'lengths' argument should be a 1D CPU int64 tensor, but got "
            f"{lengths.dim()}D cpu Long tensor"
        )
    return lengths.tolist()


def pack_padded_sequence(
    input: Tensor,
    lengths: Tensor | Sequence[int],
    batch_first: bool = False,
    enforce_sorted: bool = True,
) -> PackedSequence:
    """Pack a padded batch of sequences.

    Args:
        input: ``(T, B, *)``, or ``(B, T, *)`` with ``batch_first``.
        lengths: the length of each sequence (``B`` positive ints, at most ``T``).
        batch_first: the layout of ``input``.
        enforce_sorted: require ``lengths`` in decreasing order; otherwise the sequences
            are sorted here and the permutation kept in the result.

    Returns:
        A ``PackedSequence``; its ``data`` is differentiable with respect to ``input``.

    Example::

        >>> x = pybigml.arange(6.0).reshape(3, 2, 1)   # T=3, B=2
        >>> pack_padded_sequence(x, [3, 1]).data.flatten()
        tensor([0., 1., 2., 4.])
    """
    lengths = _lengths_list(lengths)
    batch_dim = 0 if batch_first else 1
    batch = input.shape[batch_dim]
    if len(lengths) != batch:
        raise RuntimeError(
            f"Expected `len(lengths)` to be equal to batch_size, but got {len(lengths)} "
            f"(batch_size={batch})"
        )
    sorted_indices = None
    if enforce_sorted:
        if any(a < b for a, b in zip(lengths, lengths[1:])):
            raise RuntimeError(
                "`lengths` array must be sorted in decreasing order when `enforce_sorted` is "
                "True. You can pass `enforce_sorted=False` to pack_padded_sequence and/or "
                "pack_sequence to sidestep this requirement if you do not need ONNX "
                "exportability."
            )
    else:
        # longest first; equal lengths keep their order (a reversed sort is still stable)
        order = sorted(range(batch), key=lengths.__getitem__, reverse=True)
        lengths = [lengths[b] for b in order]
        sorted_indices = as_tensor(order, dtype=int64)
        input = input.index_select(batch_dim, sorted_indices)
    if lengths and lengths[-1] <= 0:
        raise RuntimeError(
            "Length of all samples has to be greater than 0, but found an element in 'lengths' "
            "that is <= 0"
        )
    steps = input.shape[1 - batch_dim]
    if lengths and lengths[0] > steps:
        raise RuntimeError(
            f"pack_padded_sequence: a length of {lengths[0]} exceeds the {steps} steps "
            f"of the input of shape {tuple(input.shape)}"
        )
    batch_sizes, rows = pack_indices(lengths, steps, batch_first)
    flat = input.reshape((steps * batch, *input.shape[2:]))
    return PackedSequence(flat.index_select(0, rows), batch_sizes, sorted_indices, None)


def pad_packed_sequence(
    sequence: PackedSequence,
    batch_first: bool = False,
    padding_value: float = 0.0,
    total_length: int | None = None,
) -> tuple[Tensor, Tensor]:
    """The inverse of ``pack_padded_sequence``: a padded batch and the lengths.

    Args:
        sequence: the packed batch.
        batch_first: return ``(B, T, *)`` instead of ``(T, B, *)``.
        padding_value: the value of the padded positions.
        total_length: pad to this many steps (at least the longest sequence).

    Returns:
        The padded batch (in the original order of the sequences) and their lengths
        (int64 ``(B,)``).
    """
    steps = sequence.batch_sizes.numel()
    if total_length is not None:
        if total_length < steps:
            raise ValueError(
                "Expected total_length to be at least the length of the longest sequence in "
                f"input, but got total_length={total_length} and max sequence length being "
                f"{steps}"
            )
        steps = total_length
    data = sequence.data
    # Every padded position reads one row of [data; padding row]: its packed row if it is
    # a real step, else the padding row (the last one).
    source, lengths = pad_indices(sequence.batch_sizes, steps, batch_first)
    batch = lengths.numel()
    padding = full((1, *data.shape[1:]), padding_value, dtype=data.dtype)
    rows = cat([data, padding]).index_select(0, source)
    padded = rows.reshape(((batch, steps) if batch_first else (steps, batch)) + data.shape[1:])
    unsorted = sequence.unsorted_indices
    if unsorted is not None:
        padded = padded.index_select(0 if batch_first else 1, unsorted)
        lengths = lengths.index_select(0, unsorted)
    return padded, lengths


def pad_sequence(
    sequences: Tensor | Iterable[Tensor],
    batch_first: bool = False,
    padding_value: float = 0.0,
    padding_side: str = "right",
) -> Tensor:
    """Stack sequences of different lengths into one padded batch.

    Args:
        sequences: tensors ``(L_i, *)`` with the same trailing dims.
        batch_first: return ``(B, T, *)`` instead of ``(T, B, *)``, ``T = max L_i``.
        padding_value: the value of the padded positions.
        padding_side: ``'right'`` (pad after each sequence) or ``'left'``.

    Returns:
        The padded batch.

    Example::

        >>> pad_sequence([pybigml.ones(1), pybigml.ones(2)], batch_first=True)
        tensor([[1., 0.],
                [1., 1.]])
    """
    if not isinstance(sequences, Iterable):
        raise RuntimeError(
            "pad_sequence: Expected iterable for input sequences, but got arg of type: "
            f"{type(sequences)}"
        )
    sequences = list(sequences.unbind(0) if isinstance(sequences, Tensor) else sequences)
    if not sequences:
        raise RuntimeError("received an empty list of sequences")
    if padding_side not in ("left", "right"):
        raise RuntimeError(
            f"Expected padding_side to be one of left or right, but got {padding_side}."
        )
    trailing = tuple(sequences[0].shape[1:])
    for s in sequences:
        if s.ndim == 0:
            raise RuntimeError("pad_sequence: expected sequences of at least 1 dimension, got 0")
        if tuple(s.shape[1:]) != trailing:
            raise RuntimeError(
                f"pad_sequence: all sequences must have the trailing dimensions {trailing}, "
                f"got {tuple(s.shape)}"
            )
    longest = max(s.shape[0] for s in sequences)
    padded = []
    for s in sequences:
        missing = longest - s.shape[0]
        if missing:
            fill = full((missing, *trailing), padding_value, dtype=s.dtype)
            s = cat([s, fill] if padding_side == "right" else [fill, s])
        padded.append(s)
    return stack(padded, dim=0 if batch_first else 1)


def unpad_sequence(
    padded_sequences: Tensor, lengths: Tensor, batch_first: bool = False
) -> list[Tensor]:
    """Split a right-padded batch back into its sequences.

    Args:
        padded_sequences: ``(T, B, *)``, or ``(B, T, *)`` with ``batch_first``.
        lengths: the length of each sequence.
        batch_first: the layout of ``padded_sequences``.

    Returns:
        ``B`` tensors ``(L_b, *)``.
    """
    if not batch_first:
        padded_sequences = padded_sequences.transpose(0, 1)
    return [seq[:n] for seq, n in zip(padded_sequences, _lengths_list(lengths))]


def pack_sequence(sequences: Sequence[Tensor], enforce_sorted: bool = True) -> PackedSequence:
    """Pack a list of sequences ``(L_i, *)`` (``pad_sequence`` then ``pack_padded_sequence``).

    Args:
        sequences: the sequences, by decreasing length unless ``enforce_sorted=False``.
        enforce_sorted: see ``pack_padded_sequence``.

    Returns:
        A ``PackedSequence``.
    """
    lengths = [s.shape[0] for s in sequences]
    return pack_padded_sequence(pad_sequence(sequences), lengths, enforce_sorted=enforce_sorted)


def unpack_sequence(packed_sequences: PackedSequence) -> list[Tensor]:
    """The list of sequences a ``PackedSequence`` holds, in their original order."""
    padded, lengths = pad_packed_sequence(packed_sequences, batch_first=True)
    return unpad_sequence(padded, lengths, batch_first=True)
