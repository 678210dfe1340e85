"""``DataLoader``: iterate over a dataset in (shuffled) batches.

The loader composes three pieces: a *sampler* yields dataset indices (in order, or a random
permutation per epoch), a *batch sampler* groups them into lists of ``batch_size``, and for
each list the samples are fetched and merged by ``collate_fn``. For a ``TensorDataset``
with the default collate function, a batch is fetched in one step by indexing each tensor
with the whole list of indices, which yields exactly what stacking the rows would.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any

import numpy as np

from ..._tensor import Tensor
from .collate import default_collate, default_convert
from .dataset import IterableDataset, TensorDataset
from .sampler import BatchSampler, RandomSampler, Sampler, SequentialSampler

# Attributes that define the iteration; changing them after construction would leave the
# samplers built from them stale, so (as in PyTorch) it is an error.
_FROZEN = ("batch_size", "batch_sampler", "sampler", "drop_last", "dataset")


class DataLoader:
    """Combine a dataset and a sampler into an iterable over batches.

    Args:
        dataset: map-style (``__getitem__``/``__len__``) or ``IterableDataset``.
        batch_size: samples per batch; ``None`` yields single samples, uncollated.
        shuffle: a new random order every epoch.
        sampler: the index order (instead of ``shuffle``).
        batch_sampler: yields lists of indices (instead of ``batch_size``, ``shuffle``,
            ``sampler`` and ``drop_last``).
        num_workers: only 0 (load in the main process) is supported so far.
        collate_fn: merges a list of samples into a batch (``default_collate``).
        pin_memory: accepted; has no effect on the CPU.
        drop_last: drop the last, incomplete batch.
        generator: ``pybigml.Generator`` for the shuffling order.

    Example::

        >>> loader = DataLoader(TensorDataset(x, y), batch_size=64, shuffle=True)
        >>> for xb, yb in loader:
        ...     ...
    """

    def __init__(
        self,
        dataset: Any,
        batch_size: int | None = 1,
        shuffle: bool | None = None,
        sampler: Sampler | Iterable[int] | None = None,
        batch_sampler: Sampler | Iterable[list[int]] | None = None,
        num_workers: int = 0,
        collate_fn: Callable[[list[Any]], Any] | None = None,
        pin_memory: bool = False,
        drop_last: bool = False,
        timeout: float = 0,
        worker_init_fn: Callable[[int], None] | None = None,
        multiprocessing_context: Any = None,
        generator: Any = None,
        *,
        prefetch_factor: int | None = None,
        persistent_workers: bool = False,
        pin_memory_device: str = "",
        in_order: bool = True,
    ) -> None:
        if num_workers < 0:
            raise ValueError(
                "num_workers option should be non-negative; use num_workers=0 to disable "
                "multiprocessing."
            )
        if num_workers > 0:
            raise NotImplementedError(
                f"DataLoader: num_workers={num_workers} is not supported yet; use num_workers=0 "
                "(samples are loaded in the main process)"
            )
        if timeout < 0:
            raise ValueError("timeout option should be non-negative")
        if prefetch_factor is not None:
            raise ValueError(
                "prefetch_factor option could only be specified in multiprocessing.let "
                "num_workers > 0 to enable multiprocessing, otherwise set prefetch_factor to None."
            )
        if persistent_workers:
            raise ValueError("persistent_workers option needs num_workers > 0")

        self._is_iterable = isinstance(dataset, IterableDataset)
        if self._is_iterable:
            for name, value in (("shuffle", shuffle), ("sampler", sampler)):
                if value not in (None, False):
                    raise ValueError(
                        f"DataLoader with IterableDataset: expected unspecified {name} option, "
                        f"but got {name}={value}"
                    )
            if batch_sampler is not None:
                raise ValueError(
                    "DataLoader with IterableDataset: expected unspecified batch_sampler "
                    f"option, but got batch_sampler={batch_sampler}"
                )
        else:
            shuffle = bool(shuffle)
        if sampler is not None and shuffle:
            raise ValueError("sampler option is mutually exclusive with shuffle")
        if batch_sampler is not None:
            if batch_size != 1 or shuffle or sampler is not None or drop_last:
                raise ValueError(
                    "batch_sampler option is mutually exclusive with batch_size, shuffle, "
                    "sampler, and drop_last"
                )
            batch_size = None
            drop_last = False
        elif batch_size is None and drop_last:
            raise ValueError(
                "batch_size=None option disables auto-batching and is mutually exclusive with "
                "drop_last"
            )

        if sampler is None and not self._is_iterable:
            sampler = (
                RandomSampler(dataset, generator=generator)
                if shuffle
                else SequentialSampler(dataset)
            )
        if batch_size is not None and batch_sampler is None and not self._is_iterable:
            batch_sampler = BatchSampler(sampler, batch_size, drop_last)

        self.dataset = dataset
        self.batch_size = batch_size
        self.drop_last = drop_last
        self.sampler = sampler
        self.batch_sampler = batch_sampler
        self.num_workers = num_workers
        self.pin_memory = pin_memory
        self.timeout = timeout
        self.worker_init_fn = worker_init_fn
        self.generator = generator
        if collate_fn is None:
            collate_fn = default_collate if self._auto_collation else default_convert
        self.collate_fn = collate_fn
        self._initialized = True

    def __setattr__(self, name: str, value: Any) -> None:
        if self.__dict__.get("_initialized") and name in _FROZEN:
            raise ValueError(
                f"{name} attribute should not be set after {type(self).__name__} is initialized"
            )
        super().__setattr__(name, value)

    @property
    def _auto_collation(self) -> bool:
        """Whether samples are grouped into batches (``batch_size`` or a batch sampler)."""
        return self.batch_sampler is not None or (self._is_iterable and self.batch_size is not None)

    def __len__(self) -> int:
        if self._is_iterable:
            n = len(self.dataset)
            if self.batch_size is None:
                return n
            return n // self.batch_size if self.drop_last else -(-n // self.batch_size)
        return len(self.batch_sampler if self.batch_sampler is not None else self.sampler)

    def __iter__(self) -> Iterator[Any]:
        if self._is_iterable:
            return self._iter_stream()
        if self.batch_sampler is None:
            return (self.collate_fn(self.dataset[i]) for i in self.sampler)
        if (
            type(self.dataset) is TensorDataset
            and self.collate_fn is default_collate
            and not any(t.requires_grad for t in self.dataset.tensors)
        ):
            return self._iter_tensor_batches()
        return (self.collate_fn([self.dataset[i] for i in b]) for b in self.batch_sampler)

    def _iter_tensor_batches(self) -> Iterator[list[Tensor]]:
        """Batches of a ``TensorDataset`` of tensors that need no grad: one fancy-indexing
        per tensor and batch (a list, as ``default_collate`` makes of the dataset's tuples)."""
        arrays = [t._data for t in self.dataset.tensors]
        for indices in self.batch_sampler:
            index = np.asarray(indices, dtype=np.intp)
            yield [Tensor._make(a[index]) for a in arrays]

    def _iter_stream(self) -> Iterator[Any]:
        """Batches of an ``IterableDataset``: consecutive runs of ``batch_size`` samples."""
        if self.batch_size is None:
            for sample in self.dataset:
                yield self.collate_fn(sample)
            return
        batch: list[Any] = []
        for sample in self.dataset:
            batch.append(sample)
            if len(batch) == self.batch_size:
                yield self.collate_fn(batch)
                batch = []
        if batch and not self.drop_last:
            yield self.collate_fn(batch)
