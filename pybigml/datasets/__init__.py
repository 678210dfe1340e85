"""Readers for standard datasets, from files already on disk (nothing is downloaded)."""

from .mnist import MNIST, FashionMNIST, read_idx

__all__ = ["MNIST", "FashionMNIST", "read_idx"]
