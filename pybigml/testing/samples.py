"""How the inputs of a registered op are made: :class:`Sample` and the sampler factories.

A sampler is a function ``SampleContext -> Sample``. It draws (through ``ctx.draw``) the shapes,
values and non-tensor arguments of one call of an op, as numpy arrays. Every array anywhere in a
sample's arguments (also inside a list, as for ``cat``, or an index tuple) stands for a tensor:
the test harness turns arrays into pybigml and torch tensors, floating arrays into the inputs it
differentiates, and integer or boolean arrays (indices, masks) into constants.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from hypothesis import strategies as st

from pybigml.testing.strategies import (
    Domain,
    arrays,
    broadcastable_shapes,
    domains,
    mutually_broadcastable_shapes,
    shapes,
    sides,
)

Shape = tuple[int, ...]


# ------------------------------------------------------------------------- sample containers


def _leaves(tree: Any, out: list[np.ndarray]) -> list[np.ndarray]:
    if isinstance(tree, np.ndarray):
        out.append(tree)
    elif isinstance(tree, (tuple, list)):
        for item in tree:
            _leaves(item, out)
    elif isinstance(tree, dict):
        for item in tree.values():
            _leaves(item, out)
    return out


def _rebuild(tree: Any, leaves: Iterator[Any]) -> Any:
    if isinstance(tree, np.ndarray):
        return next(leaves)
    if isinstance(tree, (tuple, list)):
        return type(tree)(_rebuild(item, leaves) for item in tree)
    if isinstance(tree, dict):
        return {key: _rebuild(item, leaves) for key, item in tree.items()}
    return tree


@dataclass(frozen=True)
class Sample:
    """The arguments of one call: ``op(*args, **kwargs)``, with numpy arrays for tensors.

    Attributes:
        args: positional arguments.
        kwargs: keyword arguments.
    """

    args: tuple
    kwargs: dict = field(default_factory=dict)

    def arrays(self) -> list[np.ndarray]:
        """The arrays in the arguments, in order (positional first, then keyword)."""
        return _leaves(self.kwargs, _leaves(self.args, []))

    def with_arrays(self, replacements: Sequence[Any]) -> tuple[tuple, dict]:
        """``(args, kwargs)`` with the arrays replaced, in the order of :meth:`arrays`."""
        it = iter(replacements)
        args = _rebuild(self.args, it)
        return args, _rebuild(self.kwargs, it)


@dataclass(frozen=True)
class SampleContext:
    """What a sampler draws with.

    Attributes:
        draw: hypothesis' draw function.
        dtype: numpy dtype of the op's value inputs (indices are always int64, masks bool).
        max_numel: budget for the number of elements of each input and output.
        kwargs: the keyword arguments of the op variant (e.g. ``dim``), which some samplers
            need to know (a reduction over ``dim=2`` needs 3 dimensions).
    """

    draw: st.DrawFn
    dtype: np.dtype
    max_numel: int
    kwargs: Mapping[str, Any]

    def shape(self, min_dims: int = 0, max_dims: int = 4, min_side: int = 0, max_side: int = 5):
        """A shape within the element budget."""
        return self.draw(shapes(min_dims, max_dims, min_side, max_side, max_numel=self.max_numel))

    def array(
        self,
        shape: Shape,
        domain: Domain = domains.real,
        dtype: Any = None,
        *,
        unique: bool = False,
    ) -> np.ndarray:
        """An array of ``shape`` with values in ``domain`` (dtype: the context's by default)."""
        return self.draw(
            arrays(shape, domain, self.dtype if dtype is None else dtype, unique=unique)
        )

    def integers(self, low: int, high: int) -> int:
        """An int in ``[low, high]``."""
        return self.draw(st.integers(low, high))

    def choice(self, options: Sequence[Any]) -> Any:
        """One of ``options``."""
        return self.draw(st.sampled_from(tuple(options)))

    def index_array(self, shape: Shape, size: int) -> np.ndarray:
        """int64 indices in ``[0, size)`` (empty if ``size`` is 0)."""
        if size == 0:
            shape = (*shape[:-1], 0) if shape else (0,)
        return self.draw(arrays(shape, Domain("index", ((0, max(size - 1, 0)),)), np.int64))


Sampler = Callable[[SampleContext], Sample]


def _normalize_dims(dim: Any, ndim: int) -> tuple[int, ...]:
    """Dimensions named by ``dim`` (None: all) as non-negative ints for an ``ndim``-d tensor."""
    if dim is None:
        return tuple(range(ndim))
    dims = dim if isinstance(dim, (tuple, list)) else (dim,)
    return tuple(d % ndim if ndim else 0 for d in dims)


def _min_dims(dim: Any) -> int:
    """How many dimensions a tensor needs for ``dim`` to be valid (and, for several dims, to
    name distinct dimensions: ``(0, -1)`` needs 2)."""
    if dim is None:
        return 0
    dims = dim if isinstance(dim, (tuple, list)) else (dim,)
    ndim = max(d + 1 if d >= 0 else -d for d in dims)
    while len({d % ndim for d in dims}) < len(set(dims)):
        ndim += 1
    return ndim


# ---------------------------------------------------------------------------- element-wise


def elementwise(*input_domains: Domain) -> Sampler:
    """Inputs of mutually broadcastable shapes, input ``i`` with values in ``input_domains[i]``."""

    def sample(ctx: SampleContext) -> Sample:
        if len(input_domains) == 1:
            input_shapes = (ctx.shape(),)
        else:
            input_shapes = ctx.draw(
                mutually_broadcastable_shapes(len(input_domains), max_numel=ctx.max_numel)
            )
        return Sample(tuple(ctx.array(s, d) for s, d in zip(input_shapes, input_domains)))

    return sample


def separated_pair(ctx: SampleContext) -> Sample:
    """Two broadcastable inputs whose values differ by >= 0.1 everywhere (no ties), in either
    order; for integer dtypes (never differentiated) any small integers."""
    first, second = ctx.draw(mutually_broadcastable_shapes(2, max_numel=ctx.max_numel))
    if ctx.dtype.kind != "f":
        return Sample(
            (ctx.array(first, domains.small_integers), ctx.array(second, domains.small_integers))
        )
    low, high = domains.lower_halves, domains.upper_halves
    if ctx.draw(st.booleans()):
        low, high = high, low
    return Sample((ctx.array(first, low), ctx.array(second, high)))


def quotient(ctx: SampleContext) -> Sample:
    """``(a, b)`` with ``b`` broadcastable to ``a`` and ``a / b`` at least 0.1 from any integer,
    where floor/trunc/remainder of the quotient are smooth; integers for integer dtypes."""
    shape = ctx.shape(max_dims=3)
    b_shape = ctx.draw(broadcastable_shapes(shape))
    b = ctx.array(b_shape, domains.nonzero)
    if ctx.dtype.kind != "f":
        return Sample((ctx.array(shape, domains.small_integers), b))
    q = ctx.array(shape, domains.away_from_integers, np.float64)
    return Sample((np.array(q * b, dtype=ctx.dtype), b))


def power_operands(ctx: SampleContext) -> Sample:
    """``(base, exponent)`` broadcastable: positive bases (the exponent's derivative is
    ``log(base) base**exponent``), real exponents; for integer dtypes non-negative exponents
    (integer powers with negative exponents truncate)."""
    base, exponent = ctx.draw(mutually_broadcastable_shapes(2, max_numel=ctx.max_numel))
    exponent_domain = domains.real if ctx.dtype.kind == "f" else domains.small_positive_integers
    return Sample((ctx.array(base, domains.positive), ctx.array(exponent, exponent_domain)))


def scalar_weight_lerp(ctx: SampleContext) -> Sample:
    """``lerp(start, end, weight)`` with a Python float weight."""
    start, end = ctx.draw(mutually_broadcastable_shapes(2, max_numel=ctx.max_numel))
    return Sample((ctx.array(start), ctx.array(end), ctx.draw(st.floats(-1.5, 1.5))))


def clamp_tensor_bounds(ctx: SampleContext) -> Sample:
    """``clamp(x, min, max)`` with tensor bounds, every bound >= 0.1 from every ``x`` value and
    from every value of the other bound (clamp has a kink where they meet)."""
    x_shape = ctx.shape(max_dims=3)
    low_shape, high_shape = (ctx.draw(broadcastable_shapes(x_shape)) for _ in range(2))
    return Sample(
        (ctx.array(x_shape, domains.upper_halves),),
        {
            "min": ctx.array(low_shape, domains.lower_low_parts),
            "max": ctx.array(high_shape, domains.lower_high_parts),
        },
    )


# ------------------------------------------------------------------------------ reductions


def reduction(
    domain: Domain = domains.real, *, unique: bool = False, min_reduced_side: int = 0
) -> Sampler:
    """One input with enough dimensions for the variant's ``dim``.

    Args:
        domain: the value domain.
        unique: all values distinct (max/min/argmax: no ties).
        min_reduced_side: the reduced dimensions have at least this many elements (var/std
            need more elements than ``correction``).
    """

    def sample(ctx: SampleContext) -> Sample:
        dim = ctx.kwargs.get("dim")
        min_dims = max(_min_dims(dim), 1 if min_reduced_side else 0)
        shape = list(ctx.shape(min_dims=min_dims, max_dims=max(min_dims, 3)))
        for d in _normalize_dims(dim, len(shape)):
            shape[d] = max(shape[d], min_reduced_side)
        return Sample((ctx.array(tuple(shape), domain, unique=unique),))

    return sample


# ---------------------------------------------------------------------------- linear algebra


def _matrix_sizes(ctx: SampleContext, count: int) -> list[int]:
    """``count`` sizes in [0, 4] (several small dims whose products stay within budget)."""
    return [ctx.draw(sides(0, 4)) for _ in range(count)]


def matmul_operands(ctx: SampleContext) -> Sample:
    """Operands of every ``matmul`` case: vector/matrix combinations and broadcast batches."""
    m, n, p = _matrix_sizes(ctx, 3)
    kind = ctx.choice(["vv", "mv", "vm", "mm", "batched", "batched_vector"])
    if kind == "vv":
        shapes_ = (n,), (n,)
    elif kind == "mv":
        shapes_ = (m, n), (n,)
    elif kind == "vm":
        shapes_ = (n,), (n, p)
    elif kind == "mm":
        shapes_ = (m, n), (n, p)
    elif kind == "batched":
        batch_a, batch_b = ctx.draw(mutually_broadcastable_shapes(2, max_dims=2, max_side=3))
        shapes_ = (*batch_a, m, n), (*batch_b, n, p)
    else:
        shapes_ = (ctx.integers(0, 3), m, n), (n,)
    return Sample(tuple(ctx.array(s) for s in shapes_))


def fixed_rank_operands(*dims: str) -> Sampler:
    """Operands whose dimensions are named by letters, e.g. ``("mn", "np")`` for ``mm``: equal
    letters get equal sizes."""

    def sample(ctx: SampleContext) -> Sample:
        letters = sorted(set("".join(dims)))
        size = {letter: ctx.draw(sides(0, 4)) for letter in letters}
        return Sample(tuple(ctx.array(tuple(size[c] for c in d)) for d in dims))

    return sample


def einsum_operands(ctx: SampleContext) -> Sample:
    """Operands for the variant's ``equation`` (explicit form ``"ij,jk->ik"``)."""
    inputs = ctx.kwargs["equation"].split("->")[0].split(",")
    return fixed_rank_operands(*inputs)(ctx)


# -------------------------------------------------------------------------- shape and views


def _factorizations(n: int) -> list[tuple[int, ...]]:
    """Shapes with ``n`` elements: ``(n,)``, ``(d, n // d)`` for divisors ``d``, a 3-d one, and
    the same with one size replaced by -1."""
    options = [(n,), (1, n, 1)]
    for d in range(1, n + 1):
        if n % d == 0:
            options += [(d, n // d), (d, -1), (-1, n // d)]
    if n == 0:
        options += [(0, 3), (2, 0, 5), (-1, 4)]
    return options


def reshape_target(ctx: SampleContext) -> Sample:
    """An input and a ``shape`` with the same number of elements."""
    shape = ctx.shape()
    target = ctx.choice(_factorizations(math.prod(shape)))
    return Sample((ctx.array(shape), target))


def permutation(ctx: SampleContext) -> Sample:
    """An input of >= 1 dimension and a permutation ``dims`` of its dimensions (torch's argument
    parser rejects the empty ``dims`` of a 0-d tensor)."""
    shape = ctx.shape(min_dims=1)
    return Sample((ctx.array(shape), tuple(ctx.draw(st.permutations(range(len(shape)))))))


def with_dims(min_dims: int = 0, max_dims: int = 4, ones: bool = False) -> Sampler:
    """One input with ``min_dims..max_dims`` dimensions (at least the variant's ``dim`` needs);
    ``ones``: sizes drawn mostly from {1, 2}, so that squeezing finds size-1 dimensions."""

    def sample(ctx: SampleContext) -> Sample:
        low = max(min_dims, _min_dims(ctx.kwargs.get("dim")))
        for key in ("dim0", "dim1", "start_dim", "end_dim"):
            if key in ctx.kwargs:
                low = max(low, _min_dims(ctx.kwargs[key]))
        high = max(low, max_dims)
        if ones:
            ndim = ctx.integers(low, high)
            shape = tuple(ctx.choice([1, 1, 2, 0, 3]) for _ in range(ndim))
        else:
            shape = ctx.shape(min_dims=low, max_dims=high)
        return Sample((ctx.array(shape),))

    return sample


def expand_target(ctx: SampleContext) -> Sample:
    """An input of >= 1 dimension and ``sizes`` it expands to: size-1 dims grow, new leading
    dims, -1 keeps."""
    shape = ctx.shape(min_dims=1, max_dims=3, max_side=3)
    sizes = [ctx.integers(0, 3) if side == 1 else ctx.choice([side, -1]) for side in shape]
    leading = [ctx.integers(0, 3) for _ in range(ctx.integers(0, 2))]
    if math.prod(leading + [abs(s) for s in sizes]) > ctx.max_numel:
        leading = []
    return Sample((ctx.array(shape), tuple(leading + sizes)))


def unflatten_sizes(ctx: SampleContext) -> Sample:
    """An input, a ``dim`` and ``sizes`` that split it (one may be -1)."""
    shape = ctx.shape(min_dims=1, max_dims=3)
    dim = ctx.integers(-len(shape), len(shape) - 1)
    sizes = ctx.choice(_factorizations(shape[dim]))
    return Sample((ctx.array(shape), dim, sizes))


def narrow_range(ctx: SampleContext) -> Sample:
    """An input, ``dim``, ``start`` (possibly negative) and ``length`` within the dim."""
    shape = ctx.shape(min_dims=1, max_dims=3)
    dim = ctx.integers(-len(shape), len(shape) - 1)
    size = shape[dim]
    start = ctx.integers(0, size)
    length = ctx.integers(0, size - start)
    if start < size and ctx.draw(st.booleans()):
        start -= size
    return Sample((ctx.array(shape), dim, start, length))


def split_sizes(ctx: SampleContext) -> Sample:
    """An input, a split size (int) or sections (list of sizes), and ``dim``."""
    shape = ctx.shape(min_dims=1, max_dims=3)
    dim = ctx.integers(-len(shape), len(shape) - 1)
    size = shape[dim]
    if ctx.draw(st.booleans()):
        return Sample((ctx.array(shape), ctx.integers(1, 4), dim))
    cuts = sorted(ctx.draw(st.lists(st.integers(0, size), max_size=3)))
    sections = [b - a for a, b in zip([0, *cuts], [*cuts, size])]
    return Sample((ctx.array(shape), sections, dim))


def chunks(ctx: SampleContext) -> Sample:
    """An input, a number of ``chunks`` and ``dim``. The simplest example hypothesis draws first
    is 2 chunks of an empty dimension, an edge case worth every run."""
    shape = ctx.shape(min_dims=1, max_dims=3)
    count = ctx.choice([2, 3, 1, 4])
    return Sample((ctx.array(shape), count, ctx.integers(-len(shape), len(shape) - 1)))


def a_dim(min_dims: int = 1, extra: int = 0) -> Sampler:
    """An input and a ``dim`` in ``[-(ndim + extra), ndim + extra - 1]``."""

    def sample(ctx: SampleContext) -> Sample:
        shape = ctx.shape(min_dims=min_dims, max_dims=3)
        ndim = len(shape) + extra
        return Sample((ctx.array(shape), ctx.integers(-ndim, ndim - 1)))

    return sample


def concatenation(ctx: SampleContext) -> Sample:
    """A list of 1-3 inputs whose shapes differ only along ``dim``, and ``dim``."""
    shape = list(ctx.shape(min_dims=1, max_dims=3, max_side=4))
    dim = ctx.integers(-len(shape), len(shape) - 1)
    tensors = []
    for _ in range(ctx.integers(1, 3)):
        shape[dim] = ctx.integers(0, 3)
        tensors.append(ctx.array(tuple(shape)))
    return Sample((tensors, dim))


def stacking(ctx: SampleContext) -> Sample:
    """A list of 1-3 inputs of one shape, and ``dim`` in ``[-(ndim + 1), ndim]``."""
    shape = ctx.shape(max_dims=3, max_side=4)
    count = ctx.integers(1, 3)
    dim = ctx.integers(-len(shape) - 1, len(shape))
    return Sample(([ctx.array(shape) for _ in range(count)], dim))


# --------------------------------------------------------------------------------- indexing


def _basic_index(ctx: SampleContext, side: int) -> Any:
    """An int, a slice or a full slice for a dimension of ``side`` elements."""
    kind = ctx.choice(["int", "slice", "full"] if side else ["slice", "full"])
    if kind == "int":
        return ctx.integers(-side, side - 1)
    if kind == "slice":
        start = ctx.choice([None, *range(-side, side + 1)])
        stop = ctx.choice([None, *range(-side, side + 2)])
        return slice(start, stop, ctx.choice([None, 1, 2, 3]))
    return slice(None)


def basic_index(ctx: SampleContext) -> Sample:
    """An input and a basic index: ints, slices with steps, None and at most one Ellipsis."""
    shape = ctx.shape(min_dims=1)
    count = ctx.integers(0, len(shape))
    index: list[Any] = [_basic_index(ctx, side) for side in shape[:count]]
    for _ in range(ctx.integers(0, 2)):
        index.insert(ctx.integers(0, len(index)), None)
    if count < len(shape) and ctx.draw(st.booleans()):
        index.append(Ellipsis)
    return Sample((ctx.array(shape), index[0] if len(index) == 1 else tuple(index)))


def advanced_index(ctx: SampleContext) -> Sample:
    """An input and an index with int tensors (broadcast together), a bool mask, or a list of
    ints, possibly mixed with slices and ints (also separated by a slice)."""
    shape = ctx.shape(min_dims=1, max_dims=3, max_side=4)
    ndim = len(shape)
    if ctx.choice(["mask", "ints"]) == "mask":
        covered = ctx.integers(1, ndim)
        mask = ctx.array(shape[:covered], domains.real, np.bool_)
        index: list[Any] = [mask]
        index += [_basic_index(ctx, side) for side in shape[covered : ctx.integers(covered, ndim)]]
    else:
        index_shape = ctx.draw(shapes(0, 2, 0, 3))
        kinds = ["tensor", "list", "slice"] if len(index_shape) == 1 else ["tensor", "slice"]
        index = []
        for side in shape[: ctx.integers(1, ndim)]:
            kind = ctx.choice(kinds) if side else "slice"
            if kind == "tensor":
                index.append(ctx.index_array(ctx.draw(broadcastable_shapes(index_shape)), side))
            elif kind == "list":
                index.append([ctx.integers(-side, side - 1) for _ in range(index_shape[0])])
            else:
                index.append(_basic_index(ctx, side))
        if not any(isinstance(i, (np.ndarray, list)) for i in index):
            index[0] = ctx.index_array((2,), shape[0]) if shape[0] else np.zeros(0, np.int64)
    return Sample((ctx.array(shape), index[0] if len(index) == 1 else tuple(index)))


def gather_index(ctx: SampleContext) -> Sample:
    """``(x, dim, index)``: ``index`` no larger than ``x`` off ``dim``, values in range."""
    shape = ctx.shape(min_dims=1, max_dims=3, max_side=4)
    dim = ctx.integers(-len(shape), len(shape) - 1)
    index_shape = [ctx.integers(0, side) for side in shape]
    index_shape[dim] = ctx.integers(0, 4) if shape[dim] else 0
    index = ctx.index_array(tuple(index_shape), shape[dim])
    return Sample((ctx.array(shape), dim, index))


def scatter_index(unique: bool, with_src: bool = True) -> Sampler:
    """``(x, dim, index[, src])`` for scatter (``unique``: no two writes to one cell) and
    scatter_add (repeats allowed; they add up)."""

    def sample(ctx: SampleContext) -> Sample:
        shape = ctx.shape(min_dims=1, max_dims=3, max_side=4)
        ndim = len(shape)
        dim = ctx.integers(-ndim, ndim - 1)
        size = shape[dim]
        d = dim % ndim
        index_shape = [ctx.integers(0, side) for side in shape]
        index_shape[d] = ctx.integers(0, size) if unique or not size else ctx.integers(0, 4)
        if unique:
            # Each line of the index along dim: the first entries of a permutation of range(size).
            rng = np.random.default_rng(ctx.integers(0, 2**32 - 1))
            keys = rng.random((*index_shape[:d], size, *index_shape[d + 1 :]))
            index = np.argsort(keys, axis=d).take(range(index_shape[d]), axis=d)
        else:
            index = ctx.index_array(tuple(index_shape), size)
        args: tuple = (ctx.array(shape), dim, index)
        if with_src:
            args += (ctx.array(tuple(i + ctx.integers(0, 1) for i in index_shape)),)
        return Sample(args)

    return sample


def index_select_index(ctx: SampleContext) -> Sample:
    """``(x, dim, index)`` with a 1-d ``index`` (repeats allowed)."""
    shape = ctx.shape(min_dims=1, max_dims=3, max_side=4)
    dim = ctx.integers(-len(shape), len(shape) - 1)
    index = ctx.index_array((ctx.integers(0, 4) if shape[dim] else 0,), shape[dim])
    return Sample((ctx.array(shape), dim, index))


def index_add_source(ctx: SampleContext) -> Sample:
    """``(x, dim, index, source)`` with ``source`` shaped like ``x`` but ``len(index)`` on dim."""
    x, dim, index = index_select_index(ctx).args
    source_shape = list(x.shape)
    source_shape[dim] = len(index)
    return Sample((x, dim, index, ctx.array(tuple(source_shape))))


def masked(with_value: bool) -> Sampler:
    """``(x, mask)`` with ``mask`` broadcastable to ``x`` (``masked_fill``), or mutually
    broadcastable (``masked_select``, ``with_value=False``)."""

    def sample(ctx: SampleContext) -> Sample:
        if with_value:
            x_shape = ctx.shape(max_dims=3)
            mask_shape = ctx.draw(broadcastable_shapes(x_shape))
        else:
            x_shape, mask_shape = ctx.draw(
                mutually_broadcastable_shapes(2, max_numel=ctx.max_numel)
            )
        return Sample((ctx.array(x_shape), ctx.array(mask_shape, dtype=np.bool_)))

    return sample


def tensor_fill_value(ctx: SampleContext) -> Sample:
    """``(x, mask, value)`` with a 0-d tensor ``value`` (differentiable)."""
    x, mask = masked(with_value=True)(ctx).args
    return Sample((x, mask, ctx.array(())))


def where_operands(scalar_other: bool) -> Sampler:
    """``(condition, x, y)`` mutually broadcastable, or ``y`` a Python float."""

    def sample(ctx: SampleContext) -> Sample:
        count = 2 if scalar_other else 3
        shapes_ = ctx.draw(mutually_broadcastable_shapes(count, max_numel=ctx.max_numel))
        condition = ctx.array(shapes_[0], dtype=np.bool_)
        values = [ctx.array(s) for s in shapes_[1:]]
        other = [ctx.draw(st.floats(-3, 3))] if scalar_other else []
        return Sample((condition, *values, *other))

    return sample


def take_along_dim_indices(ctx: SampleContext) -> Sample:
    """``(x, indices)`` plus ``dim`` (variant): ``indices`` broadcastable with ``x`` off ``dim``;
    for ``dim=None`` any indices into the flattened ``x``."""
    if ctx.kwargs.get("dim") is None:
        shape = ctx.shape(max_dims=3)
        indices = ctx.index_array(ctx.draw(shapes(1, 2, 0, 4)), math.prod(shape))
        return Sample((ctx.array(shape), indices))
    dim = ctx.kwargs["dim"]
    shape = ctx.shape(min_dims=_min_dims(dim), max_dims=3, max_side=4)
    index_shape = list(ctx.draw(broadcastable_shapes(shape, min_dims=len(shape))))
    index_shape[dim] = ctx.integers(0, 4) if shape[dim] else 0
    return Sample((ctx.array(shape), ctx.index_array(tuple(index_shape), shape[dim])))
