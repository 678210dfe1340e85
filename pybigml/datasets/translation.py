"""Multi30k (task 1): image captions paired with their translations, for sequence-to-sequence
translation."""

from __future__ import annotations

import os
from pathlib import Path

from ..utils.data import Dataset
from .text import check_count, read_lines

_NAME = "Multi30k"


class Multi30k(Dataset):
    """Multi30k task 1: Flickr30k captions and their professional translations.

    ``root`` holds one file per split and language, ``<split>.<language>[.gz]`` (e.g.
    ``train.en.gz``), one raw (cased, untokenized) sentence per line; line ``i`` of the two
    languages' files is a translation pair. The number of lines is checked in both files
    against the release: train 29,000, val 1,014, test_2016_flickr 1,000.

    A sample is ``(source_sentence, target_sentence)``.

    Args:
        root: the folder of the files.
        split: ``"train"``, ``"val"`` or ``"test_2016_flickr"`` (torchtext's names
            ``"valid"`` and ``"test"`` are accepted for the last two).
        language_pair: ``(source, target)`` language codes, e.g. ``("en", "fr")``.

    Attributes:
        pairs: the ``(source, target)`` sentence pairs, in file order.

    Example::

        >>> val = Multi30k("../shared/data/multi30k", split="val", language_pair=("en", "fr"))
        >>> len(val), val[0][0]
        (1014, 'A group of men are loading cotton onto a truck')
    """

    splits = {"train": 29000, "val": 1014, "test_2016_flickr": 1000}
    split_aliases = {"valid": "val", "test": "test_2016_flickr"}

    def __init__(
        self,
        root: str | os.PathLike,
        split: str = "train",
        language_pair: tuple[str, str] = ("en", "fr"),
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
        self.root = Path(root)
        self.split = split
        self.language_pair = tuple(language_pair)
        sides = []
        for language in self.language_pair:
            path = self._find(f"{split}.{language}")
            lines = read_lines(path, _NAME)
            check_count(_NAME, path, len(lines), self.splits[split], "lines")
            sides.append(lines)
        self.pairs = list(zip(*sides))

    def _find(self, base: str) -> Path:
        """``root/base.gz`` or, failing that, ``root/base``."""
        candidates = [self.root / f"{base}.gz", self.root / base]
        for path in candidates:
            if path.is_file():
                return path
        raise FileNotFoundError(
            f"{_NAME}: {base}[.gz] not found; looked for " + ", ".join(str(p) for p in candidates)
        )

    def __len__(self) -> int:
        return len(self.pairs)

    def __getitem__(self, index: int) -> tuple[str, str]:
        return self.pairs[index]
