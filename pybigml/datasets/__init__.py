"""Readers for standard datasets, from files already on disk (nothing is downloaded)."""

from .kg import KnowledgeGraph
from .mnist import MNIST, FashionMNIST, read_idx
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
    "read_idx",
]
