"""Readers for standard datasets, from files on disk under ``default_root()``."""

from .kg import KnowledgeGraph
from .mnist import MNIST, FashionMNIST, read_idx
from .root import default_root
from .text import SST2, SentimentSentences, TextBlocks, TinyShakespeare
from .translation import Multi30k

__all__ = [
    "MNIST",
    "SST2",
    "FashionMNIST",
    "KnowledgeGraph",
    "Multi30k",
    "SentimentSentences",
    "TextBlocks",
    "TinyShakespeare",
    "default_root",
    "read_idx",
]
