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
from .download import release
from .root import dataset_files, default_root

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

    The four files ``train-images-idx3-ubyte``, ``train-labels-idx1-ubyte``,
    ``t10k-images-idx3-ubyte``, ``t10k-labels-idx1-ubyte`` (each may end in ``.gz``) are
    read from ``root/mnist`` (``root`` the data root, ``None``: ``default_root()``), from
    ``root`` itself, or from torchvision's ``root/MNIST/raw``. ``download=True`` fetches the
    split's two ``.gz`` files from the original release (``resources``), checked by SHA-256.

    A sample is ``(image, label)``: the image a ``(28, 28)`` uint8 tensor (torchvision gives
    a PIL image; pybigml has no imaging dependency), the label an int, each passed through
    ``transform`` / ``target_transform`` if given.

    Attributes:
        data: uint8 tensor ``(N, 28, 28)``.
        targets: int64 tensor ``(N,)``.
        classes: the class names, index = label.

    Example::

        >>> test = MNIST("../shared/data", train=False)
        >>> test.data.shape, test.targets[:3].tolist()
        (pybigml.Size([10000, 28, 28]), [7, 2, 1])
    """

    #: the folder under the data root
    folder = "mnist"
    #: the release files: name -> Resource (torchvision's mirror first, then LeCun's site)
    resources = release(
        {
            "train-images-idx3-ubyte.gz": (
                "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609"
            ),
            "train-labels-idx1-ubyte.gz": (
                "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c"
            ),
            "t10k-images-idx3-ubyte.gz": (
                "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6"
            ),
            "t10k-labels-idx1-ubyte.gz": (
                "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6"
            ),
        },
        "https://ossci-datasets.s3.amazonaws.com/mnist/",
        "http://yann.lecun.com/exdb/mnist/",
    )
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
        root: str | os.PathLike | None = None,
        train: bool = True,
        transform: Callable[[Tensor], Any] | None = None,
        target_transform: Callable[[int], Any] | None = None,
        download: bool = False,
    ) -> None:
        self.root = default_root() if root is None else Path(root)
        self.train = train
        self.transform = transform
        self.target_transform = target_transform
        split = "train" if train else "t10k"
        images_path, labels_path = dataset_files(
            root,
            self.folder,
            self._name,
            [f"{split}-images-idx3-ubyte.gz", f"{split}-labels-idx1-ubyte.gz"],
            layouts=[f"{self._name}/raw"],
            gzip_optional=True,
            resources=self.resources,
            download=download,
        )
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
    """Fashion-MNIST (Zalando): the same format and sizes as MNIST, ten kinds of clothing,
    read from ``root/fashion-mnist`` (or ``root`` itself, or ``root/FashionMNIST/raw``)."""

    folder = "fashion-mnist"
    #: the release files: name -> Resource (Zalando's own bucket, as torchvision uses)
    resources = release(
        {
            "train-images-idx3-ubyte.gz": (
                "3aede38d61863908ad78613f6a32ed271626dd12800ba2636569512369268a84"
            ),
            "train-labels-idx1-ubyte.gz": (
                "a04f17134ac03560a47e3764e11b92fc97de4d1bfaf8ba1a3aa29af54cc90845"
            ),
            "t10k-images-idx3-ubyte.gz": (
                "346e55b948d973a97e58d2351dde16a484bd415d4595297633bb08f03db6a073"
            ),
            "t10k-labels-idx1-ubyte.gz": (
                "67da17c76eaffca5446c3361aaab5c3cd6d1c2608764d35dfb1850b086bf8dd5"
            ),
        },
        "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
    )
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
