"""Text datasets: Tiny Shakespeare (character-level language modelling), SST-2 and the UCI
Sentiment Labelled Sentences (sentence classification), and the file helpers the other
text readers share.

Every reader checks what it reads and names the file and line in its errors: a missing
file, bytes that are not UTF-8, a line without its label, or (for releases of fixed size) a
number of examples that differs from the published one, which is how a truncated copy shows.
"""

from __future__ import annotations

import gzip
import os
import zlib
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from .._tensor import Tensor
from ..utils.data import Dataset
from .download import Resource, release
from .root import dataset_files, default_root

_GZIP_MAGIC = b"\x1f\x8b"


# ----------------------------------------------------------------------------- file helpers


def read_text(path: Path, dataset: str) -> str:
    """The UTF-8 text of ``path`` (gunzipped if it starts with the gzip magic), with
    ``\\r\\n`` line endings turned into ``\\n``.

    Raises:
        FileNotFoundError: ``path`` does not exist.
        ValueError: corrupted gzip data, or bytes that are not UTF-8.
    """
    if not path.is_file():
        raise FileNotFoundError(f"{dataset}: {path} does not exist")
    raw = path.read_bytes()
    if raw.startswith(_GZIP_MAGIC):
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError, zlib.error) as exc:
            raise ValueError(f"{dataset}: {path} is a corrupted gzip file ({exc})") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ValueError(
            f"{dataset}: {path} is not UTF-8 text (byte {exc.start}: {exc.reason})"
        ) from None
    return text.replace("\r\n", "\n")


def read_lines(path: Path, dataset: str) -> list[str]:
    """The lines of a text file (see ``read_text``), without their ``\\n``.

    Only ``\\n`` ends a line: ``str.splitlines`` would also split sentences at characters
    such as U+2028 or form feeds.
    """
    text = read_text(path, dataset)
    lines = text.split("\n")
    if lines[-1] == "":  # the newline that ends the last line
        lines.pop()
    return lines


def check_count(dataset: str, path: Path, count: int, expected: int, what: str) -> None:
    """Raise if a file holds a different number of ``what`` than its release has."""
    if count != expected:
        raise ValueError(
            f"{dataset}: {path} has {count:,} {what}, the published release has {expected:,} "
            "(a truncated or different file?)"
        )


def parse_labelled_sentences(
    lines: Sequence[str], path: Path, dataset: str, first_line_number: int = 1
) -> tuple[list[str], np.ndarray]:
    """Split ``sentence<TAB>label`` lines (label 0 or 1) on their last tab.

    The last tab, not a CSV reader: sentences may hold unbalanced quotes (and tabs).

    Returns:
        The sentences, exactly as in the file, and the labels as an int64 array.
    """
    sentences = []
    labels = np.empty(len(lines), dtype=np.int64)
    for i, line in enumerate(lines):
        sentence, tab, label = line.rpartition("\t")
        if not tab or label not in ("0", "1"):
            raise ValueError(
                f"{dataset}: {path} line {first_line_number + i}: expected "
                f"'sentence<TAB>0' or 'sentence<TAB>1', got {line[:80]!r}"
            )
        sentences.append(sentence)
        labels[i] = int(label)
    return sentences, labels


class _LabelledSentences(Dataset):
    """Samples ``(sentence, label)`` from a list of sentences and an int64 label tensor."""

    sentences: list[str]
    labels: Tensor

    def __len__(self) -> int:
        return len(self.sentences)

    def __getitem__(self, index: int) -> tuple[str, int]:
        return self.sentences[index], int(self.labels[index])


# ----------------------------------------------------------------------------- classification


class SST2(_LabelledSentences):
    """SST-2 (Stanford Sentiment Treebank, binary), as released in GLUE.

    GLUE's ``train.tsv`` (67,349 examples) and ``dev.tsv`` (872) are read from
    ``root/sst2`` (``root`` the data root, ``None``: ``default_root()``) or ``root`` itself:
    a header ``sentence<TAB>label``, then lower-cased, tokenized sentences with label 0
    (negative) or 1 (positive). GLUE's test split has no labels; use ``dev`` for testing.
    ``download=True`` fetches the split's file (``resources``: GLUE ships one zip without
    a published hash, so the files come from a pinned copy whose SHA-256 is checked).

    A sample is ``(sentence, label)``; the sentence is exactly as in the file (GLUE's keep
    a space before the tab).

    Attributes:
        sentences: the sentences, in file order.
        labels: int64 tensor ``(N,)``.

    Example::

        >>> dev = SST2("../shared/data", split="dev")
        >>> len(dev), dev[0][1]
        (872, 1)
    """

    splits = {"train": 67349, "dev": 872}
    folder = "sst2"
    #: the release files: GLUE's SST-2 tsv files, in a copy pinned to one commit
    resources = {
        name: Resource(
            name,
            sha256,
            (
                "https://raw.githubusercontent.com/eyalbd2/Reproducing-AutoPrompt/"
                f"6288fb5bec9c572f2492875ae0111df5b6daed11/glue_data/SST-2/{remote}",
            ),
        )
        for name, remote, sha256 in (
            (
                "train.tsv",
                "train_full.tsv",
                "48eac26399f8456935f81dd9e3a745c1430adb6c62e233ccfe22db4a0d15d1d1",
            ),
            (
                "dev.tsv",
                "dev.tsv",
                "54a9c12c77e402fc14d6a66a506f24d999f596b0176eb777c972cccc2f9cc4b0",
            ),
        )
    }

    def __init__(
        self, root: str | os.PathLike | None = None, split: str = "train", download: bool = False
    ) -> None:
        if split not in self.splits:
            raise ValueError(f"SST2: split must be one of {list(self.splits)}, got {split!r}")
        self.root = default_root() if root is None else Path(root)
        self.split = split
        [path] = dataset_files(
            root,
            self.folder,
            "SST2",
            [f"{split}.tsv"],
            resources=self.resources,
            download=download,
        )
        lines = read_lines(path, "SST2")
        if not lines or lines[0] != "sentence\tlabel":
            found = repr(lines[0][:80]) if lines else "an empty file"
            raise ValueError(
                f"SST2: {path} must start with the header 'sentence<TAB>label', found {found}"
            )
        self.sentences, labels = parse_labelled_sentences(lines[1:], path, "SST2", 2)
        check_count("SST2", path, len(self.sentences), self.splits[split], "examples")
        self.labels = Tensor._make(labels)


class SentimentSentences(_LabelledSentences):
    """UCI Sentiment Labelled Sentences (Kotzias et al., KDD 2015): 1,000 review sentences
    from each of Amazon, IMDb and Yelp, half positive (label 1), half negative (0).

    ``amazon_cells_labelled.txt``, ``imdb_labelled.txt`` and ``yelp_labelled.txt`` are read
    from ``root/sentiment-labelled-sentences`` or ``root`` itself: ``sentence<TAB>label``
    lines, no header. IMDb's has unbalanced quotes, so each line is split on its last tab.
    Nothing is downloaded (UCI ships a zip; no verbatim copy of its Yelp file is pinned).

    Args:
        root: the data root (``None``: ``default_root()``) or the folder of the three files.
        source: ``"amazon"``, ``"imdb"``, ``"yelp"``, or ``None`` for all three in that order.

    Attributes:
        sentences: the sentences, exactly as in the files.
        labels: int64 tensor ``(N,)``.

    Example::

        >>> reviews = SentimentSentences("../shared/data")
        >>> len(reviews)
        3000
    """

    files = {
        "amazon": "amazon_cells_labelled.txt",
        "imdb": "imdb_labelled.txt",
        "yelp": "yelp_labelled.txt",
    }
    sentences_per_source = 1000
    folder = "sentiment-labelled-sentences"

    def __init__(self, root: str | os.PathLike | None = None, source: str | None = None) -> None:
        if source is not None and source not in self.files:
            raise ValueError(
                f"SentimentSentences: source must be one of {list(self.files)} or None, "
                f"got {source!r}"
            )
        self.root = default_root() if root is None else Path(root)
        self.source = source
        self.sentences = []
        labels = []
        for name in self.files if source is None else [source]:
            [path] = dataset_files(root, self.folder, "SentimentSentences", [self.files[name]])
            sentences, file_labels = parse_labelled_sentences(
                read_lines(path, "SentimentSentences"), path, "SentimentSentences"
            )
            check_count(
                "SentimentSentences", path, len(sentences), self.sentences_per_source, "sentences"
            )
            self.sentences += sentences
            labels.append(file_labels)
        self.labels = Tensor._make(np.concatenate(labels))


# ----------------------------------------------------------------------------- language modelling


class TextBlocks(Dataset):
    """Next-token prediction windows over a sequence of token ids.

    Sample ``i`` is ``(ids[i : i + block_size], ids[i + 1 : i + block_size + 1])``: every
    position of the input is trained to predict the token after it, as in char-rnn and
    nanoGPT. There are ``len(ids) - block_size`` samples.

    Args:
        ids: a 1-d int64 tensor of token ids.
        block_size: the length of each window.
    """

    def __init__(self, ids: Tensor, block_size: int) -> None:
        if not isinstance(block_size, int) or block_size < 1:
            raise ValueError(f"TextBlocks: block_size must be a positive int, got {block_size!r}")
        if ids.dim() != 1 or len(ids) <= block_size:
            raise ValueError(
                f"TextBlocks: need a 1-d sequence longer than block_size={block_size}, got "
                f"shape {tuple(ids.shape)}"
            )
        self.ids = ids
        self.block_size = block_size

    def __len__(self) -> int:
        return len(self.ids) - self.block_size

    def __getitem__(self, index: int) -> tuple[Tensor, Tensor]:
        n = len(self)
        if not -n <= index < n:
            raise IndexError(f"TextBlocks: index {index} is out of range for {n} samples")
        start = index % n
        return (
            self.ids[start : start + self.block_size],
            self.ids[start + 1 : start + self.block_size + 1],
        )


class TinyShakespeare(TextBlocks):
    """Tiny Shakespeare (char-rnn): 1,115,394 characters of Shakespeare's plays, for
    character-level language models.

    ``input.txt`` is read from ``root/tinyshakespeare`` or ``root`` itself. The vocabulary
    is the sorted set of characters in the text (65 of them); the samples are ``TextBlocks``
    windows over the whole encoded text.

    Args:
        root: the data root (``None``: ``default_root()``) or the folder of ``input.txt``.
        block_size: the length of each window.
        download: fetch ``input.txt`` from char-rnn's repository (``resources``), checked
            by SHA-256, if it is missing.

    Attributes:
        text: the text.
        itos: the vocabulary, id -> character.
        stoi: character -> id.
        ids: int64 tensor, the encoded text.

    Example::

        >>> shakespeare = TinyShakespeare("../shared/data", block_size=64)
        >>> train, val = shakespeare.train_val_split(0.1)
        >>> shakespeare.decode(shakespeare.encode("First Citizen"))
        'First Citizen'
    """

    folder = "tinyshakespeare"
    #: the release file, pinned to the char-rnn commit that holds it
    resources = release(
        {"input.txt": "86c4e6aa9db7c042ec79f339dcb96d42b0075e16b8fc2e86bf0ca57e2dc565ed"},
        "https://raw.githubusercontent.com/karpathy/char-rnn/"
        "6f9487a6fe5b420b7ca9afb0d7c078e37c1d1b4e/data/tinyshakespeare/",
    )

    def __init__(
        self, root: str | os.PathLike | None = None, block_size: int = 256, download: bool = False
    ) -> None:
        self.root = default_root() if root is None else Path(root)
        [path] = dataset_files(
            root,
            self.folder,
            "TinyShakespeare",
            ["input.txt"],
            resources=self.resources,
            download=download,
        )
        self.text = read_text(path, "TinyShakespeare")
        if not self.text:
            raise ValueError(f"TinyShakespeare: {path} is empty")
        self.itos = sorted(set(self.text))
        self.stoi = {ch: i for i, ch in enumerate(self.itos)}
        # Characters -> ids in one vectorised step: the UTF-32 code points, then a lookup
        # table indexed by code point.
        code_points = np.frombuffer(self.text.encode("utf-32-le"), dtype=np.uint32)
        table = np.zeros(int(code_points.max()) + 1, dtype=np.int64)
        table[[ord(ch) for ch in self.itos]] = np.arange(len(self.itos))
        super().__init__(Tensor._make(table[code_points]), block_size)

    @property
    def vocab_size(self) -> int:
        return len(self.itos)

    def encode(self, text: str) -> Tensor:
        """The ids of ``text``'s characters as an int64 tensor; ValueError for a character
        outside the vocabulary."""
        try:
            return Tensor._make(np.array([self.stoi[ch] for ch in text], dtype=np.int64))
        except KeyError as exc:
            raise ValueError(
                f"TinyShakespeare.encode: character {exc.args[0]!r} is not in the vocabulary"
            ) from None

    def decode(self, ids: Tensor | Sequence[int]) -> str:
        """The text of a sequence of ids (a 1-d tensor or a list of ints)."""
        values = ids.tolist() if isinstance(ids, Tensor) else ids
        return "".join(self.itos[i] for i in values)

    def train_val_split(self, val_fraction: float = 0.1) -> tuple[TextBlocks, TextBlocks]:
        """The first ``1 - val_fraction`` of the text for training, the rest for validation.

        The split is by position, not by random windows, so no validation window
        overlaps a training one. Both parts share this dataset's vocabulary and block size.
        """
        if not 0 < val_fraction < 1:
            raise ValueError(
                f"TinyShakespeare.train_val_split: val_fraction must be in (0, 1), "
                f"got {val_fraction}"
            )
        cut = int(len(self.ids) * (1 - val_fraction))
        return (
            TextBlocks(self.ids[:cut], self.block_size),
            TextBlocks(self.ids[cut:], self.block_size),
        )
