"""``DataLoader``: iterate over a dataset in (shuffled) batches, in this process or in workers.

The loader composes three pieces: a *sampler* yields dataset indices (in order, or a random
permutation per epoch), a *batch sampler* groups them into lists of ``batch_size``, and for
each list the samples are fetched and merged by ``collate_fn`` (``_fetch.py``).

With ``num_workers > 0`` the fetching runs in worker processes (``_worker.py``). The main
process deals the batch requests round-robin to the workers, keeping ``prefetch_factor``
requests per worker in flight, and delivers the answers in request order, so the batches
are the same, in the same order, as with ``num_workers=0``.
"""

from __future__ import annotations

import itertools
import multiprocessing
import queue
import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from ..._dtype import int64
from ...ops.creation import randint
from ._fetch import StreamFetcher, fetch_indices
from ._worker import (
    STATUS_CHECK_SECONDS,
    ExceptionWrapper,
    ResumeIteration,
    StreamEnd,
    worker_loop,
)
from .collate import default_collate, default_convert
from .dataset import IterableDataset
from .sampler import BatchSampler, RandomSampler, Sampler, SequentialSampler

# Attributes that define the iteration; changing them after construction would leave the
# samplers built from them stale, so (as in PyTorch) it is an error.
_FROZEN = ("batch_size", "batch_sampler", "sampler", "drop_last", "dataset", "persistent_workers")

# Seconds to wait for a worker to exit by itself at shutdown before terminating it.
_JOIN_SECONDS = 5.0


class DataLoader:
    """Combine a dataset and a sampler into an iterable over batches.

    Args:
        dataset: map-style (``__getitem__``/``__len__``) or ``IterableDataset``.
        batch_size: samples per batch; ``None`` yields single samples, uncollated.
        shuffle: a new random order every epoch.
        sampler: the index order (instead of ``shuffle``).
        batch_sampler: yields lists of indices (instead of ``batch_size``, ``shuffle``,
            ``sampler`` and ``drop_last``).
        num_workers: worker processes that load batches; 0 loads in the main process.
        collate_fn: merges a list of samples into a batch (``default_collate``).
        pin_memory: accepted; has no effect on the CPU.
        drop_last: drop the last, incomplete batch.
        timeout: seconds to wait for a batch from the workers before raising
            ``RuntimeError`` (0: wait as long as the workers live).
        worker_init_fn: called as ``worker_init_fn(worker_id)`` in each worker after seeding.
        multiprocessing_context: start method name (``"fork"``, ``"spawn"``, ...) or context
            for the workers; the platform's default if ``None``.
        generator: ``pybigml.Generator`` for the shuffling order and the workers' base seed.
        prefetch_factor: batch requests in flight per worker (2 when ``num_workers > 0``).
        persistent_workers: keep the workers alive from one epoch to the next.
        in_order: deliver batches in request order; ``False`` delivers each batch as soon as
            a worker has it.

    Each worker seeds pybigml's, numpy's and Python's RNGs with ``base_seed + worker_id``,
    where ``base_seed`` is drawn from ``generator`` (or the global generator) for each
    iterator. An ``IterableDataset`` is copied into every worker; split it among them with
    ``get_worker_info()``.

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
        if timeout < 0:
            raise ValueError("timeout option should be non-negative")
        if num_workers == 0 and prefetch_factor is not None:
            raise ValueError(
                "prefetch_factor option could only be specified in multiprocessing.let "
                "num_workers > 0 to enable multiprocessing, otherwise set prefetch_factor to None."
            )
        if num_workers > 0 and prefetch_factor is None:
            prefetch_factor = 2
        elif prefetch_factor is not None and prefetch_factor < 0:
            raise ValueError("prefetch_factor option should be non-negative")
        if persistent_workers and num_workers == 0:
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
        self.multiprocessing_context = _start_context(multiprocessing_context, num_workers)
        self.generator = generator
        self.prefetch_factor = prefetch_factor
        self.persistent_workers = persistent_workers
        self.in_order = in_order
        self._iterator: _WorkerIterator | None = None
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
        if self.persistent_workers and self._iterator is not None:
            self._iterator.reset(self)
            return self._iterator
        # Every new iterator draws the workers' base seed from the generator, workers or not
        # (as PyTorch does), so the shuffling order does not depend on num_workers.
        base_seed = int(randint(0, 2**62, (), dtype=int64, generator=self.generator))
        if self.num_workers > 0:
            iterator = _WorkerIterator(self, base_seed)
            if self.persistent_workers:
                self._iterator = iterator
            return iterator
        if self._is_iterable:
            return self._iter_stream()
        if self.batch_sampler is None:
            return (self.collate_fn(self.dataset[i]) for i in self.sampler)
        return (fetch_indices(self.dataset, b, self.collate_fn) for b in self.batch_sampler)

    def _iter_stream(self) -> Iterator[Any]:
        """Batches of an ``IterableDataset``, loaded in the main process."""
        stream = StreamFetcher(self.dataset, self.batch_size, self.drop_last, self.collate_fn)
        while True:
            try:
                batch = stream.fetch()
            except StopIteration:
                return
            yield batch


def _start_context(context: Any, num_workers: int) -> Any:
    """The multiprocessing context for the workers, from a start method name or a context."""
    if context is None:
        return None
    if num_workers == 0:
        raise ValueError(
            "multiprocessing_context can only be used with multi-process loading "
            f"(num_workers > 0), but got num_workers={num_workers}"
        )
    if isinstance(context, str):
        methods = multiprocessing.get_all_start_methods()
        if context not in methods:
            raise ValueError(
                f"multiprocessing_context option should specify a valid start method in "
                f"{methods!r}, but got multiprocessing_context={context!r}"
            )
        context = multiprocessing.get_context(context)
    if not isinstance(context, multiprocessing.context.BaseContext):
        raise TypeError(
            "multiprocessing_context option should be a valid context object or a string "
            f"specifying the start method, but got multiprocessing_context={context}"
        )
    return context


class _WorkerIterator:
    """Iterates over a loader's batches, loaded by ``loader.num_workers`` worker processes.

    Requests are numbered in the order the sampler yields them (the task index) and dealt
    round-robin to the workers; ``_pending`` maps each task index in flight to its worker and,
    once it arrived out of turn, its batch. The workers stop when the iterator is exhausted
    (unless persistent), deleted, or garbage-collected after an early ``break``.
    """

    def __init__(self, loader: DataLoader, base_seed: int) -> None:
        context = loader.multiprocessing_context or multiprocessing
        self._num_workers = loader.num_workers
        self._prefetch = loader.prefetch_factor * loader.num_workers
        self._timeout = loader.timeout
        self._persistent = loader.persistent_workers
        self._in_order = loader.in_order
        self._is_iterable = loader._is_iterable
        self._shut_down = False
        self._workers: list[Any] = []
        self._result_queue = context.Queue()
        self._done_event = context.Event()
        self._index_queues = []
        for worker_id in range(self._num_workers):
            index_queue = context.Queue()
            index_queue.cancel_join_thread()  # never block exit on requests nobody reads
            worker = context.Process(
                target=worker_loop,
                args=(
                    loader.dataset,
                    loader._is_iterable,
                    loader._auto_collation,
                    loader.batch_size,
                    loader.drop_last,
                    loader.collate_fn,
                    index_queue,
                    self._result_queue,
                    self._done_event,
                    base_seed,
                    loader.worker_init_fn,
                    worker_id,
                    self._num_workers,
                ),
                daemon=True,
            )
            worker.start()
            self._index_queues.append(index_queue)
            self._workers.append(worker)
        self._start_epoch(loader)

    def reset(self, loader: DataLoader) -> None:
        """Starts a new epoch on the same (persistent) workers."""
        for index_queue in self._index_queues:
            index_queue.put(ResumeIteration())
        # Each worker answers its requests in order, so once every worker has echoed the
        # resume request, no answer from the previous epoch is left in the result queue.
        echoes = self._num_workers
        while echoes:
            task_index, _ = self._get_result()
            echoes -= isinstance(task_index, ResumeIteration)
        self._start_epoch(loader)

    def _start_epoch(self, loader: DataLoader) -> None:
        if self._is_iterable:
            self._requests: Iterator[Any] = itertools.repeat(None)
        else:
            self._requests = iter(
                loader.batch_sampler if loader._auto_collation else loader.sampler
            )
        self._active = [True] * self._num_workers
        self._next_worker = itertools.cycle(range(self._num_workers))
        self._pending: dict[int, tuple] = {}
        self._sent = 0
        self._delivered = 0
        for _ in range(self._prefetch):
            self._send_request()

    def _send_request(self) -> None:
        """Sends the sampler's next request to the next active worker, if there is one."""
        for _ in range(self._num_workers):
            worker_id = next(self._next_worker)
            if self._active[worker_id]:
                break
        else:
            return
        try:
            indices = next(self._requests)
        except StopIteration:
            return
        self._index_queues[worker_id].put((self._sent, indices))
        self._pending[self._sent] = (worker_id,)
        self._sent += 1

    def __iter__(self) -> _WorkerIterator:
        return self

    def __next__(self) -> Any:
        while True:
            # Skip tasks that will never be answered (a worker whose stream ended) and tasks
            # already delivered out of order.
            while self._delivered < self._sent:
                entry = self._pending.get(self._delivered)
                if entry is not None and (len(entry) == 2 or self._active[entry[0]]):
                    break
                self._pending.pop(self._delivered, None)
                self._delivered += 1
            else:
                if not self._persistent:
                    self._shutdown()
                raise StopIteration
            if len(entry) == 2:  # arrived earlier, out of turn
                del self._pending[self._delivered]
                self._delivered += 1
                return self._deliver(entry[1])
            task_index, batch = self._get_result()
            if isinstance(batch, StreamEnd):
                self._active[batch.worker_id] = False
                self._send_request()
            elif task_index == self._delivered or not self._in_order:
                del self._pending[task_index]
                if task_index == self._delivered:
                    self._delivered += 1
                return self._deliver(batch)
            else:
                self._pending[task_index] += (batch,)

    def _deliver(self, batch: Any) -> Any:
        """Refills the pipeline, then returns the batch (or raises a worker's exception)."""
        self._send_request()
        if isinstance(batch, ExceptionWrapper):
            batch.reraise()
        return batch

    def _get_result(self) -> tuple[Any, Any]:
        """The next answer from any worker, watching for a timeout and for dead workers."""
        deadline = time.monotonic() + self._timeout if self._timeout > 0 else None
        while True:
            wait = STATUS_CHECK_SECONDS
            if deadline is not None:
                wait = min(wait, deadline - time.monotonic())
            try:
                return self._result_queue.get(timeout=max(wait, 0.0))
            except queue.Empty:
                dead = [w for w in self._workers if not w.is_alive()]
                if dead:
                    self._shutdown()
                    pids = ", ".join(str(w.pid) for w in dead)
                    raise RuntimeError(
                        f"DataLoader worker (pid(s) {pids}) exited unexpectedly"
                    ) from None
                if deadline is not None and time.monotonic() >= deadline:
                    raise RuntimeError(
                        f"DataLoader timed out after {self._timeout} seconds"
                    ) from None

    def _shutdown(self) -> None:
        """Stops the workers and waits for them (terminating any that does not stop)."""
        if self._shut_down:
            return
        self._shut_down = True
        self._done_event.set()
        for index_queue in self._index_queues:
            index_queue.put(None)
        for worker in self._workers:
            worker.join(timeout=_JOIN_SECONDS)
            if worker.is_alive():
                worker.terminate()
                worker.join()
        for q in (*self._index_queues, self._result_queue):
            q.cancel_join_thread()
            q.close()

    def __del__(self) -> None:
        if self.__dict__.get("_workers"):
            self._shutdown()
