"""Knowledge graphs for link prediction: Kinship, Nations, UMLS and WN18RR (ConvE's release).

Each graph is three files, ``train.txt``, ``valid.txt`` and ``test.txt``, one triple per
line: ``head<TAB>relation<TAB>tail``. Entities and relations are strings; the reader numbers
them from the sorted names over all three splits, so the ids are the same whichever split
is loaded and on every machine.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from .._tensor import Tensor
from ..utils.data import Dataset
from .root import dataset_files, default_root
from .text import check_count, read_lines

_NAME = "KnowledgeGraph"


class KnowledgeGraph(Dataset):
    """A knowledge graph's triples ``(head, relation, tail)`` as ids.

    The graphs' folders (``kinship/train.txt`` ...) are read from ``root/kg`` or ``root``
    itself. Nothing is downloaded (ConvE ships tarballs). The number of triples, entities
    and relations is checked against the published release:

    ========  ========================  ========  =========
    graph     train / valid / test      entities  relations
    ========  ========================  ========  =========
    kinship   8,544 / 1,068 / 1,074     104       25
    nations   1,592 / 199 / 201         14        55
    umls      5,216 / 652 / 661         135       46
    wn18rr    86,835 / 3,034 / 3,134    40,943    11
    ========  ========================  ========  =========

    A sample is one row of ``triples``: an int64 tensor ``[head, relation, tail]``, so a
    ``DataLoader`` batch is ``(B, 3)``.

    Args:
        root: the data root (``None``: ``default_root()``) or the folder holding the graphs'
            folders.
        name: ``"kinship"``, ``"nations"``, ``"umls"`` or ``"wn18rr"``.
        split: ``"train"``, ``"valid"`` or ``"test"``.

    Attributes:
        triples: int64 tensor ``(N, 3)``, this split's triples.
        all_triples: int64 tensor, the triples of all three splits (train, valid, test), as
            filtered link-prediction metrics need every known true triple.
        entities / relations: the names, id -> name (sorted).
        entity_to_idx / relation_to_idx: name -> id.

    Example::

        >>> kinship = KnowledgeGraph("../shared/data", name="kinship", split="train")
        >>> kinship.triples.shape, kinship.num_entities, kinship.num_relations
        (pybigml.Size([8544, 3]), 104, 25)
    """

    splits = ("train", "valid", "test")
    #: name -> ((train, valid, test) triples, entities, relations) of the published release
    releases = {
        "kinship": ((8544, 1068, 1074), 104, 25),
        "nations": ((1592, 199, 201), 14, 55),
        "umls": ((5216, 652, 661), 135, 46),
        "wn18rr": ((86835, 3034, 3134), 40943, 11),
    }

    folder = "kg"

    def __init__(
        self, root: str | os.PathLike | None = None, name: str = "kinship", split: str = "train"
    ) -> None:
        if name not in self.releases:
            raise ValueError(f"{_NAME}: name must be one of {list(self.releases)}, got {name!r}")
        if split not in self.splits:
            raise ValueError(f"{_NAME}: split must be one of {list(self.splits)}, got {split!r}")
        self.root = default_root() if root is None else Path(root)
        self.name = name
        self.split = split
        sizes, num_entities, num_relations = self.releases[name]
        paths = dataset_files(root, self.folder, _NAME, [f"{name}/{s}.txt" for s in self.splits])
        folder = paths[0].parent
        named = {}
        for split_name, size, path in zip(self.splits, sizes, paths):
            named[split_name] = _read_triples(path)
            check_count(_NAME, path, len(named[split_name]), size, "triples")

        every = [triple for split_name in self.splits for triple in named[split_name]]
        self.entities = sorted({t[0] for t in every} | {t[2] for t in every})
        self.relations = sorted({t[1] for t in every})
        check_count(_NAME, folder, len(self.entities), num_entities, "distinct entities")
        check_count(_NAME, folder, len(self.relations), num_relations, "distinct relations")
        self.entity_to_idx = {e: i for i, e in enumerate(self.entities)}
        self.relation_to_idx = {r: i for i, r in enumerate(self.relations)}

        ids = np.array(
            [
                (self.entity_to_idx[h], self.relation_to_idx[r], self.entity_to_idx[t])
                for h, r, t in every
            ],
            dtype=np.int64,
        ).reshape(-1, 3)
        self.all_triples = Tensor._make(ids)
        start = sum(len(named[s]) for s in self.splits[: self.splits.index(split)])
        self.triples = Tensor._make(ids[start : start + len(named[split])])

    @property
    def num_entities(self) -> int:
        return len(self.entities)

    @property
    def num_relations(self) -> int:
        return len(self.relations)

    def __len__(self) -> int:
        return len(self.triples)

    def __getitem__(self, index: int) -> Tensor:
        return self.triples[index]


def _read_triples(path: Path) -> list[tuple[str, str, str]]:
    """The ``head<TAB>relation<TAB>tail`` lines of ``path``, each checked."""
    triples = []
    for number, line in enumerate(read_lines(path, _NAME), start=1):
        fields = line.split("\t")
        if len(fields) != 3 or not all(fields):
            raise ValueError(
                f"{_NAME}: {path} line {number}: expected 'head<TAB>relation<TAB>tail', "
                f"got {line[:80]!r}"
            )
        triples.append((fields[0], fields[1], fields[2]))
    return triples
