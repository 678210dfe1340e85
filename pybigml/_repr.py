"""How a tensor prints: ``repr(t)`` reads exactly as PyTorch's does.

    tensor([[0.1000, 2.0000],
            [3.0000, 4.0000]], dtype=pybigml.float64, requires_grad=True)

The rules (PyTorch's, so that printed outputs compare one-to-one):

* One width for every element, so columns align. For floats the width comes from the
  nonzero finite values, which also choose one of three styles for the whole tensor:
  integer style (``1.``) when all of them are whole numbers, scientific (``1.0000e-05``)
  when the largest magnitude is over 1000 times the smallest, over 1e8, or the smallest is
  under 1e-4, and fixed-point with ``precision`` decimals otherwise.
* More than ``threshold`` elements: each dimension longer than ``2 * edgeitems`` shows its
  first and last ``edgeitems`` entries around ``...``; the style is chosen from the shown
  entries only.
* Rows wrap at ``linewidth`` columns; nested rows indent under their bracket, and
  dimension d is separated from the next block by d - 1 blank lines.
* Suffixes: ``dtype=`` unless it is the default float, int64 or bool (an empty tensor shows
  any dtype but the default float, as it has no elements to tell), ``size=`` for empty
  tensors that are not 1-D, and ``grad_fn=<...>`` or ``requires_grad=True``.
"""

from __future__ import annotations

import contextlib
import dataclasses
import math
from collections.abc import Iterator
from typing import Any

import numpy as np

from . import _dtype


@dataclasses.dataclass
class _PrintOptions:
    precision: int = 4
    threshold: float = 1000
    edgeitems: int = 3
    linewidth: int = 80
    sci_mode: bool | None = None


_OPTIONS = _PrintOptions()
_PROFILES = {
    "default": {"precision": 4, "threshold": 1000, "edgeitems": 3, "linewidth": 80},
    "short": {"precision": 2, "threshold": 1000, "edgeitems": 2, "linewidth": 80},
    "full": {"precision": 4, "threshold": math.inf, "edgeitems": 3, "linewidth": 80},
}


def set_printoptions(
    precision: int | None = None,
    threshold: float | None = None,
    edgeitems: int | None = None,
    linewidth: int | None = None,
    profile: str | None = None,
    sci_mode: bool | None = None,
) -> None:
    """Set how tensors print (options left as ``None`` keep their value, except ``sci_mode``).

    Args:
        precision: digits after the decimal point for floats (default 4).
        threshold: element count above which a tensor is summarised with ``...`` (1000).
        edgeitems: entries shown at each end of a summarised dimension (3).
        linewidth: characters per line before wrapping (80).
        profile: ``"default"``, ``"short"`` or ``"full"`` (never summarise), applied first.
        sci_mode: force scientific notation on (True) or off (False); ``None`` chooses.

    Example::

        >>> pybigml.set_printoptions(precision=2)
        >>> pybigml.tensor([1.12345])
        tensor([1.12])
        >>> pybigml.set_printoptions(profile="default")
    """
    if profile is not None:
        for name, value in _PROFILES[profile].items():
            setattr(_OPTIONS, name, value)
    for name, value in (
        ("precision", precision),
        ("threshold", threshold),
        ("edgeitems", edgeitems),
        ("linewidth", linewidth),
    ):
        if value is not None:
            setattr(_OPTIONS, name, value)
    _OPTIONS.sci_mode = sci_mode


def get_printoptions() -> dict[str, Any]:
    """The current print options, as keyword arguments for ``set_printoptions``."""
    return dataclasses.asdict(_OPTIONS)


@contextlib.contextmanager
def printoptions(**kwargs: Any) -> Iterator[None]:
    """Change the print options inside a ``with`` block only."""
    saved = get_printoptions()
    set_printoptions(**kwargs)
    try:
        yield
    finally:
        set_printoptions(**saved)


class _Formatter:
    """Formats every element of one tensor at one width, in the style its values call for."""

    def __init__(self, values: np.ndarray) -> None:
        self.floating = values.dtype.kind == "f"
        self.int_mode = True
        self.sci_mode = False
        self.width = 1
        if not self.floating:
            if values.size:
                # The longest decimal string of an integer is its min or max.
                self.width = max(len(str(v)) for v in (values.min().item(), values.max().item()))
            return
        finite = values[np.isfinite(values) & (values != 0)]
        if finite.size == 0:
            return
        magnitude = np.abs(finite.astype(np.float64))
        smallest, largest = magnitude.min(), magnitude.max()
        self.int_mode = bool(np.all(np.ceil(finite) == finite))
        if _OPTIONS.sci_mode is None:
            self.sci_mode = bool(
                largest / smallest > 1000.0 or largest > 1.0e8 or smallest < 1.0e-4
            )
        else:
            self.sci_mode = _OPTIONS.sci_mode
        # The widest string is at an extreme magnitude of either sign: the length of a
        # formatted number only grows with its magnitude (scientific notation can grow a
        # 3-digit exponent at either end), so formatting these few candidates suffices.
        candidates = []
        for part in (finite[finite > 0], finite[finite < 0]):
            if part.size:
                candidates += [part.min().item(), part.max().item()]
        if self.int_mode and not self.sci_mode:
            self.width = max(len(f"{v:.0f}") + 1 for v in candidates)  # + 1: the trailing '.'
        else:
            style = "e" if self.sci_mode else "f"
            self.width = max(len(f"{v:.{_OPTIONS.precision}{style}}") for v in candidates)

    def format(self, value: Any) -> str:
        if not self.floating:
            text = str(value)
        elif self.sci_mode:
            text = f"{value:.{_OPTIONS.precision}e}"
        elif self.int_mode:
            text = f"{value:.0f}" + ("." if math.isfinite(value) else "")
        else:
            text = f"{value:.{_OPTIONS.precision}f}"
        return text.rjust(self.width)


def _shown_values(data: np.ndarray) -> np.ndarray:
    """The elements a summarised print shows: ``edgeitems`` at each end of every long dim."""
    edge = _OPTIONS.edgeitems
    if not edge:
        return data.reshape(-1)[:0]
    index = tuple(np.r_[0:edge, n - edge : n] if n > 2 * edge else np.arange(n) for n in data.shape)
    return data[np.ix_(*index)].reshape(-1)


def _vector_str(data: np.ndarray, indent: int, summarize: bool, fmt: _Formatter) -> str:
    edge = _OPTIONS.edgeitems
    if summarize and not edge:
        items = ["..."]
    elif summarize and data.shape[0] > 2 * edge:
        items = (
            [fmt.format(v) for v in data[:edge].tolist()]
            + [" ..."]
            + [fmt.format(v) for v in data[-edge:].tolist()]
        )
    else:
        items = [fmt.format(v) for v in data.tolist()]
    per_line = max(1, math.floor((_OPTIONS.linewidth - indent) / (fmt.width + 2)))
    lines = [", ".join(items[i : i + per_line]) for i in range(0, len(items), per_line)]
    return "[" + (",\n" + " " * (indent + 1)).join(lines) + "]"


def _nested_str(data: np.ndarray, indent: int, summarize: bool, fmt: _Formatter) -> str:
    if data.ndim == 0:
        return fmt.format(data.item())
    if data.ndim == 1:
        return _vector_str(data, indent, summarize, fmt)
    n, edge = data.shape[0], _OPTIONS.edgeitems
    if summarize and n > 2 * edge:
        rows = [*range(edge), None, *range(n - edge, n)]
    else:
        rows = list(range(n))
    parts = ["..." if i is None else _nested_str(data[i], indent + 1, summarize, fmt) for i in rows]
    return "[" + ("," + "\n" * (data.ndim - 1) + " " * (indent + 1)).join(parts) + "]"


def _add_suffixes(text: str, suffixes: list[str], indent: int) -> str:
    """Append ``, suffix`` items, each on a new line once the line would pass ``linewidth``."""
    out = [text]
    # PyTorch measures the last line as its length + 2 when the text has no newline
    # (rfind gives -1): kept so the wrapping point matches.
    line_len = len(text) - text.rfind("\n") + 1
    for suffix in suffixes:
        if line_len + len(suffix) + 2 > _OPTIONS.linewidth:
            out.append(",\n" + " " * indent + suffix)
            line_len = indent + len(suffix)
        else:
            out.append(", " + suffix)
            line_len += len(suffix) + 2
    out.append(")")
    return "".join(out)


def tensor_repr(t: Any) -> str:
    """PyTorch's printed form of a tensor, with ``pybigml.`` dtypes.

    Args:
        t: a ``pybigml.Tensor``.

    Returns:
        The string ``repr(t)`` returns, e.g. ``'tensor([1., 2.], requires_grad=True)'``.
    """
    data = t._data
    prefix = "tensor("
    indent = len(prefix)
    dtype = _dtype.from_numpy_dtype(data.dtype)
    default_float = _dtype.get_default_dtype()
    suffixes = []
    if data.size == 0:
        if data.ndim != 1:
            suffixes.append(f"size={tuple(data.shape)}")
        if dtype is not default_float:
            suffixes.append(f"dtype={dtype!r}")
        body = "[]"
    else:
        if not _OPTIONS.edgeitems:
            suffixes.append(f"size={tuple(data.shape)}")
        if dtype not in (default_float, _dtype.int64, _dtype.bool_):
            suffixes.append(f"dtype={dtype!r}")
        summarize = data.size > _OPTIONS.threshold
        fmt = _Formatter(_shown_values(data) if summarize else data.reshape(-1))
        body = _nested_str(data, indent, summarize, fmt)
    if t.grad_fn is not None:
        suffixes.append(f"grad_fn=<{t.grad_fn.name()}>")
    elif t.requires_grad:
        suffixes.append("requires_grad=True")
    return _add_suffixes(prefix + body, suffixes, indent)
