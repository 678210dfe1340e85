"""Readers for standard datasets, from files under the data root (``default_root()``), some of
which can fetch their release files (``download=True``, verified by SHA-256)."""

from .download import DownloadError
from .kg import KnowledgeGraph
from .mnist import MNIST, FashionMNIST, read_idx
from .root import default_root
from .text import SST2, SentimentSentences, TextBlocks, TinyShakespeare
from .translation import Multi30k

__all__ = [
    "MNIST",
    "SST2",
    "DownloadError",
    "FashionMNIST",
    "KnowledgeGraph",
    "Multi30k",
    "SentimentSentences",
    "TextBlocks",
    "TinyShakespeare",
    "default_root",
    "read_idx",
]
