"""How a ``DataLoader`` turns one request into one batch, in the main process or a worker.

A map-style dataset is asked for a list of indices (or a single index without automatic
batching); an ``IterableDataset`` is asked for its next ``batch_size`` samples. The same
two functions serve the single-process loader and the worker processes, so both produce
identical batches.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ..._tensor import Tensor
from .collate import default_collate
from .dataset import TensorDataset


def fetch_indices(dataset: Any, indices: list[int], collate_fn: Callable[[list[Any]], Any]) -> Any:
    """The batch of a map-style dataset at ``indices``.

    For a ``TensorDataset`` of tensors that need no grad, with the default collate function,
    each tensor is indexed once with the whole list, which yields exactly what stacking the
    rows would (a list, as ``default_collate`` makes of the dataset's tuples).
    """
    if (
        type(dataset) is TensorDataset
        and collate_fn is default_collate
        and not any(t.requires_grad for t in dataset.tensors)
    ):
        index = np.asarray(indices, dtype=np.intp)
        return [Tensor._make(t._data[index]) for t in dataset.tensors]
    return collate_fn([dataset[i] for i in indices])


class StreamFetcher:
    """Batches of an ``IterableDataset``: consecutive runs of ``batch_size`` samples.

    Args:
        dataset: the stream (a fresh iterator is taken from it).
        batch_size: samples per batch; ``None`` passes each sample through ``collate_fn``.
        drop_last: drop the last, incomplete batch.
        collate_fn: merges a list of samples (or converts one sample).
    """

    def __init__(
        self,
        dataset: Any,
        batch_size: int | None,
        drop_last: bool,
        collate_fn: Callable[[Any], Any],
    ) -> None:
        self._samples = iter(dataset)
        self._batch_size = batch_size
        self._drop_last = drop_last
        self._collate_fn = collate_fn

    def fetch(self) -> Any:
        """The next batch; raises StopIteration at the end of the stream."""
        if self._batch_size is None:
            return self._collate_fn(next(self._samples))
        batch = []
        for sample in self._samples:
            batch.append(sample)
            if len(batch) == self._batch_size:
                break
        if not batch or (self._drop_last and len(batch) < self._batch_size):
            raise StopIteration
        return self._collate_fn(batch)
