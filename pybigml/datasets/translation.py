"""Multi30k (task 1): image captions paired with their translations, for sequence-to-sequence
translation."""

from __future__ import annotations

import os
from pathlib import Path

from ..utils.data import Dataset
from .download import release
from .root import dataset_files, default_root
from .text import check_count, read_lines

_NAME = "Multi30k"


class Multi30k(Dataset):
    """Multi30k task 1: Flickr30k captions and their professional translations.

    One file per split and language, ``<split>.<language>[.gz]`` (e.g. ``train.en.gz``), is
    read from ``root/multi30k`` or ``root`` itself, one raw (cased, untokenized) sentence per line; line ``i`` of the two
    languages' files is a translation pair. The number of lines is checked in both files
    against the release: train 29,000, val 1,014, test_2016_flickr 1,000.

    A sample is ``(source_sentence, target_sentence)``.

    Args:
        root: the data root (``None``: ``default_root()``) or the folder of the files.
        split: ``"train"``, ``"val"`` or ``"test_2016_flickr"`` (torchtext's names
            ``"valid"`` and ``"test"`` are accepted for the last two).
        language_pair: ``(source, target)`` language codes, e.g. ``("en", "fr")``.
        download: fetch the two ``.gz`` files from the Multi30k repository (``resources``,
            English and French), checked by SHA-256, if they are missing.

    Attributes:
        pairs: the ``(source, target)`` sentence pairs, in file order.

    Example::

        >>> val = Multi30k("../shared/data", split="val", language_pair=("en", "fr"))
        >>> len(val), val[0][0]
        (1014, 'A group of men are loading cotton onto a truck')
    """

    splits = {"train": 29000, "val": 1014, "test_2016_flickr": 1000}
    split_aliases = {"valid": "val", "test": "test_2016_flickr"}
    folder = "multi30k"
    #: the release files (English and French), pinned to one commit of the repository
    resources = release(
        {
            "train.en.gz": "d79cfa999dd4c51d2cb42499b6796d5a882c3a8a961923c25a898c90f8bbd56f",
            "train.fr.gz": "622e75069e9f4c577425c4f277116ce66e63a2401c0a2312d90073cb12379a3c",
            "val.en.gz": "14f7d25ddd868909a9213e361768460edcacdd6ab9d1e77b92560dc10c10dc28",
            "val.fr.gz": "ca3106f1a72390591d25f6c45cb4cd39dec4cd3f123e099748a3ce5256c160e9",
            "test_2016_flickr.en.gz": (
                "611d361c6334bc7246101d48097c13cf5c4413c5befc793cc629934359d532d9"
            ),
            "test_2016_flickr.fr.gz": (
                "6d326e188d259fb1d04ac19eae3af956559b3a0b93d7635e56c90987c40c8b90"
            ),
        },
        "https://raw.githubusercontent.com/multi30k/dataset/"
        "a3d2e0d26b56f3846f66a952536ffed4e401d05a/data/task1/raw/",
    )

    def __init__(
        self,
        root: str | os.PathLike | None = None,
        split: str = "train",
        language_pair: tuple[str, str] = ("en", "fr"),
        download: bool = False,
    ) -> None:
        split = self.split_aliases.get(split, split)
        if split not in self.splits:
            raise ValueError(
                f"{_NAME}: split must be one of {list(self.splits)} (or "
                f"{list(self.split_aliases)}), got {split!r}"
            )
        if (
            len(language_pair) != 2
            or not all(isinstance(lang, str) and lang for lang in language_pair)
            or language_pair[0] == language_pair[1]
        ):
            raise ValueError(
                f"{_NAME}: language_pair must be two different language codes such as "
                f"('en', 'fr'), got {language_pair!r}"
            )
        self.root = default_root() if root is None else Path(root)
        self.split = split
        self.language_pair = tuple(language_pair)
        paths = dataset_files(
            root,
            self.folder,
            _NAME,
            [f"{split}.{language}.gz" for language in self.language_pair],
            gzip_optional=True,
            resources=self.resources,
            download=download,
        )
        sides = []
        for path in paths:
            lines = read_lines(path, _NAME)
            check_count(_NAME, path, len(lines), self.splits[split], "lines")
            sides.append(lines)
        self.pairs = list(zip(*sides))

    def __len__(self) -> int:
        return len(self.pairs)

    def __getitem__(self, index: int) -> tuple[str, str]:
        return self.pairs[index]
