"""Lookup tables: ``Embedding`` (one vector per index) and ``EmbeddingBag`` (pooled bags).

The table is a ``(num_embeddings, embedding_dim)`` weight whose rows are drawn from
``N(0, 1)``; a lookup is a gather of rows, and its gradient a scatter-add into the rows that
were read, so only those rows change in a step (the gradient itself is dense).
"""

from __future__ import annotations

from typing import Any

from .._tensor import Tensor
from ..autograd.grad_mode import no_grad
from ..ops.creation import empty
from . import functional as F
from . import init
from .functional.sparse import _padding_row
from .module import Module
from .parameter import Parameter


class _EmbeddingTable(Module):
    """The weight table shared by ``Embedding`` and ``EmbeddingBag``: its shape checks,
    ``N(0, 1)`` initialisation with the padding row zeroed, and ``from_pretrained``."""

    _padding_name = "Padding_idx"

    def _init_table(
        self,
        num_embeddings: int,
        embedding_dim: int,
        padding_idx: int | None,
        max_norm: float | None,
        norm_type: float,
        scale_grad_by_freq: bool,
        sparse: bool,
        _weight: Tensor | None,
        requires_grad: bool,
        device: Any,
        dtype: Any,
    ) -> None:
        self.num_embeddings = num_embeddings
        self.embedding_dim = embedding_dim
        self.padding_idx = _padding_row(padding_idx, num_embeddings, self._padding_name)
        self.max_norm = max_norm
        self.norm_type = norm_type
        self.scale_grad_by_freq = scale_grad_by_freq
        self.sparse = sparse
        if _weight is None:
            table = empty((num_embeddings, embedding_dim), device=device, dtype=dtype)
            self.weight = Parameter(table, requires_grad=requires_grad)
            self.reset_parameters()
        else:
            if list(_weight.shape) != [num_embeddings, embedding_dim]:
                raise AssertionError(
                    "Shape of weight does not match num_embeddings and embedding_dim"
                )
            self.weight = Parameter(_weight, requires_grad=requires_grad)

    def reset_parameters(self) -> None:
        """Rows from ``N(0, 1)``; the padding row (if any) zero."""
        init.normal_(self.weight)
        if self.padding_idx is not None:
            with no_grad():
                self.weight[self.padding_idx].fill_(0)

    @staticmethod
    def _check_pretrained(embeddings: Tensor) -> tuple[int, int]:
        if embeddings.ndim != 2:
            raise AssertionError("Embeddings parameter is expected to be 2-dimensional")
        rows, cols = embeddings.shape
        return rows, cols

    def _table_repr(self) -> list[str]:
        """The repr entries of the options that differ from their defaults."""
        parts = [f"{self.num_embeddings}, {self.embedding_dim}"]
        if self.max_norm is not None:
            parts.append(f"max_norm={self.max_norm}")
        if self.norm_type != 2:
            parts.append(f"norm_type={self.norm_type}")
        if self.scale_grad_by_freq:
            parts.append(f"scale_grad_by_freq={self.scale_grad_by_freq}")
        return parts


class Embedding(_EmbeddingTable):
    """A table of ``num_embeddings`` vectors of size ``embedding_dim``, looked up by index.

    Args:
        num_embeddings: the number of rows (vocabulary size).
        embedding_dim: the size of each vector.
        padding_idx: a row that starts at zero and never receives a gradient.
        max_norm: rescale looked-up rows whose norm exceeds this (in place, at lookup).
        norm_type: the p of that norm.
        scale_grad_by_freq: scale gradients by the inverse frequency of the indices.
        sparse: accepted for compatibility; gradients are dense.

    Example::

        >>> emb = nn.Embedding(10, 3, padding_idx=0)
        >>> emb(pybigml.tensor([[1, 2, 0], [4, 3, 9]])).shape
        pybigml.Size([2, 3, 3])
    """

    def __init__(
        self,
        num_embeddings: int,
        embedding_dim: int,
        padding_idx: int | None = None,
        max_norm: float | None = None,
        norm_type: float = 2.0,
        scale_grad_by_freq: bool = False,
        sparse: bool = False,
        _weight: Tensor | None = None,
        _freeze: bool = False,
        device: Any = None,
        dtype: Any = None,
    ) -> None:
        super().__init__()
        self._init_table(
            num_embeddings,
            embedding_dim,
            padding_idx,
            max_norm,
            norm_type,
            scale_grad_by_freq,
            sparse,
            _weight,
            not _freeze,
            device,
            dtype,
        )

    def forward(self, input: Tensor) -> Tensor:
        return F.embedding(
            input,
            self.weight,
            self.padding_idx,
            self.max_norm,
            self.norm_type,
            self.scale_grad_by_freq,
            self.sparse,
        )

    def extra_repr(self) -> str:
        parts = self._table_repr()
        if self.padding_idx is not None:
            parts.insert(1, f"padding_idx={self.padding_idx}")
        if self.sparse:
            parts.append("sparse=True")
        return ", ".join(parts)

    @classmethod
    def from_pretrained(
        cls,
        embeddings: Tensor,
        freeze: bool = True,
        padding_idx: int | None = None,
        max_norm: float | None = None,
        norm_type: float = 2.0,
        scale_grad_by_freq: bool = False,
        sparse: bool = False,
    ) -> Embedding:
        """An ``Embedding`` whose table is ``embeddings`` (shared, not copied).

        Args:
            embeddings: ``(num_embeddings, embedding_dim)``.
            freeze: keep the table fixed (``requires_grad=False``).
            padding_idx: as in the constructor; the row keeps its pretrained values.

        Example::

            >>> emb = nn.Embedding.from_pretrained(pybigml.eye(3))
            >>> emb(pybigml.tensor([2])).tolist()
            [[0.0, 0.0, 1.0]]
        """
        rows, cols = cls._check_pretrained(embeddings)
        return cls(
            rows,
            cols,
            padding_idx=padding_idx,
            max_norm=max_norm,
            norm_type=norm_type,
            scale_grad_by_freq=scale_grad_by_freq,
            sparse=sparse,
            _weight=embeddings,
            _freeze=freeze,
        )


class EmbeddingBag(_EmbeddingTable):
    """Sums, means or maxima of bags of embeddings (see ``F.embedding_bag``).

    ``forward(input, offsets=None, per_sample_weights=None)``: a 2-d ``input`` holds one bag
    per row; a 1-d ``input`` is cut into bags starting at ``offsets``.

    Args:
        num_embeddings, embedding_dim, max_norm, norm_type, scale_grad_by_freq, sparse,
        padding_idx: as for ``Embedding`` (padding positions are left out of their bag).
        mode: ``'sum'`` | ``'mean'`` | ``'max'``.
        include_last_offset: ``offsets`` has one more entry, the end of the last bag.

    Example::

        >>> bag = nn.EmbeddingBag(10, 3, mode="sum")
        >>> bag(pybigml.tensor([1, 2, 4, 5, 4]), pybigml.tensor([0, 2])).shape
        pybigml.Size([2, 3])
    """

    _padding_name = "padding_idx"

    def __init__(
        self,
        num_embeddings: int,
        embedding_dim: int,
        max_norm: float | None = None,
        norm_type: float = 2.0,
        scale_grad_by_freq: bool = False,
        mode: str = "mean",
        sparse: bool = False,
        _weight: Tensor | None = None,
        include_last_offset: bool = False,
        padding_idx: int | None = None,
        device: Any = None,
        dtype: Any = None,
    ) -> None:
        super().__init__()
        self._init_table(
            num_embeddings,
            embedding_dim,
            padding_idx,
            max_norm,
            norm_type,
            scale_grad_by_freq,
            sparse,
            _weight,
            True,
            device,
            dtype,
        )
        self.mode = mode
        self.include_last_offset = include_last_offset

    def forward(
        self,
        input: Tensor,
        offsets: Tensor | None = None,
        per_sample_weights: Tensor | None = None,
    ) -> Tensor:
        return F.embedding_bag(
            input,
            self.weight,
            offsets,
            self.max_norm,
            self.norm_type,
            self.scale_grad_by_freq,
            self.mode,
            self.sparse,
            per_sample_weights,
            self.include_last_offset,
            self.padding_idx,
        )

    def extra_repr(self) -> str:
        parts = self._table_repr()
        parts.append(f"mode={self.mode!r}")
        if self.padding_idx is not None:
            parts.append(f"padding_idx={self.padding_idx}")
        return ", ".join(parts)

    @classmethod
    def from_pretrained(
        cls,
        embeddings: Tensor,
        freeze: bool = True,
        max_norm: float | None = None,
        norm_type: float = 2.0,
        scale_grad_by_freq: bool = False,
        mode: str = "mean",
        sparse: bool = False,
        include_last_offset: bool = False,
        padding_idx: int | None = None,
    ) -> EmbeddingBag:
        """An ``EmbeddingBag`` whose table is ``embeddings`` (shared, not copied), fixed
        unless ``freeze=False``."""
        rows, cols = cls._check_pretrained(embeddings)
        bag = cls(
            rows,
            cols,
            max_norm=max_norm,
            norm_type=norm_type,
            scale_grad_by_freq=scale_grad_by_freq,
            mode=mode,
            sparse=sparse,
            _weight=embeddings,
            include_last_offset=include_last_offset,
            padding_idx=padding_idx,
        )
        bag.weight.requires_grad = not freeze
        return bag
