"""Text, knowledge-graph and translation readers, on the real files in ../shared/data and on
broken copies of them made in a temporary folder; where every reader looks for its files."""

from __future__ import annotations

import gzip
import shutil
from pathlib import Path

import numpy as np
import pytest

import pybigml
from pybigml.datasets import (
    MNIST,
    SST2,
    FashionMNIST,
    KnowledgeGraph,
    Multi30k,
    SentimentSentences,
    TextBlocks,
    TinyShakespeare,
)
from pybigml.utils.data import DataLoader


def broken_copy(source: Path, tmp_path: Path, names: list[str]) -> Path:
    """A copy of the files ``names`` of ``source`` in ``tmp_path`` (to be broken by the test)."""
    for name in names:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source / name, tmp_path / name)
    return tmp_path


def drop_last_line(path: Path) -> None:
    lines = path.read_bytes().splitlines(keepends=True)
    path.write_bytes(b"".join(lines[:-1]))


# --------------------------------------------------------------------------- Tiny Shakespeare


@pytest.fixture(scope="module")
def shakespeare(shared_data_dir: Path) -> TinyShakespeare:
    return TinyShakespeare(shared_data_dir / "tinyshakespeare", block_size=32)


def test_tiny_shakespeare_text_and_vocabulary(shakespeare: TinyShakespeare) -> None:
    assert len(shakespeare.text) == 1_115_394 and shakespeare.vocab_size == 65
    assert shakespeare.itos == sorted(shakespeare.itos)
    assert all(shakespeare.stoi[ch] == i for i, ch in enumerate(shakespeare.itos))
    assert shakespeare.ids.dtype == pybigml.int64 and len(shakespeare.ids) == 1_115_394
    assert shakespeare.decode(shakespeare.ids[:2000]) == shakespeare.text[:2000]
    assert shakespeare.text.startswith("First Citizen:\n")
    encoded = shakespeare.encode("To be, or not to be")
    assert shakespeare.decode(encoded.tolist()) == "To be, or not to be"
    with pytest.raises(ValueError, match="'#' is not in the vocabulary"):
        shakespeare.encode("#1")


def test_tiny_shakespeare_windows_predict_the_next_character(shakespeare) -> None:
    assert len(shakespeare) == 1_115_394 - 32
    for index in (0, 12345, len(shakespeare) - 1, -1):
        x, y = shakespeare[index]
        assert x.shape == y.shape == (32,)
        assert x[1:].tolist() == y[:-1].tolist()
    assert shakespeare.decode(shakespeare[-1][1]) == shakespeare.text[-32:]
    with pytest.raises(IndexError):
        shakespeare[len(shakespeare)]
    x, y = next(iter(DataLoader(shakespeare, batch_size=4)))
    assert x.shape == y.shape == (4, 32) and x.dtype == pybigml.int64


def test_tiny_shakespeare_train_val_split_is_by_position(shakespeare: TinyShakespeare) -> None:
    train, val = shakespeare.train_val_split(0.1)
    assert len(train.ids) == int(1_115_394 * 0.9) and len(train.ids) + len(val.ids) == 1_115_394
    np.testing.assert_array_equal(
        np.concatenate([train.ids.numpy(), val.ids.numpy()]), shakespeare.ids.numpy()
    )
    assert train.block_size == val.block_size == 32
    with pytest.raises(ValueError, match=r"val_fraction must be in \(0, 1\)"):
        shakespeare.train_val_split(1.0)


def test_text_blocks_validate_their_arguments() -> None:
    with pytest.raises(ValueError, match="block_size must be a positive int"):
        TextBlocks(pybigml.arange(10), 0)
    with pytest.raises(ValueError, match="longer than block_size=10"):
        TextBlocks(pybigml.arange(10), 10)


def test_tiny_shakespeare_broken_files(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match=r"TinyShakespeare: .*input\.txt does not exist"):
        TinyShakespeare(tmp_path)
    (tmp_path / "input.txt").write_bytes(b"")
    with pytest.raises(ValueError, match=r"input\.txt is empty"):
        TinyShakespeare(tmp_path)
    (tmp_path / "input.txt").write_bytes(b"First Citizen:\n\xff\xfe")
    with pytest.raises(ValueError, match=r"input\.txt is not UTF-8 text \(byte 15"):
        TinyShakespeare(tmp_path)


# --------------------------------------------------------------------------- SST-2


@pytest.mark.parametrize(
    ("split", "size", "positive", "first"),
    [
        ("train", 67_349, 37_569, ("hide new secretions from the parental units ", 0)),
        ("dev", 872, 444, ("it 's a charming and often affecting journey . ", 1)),
    ],
)
def test_sst2_splits(shared_data_dir: Path, split, size, positive, first) -> None:
    sst = SST2(shared_data_dir / "sst2", split=split)
    assert len(sst) == size and int(sst.labels.sum()) == positive
    assert sst.labels.dtype == pybigml.int64
    assert sst[0] == first


def test_sst2_broken_files(shared_data_dir: Path, tmp_path: Path) -> None:
    root = broken_copy(shared_data_dir / "sst2", tmp_path, ["dev.tsv"])
    dev = root / "dev.tsv"
    drop_last_line(dev)
    with pytest.raises(
        ValueError, match=r"dev\.tsv has 871 examples, the published release has 872"
    ):
        SST2(root, split="dev")
    dev.write_bytes(dev.read_bytes() + b"a sentence cut before its lab")
    with pytest.raises(ValueError, match=r"dev\.tsv line 873: expected 'sentence<TAB>0'"):
        SST2(root, split="dev")
    dev.write_text("text\tlabel\nfine .\t1\n")
    with pytest.raises(ValueError, match="must start with the header 'sentence<TAB>label'"):
        SST2(root, split="dev")
    with pytest.raises(FileNotFoundError, match=r"train\.tsv does not exist"):
        SST2(root, split="train")
    with pytest.raises(ValueError, match=r"split must be one of \['train', 'dev'\]"):
        SST2(root, split="test")


# --------------------------------------------------------------------------- UCI sentiment


def test_sentiment_sentences_sources(shared_data_dir: Path) -> None:
    root = shared_data_dir / "sentiment-labelled-sentences"
    each = {source: SentimentSentences(root, source) for source in ("amazon", "imdb", "yelp")}
    for dataset in each.values():
        assert len(dataset) == 1000 and int(dataset.labels.sum()) == 500
    everything = SentimentSentences(root)
    assert everything.sentences == sum((d.sentences for d in each.values()), [])
    assert everything.labels.tolist() == sum((d.labels.tolist() for d in each.values()), [])
    # IMDb line 20 opens a quote it never closes; the line is kept whole.
    assert each["imdb"][19] == (
        '" The structure of this film is easily the most tightly constructed in the history '
        "of cinema.  ",
        1,
    )


def test_sentiment_sentences_broken_files(shared_data_dir: Path, tmp_path: Path) -> None:
    root = broken_copy(
        shared_data_dir / "sentiment-labelled-sentences", tmp_path, ["yelp_labelled.txt"]
    )
    path = root / "yelp_labelled.txt"
    lines = path.read_text().split("\n")
    lines[4] = lines[4].replace("\t1", "\tpositive").replace("\t0", "\tnegative")
    path.write_text("\n".join(lines))
    with pytest.raises(ValueError, match=r"yelp_labelled\.txt line 5: expected"):
        SentimentSentences(root, "yelp")
    with pytest.raises(FileNotFoundError, match=r"amazon_cells_labelled\.txt does not exist"):
        SentimentSentences(root)
    with pytest.raises(ValueError, match="source must be one of"):
        SentimentSentences(root, "twitter")


# --------------------------------------------------------------------------- knowledge graphs


@pytest.mark.parametrize(
    ("name", "sizes", "entities", "relations"),
    [
        ("kinship", (8544, 1068, 1074), 104, 25),
        ("nations", (1592, 199, 201), 14, 55),
        ("umls", (5216, 652, 661), 135, 46),
        ("wn18rr", (86835, 3034, 3134), 40943, 11),
    ],
)
def test_knowledge_graph_counts(shared_data_dir: Path, name, sizes, entities, relations) -> None:
    graph = KnowledgeGraph(shared_data_dir / "kg", name=name, split="test")
    assert (graph.num_entities, graph.num_relations) == (entities, relations)
    assert graph.triples.shape == (sizes[2], 3) and graph.triples.dtype == pybigml.int64
    assert graph.all_triples.shape == (sum(sizes), 3)
    np.testing.assert_array_equal(graph.all_triples.numpy()[-sizes[2] :], graph.triples.numpy())
    assert graph.triples.numpy().min() >= 0
    assert graph.triples[:, 1].max().item() < relations
    assert graph.triples[:, [0, 2]].max().item() < entities


def test_knowledge_graph_ids_are_sorted_names_shared_by_splits(shared_data_dir: Path) -> None:
    root = shared_data_dir / "kg"
    train = KnowledgeGraph(root, "kinship", "train")
    valid = KnowledgeGraph(root, "kinship", "valid")
    assert train.entities == valid.entities == sorted(train.entities)
    assert train.relations == valid.relations == sorted(train.relations)
    assert train.entity_to_idx["person0"] == train.entities.index("person0")
    first_line = (root / "kinship" / "valid.txt").read_text().split("\n")[0].split("\t")
    h, r, t = valid[0].tolist()
    assert [valid.entities[h], valid.relations[r], valid.entities[t]] == first_line
    batch = next(iter(DataLoader(valid, batch_size=5)))
    assert batch.shape == (5, 3)


def test_knowledge_graph_broken_files(shared_data_dir: Path, tmp_path: Path) -> None:
    names = [f"nations/{split}.txt" for split in ("train", "valid", "test")]
    root = broken_copy(shared_data_dir / "kg", tmp_path, names)
    valid = root / "nations" / "valid.txt"
    lines = valid.read_text().split("\n")
    good = lines[2]
    lines[2] = lines[2].replace("\t", " ", 1)
    valid.write_text("\n".join(lines))
    with pytest.raises(
        ValueError, match=r"valid\.txt line 3: expected 'head<TAB>relation<TAB>tail'"
    ):
        KnowledgeGraph(root, "nations", "train")
    lines[2] = good
    valid.write_text("\n".join(lines[:-3]))
    with pytest.raises(
        ValueError, match=r"valid\.txt has 197 triples, the published release has 199"
    ):
        KnowledgeGraph(root, "nations", "train")
    lines[2] = good.replace(good.split("\t")[1], "made_up_relation")
    valid.write_text("\n".join(lines))
    with pytest.raises(ValueError, match="has 56 distinct relations, the published release has 55"):
        KnowledgeGraph(root, "nations", "train")
    (root / "nations" / "test.txt").unlink()
    with pytest.raises(FileNotFoundError, match=r"nations/test\.txt does not exist"):
        KnowledgeGraph(root, "nations", "train")
    with pytest.raises(ValueError, match="name must be one of"):
        KnowledgeGraph(root, "fb15k", "train")
    with pytest.raises(ValueError, match="split must be one of"):
        KnowledgeGraph(root, "nations", "val")


# --------------------------------------------------------------------------- Multi30k


@pytest.mark.parametrize(
    ("split", "size"), [("train", 29000), ("val", 1014), ("test_2016_flickr", 1000)]
)
def test_multi30k_split_sizes(shared_data_dir: Path, split: str, size: int) -> None:
    assert len(Multi30k(shared_data_dir / "multi30k", split=split)) == size


def test_multi30k_pairs_line_up(shared_data_dir: Path) -> None:
    root = shared_data_dir / "multi30k"
    en_fr = Multi30k(root, split="valid")  # torchtext's name for "val"
    assert en_fr[0] == (
        "A group of men are loading cotton onto a truck",
        "Un groupe d'hommes chargent du coton dans un camion",
    )
    fr_en = Multi30k(root, split="val", language_pair=("fr", "en"))
    assert fr_en.pairs == [(fr, en) for en, fr in en_fr.pairs]
    assert Multi30k(root, "test")[0] == Multi30k(root, "test_2016_flickr")[0]
    assert next(iter(DataLoader(en_fr, batch_size=2)))[1] == [fr for _, fr in en_fr.pairs[:2]]


def test_multi30k_broken_files(shared_data_dir: Path, tmp_path: Path) -> None:
    root = broken_copy(shared_data_dir / "multi30k", tmp_path, ["val.en.gz", "val.fr.gz"])
    with gzip.open(root / "val.fr.gz", "rb") as f:
        french = f.read()
    # Uncompressed files are read too (the .gz is preferred when both exist).
    (root / "val.fr.gz").unlink()
    (root / "val.fr").write_bytes(french)
    assert len(Multi30k(root, "val")) == 1014
    (root / "val.fr").write_bytes(b"\n".join(french.split(b"\n")[1:]))
    with pytest.raises(
        ValueError, match=r"val\.fr has 1,013 lines, the published release has 1,014"
    ):
        Multi30k(root, "val")
    raw = (root / "val.en.gz").read_bytes()
    (root / "val.en.gz").write_bytes(raw[: len(raw) // 2])
    with pytest.raises(ValueError, match=r"val\.en\.gz is a corrupted gzip file"):
        Multi30k(root, "val")
    with pytest.raises(FileNotFoundError, match=r"test_2016_flickr\.en\[\.gz\] not found"):
        Multi30k(root, "test")
    with pytest.raises(ValueError, match="language_pair must be two different language codes"):
        Multi30k(root, "val", language_pair=("en", "en"))
    with pytest.raises(ValueError, match="split must be one of"):
        Multi30k(root, "test_2017")


# --------------------------------------------------------------------------- where files are read


@pytest.mark.parametrize(
    ("reader", "folder", "kwargs"),
    [
        (MNIST, "mnist", {"train": False}),
        (FashionMNIST, "fashion-mnist", {"train": False}),
        (TinyShakespeare, "tinyshakespeare", {"block_size": 8}),
        (SST2, "sst2", {"split": "dev"}),
        (SentimentSentences, "sentiment-labelled-sentences", {"source": "yelp"}),
        (KnowledgeGraph, "kg", {"name": "nations", "split": "valid"}),
        (Multi30k, "multi30k", {"split": "val"}),
    ],
)
def test_readers_take_the_data_root_or_their_own_folder(
    shared_data_dir: Path, monkeypatch: pytest.MonkeyPatch, reader, folder: str, kwargs
) -> None:
    """``root`` is the data root as in torchvision, ``None`` is ``default_root()``, and the
    dataset's own folder (what callers passed before) still works: all three read the same
    samples."""
    monkeypatch.setenv("PYBIGML_DATA", str(shared_data_dir))
    from_root = reader(shared_data_dir, **kwargs)
    from_folder = reader(shared_data_dir / folder, **kwargs)
    default = reader(**kwargs)
    assert len(from_root) == len(from_folder) == len(default) > 0
    for index in (0, len(from_root) - 1):
        first, second, third = from_root[index], from_folder[index], default[index]
        assert str(first) == str(second) == str(third)


def test_a_missing_file_lists_where_it_was_looked_for(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError) as info:
        TinyShakespeare(tmp_path)
    message = str(info.value)
    assert str(tmp_path / "input.txt") in message
    assert str(tmp_path / "tinyshakespeare" / "input.txt") in message
    assert "download=True fetches it" in message
    with pytest.raises(FileNotFoundError) as info:
        KnowledgeGraph(tmp_path)
    assert "download" not in str(info.value)  # KnowledgeGraph has no download
