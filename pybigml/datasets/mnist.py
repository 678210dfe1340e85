"""MNIST and Fashion-MNIST from their IDX files (gzip-compressed or not).

The IDX format (LeCun et al.): a big-endian header ``0x00 0x00 <type> <ndim>`` followed by
``ndim`` uint32 sizes, then the values, row-major and big-endian. MNIST images are type
``0x08`` (uint8) with 3 dims (magic number 2051), labels uint8 with 1 dim (magic 2049).
Every check below names the file and what is wrong with it, so a truncated download or a
swapped file is caught on loading instead of as a shape error deep in training.
"""

from __future__ import annotations

import gzip
import os
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from .._tensor import Tensor
from ..utils.data import Dataset

# IDX type code -> element type (big-endian on disk).
_IDX_TYPES = {
    0x08: np.dtype(np.uint8),
    0x09: np.dtype(np.int8),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}
_GZIP_MAGIC = b"\x1f\x8b"
IMAGES_MAGIC = 2051
LABELS_MAGIC = 2049


def _read_bytes(path: Path) -> bytes:
    """The file's bytes, gunzipped if it starts with the gzip magic."""
    if not path.is_file():
        raise FileNotFoundError(f"read_idx: {path} does not exist")
    raw = path.read_bytes()
    if not raw.startswith(_GZIP_MAGIC):
        return raw
    try:
        return gzip.decompress(raw)
    except (OSError, EOFError, zlib.error) as exc:
        raise ValueError(f"read_idx: {path} is a corrupted gzip file ({exc})") from None


def read_idx(path: str | os.PathLike, expected_magic: int | None = None) -> np.ndarray:
    """Read an IDX file (optionally gzip-compressed) into a numpy array.

    Args:
        path: the ``.idx*-ubyte`` or ``.gz`` file.
        expected_magic: if given, the magic number the file must have (2051 for MNIST
            images, 2049 for labels).

    Returns:
        A new array of the header's shape, in native byte order.

    Raises:
        FileNotFoundError: the file does not exist.
        ValueError: bad gzip data, a wrong or unknown magic number, or a data length that
            does not match the header.

    Example::

        >>> read_idx("../shared/data/mnist/t10k-labels-idx1-ubyte.gz").shape
        (10000,)
    """
    path = Path(path)
    data = _read_bytes(path)
    if len(data) < 4:
        raise ValueError(f"read_idx: {path} is too short for an IDX header ({len(data)} bytes)")
    magic = int.from_bytes(data[:4], "big")
    if expected_magic is not None and magic != expected_magic:
        raise ValueError(f"read_idx: {path} has magic number {magic}, expected {expected_magic}")
    zero, type_code, ndim = int.from_bytes(data[:2], "big"), data[2], data[3]
    if zero != 0 or type_code not in _IDX_TYPES:
        raise ValueError(
            f"read_idx: {path} is not an IDX file (magic number {magic:#010x}; the first two "
            f"bytes must be 0 and the type code one of {sorted(_IDX_TYPES)})"
        )
    header_len = 4 + 4 * ndim
    if len(data) < header_len:
        raise ValueError(
            f"read_idx: {path} is truncated inside its header ({len(data)} bytes, the header "
            f"of a {ndim}-d file has {header_len})"
        )
    shape = tuple(int.from_bytes(data[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim))
    dtype = _IDX_TYPES[type_code]
    expected = header_len + int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    if len(data) != expected:
        problem = "truncated" if len(data) < expected else "longer than its header says"
        raise ValueError(
            f"read_idx: {path} is {problem}: header shape {shape} needs {expected} bytes, "
            f"the file has {len(data)}"
        )
    array = np.frombuffer(data, dtype=dtype, offset=header_len).reshape(shape)
    return array.astype(dtype.newbyteorder("="))  # a writable copy in native byte order


class MNIST(Dataset):
    """The MNIST digits: 60,000 training and 10,000 test images, 28x28 grey levels.

    ``root`` holds the four files ``train-images-idx3-ubyte``, ``train-labels-idx1-ubyte``,
    ``t10k-images-idx3-ubyte``, ``t10k-labels-idx1-ubyte`` (each may end in ``.gz``), either
    directly or in torchvision's ``root/MNIST/raw`` layout. Nothing is downloaded.

    A sample is ``(image, label)``: the image a ``(28, 28)`` uint8 tensor (torchvision gives
    a PIL image; pybigml has no imaging dependency), the label an int, each passed through
    ``transform`` / ``target_transform`` if given.

    Attributes:
        data: uint8 tensor ``(N, 28, 28)``.
        targets: int64 tensor ``(N,)``.
        classes: the class names, index = label.

    Example::

        >>> test = MNIST("../shared/data/mnist", train=False)
        >>> test.data.shape, test.targets[:3].tolist()
        (pybigml.Size([10000, 28, 28]), [7, 2, 1])
    """

    classes = [
        "0 - zero",
        "1 - one",
        "2 - two",
        "3 - three",
        "4 - four",
        "5 - five",
        "6 - six",
        "7 - seven",
        "8 - eight",
        "9 - nine",
    ]

    def __init__(
        self,
        root: str | os.PathLike,
        train: bool = True,
        transform: Callable[[Tensor], Any] | None = None,
        target_transform: Callable[[int], Any] | None = None,
        download: bool = False,
    ) -> None:
        self.root = Path(root)
        self.train = train
        self.transform = transform
        self.target_transform = target_transform
        split = "train" if train else "t10k"
        images_path = self._find(f"{split}-images-idx3-ubyte", download)
        labels_path = self._find(f"{split}-labels-idx1-ubyte", download)
        images = read_idx(images_path, IMAGES_MAGIC)
        labels = read_idx(labels_path, LABELS_MAGIC)
        if images.shape[1:] != (28, 28):
            raise ValueError(
                f"{self._name}: {images_path} holds images of size {images.shape[1:]}, "
                "expected (28, 28)"
            )
        if len(images) != len(labels):
            raise ValueError(
                f"{self._name}: {images_path} has {len(images)} images but {labels_path} has "
                f"{len(labels)} labels"
            )
        if labels.size and labels.max() >= len(self.classes):
            raise ValueError(
                f"{self._name}: {labels_path} has label {labels.max()}, expected 0.."
                f"{len(self.classes) - 1}"
            )
        self.data = Tensor._make(images)
        self.targets = Tensor._make(labels.astype(np.int64))

    @property
    def _name(self) -> str:
        return type(self).__name__

    @property
    def class_to_idx(self) -> dict[str, int]:
        return {name: i for i, name in enumerate(self.classes)}

    def _find(self, base: str, download: bool) -> Path:
        """The path of ``base`` (or ``base.gz``) under ``root`` or ``root/<Name>/raw``."""
        folders = [self.root, self.root / self._name / "raw"]
        candidates = [folder / f"{base}{ext}" for folder in folders for ext in (".gz", "")]
        for path in candidates:
            if path.is_file():
                return path
        hint = " (download=True is not supported: pybigml never downloads)" if download else ""
        raise FileNotFoundError(
            f"{self._name}: {base}[.gz] not found; looked for "
            + ", ".join(str(p) for p in candidates)
            + hint
        )

    def __len__(self) -> int:
        return len(self.data)

    def __getitem__(self, index: int) -> tuple[Any, Any]:
        image = self.data[index]
        target = int(self.targets[index])
        if self.transform is not None:
            image = self.transform(image)
        if self.target_transform is not None:
            target = self.target_transform(target)
        return image, target

    def __repr__(self) -> str:
        return "\n".join(
            [
                f"Dataset {self._name}",
                f"    Number of datapoints: {len(self)}",
                f"    Root location: {self.root}",
                f"    Split: {'Train' if self.train else 'Test'}",
            ]
        )


class FashionMNIST(MNIST):
    """Fashion-MNIST (Zalando): the same format and sizes as MNIST, ten kinds of clothing."""

    classes = [
        "T-shirt/top",
        "Trouser",
        "Pullover",
        "Dress",
        "Coat",
        "Sandal",
        "Shirt",
        "Sneaker",
        "Bag",
        "Ankle boot",
    ]
