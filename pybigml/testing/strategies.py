"""Hypothesis strategies for property-based tests of pybigml ops.

Three things are drawn independently, because bugs hide in each of them:

* shapes, including size-0 and size-1 dimensions and 0-d tensors (:func:`shapes`,
  :func:`broadcastable_shapes`, :func:`broadcastable_shape_pairs`);
* values, from a named :class:`Domain` that keeps away from the points where an op is not
  differentiable (``abs`` at 0, ``floor`` at the integers, ...), so finite differences are valid;
* memory layouts (:class:`LayoutPlan`): the same logical tensor stored contiguously, permuted
  then permuted back, as a strided slice of a larger array, or expanded (stride 0) from a smaller
  one.

Example:
    >>> from hypothesis import given
    >>> from pybigml.testing import gradcheck, strategies as pst
    >>> @given(pst.tensors(pst.shapes(max_numel=20), elements=pst.domains.positive,
    ...                    requires_grad=True))
    ... def test_log(x):
    ...     assert gradcheck(pybigml.log, (x,))
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from dataclasses import dataclass
from types import ModuleType
from typing import Any

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from .._dtype import float64
from ..ops import creation
from ..ops.creation import empty

__all__ = [
    "LAYOUTS",
    "VALUE_PRESERVING_LAYOUTS",
    "Domain",
    "LayoutPlan",
    "arrays",
    "away_from",
    "broadcastable_shape_pairs",
    "broadcastable_shapes",
    "domains",
    "laid_out",
    "layout_plans",
    "mutually_broadcastable_shapes",
    "shapes",
    "sides",
    "tensors",
]

Shape = tuple[int, ...]


# ----------------------------------------------------------------------------------- shapes


@st.composite
def shapes(
    draw: st.DrawFn,
    min_dims: int = 0,
    max_dims: int = 4,
    min_side: int = 0,
    max_side: int = 5,
    *,
    max_numel: int | None = None,
) -> Shape:
    """Shapes with ``min_dims..max_dims`` dimensions of ``min_side..max_side`` elements.

    Sizes 0 and 1, the edge cases, each come about once in eight dimensions (uniform sizes
    would make most multi-dimensional shapes empty); the other sizes are equally likely.

    Args:
        min_dims, max_dims: range of the number of dimensions (0 gives 0-d tensors).
        min_side, max_side: range of each dimension's size (0 gives empty tensors).
        max_numel: if given, the product of the nonzero sizes stays at or below it (keeps a full
            Jacobian cheap); dimensions are shrunk to fit.

    Returns:
        A strategy of shape tuples.
    """
    ndim = draw(st.integers(min_dims, max_dims))
    shape = []
    budget = max_numel
    for _ in range(ndim):
        high = max_side if budget is None else max(min_side, min(max_side, budget))
        side = draw(sides(min_side, high))
        shape.append(side)
        if budget is not None:
            budget //= max(side, 1)
    return tuple(shape)


def sides(low: int = 0, high: int = 5) -> st.SearchStrategy[int]:
    """Dimension sizes in ``[low, high]``, with 0 and 1 rarer than the others (see shapes)."""
    return st.sampled_from(_weighted_sides(low, high))


def _weighted_sides(low: int, high: int) -> tuple[int, ...]:
    """Sizes in ``[low, high]`` to sample from: 0 and 1 once, larger sizes three times each."""
    options = list(range(low, min(high, 1) + 1))
    options += [n for n in range(max(low, 2), high + 1) for _ in range(3)]
    return tuple(options)


def broadcastable_shapes(
    shape: Shape, *, min_dims: int = 0, max_dims: int | None = None
) -> st.SearchStrategy[Shape]:
    """Shapes that broadcast to ``shape``: a trailing part of it with some sizes set to 1.

    Three times in four all of ``shape``'s dimensions are kept, and each size is 1 one time in
    four, so that most drawn pairs broadcast in a few dimensions, not everywhere.

    Args:
        shape: the shape to broadcast to.
        min_dims, max_dims: range of the drawn shape's number of dimensions (at most ``len(shape)``).

    Returns:
        A strategy of shape tuples ``s`` with ``numpy.broadcast_shapes(s, shape) == shape``.
    """
    ndim = len(shape)
    max_dims = ndim if max_dims is None else min(max_dims, ndim)

    one_in_four = st.sampled_from((False, False, False, True))

    @st.composite
    def draw_shape(draw: st.DrawFn) -> Shape:
        kept = max_dims
        if draw(one_in_four):
            kept = draw(st.integers(min(min_dims, max_dims), max_dims))
        tail = shape[ndim - kept :]
        return tuple(1 if draw(one_in_four) else side for side in tail)

    return draw_shape()


@st.composite
def mutually_broadcastable_shapes(
    draw: st.DrawFn,
    num_shapes: int,
    *,
    min_dims: int = 0,
    max_dims: int = 3,
    min_side: int = 0,
    max_side: int = 4,
    max_numel: int | None = None,
) -> tuple[Shape, ...]:
    """``num_shapes`` shapes that broadcast together; their broadcast shape has at most
    ``max_numel`` elements (counting size-0 dimensions as 1).

    Returns:
        A strategy of tuples of shapes.
    """
    result = draw(shapes(min_dims, max_dims, min_side, max_side, max_numel=max_numel))
    return tuple(draw(broadcastable_shapes(result)) for _ in range(num_shapes))


def broadcastable_shape_pairs(
    *,
    min_dims: int = 0,
    max_dims: int = 3,
    min_side: int = 0,
    max_side: int = 4,
    max_numel: int | None = None,
) -> st.SearchStrategy[tuple[Shape, Shape]]:
    """Pairs of shapes that broadcast together (see :func:`mutually_broadcastable_shapes`)."""
    return mutually_broadcastable_shapes(
        2,
        min_dims=min_dims,
        max_dims=max_dims,
        min_side=min_side,
        max_side=max_side,
        max_numel=max_numel,
    )


# ----------------------------------------------------------------------------------- values


@dataclass(frozen=True)
class Domain:
    """A set of input values: a union of closed intervals, optionally whole numbers only.

    Attributes:
        name: a short label, shown in test output.
        intervals: ``((low, high), ...)``, closed and disjoint.
        integer_valued: draw only whole numbers (as floats for floating dtypes).
    """

    name: str
    intervals: tuple[tuple[float, float], ...]
    integer_valued: bool = False

    def elements(self, dtype: np.dtype | str = np.float64) -> st.SearchStrategy:
        """A strategy of scalars of ``dtype`` in this domain (booleans: any of the two)."""
        dtype = np.dtype(dtype)
        if dtype == np.bool_:
            return st.booleans()
        if self.integer_valued or dtype.kind in "iu":
            ints = [
                st.integers(math.ceil(low), math.floor(high))
                for low, high in self.intervals
                if math.ceil(low) <= math.floor(high)
            ]
            if not ints:
                # Integer tensors are never differentiated, so the excluded points do not matter:
                # any integer of the domain's hull (e.g. for floor on int64).
                hull = self.intervals[0][0], self.intervals[-1][1]
                ints = [st.integers(math.ceil(hull[0]), math.floor(hull[1]))]
            strategy = st.one_of(ints)
            return strategy if dtype.kind in "iu" else strategy.map(float)
        # Drawn in float64, then rounded to dtype by the array: the margins kept from the
        # excluded points (>= 0.05) are far larger than a float32 rounding step.
        return st.one_of([st.floats(low, high) for low, high in self.intervals])

    def grid(self, count: int = 240) -> tuple[float, ...]:
        """About ``count`` points spread evenly over the domain (for distinct, well-separated
        values: ``(total length) / count`` apart, 0.025 for ``real``)."""
        total = sum(high - low for low, high in self.intervals)
        step = total / count
        return tuple(
            float(low + step * i)
            for low, high in self.intervals
            for i in range(int((high - low) / step) + 1)
        )

    def __contains__(self, value: float) -> bool:
        inside = any(low <= value <= high for low, high in self.intervals)
        return inside and (not self.integer_valued or float(value).is_integer())


def away_from(
    points: Sequence[float],
    low: float = -3.0,
    high: float = 3.0,
    margin: float = 0.1,
    name: str | None = None,
) -> Domain:
    """The interval ``[low, high]`` minus a ``margin`` around each of ``points``.

    Example: ``away_from([-0.5, 0.5])`` for ``clamp(x, -0.5, 0.5)``, whose derivative jumps there.
    """
    intervals = []
    start = low
    for p in sorted(points):
        if p - margin > start:
            intervals.append((start, p - margin))
        start = max(start, p + margin)
    if start < high:
        intervals.append((start, high))
    return Domain(name or f"away_from{tuple(points)}", tuple(intervals))


def _units(low_frac: float, high_frac: float, low: int = -3, high: int = 3) -> tuple:
    return tuple((k + low_frac, k + high_frac) for k in range(low, high))


class domains:
    """Named value ranges; each keeps away from where the ops that use it are not smooth."""

    #: any moderate real value
    real = Domain("real", ((-3.0, 3.0),))
    #: strictly positive, away from 0 where log/sqrt/rsqrt/pow's derivatives blow up
    positive = Domain("positive", ((0.1, 3.0),))
    #: the open unit interval (0, 1), away from both ends
    unit_open = Domain("unit_open", ((0.05, 0.95),))
    #: the open interval (-1, 1), away from both ends
    symmetric_unit_open = Domain("symmetric_unit_open", ((-0.95, 0.95),))
    #: greater than -1 (log1p), away from -1
    above_minus_one = Domain("above_minus_one", ((-0.9, 3.0),))
    #: nonzero, at least 0.1 from 0 (abs, relu, sign, divisors)
    nonzero = away_from([0.0], name="nonzero")
    #: magnitudes in [0.5, 1.5] of either sign: long products stay moderate, no zeros
    unit_magnitude = Domain("unit_magnitude", ((-1.5, -0.5), (0.5, 1.5)))
    #: at least 0.1 from every integer (floor, ceil, integer quotients)
    away_from_integers = Domain("away_from_integers", _units(0.1, 0.9))
    #: at least 0.1 from every half-integer (round: ties at k + 1/2)
    away_from_half_integers = Domain("away_from_half_integers", _units(-0.4, 0.4, -2, 4))
    #: the lower halves of unit intervals ... [k + 0.05, k + 0.45] ...; with ``upper_halves``
    #: every pair of values differs by >= 0.1 (minimum/maximum are not smooth at ties)
    lower_halves = Domain("lower_halves", _units(0.05, 0.45))
    #: the upper halves [k + 0.55, k + 0.95] of unit intervals
    upper_halves = Domain("upper_halves", _units(0.55, 0.95))
    #: two disjoint parts of ``lower_halves``, [k + 0.05, k + 0.2] and [k + 0.3, k + 0.45]:
    #: values from different parts (and from ``upper_halves``) differ by >= 0.1
    lower_low_parts = Domain("lower_low_parts", _units(0.05, 0.2))
    lower_high_parts = Domain("lower_high_parts", _units(0.3, 0.45))
    #: whole numbers in [-3, 3], so that equal values (ties) are common (comparisons)
    small_integers = Domain("small_integers", ((-3.0, 3.0),), integer_valued=True)
    #: whole numbers in [1, 3]: valid operands of every arithmetic op for any dtype
    small_positive_integers = Domain("small_positive_integers", ((1.0, 3.0),), integer_valued=True)


def arrays(
    shape: Shape | st.SearchStrategy[Shape],
    elements: Domain = domains.real,
    dtype: np.dtype | str = np.float64,
    *,
    unique: bool = False,
) -> st.SearchStrategy[np.ndarray]:
    """numpy arrays of ``dtype`` with values in ``elements`` (a Domain).

    Args:
        shape: a shape or a strategy of shapes.
        elements: the value domain.
        dtype: the numpy dtype of the arrays.
        unique: all values distinct (e.g. no ties for max/argmax); floating values are then
            also well separated (drawn from :meth:`Domain.grid`), so that a finite-difference
            step cannot reorder them.

    Returns:
        A strategy of C-contiguous arrays.
    """
    dtype = np.dtype(dtype)
    draw_dtype = np.float64 if dtype.kind == "f" else dtype
    values = elements.elements(dtype)
    if unique and dtype.kind in "iu":
        # A domain holds too few integers for many distinct values; integer tensors are never
        # differentiated, so any distinct integers do.
        values = st.integers(-1000, 1000)
    elif unique and dtype.kind == "f":
        values = st.sampled_from(elements.grid())
    return hnp.arrays(draw_dtype, shape, elements=values, unique=unique).map(
        lambda a: np.array(a, dtype=dtype, order="C")
    )


# ---------------------------------------------------------------------------------- layouts

#: every layout :class:`LayoutPlan` can make
LAYOUTS = ("contiguous", "permuted", "sliced", "expanded")
#: the layouts that keep any values: "expanded" repeats values along its stride-0 dimensions
VALUE_PRESERVING_LAYOUTS = ("contiguous", "permuted", "sliced")


@dataclass(frozen=True)
class LayoutPlan:
    """How to store a logical tensor of ``shape`` in memory.

    Attributes:
        kind: one of :data:`LAYOUTS`.
        shape: the logical shape.
        permutation: "permuted": memory holds the tensor permuted by this, viewed back.
        steps, offsets: "sliced": the tensor is ``big[o0::s0, o1::s1, ...]`` of a larger array.
        expanded_dims: "expanded": these dimensions have stride 0 (values repeat along them).
        dropped_dims: "expanded": this many leading dimensions are added by ``expand``.
    """

    kind: str
    shape: Shape
    permutation: Shape = ()
    steps: Shape = ()
    offsets: Shape = ()
    expanded_dims: Shape = ()
    dropped_dims: int = 0

    def __repr__(self) -> str:
        fields = ", ".join(
            f"{f.name}={getattr(self, f.name)!r}"
            for f in dataclasses.fields(self)
            if f.name == "kind" or getattr(self, f.name) != f.default
        )
        return f"LayoutPlan({fields})"

    def logical_values(self, values: np.ndarray) -> np.ndarray:
        """The values a tensor built from ``values`` holds (expanding repeats the first slice)."""
        if self.kind != "expanded":
            return values
        index = tuple(
            slice(0, 1) if d in self.expanded_dims else slice(None) for d in range(values.ndim)
        )
        return np.broadcast_to(values[index], values.shape)

    def apply(
        self, values: np.ndarray, lib: ModuleType | None = None, requires_grad: bool = False
    ) -> Any:
        """Build a tensor of ``lib`` (default pybigml; torch works too) with this layout.

        Args:
            values: the logical values, of shape ``self.shape``.
            lib: the tensor library: anything with ``from_numpy`` and torch's view methods.
            requires_grad: make the result a leaf that requires grad.

        Returns:
            A tensor whose values equal ``self.logical_values(values)`` and whose strides follow
            the plan. Views are made with the library's own ``permute``/indexing/``expand``.
        """
        lib = creation if lib is None else lib  # pybigml's from_numpy
        values = np.asarray(values)
        if values.shape != self.shape:
            raise ValueError(f"LayoutPlan for shape {self.shape} applied to {values.shape}")
        if self.kind == "contiguous":
            t = lib.from_numpy(values.copy())
        elif self.kind == "permuted":
            storage = np.array(values.transpose(self.permutation), order="C")
            t = lib.from_numpy(storage).permute(tuple(np.argsort(self.permutation).tolist()))
        elif self.kind == "sliced":
            big_shape = tuple(o + s * n for o, s, n in zip(self.offsets, self.steps, self.shape))
            # Cells outside the view hold NaN (ints: 77, bools: True): reading them shows up.
            fill = {"f": np.nan, "b": True}.get(values.dtype.kind, 77)
            big = np.full(big_shape, fill, dtype=values.dtype)
            index = tuple(
                slice(o, o + s * n, s) for o, s, n in zip(self.offsets, self.steps, self.shape)
            )
            big[index] = values
            t = lib.from_numpy(big)[index]
        elif self.kind == "expanded":
            index = tuple(
                slice(0, 1) if d in self.expanded_dims else slice(None) for d in range(values.ndim)
            )
            small = values[index]
            small = np.array(small.reshape(small.shape[self.dropped_dims :]), order="C")
            t = lib.from_numpy(small).expand(self.shape)
        else:
            raise ValueError(f"unknown layout {self.kind!r}; expected one of {LAYOUTS}")
        return t.requires_grad_(requires_grad) if requires_grad else t


@st.composite
def layout_plans(draw: st.DrawFn, shape: Shape, kinds: Sequence[str] = LAYOUTS) -> LayoutPlan:
    """Layouts for a tensor of ``shape``, of the given kinds.

    Returns:
        A strategy of :class:`LayoutPlan`.
    """
    shape = tuple(shape)
    ndim = len(shape)
    kind = draw(st.sampled_from(tuple(kinds)))
    if kind == "permuted":
        return LayoutPlan(kind, shape, permutation=tuple(draw(st.permutations(range(ndim)))))
    if kind == "sliced":
        steps = tuple(draw(st.lists(st.integers(1, 3), min_size=ndim, max_size=ndim)))
        offsets = tuple(draw(st.lists(st.integers(0, 2), min_size=ndim, max_size=ndim)))
        return LayoutPlan(kind, shape, steps=steps, offsets=offsets)
    if kind == "expanded":
        # Any nonempty dimension can have stride 0; leading size-1 (expanded) dimensions may be
        # missing from the small tensor altogether.
        candidates = [d for d in range(ndim) if shape[d] > 0]
        expanded = tuple(sorted(draw(st.sets(st.sampled_from(candidates))))) if candidates else ()
        leading = 0
        while leading < ndim and leading in expanded:
            leading += 1
        dropped = draw(st.integers(0, leading))
        return LayoutPlan(kind, shape, expanded_dims=expanded, dropped_dims=dropped)
    return LayoutPlan("contiguous", shape)


@st.composite
def laid_out(
    draw: st.DrawFn,
    values: np.ndarray,
    kinds: Sequence[str] = LAYOUTS,
    requires_grad: bool = False,
) -> Any:
    """pybigml tensors holding ``values`` in a drawn memory layout.

    With the "expanded" layout the values along the stride-0 dimensions are those of the first
    slice (see :meth:`LayoutPlan.logical_values`).

    Returns:
        A strategy of pybigml Tensors of shape ``values.shape``.
    """
    plan = draw(layout_plans(values.shape, kinds))
    return plan.apply(values, requires_grad=requires_grad)


@st.composite
def tensors(
    draw: st.DrawFn,
    shape: Shape | st.SearchStrategy[Shape] | None = None,
    *,
    dtype: Any = None,
    elements: Domain = domains.real,
    layouts: Sequence[str] = LAYOUTS,
    unique: bool = False,
    requires_grad: bool = False,
) -> Any:
    """pybigml tensors with drawn shape, values and memory layout.

    Args:
        shape: a shape, a strategy of shapes, or None for ``shapes(max_numel=60)``.
        dtype: a pybigml dtype (default ``pybigml.float64``).
        elements: the value domain.
        layouts: the layout kinds to draw from (see :data:`LAYOUTS`).
        unique: all values distinct (in the "expanded" layout they repeat regardless).
        requires_grad: return leaves that require grad.

    Returns:
        A strategy of pybigml Tensors.
    """
    if shape is None:
        shape = shapes(max_numel=60)
    if isinstance(shape, st.SearchStrategy):
        shape = draw(shape)
    dtype = float64 if dtype is None else dtype
    np_dtype = empty(0, dtype=dtype).numpy().dtype
    values = draw(arrays(tuple(shape), elements, np_dtype, unique=unique))
    return draw(laid_out(values, layouts, requires_grad=requires_grad))
