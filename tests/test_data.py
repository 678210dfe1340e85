"""DataLoader, samplers, collate, datasets, and the MNIST/IDX reader (real and broken files)."""

from __future__ import annotations

import gzip
import multiprocessing
import os
import struct
import time
from collections import namedtuple
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import pybigml
from pybigml.datasets import MNIST, FashionMNIST, read_idx
from pybigml.utils.data import (
    BatchSampler,
    DataLoader,
    Dataset,
    IterableDataset,
    RandomSampler,
    SequentialSampler,
    Subset,
    TensorDataset,
    default_collate,
    get_worker_info,
    random_split,
)


class ListDataset(Dataset):
    """A plain map-style dataset over the same rows (takes the general, per-sample path)."""

    def __init__(self, *tensors: pybigml.Tensor) -> None:
        self.tensors = tensors

    def __getitem__(self, i: int) -> tuple:
        return tuple(t[i] for t in self.tensors)

    def __len__(self) -> int:
        return len(self.tensors[0])


def batches_as_lists(loader: DataLoader) -> list:
    return [[t.tolist() for t in batch] for batch in loader]


# --------------------------------------------------------------------------- DataLoader
@given(n=st.integers(1, 40), batch_size=st.integers(1, 12), drop_last=st.booleans())
def test_batching_covers_dataset(n: int, batch_size: int, drop_last: bool) -> None:
    x = pybigml.arange(n * 2).reshape(n, 2)
    loader = DataLoader(
        TensorDataset(x, pybigml.arange(n)), batch_size=batch_size, drop_last=drop_last
    )
    batches = list(loader)
    assert len(batches) == len(loader)
    sizes = [len(b[1]) for b in batches]
    assert all(s == batch_size for s in sizes[:-1] if drop_last or s != sizes[-1])
    expected = (n // batch_size) * batch_size if drop_last else n
    assert sum(sizes) == expected
    assert [i for b in batches for i in b[1].tolist()] == list(range(expected))


def test_tensor_dataset_fast_path_equals_per_sample_collate() -> None:
    x = pybigml.randn(23, 3, 2)
    y = pybigml.arange(23)
    for shuffle in (False, True):
        fast = DataLoader(
            TensorDataset(x, y),
            batch_size=5,
            shuffle=shuffle,
            generator=pybigml.Generator().manual_seed(7),
        )
        slow = DataLoader(
            ListDataset(x, y),
            batch_size=5,
            shuffle=shuffle,
            generator=pybigml.Generator().manual_seed(7),
        )
        got, want = list(fast), list(slow)
        assert [type(b) for b in got] == [list] * 5
        assert [[t.dtype for t in b] for b in got] == [[t.dtype for t in b] for b in want]
        assert batches_as_lists(got) == batches_as_lists(want)


def test_shuffle_is_deterministic_per_generator_and_differs_per_epoch() -> None:
    ds = TensorDataset(pybigml.arange(50))

    def epochs(seed: int) -> list[list[int]]:
        loader = DataLoader(
            ds, batch_size=50, shuffle=True, generator=pybigml.Generator().manual_seed(seed)
        )
        return [next(iter(loader))[0].tolist() for _ in range(3)]

    a, b, c = epochs(0), epochs(0), epochs(1)
    assert a == b and a != c
    assert a[0] != a[1]  # a new permutation every epoch
    assert all(sorted(order) == list(range(50)) for order in a)
    # Without a generator the order follows pybigml.manual_seed.
    pybigml.manual_seed(3)
    first = next(iter(DataLoader(ds, batch_size=50, shuffle=True)))[0].tolist()
    pybigml.manual_seed(3)
    assert next(iter(DataLoader(ds, batch_size=50, shuffle=True)))[0].tolist() == first


def test_default_collate_structures() -> None:
    Point = namedtuple("Point", "x y")
    batch = default_collate(
        [
            {
                "img": np.zeros((2, 2), np.float32),
                "label": 1,
                "w": 0.5,
                "name": "a",
                "p": Point(1, 2),
            },
            {
                "img": np.ones((2, 2), np.float32),
                "label": 3,
                "w": 1.5,
                "name": "b",
                "p": Point(3, 4),
            },
        ]
    )
    assert batch["img"].shape == (2, 2, 2) and batch["img"].dtype == pybigml.float32
    assert batch["label"].tolist() == [1, 3] and batch["label"].dtype == pybigml.int64
    assert batch["w"].dtype == pybigml.float64
    assert batch["name"] == ["a", "b"]
    assert isinstance(batch["p"], Point) and batch["p"].x.tolist() == [1, 3]
    pairs = default_collate([(pybigml.ones(3), 0), (pybigml.zeros(3), 1)])
    assert isinstance(pairs, list) and pairs[0].shape == (2, 3)
    with pytest.raises(RuntimeError, match="equal size"):
        default_collate([[1, 2], [3]])
    with pytest.raises(TypeError, match="default_collate: batch must contain"):
        default_collate([object(), object()])


def test_loader_options() -> None:
    ds = ListDataset(pybigml.arange(10))
    assert [s[0].tolist() for s in DataLoader(ds, batch_size=None)][:3] == [0, 1, 2]
    sums = list(DataLoader(ds, batch_size=4, collate_fn=lambda b: sum(int(s[0]) for s in b)))
    assert sums == [6, 22, 17]
    sampler = BatchSampler(SequentialSampler(range(10)), batch_size=3, drop_last=True)
    assert [b[0].tolist() for b in DataLoader(ds, batch_sampler=sampler)] == [
        [0, 1, 2],
        [3, 4, 5],
        [6, 7, 8],
    ]
    loader = DataLoader(ds, batch_size=2)
    with pytest.raises(ValueError, match="batch_size attribute should not be set"):
        loader.batch_size = 3
    with pytest.raises(ValueError, match="mutually exclusive with shuffle"):
        DataLoader(ds, sampler=SequentialSampler(ds), shuffle=True)
    with pytest.raises(ValueError, match="batch_sampler option is mutually exclusive"):
        DataLoader(ds, batch_size=2, batch_sampler=sampler)
    with pytest.raises(ValueError, match="prefetch_factor option could only be specified"):
        DataLoader(ds, prefetch_factor=2)
    with pytest.raises(ValueError, match="persistent_workers option needs num_workers > 0"):
        DataLoader(ds, persistent_workers=True)
    with pytest.raises(ValueError, match="multiprocessing_context can only be used"):
        DataLoader(ds, multiprocessing_context="fork")
    with pytest.raises(ValueError, match="should specify a valid start method"):
        DataLoader(ds, num_workers=1, multiprocessing_context="threads")
    with pytest.raises(TypeError, match="should be a valid context object"):
        DataLoader(ds, num_workers=1, multiprocessing_context=3)
    assert DataLoader(ds, num_workers=2).prefetch_factor == 2
    with pytest.raises(ValueError, match="batch_size should be a positive integer"):
        BatchSampler(SequentialSampler(ds), 0, False)
    assert len(list(RandomSampler(ds, replacement=True, num_samples=25))) == 25


# ------------------------------------------------------------ DataLoader worker processes
class SeededSample(Dataset):
    """Each sample says which worker made it and what that worker's RNGs draw."""

    def __getitem__(self, i: int) -> tuple:
        info = get_worker_info()
        return (
            i,
            info.id,
            info.seed,
            info.num_workers,
            int(np.random.randint(1 << 30)),
            float(pybigml.rand(())),
            os.environ.get("INIT_FN_RAN"),
        )

    def __len__(self) -> int:
        return 12


class FailsAt(Dataset):
    def __init__(self, bad: int, delay: float = 0.0) -> None:
        self.bad, self.delay = bad, delay

    def __getitem__(self, i: int) -> int:
        time.sleep(self.delay)
        if i == self.bad:
            raise KeyError(f"sample {i} is corrupt")
        return i

    def __len__(self) -> int:
        return 20


def mark_init(worker_id: int) -> None:
    os.environ["INIT_FN_RAN"] = str(worker_id)


@pytest.mark.parametrize("shuffle", [False, True])
def test_workers_deliver_the_single_process_batches_in_order(shuffle: bool) -> None:
    x, y = pybigml.randn(45, 3), pybigml.arange(45)
    for dataset in (TensorDataset(x, y), ListDataset(x, y)):
        loaders = [
            DataLoader(
                dataset,
                batch_size=4,
                shuffle=shuffle,
                num_workers=workers,
                generator=pybigml.Generator().manual_seed(5),
                prefetch_factor=prefetch,
            )
            for workers, prefetch in ((0, None), (3, 1), (2, 4))
        ]
        want = batches_as_lists(loaders[0])
        for loader in loaders[1:]:
            got = list(loader)
            assert all(type(t) is pybigml.Tensor for batch in got for t in batch)
            assert batches_as_lists(got) == want
    # Without automatic batching, samples one by one, in the same order.
    unbatched = DataLoader(ListDataset(y), batch_size=None, num_workers=2)
    assert [s[0].item() for s in unbatched] == list(range(45))
    # in_order=False: the same batches, in whatever order the workers finish them.
    loose = DataLoader(TensorDataset(y), batch_size=4, num_workers=2, in_order=False)
    assert sorted(b[0].tolist() for b in loose) == [
        list(range(45))[i : i + 4] for i in range(0, 45, 4)
    ]


def test_worker_info_seeds_and_init_fn() -> None:
    assert get_worker_info() is None  # the main process
    loader = DataLoader(
        SeededSample(),
        batch_size=2,
        num_workers=2,
        worker_init_fn=mark_init,
        collate_fn=list,
        generator=pybigml.Generator().manual_seed(0),
    )
    samples = [s for batch in loader for s in batch]
    assert [s[0] for s in samples] == list(range(12))
    # Batches go round-robin to the workers: batch k (samples 2k, 2k+1) to worker k % 2.
    assert [s[1] for s in samples] == [(i // 2) % 2 for i in range(12)]
    seeds = {s[1]: s[2] for s in samples}
    assert seeds[1] == seeds[0] + 1  # base_seed + worker_id
    assert all(s[3] == 2 and s[6] == str(s[1]) for s in samples)
    by_worker = [[s[4:6] for s in samples if s[1] == w] for w in (0, 1)]
    assert by_worker[0] != by_worker[1]  # each worker draws its own numbers
    # The same generator seed gives the same worker seeds and the same draws.
    again = DataLoader(
        SeededSample(),
        batch_size=2,
        num_workers=2,
        worker_init_fn=mark_init,
        collate_fn=list,
        generator=pybigml.Generator().manual_seed(0),
    )
    assert [s for batch in again for s in batch] == samples


class Stream(IterableDataset):
    """0..n-1, split among the workers as PyTorch's documentation shows."""

    def __init__(self, n: int, shard: bool, worker_info=get_worker_info) -> None:
        self.n, self.shard, self.worker_info = n, shard, worker_info

    def __iter__(self):
        info = self.worker_info()
        if info is None or not self.shard:
            return iter(range(self.n))
        per_worker = -(-self.n // info.num_workers)
        start = info.id * per_worker
        return iter(range(start, min(start + per_worker, self.n)))


@pytest.mark.parametrize("shard", [True, False])
def test_iterable_dataset_with_workers_matches_torch(shard: bool) -> None:
    import torch

    class TorchStream(Stream, torch.utils.data.IterableDataset):
        pass

    for batch_size, drop_last in ((3, False), (3, True), (None, False)):
        kwargs = dict(batch_size=batch_size, drop_last=drop_last, num_workers=2)
        got = list(DataLoader(Stream(11, shard), **kwargs))
        stream = TorchStream(11, shard, torch.utils.data.get_worker_info)
        want = list(torch.utils.data.DataLoader(stream, **kwargs))
        if batch_size is None:  # samples pass through as Python ints
            assert got == want
        else:
            assert [b.tolist() for b in got] == [b.tolist() for b in want]


def test_worker_exception_is_reraised_with_worker_traceback() -> None:
    loader = DataLoader(FailsAt(bad=5), batch_size=2, num_workers=2)
    batches = []
    with pytest.raises(KeyError) as raised:
        for batch in loader:
            batches.append(batch.tolist())
    assert batches == [[0, 1], [2, 3]]  # the batches before the failing one arrive in order
    message = str(raised.value)
    assert "Caught KeyError in DataLoader worker process 0" in message
    assert "Original Traceback (most recent call last):" in message
    assert "sample 5 is corrupt" in message and "in __getitem__" in message

    class LocalError(Exception):  # cannot be unpickled in the main process
        pass

    class Fails(Dataset):
        def __getitem__(self, i: int) -> int:
            raise LocalError("unreadable")

        def __len__(self) -> int:
            return 2

    with pytest.raises(RuntimeError, match="Caught LocalError in DataLoader worker process 0"):
        next(iter(DataLoader(Fails(), num_workers=1)))


def test_early_break_and_deletion_stop_the_workers() -> None:
    loader = DataLoader(FailsAt(bad=-1), batch_size=1, num_workers=2)
    iterator = iter(loader)
    workers = list(iterator._workers)
    assert next(iterator).tolist() == [0] and all(w.is_alive() for w in workers)
    del iterator
    assert all(w.exitcode is not None for w in workers)  # joined: no zombies left
    before = set(multiprocessing.active_children())
    for i, _ in enumerate(loader):
        if i == 1:
            break
    assert set(multiprocessing.active_children()) <= before


def test_persistent_workers_and_timeout() -> None:
    loader = DataLoader(FailsAt(bad=-1), batch_size=5, num_workers=2, persistent_workers=True)
    first = [b.tolist() for b in loader]
    workers = list(loader._iterator._workers)
    for i, _ in enumerate(loader):  # an epoch cut short leaves no stale batches behind
        if i == 0:
            break
    assert [b.tolist() for b in loader] == first == [list(range(k, k + 5)) for k in (0, 5, 10, 15)]
    assert loader._iterator._workers == workers and all(w.is_alive() for w in workers)
    del loader
    assert all(w.exitcode is not None for w in workers)

    slow = DataLoader(FailsAt(bad=-1, delay=0.6), batch_size=1, num_workers=1, timeout=0.1)
    with pytest.raises(RuntimeError, match=r"DataLoader timed out after 0.1 seconds"):
        next(iter(slow))


def test_spawned_workers() -> None:
    x = pybigml.arange(10.0)
    loader = DataLoader(
        TensorDataset(x), batch_size=4, num_workers=1, multiprocessing_context="spawn"
    )
    assert [b[0].tolist() for b in loader] == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]


def test_subset_and_random_split() -> None:
    ds = ListDataset(pybigml.arange(10))
    sub = Subset(ds, [9, 2, 4])
    assert len(sub) == 3 and sub[0][0].item() == 9
    parts = random_split(ds, [0.5, 0.3, 0.2], generator=pybigml.Generator().manual_seed(0))
    assert [len(p) for p in parts] == [5, 3, 2]
    seen = sorted(int(p[i][0]) for p in parts for i in range(len(p)))
    assert seen == list(range(10))
    with pytest.raises(ValueError, match="Sum of input lengths"):
        random_split(ds, [3, 3])


# --------------------------------------------------------------------------- MNIST on disk
def test_mnist_real_files(shared_data_dir: Path) -> None:
    train = MNIST(shared_data_dir / "mnist", train=True)
    test = MNIST(shared_data_dir / "mnist", train=False)
    assert train.data.shape == (60000, 28, 28) and train.data.dtype == pybigml.uint8
    assert test.data.shape == (10000, 28, 28) and test.targets.dtype == pybigml.int64
    # Published class counts of the two splits, and the first labels of each file.
    assert np.bincount(train.targets.numpy()).tolist() == [
        5923,
        6742,
        5958,
        6131,
        5842,
        5421,
        5918,
        6265,
        5851,
        5949,
    ]
    assert np.bincount(test.targets.numpy()).tolist() == [
        980,
        1135,
        1032,
        1010,
        982,
        892,
        958,
        1028,
        974,
        1009,
    ]
    assert train.targets[:5].tolist() == [5, 0, 4, 1, 9]
    image, label = test[0]
    assert label == 7 and image.shape == (28, 28) and int(image.max()) == 255
    assert len(FashionMNIST(shared_data_dir / "fashion-mnist", train=False)) == 10000


def write_idx(path: Path, array: np.ndarray, magic: int, compress: bool = True) -> None:
    """An IDX file: magic, big-endian sizes, then the bytes."""
    payload = (
        struct.pack(">I", magic) + struct.pack(f">{array.ndim}I", *array.shape) + array.tobytes()
    )
    path.write_bytes(gzip.compress(payload) if compress else payload)


def make_split(root: Path, split: str, n: int = 6, compress: bool = True) -> None:
    rng = np.random.default_rng(0)
    write_idx(
        root / f"{split}-images-idx3-ubyte{'.gz' if compress else ''}",
        rng.integers(0, 256, (n, 28, 28), dtype=np.uint8),
        2051,
        compress,
    )
    write_idx(
        root / f"{split}-labels-idx1-ubyte{'.gz' if compress else ''}",
        rng.integers(0, 10, n, dtype=np.uint8),
        2049,
        compress,
    )


def test_read_idx_round_trip_and_layouts(tmp_path: Path) -> None:
    values = np.arange(12, dtype=">i4").reshape(3, 4)
    write_idx(tmp_path / "ints.idx", values, 0x0C02, compress=False)
    assert read_idx(tmp_path / "ints.idx").tolist() == values.tolist()
    make_split(tmp_path, "t10k", compress=False)  # uncompressed files are read too
    assert len(MNIST(tmp_path, train=False)) == 6
    raw = tmp_path / "MNIST" / "raw"  # torchvision's folder layout
    raw.mkdir(parents=True)
    make_split(raw, "train", n=4)
    assert MNIST(tmp_path, train=True).data.shape == (4, 28, 28)


@pytest.mark.parametrize(
    ("damage", "error", "message"),
    [
        ("missing", FileNotFoundError, r"train-labels-idx1-ubyte\[.gz\] not found"),
        (
            "truncated_data",
            ValueError,
            r"is truncated: header shape \(6, 28, 28\) needs 4720 bytes",
        ),
        ("truncated_gzip", ValueError, "corrupted gzip file"),
        ("swapped", ValueError, "has magic number 2049, expected 2051"),
        ("count", ValueError, "has 6 images but .* has 5 labels"),
        ("label", ValueError, "has label 12, expected 0..9"),
        ("size", ValueError, r"images of size \(28, 27\), expected \(28, 28\)"),
        ("not_idx", ValueError, "is not an IDX file"),
    ],
)
def test_broken_mnist_files_raise_clear_errors(
    tmp_path: Path, damage: str, error: type, message: str
) -> None:
    make_split(tmp_path, "train")
    images = tmp_path / "train-images-idx3-ubyte.gz"
    labels = tmp_path / "train-labels-idx1-ubyte.gz"
    if damage == "missing":
        labels.unlink()
    elif damage == "truncated_data":
        images.write_bytes(gzip.compress(gzip.decompress(images.read_bytes())[:-100]))
    elif damage == "truncated_gzip":
        images.write_bytes(images.read_bytes()[:500])
    elif damage == "swapped":
        images.write_bytes(labels.read_bytes())
    elif damage == "count":
        write_idx(labels, np.zeros(5, np.uint8), 2049)
    elif damage == "label":
        write_idx(labels, np.full(6, 12, np.uint8), 2049)
    elif damage == "size":
        write_idx(images, np.zeros((6, 28, 27), np.uint8), 2051)
    elif damage == "not_idx":
        (tmp_path / "junk").write_bytes(b"\x01\x02\x08\x01" + b"\x00" * 8)
        with pytest.raises(error, match=message):
            read_idx(tmp_path / "junk")
        return
    with pytest.raises(error, match=message) as info:
        MNIST(tmp_path, train=True)
    assert str(tmp_path) in str(info.value)  # the message names the file
