"""The body of a ``DataLoader`` worker process, and what a worker knows about itself.

A worker receives requests ``(task_index, indices)`` on its own index queue and answers
``(task_index, batch)`` on the result queue shared by all workers; the main process puts
the answers back in order. A batch crosses the process boundary by pickling: a pybigml
``Tensor`` pickles as its numpy array and is rebuilt as a ``Tensor`` on arrival. An
exception while loading is sent back as an ``ExceptionWrapper`` carrying the traceback's
text, and raised again in the main process when its batch is due.
"""

from __future__ import annotations

import os
import pickle
import queue
import random
import sys
import traceback
from dataclasses import dataclass
from typing import Any

import numpy as np

from ...backend import set_num_threads
from ...random import manual_seed
from ._fetch import StreamFetcher, fetch_indices

# Seconds a worker waits for a request before checking that the main process still lives
# and has not asked it to stop (the main process waits as long before checking its workers).
STATUS_CHECK_SECONDS = 0.5


@dataclass(frozen=True)
class WorkerInfo:
    """What a worker process knows about itself (``get_worker_info()`` inside a worker).

    Attributes:
        id: this worker's index, 0 to ``num_workers - 1``.
        num_workers: how many workers the loader runs.
        seed: the seed of pybigml's, numpy's and Python's RNGs in this worker
            (the loader's base seed + ``id``).
        dataset: this worker's copy of the dataset.
    """

    id: int
    num_workers: int
    seed: int
    dataset: Any


_worker_info: WorkerInfo | None = None


def get_worker_info() -> WorkerInfo | None:
    """Information about the current ``DataLoader`` worker process; ``None`` in the main process.

    An ``IterableDataset`` uses it to split the stream among workers: each worker holds a copy
    of the dataset and, without sharding, every worker would yield every sample.

    Example::

        >>> class Range(IterableDataset):
        ...     def __iter__(self):
        ...         info = get_worker_info()
        ...         start, step = (0, 1) if info is None else (info.id, info.num_workers)
        ...         return iter(range(start, 10, step))
    """
    return _worker_info


@dataclass(frozen=True)
class StreamEnd:
    """A worker's answer once its ``IterableDataset`` copy is exhausted."""

    worker_id: int


@dataclass(frozen=True)
class ResumeIteration:
    """Sent to persistent workers at the start of a new epoch, and echoed back by them."""


class ExceptionWrapper:
    """An exception raised in a worker, with its traceback as text (tracebacks don't pickle)."""

    def __init__(self, worker_id: int) -> None:
        exc_type, exc_value, exc_traceback = sys.exc_info()
        self.exc_name = exc_type.__name__
        try:
            pickle.dumps(exc_type)
        except (pickle.PicklingError, AttributeError, TypeError):
            exc_type = RuntimeError  # a class the main process cannot import (a local class)
        self.exc_type = exc_type
        self.exc_msg = "".join(traceback.format_exception(exc_type, exc_value, exc_traceback))
        self.where = f"in DataLoader worker process {worker_id}"

    def reraise(self) -> None:
        """Raises the exception again: same type, the worker's traceback in its message."""
        message = f"Caught {self.exc_name} {self.where}.\nOriginal {self.exc_msg}"
        try:
            exception = self.exc_type(message)
        except Exception:  # an exception type that does not take one message argument
            raise RuntimeError(message) from None
        raise exception


def _seed_worker(seed: int) -> None:
    """Seeds every RNG a dataset may draw from, so each worker draws its own numbers."""
    random.seed(seed)
    manual_seed(seed)
    np.random.seed(seed % 2**32)


def worker_loop(
    dataset: Any,
    is_iterable: bool,
    auto_collation: bool,
    batch_size: int | None,
    drop_last: bool,
    collate_fn: Any,
    index_queue: Any,
    result_queue: Any,
    done_event: Any,
    base_seed: int,
    worker_init_fn: Any,
    worker_id: int,
    num_workers: int,
) -> None:
    """Answers requests until the main process sends ``None`` (or dies).

    A request is ``(task_index, indices)`` (``indices`` is ignored for an
    ``IterableDataset``) or a ``ResumeIteration``, which restarts the stream of an
    ``IterableDataset`` for a new epoch of persistent workers.
    """
    global _worker_info
    try:
        # Workers share the machine's cores: one kernel thread each (as PyTorch's workers).
        set_num_threads(1)
        seed = base_seed + worker_id
        _seed_worker(seed)
        _worker_info = WorkerInfo(worker_id, num_workers, seed, dataset)
        init_error = None
        try:
            if worker_init_fn is not None:
                worker_init_fn(worker_id)
            stream = (
                StreamFetcher(dataset, batch_size, drop_last, collate_fn) if is_iterable else None
            )
        except Exception:
            init_error = ExceptionWrapper(worker_id)
        stream_ended = False
        parent = os.getppid()
        while os.getppid() == parent:
            try:
                request = index_queue.get(timeout=STATUS_CHECK_SECONDS)
            except queue.Empty:
                # The stop request may never come: when the loader is garbage-collected in a
                # reference cycle, its queues can be finalized before the loader shuts down.
                if done_event.is_set():
                    break
                continue
            if request is None:
                break
            if isinstance(request, ResumeIteration):
                result_queue.put((request, None))
                stream_ended = False
                stream = StreamFetcher(dataset, batch_size, drop_last, collate_fn)
                continue
            if done_event.is_set() or stream_ended:
                continue  # the main process is shutting down, or this stream has ended
            task_index, indices = request
            if init_error is not None:
                batch, init_error = init_error, None
            else:
                try:
                    if is_iterable:
                        batch = stream.fetch()
                    elif auto_collation:
                        batch = fetch_indices(dataset, indices, collate_fn)
                    else:
                        batch = collate_fn(dataset[indices])
                except StopIteration:
                    batch, stream_ended = StreamEnd(worker_id), True
                except Exception:
                    batch = ExceptionWrapper(worker_id)
            result_queue.put((task_index, batch))
            del batch  # no reference to the last batch while waiting for the next request
    except KeyboardInterrupt:
        pass  # the main process handles Ctrl-C
    if done_event.is_set():
        # Unsent results may stay in the pipe: the main process no longer reads them.
        result_queue.cancel_join_thread()
        result_queue.close()
