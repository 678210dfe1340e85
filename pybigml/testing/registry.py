"""The op registry: every op of the public API, registered once, with what is needed to test it.

An :class:`OpInfo` says how to call an op (``fn(lib)`` gives the callable for a tensor library:
``fn(pybigml)`` is the op under test, ``fn(torch)`` its PyTorch counterpart, since both libraries
spell it the same), a numpy reference, how its inputs are made (a sampler from
:mod:`pybigml.testing.samples`, which also fixes each input's value domain), the dtypes it
accepts, whether it is differentiable (once, twice), and the keyword variants worth testing
(``sum(dim=1, keepdim=True)``, ``gelu(approximate="tanh")``, ...).

``OPS`` is the list; :func:`cases` expands it into one :class:`OpCase` per variant, which the
test suite is generated from: a new op is tested the moment it is registered here.
"""

from __future__ import annotations

import dataclasses
import math
import operator
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

import numpy as np

from pybigml.testing import samples as s
from pybigml.testing.samples import Sampler
from pybigml.testing.strategies import LAYOUTS, VALUE_PRESERVING_LAYOUTS, Domain, away_from, domains

__all__ = ["OPS", "OpCase", "OpInfo", "Variant", "cases", "variant"]

FLOATS = ("float32", "float64")
NUMERIC = (*FLOATS, "int64")
ALL_DTYPES = (*NUMERIC, "bool")


@dataclass(frozen=True)
class Variant:
    """One way of calling a registered op: its keyword arguments, and any field of the
    :class:`OpInfo` it overrides (e.g. another sampler for ``div(rounding_mode="floor")``)."""

    id: str = ""
    kwargs: Mapping[str, Any] = field(default_factory=dict)
    overrides: Mapping[str, Any] = field(default_factory=dict)


def variant(id: str, /, *, overrides: Mapping[str, Any] | None = None, **kwargs: Any) -> Variant:
    """A :class:`Variant` named ``id`` calling the op with ``**kwargs``."""
    return Variant(id, kwargs, overrides or {})


@dataclass(frozen=True)
class OpInfo:
    """Everything the generated tests need to know about one op.

    Attributes:
        name: the torch name of the op.
        fn: ``fn(lib)`` is the op as a callable of tensor library ``lib`` (pybigml or torch).
        ref: the numpy reference, called with numpy arrays where the op gets tensors.
        sample: the sampler making the op's arguments (shapes, values, other arguments).
        dtypes: names of the dtypes of the value inputs the forward test draws from.
        differentiable: whether gradients flow through the op (gradcheck runs).
        supports_gradgrad: whether its backward is differentiable again (gradgradcheck runs;
            if False, double backward must raise RuntimeError).
        variants: the calls to test (keyword arguments, overrides).
        forms: other spellings of the default variant (method, operator), called with the same
            arguments, e.g. ``operator.add`` for ``add``.
        layouts: memory layouts drawn for the inputs; integer and boolean inputs (indices,
            masks) must keep their values, so never get the "expanded" one.
        promotes: binary op that follows type promotion (checked over mixed dtypes).
        scalar_other: accepts a Python scalar as its second argument.
    """

    name: str
    fn: Callable[[ModuleType], Callable]
    ref: Callable | None
    sample: Sampler
    dtypes: tuple[str, ...] = FLOATS
    differentiable: bool = True
    supports_gradgrad: bool = True
    variants: tuple[Variant, ...] = (Variant(),)
    forms: tuple[Callable, ...] = ()
    layouts: tuple[str, ...] = LAYOUTS
    promotes: bool = False
    scalar_other: bool = False


@dataclass(frozen=True)
class OpCase:
    """An :class:`OpInfo` with one :class:`Variant` applied: what one test call uses."""

    op: OpInfo
    variant: Variant

    @property
    def id(self) -> str:
        """``name`` or ``name.variant``: the test id."""
        return f"{self.op.name}.{self.variant.id}" if self.variant.id else self.op.name

    @property
    def info(self) -> OpInfo:
        """The op's fields with the variant's overrides."""
        return dataclasses.replace(self.op, **self.variant.overrides)

    @property
    def kwargs(self) -> Mapping[str, Any]:
        return self.variant.kwargs

    def callable(self, lib: ModuleType) -> Callable:
        """The op of ``lib`` (pybigml or torch)."""
        return self.info.fn(lib)

    def __str__(self) -> str:
        return self.id

    def __repr__(self) -> str:
        return f"OpCase({self.id!r})"


def cases(ops: tuple[OpInfo, ...] | None = None) -> list[OpCase]:
    """One :class:`OpCase` per variant of each op."""
    return [OpCase(op, v) for op in (OPS if ops is None else ops) for v in op.variants]


# ------------------------------------------------------------------------- numpy references


def _axis(x: np.ndarray, dim: Any) -> Any:
    """torch ``dim`` as a numpy ``axis`` (0-d tensors accept dim 0 and -1)."""
    if dim is None or x.ndim == 0:
        return None
    return tuple(dim) if isinstance(dim, (list, tuple)) else dim


def _reduce(fn: Callable, default_dim: Any = None) -> Callable:
    """A reference ``(x, dim=None, keepdim=False)`` from a numpy reduction."""

    def ref(x: np.ndarray, dim: Any = default_dim, keepdim: bool = False, **kwargs: Any) -> Any:
        out = fn(x, axis=_axis(x, dim), keepdims=keepdim, **kwargs)
        return np.reshape(out, x.shape) if keepdim and x.ndim == 0 else out

    return ref


def _max_with_indices(values: Callable, indices: Callable) -> Callable:
    """``max``/``min``: the full reduction, or ``(values, indices)`` over ``dim``."""

    def ref(x: np.ndarray, dim: int | None = None, keepdim: bool = False) -> Any:
        if dim is None:
            return values(x)
        axis = _axis(x, dim)
        return values(x, axis=axis, keepdims=keepdim), indices(x, axis=axis, keepdims=keepdim)

    return ref


def _arg_reduce(fn: Callable) -> Callable:
    def ref(x: np.ndarray, dim: int | None = None, keepdim: bool = False) -> Any:
        if dim is None:
            return np.asarray(fn(x.reshape(-1)))
        return fn(x, axis=_axis(x, dim), keepdims=keepdim)

    return ref


def _logsumexp(x: np.ndarray, dim: Any, keepdim: bool = False) -> np.ndarray:
    axis = _axis(x, dim)
    shift = np.max(x, axis=axis, keepdims=True)
    out = np.log(np.sum(np.exp(x - shift), axis=axis, keepdims=True)) + shift
    return out if keepdim or axis is None else np.squeeze(out, axis=axis)


def _norm(x: np.ndarray, p: Any = "fro", dim: Any = None, keepdim: bool = False) -> np.ndarray:
    axis = _axis(x, dim)
    if p == math.inf:
        return np.max(np.abs(x), axis=axis, keepdims=keepdim)
    p = 2 if p == "fro" else p
    return np.sum(np.abs(x) ** p, axis=axis, keepdims=keepdim) ** (1 / p)


def _softmax(x: np.ndarray, dim: int) -> np.ndarray:
    if x.size == 0:
        return x.copy()
    axis = _axis(x, dim)
    e = np.exp(x - np.max(x, axis=axis, keepdims=True))
    return e / np.sum(e, axis=axis, keepdims=True)


def _log_softmax(x: np.ndarray, dim: int) -> np.ndarray:
    return np.log(_softmax(x, dim))


def _erf(x: np.ndarray) -> np.ndarray:
    return np.vectorize(math.erf, otypes=[np.float64])(x)


def _gelu(x: np.ndarray, approximate: str = "none") -> np.ndarray:
    if approximate == "tanh":
        return 0.5 * x * (1 + np.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x**3)))
    return 0.5 * x * (1 + _erf(x / math.sqrt(2)))


def _attention(q: np.ndarray, k: np.ndarray, v: np.ndarray, is_causal: bool = False) -> Any:
    """softmax(q k^T / sqrt(E), causal keys j <= i) v; a query with no key to attend to gives 0."""
    scores = q @ k.swapaxes(-1, -2) / math.sqrt(max(q.shape[-1], 1))
    if is_causal:
        keep = np.tril(np.ones(scores.shape[-2:], bool))
        scores = np.where(keep, scores, -np.inf)
    top = scores.max(axis=-1, keepdims=True, initial=-np.inf)
    weights = np.exp(scores - np.where(np.isfinite(top), top, 0))
    total = weights.sum(axis=-1, keepdims=True)
    return (weights / np.where(total > 0, total, 1)) @ v


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1 / (1 + np.exp(-x))


def _softplus(x: np.ndarray, beta: float = 1.0, threshold: float = 20.0) -> np.ndarray:
    return np.where(beta * x > threshold, x, np.log1p(np.exp(beta * x)) / beta)


def _squeeze(x: np.ndarray, dim: Any = None) -> np.ndarray:
    dims = range(x.ndim) if dim is None else (dim if isinstance(dim, tuple) else (dim,))
    axes = tuple(d % x.ndim for d in dims if x.ndim and x.shape[d] == 1)
    return np.squeeze(x, axis=axes)


def _flatten(x: np.ndarray, start_dim: int = 0, end_dim: int = -1) -> np.ndarray:
    if x.ndim == 0:
        return x.reshape(1)
    start, end = start_dim % x.ndim, end_dim % x.ndim
    return x.reshape(*x.shape[:start], math.prod(x.shape[start : end + 1]), *x.shape[end + 1 :])


def _resolve_sizes(sizes: tuple, total: int) -> tuple:
    """Replace a -1 in ``sizes`` by what makes the product ``total``."""
    known = math.prod(d for d in sizes if d != -1)
    return tuple(total // known if d == -1 and known else (0 if d == -1 else d) for d in sizes)


def _unflatten(x: np.ndarray, dim: int, sizes: tuple) -> np.ndarray:
    dim %= x.ndim
    return x.reshape(*x.shape[:dim], *_resolve_sizes(sizes, x.shape[dim]), *x.shape[dim + 1 :])


def _reshape(x: np.ndarray, shape: tuple) -> np.ndarray:
    return x.reshape(_resolve_sizes(tuple(shape), x.size))


def _expand(x: np.ndarray, sizes: tuple) -> np.ndarray:
    lead = len(sizes) - x.ndim
    shape = tuple(x.shape[d - lead] if s == -1 else s for d, s in enumerate(sizes))
    return np.broadcast_to(x, shape)


def _narrow(x: np.ndarray, dim: int, start: int, length: int) -> np.ndarray:
    start %= max(x.shape[dim], 1)
    index = [slice(None)] * x.ndim
    index[dim] = slice(start, start + length)
    return x[tuple(index)]


def _split(x: np.ndarray, split_size_or_sections: Any, dim: int = 0) -> tuple:
    size = x.shape[dim]
    if isinstance(split_size_or_sections, int):
        step = split_size_or_sections
        sections = [min(step, size - start) for start in range(0, size, step)] or [0]
    else:
        sections = split_size_or_sections
    return tuple(np.split(x, np.cumsum(sections)[:-1], axis=dim))


def _chunk(x: np.ndarray, chunks: int, dim: int = 0) -> tuple:
    size = x.shape[dim]
    if size == 0:
        return tuple(x for _ in range(chunks))
    return _split(x, -(-size // chunks), dim)


def _unbind(x: np.ndarray, dim: int = 0) -> tuple:
    return tuple(np.take(x, i, axis=dim) for i in range(x.shape[dim]))


def _gather(x: np.ndarray, dim: int, index: np.ndarray) -> np.ndarray:
    # torch allows index smaller than x off dim: gather from the leading block of x.
    block = tuple(
        slice(0, n) if d != dim % x.ndim else slice(None) for d, n in enumerate(index.shape)
    )
    return np.take_along_axis(x[block], index, axis=dim)


def _scatter(
    x: np.ndarray,
    dim: int,
    index: np.ndarray,
    src: Any = None,
    value: Any = None,
    accumulate: bool = False,
) -> np.ndarray:
    """``out[..., index[i, j, k], ...] (=, +=) src[i, j, k]`` along ``dim``."""
    out = x.copy()
    coords = list(np.indices(index.shape, sparse=False))
    coords[dim % x.ndim] = index
    if src is None:
        updates = np.full(index.shape, value, dtype=x.dtype)
    else:
        updates = src[tuple(slice(0, n) for n in index.shape)]
    if accumulate:
        np.add.at(out, tuple(coords), updates)
    else:
        out[tuple(coords)] = updates
    return out


def _index_add(
    x: np.ndarray, dim: int, index: np.ndarray, source: np.ndarray, alpha: float = 1
) -> np.ndarray:
    out = x.copy()
    np.add.at(out, (slice(None),) * (dim % x.ndim) + (index,), alpha * source)
    return out


def _masked_select(x: np.ndarray, mask: np.ndarray) -> np.ndarray:
    x, mask = np.broadcast_arrays(x, mask)
    return x[mask]


def _take_along_dim(x: np.ndarray, indices: np.ndarray, dim: int | None = None) -> np.ndarray:
    if dim is None:
        return x.reshape(-1)[indices.reshape(-1)]
    # Broadcast every dimension but dim, then pick along dim.
    shape = np.broadcast_shapes(
        tuple(1 if d == dim % x.ndim else n for d, n in enumerate(x.shape)),
        tuple(1 if d == dim % x.ndim else n for d, n in enumerate(indices.shape)),
    )
    x_shape = tuple(x.shape[d] if d == dim % x.ndim else n for d, n in enumerate(shape))
    i_shape = tuple(indices.shape[d] if d == dim % x.ndim else n for d, n in enumerate(shape))
    return np.take_along_axis(np.broadcast_to(x, x_shape), np.broadcast_to(indices, i_shape), dim)


def _index(x: np.ndarray, index: Any) -> np.ndarray:
    return x[index]


# ----------------------------------------------------------------------------------- the ops

REAL = domains.real


def _method(name: str) -> Callable:
    """The method spelling ``x.<name>(*args, **kwargs)``."""
    return lambda x, *args, **kwargs: getattr(x, name)(*args, **kwargs)


def _unary(name: str, ref: Callable, domain: Domain = REAL, **fields: Any) -> OpInfo:
    """An element-wise op of one input, called as ``lib.<name>(x)`` (and ``x.<name>()``)."""
    return OpInfo(
        name,
        lambda lib: getattr(lib, name),
        ref,
        s.elementwise(domain),
        forms=(_method(name),),
        **fields,
    )


def _functional(name: str, ref: Callable, domain: Domain = REAL, **fields: Any) -> OpInfo:
    """An element-wise op of ``nn.functional``: ``F.<name>(x, **kwargs)``."""
    return OpInfo(
        name, lambda lib: getattr(lib.nn.functional, name), ref, s.elementwise(domain), **fields
    )


def _comparison(name: str, ref: Callable, symbol: Callable) -> OpInfo:
    return OpInfo(
        name,
        lambda lib: getattr(lib, name),
        ref,
        s.elementwise(domains.small_integers, domains.small_integers),
        dtypes=ALL_DTYPES,
        differentiable=False,
        forms=(symbol, _method(name)),
        promotes=True,
        scalar_other=True,
    )


def _logical(name: str, ref: Callable) -> OpInfo:
    arity = 1 if name == "logical_not" else 2
    return OpInfo(
        name,
        lambda lib: getattr(lib, name),
        ref,
        s.elementwise(*[domains.small_integers] * arity),
        dtypes=ALL_DTYPES,
        differentiable=False,
        promotes=arity == 2,
    )


DIMS = (variant(""), variant("dim1_keepdim", dim=1, keepdim=True), variant("dims0_-1", dim=(0, -1)))
DIM_LAST = variant("dim-1", dim=-1)

ARITHMETIC = (
    OpInfo(
        "add",
        lambda lib: lib.add,
        lambda a, b, alpha=1: a + alpha * b,
        s.elementwise(REAL, REAL),
        dtypes=NUMERIC,
        variants=(variant(""), variant("alpha2", alpha=2)),
        forms=(operator.add, _method("add")),
        promotes=True,
        scalar_other=True,
    ),
    OpInfo(
        "sub",
        lambda lib: lib.sub,
        lambda a, b, alpha=1: a - alpha * b,
        s.elementwise(REAL, REAL),
        dtypes=NUMERIC,
        variants=(variant(""), variant("alpha2", alpha=2)),
        forms=(operator.sub, _method("sub")),
        promotes=True,
        scalar_other=True,
    ),
    OpInfo(
        "mul",
        lambda lib: lib.mul,
        np.multiply,
        s.elementwise(REAL, REAL),
        dtypes=ALL_DTYPES,
        forms=(operator.mul, _method("mul")),
        promotes=True,
        scalar_other=True,
    ),
    OpInfo(
        "div",
        lambda lib: lib.div,
        np.true_divide,
        s.elementwise(REAL, domains.nonzero),
        dtypes=NUMERIC,
        variants=(
            variant(""),
            # Piecewise constant in the quotient: gradients are zero away from integer quotients.
            variant(
                "trunc",
                rounding_mode="trunc",
                overrides={
                    "sample": s.quotient,
                    "ref": lambda a, b, rounding_mode: np.trunc(a / b),
                },
            ),
            variant(
                "floor",
                rounding_mode="floor",
                overrides={
                    "sample": s.quotient,
                    "ref": lambda a, b, rounding_mode: np.floor_divide(a, b),
                },
            ),
        ),
        forms=(operator.truediv, _method("div")),
        promotes=True,
        scalar_other=True,
    ),
    OpInfo(
        "floor_divide",
        lambda lib: lib.floor_divide,
        np.floor_divide,
        s.quotient,
        dtypes=NUMERIC,
        differentiable=False,  # torch: "derivative for aten::floor_divide is not implemented"
        forms=(operator.floordiv,),
        promotes=True,
        scalar_other=True,
    ),
    OpInfo(
        "remainder",
        lambda lib: lib.remainder,
        np.remainder,
        s.quotient,
        dtypes=NUMERIC,
        forms=(operator.mod,),
        promotes=True,
        scalar_other=True,
    ),
    OpInfo(
        "pow",
        lambda lib: lib.pow,
        np.power,
        s.power_operands,
        dtypes=NUMERIC,
        variants=(
            variant(""),
            variant(
                "exponent2",
                overrides={
                    "fn": lambda lib: lambda x: lib.pow(x, 2),
                    "ref": lambda x: np.power(x, 2),
                    "sample": s.elementwise(REAL),
                },
            ),
            variant(
                "exponent-1.5",
                overrides={
                    "fn": lambda lib: lambda x: lib.pow(x, -1.5),
                    "ref": lambda x: np.power(x.astype(np.float64), -1.5),
                    "sample": s.elementwise(domains.positive),
                    "dtypes": FLOATS,
                },
            ),
            variant(
                "scalar_base",
                overrides={
                    "fn": lambda lib: lambda x: lib.pow(2.0, x),
                    "ref": lambda x: np.power(2.0, x),
                    "sample": s.elementwise(REAL),
                },
            ),
        ),
        forms=(operator.pow, _method("pow")),
        promotes=True,
        scalar_other=True,
    ),
    _unary("neg", np.negative, dtypes=NUMERIC),
    _unary("abs", np.abs, domains.nonzero, dtypes=NUMERIC),
    _unary(
        "sign", lambda x: x if x.dtype == bool else np.sign(x), domains.nonzero, dtypes=ALL_DTYPES
    ),
    _unary("exp", np.exp, dtypes=NUMERIC),
    _unary("expm1", np.expm1, dtypes=NUMERIC),
    _unary("log", np.log, domains.positive, dtypes=NUMERIC),
    _unary("log1p", np.log1p, domains.above_minus_one, dtypes=NUMERIC),
    _unary("log2", np.log2, domains.positive, dtypes=NUMERIC),
    _unary("sqrt", np.sqrt, domains.positive, dtypes=NUMERIC),
    _unary("rsqrt", lambda x: 1 / np.sqrt(x), domains.positive, dtypes=NUMERIC),
    _unary("sin", np.sin, dtypes=NUMERIC),
    _unary("cos", np.cos, dtypes=NUMERIC),
    _unary("tanh", np.tanh, dtypes=NUMERIC),
    _unary("sigmoid", _sigmoid, dtypes=NUMERIC),
    _unary("relu", lambda x: np.maximum(x, 0), domains.nonzero, dtypes=NUMERIC),
    _unary("reciprocal", lambda x: 1 / x, domains.nonzero, dtypes=NUMERIC),
    _unary("floor", np.floor, domains.away_from_integers, dtypes=NUMERIC),
    _unary("ceil", np.ceil, domains.away_from_integers, dtypes=NUMERIC),
    _unary("round", np.round, domains.away_from_half_integers, dtypes=NUMERIC),
    _functional("gelu", _gelu, variants=(variant(""), variant("tanh", approximate="tanh"))),
    _functional("silu", lambda x: x * _sigmoid(x)),
    _functional(
        "softplus",
        _softplus,
        # The threshold (beta * x > threshold: the identity) is a jump for small thresholds.
        away_from([0.5]),
        variants=(variant(""), variant("beta2_threshold1", beta=2.0, threshold=1.0)),
    ),
    _functional(
        "leaky_relu",
        lambda x, negative_slope=0.01: np.where(x > 0, x, negative_slope * x),
        domains.nonzero,
        variants=(variant(""), variant("slope0.2", negative_slope=0.2)),
    ),
    _functional(
        "elu",
        lambda x, alpha=1.0: np.where(x > 0, x, alpha * np.expm1(x)),
        domains.nonzero,
        variants=(variant(""), variant("alpha0.5", alpha=0.5)),
    ),
    OpInfo(
        "clamp",
        lambda lib: lib.clamp,
        lambda x, min=None, max=None: np.minimum(
            np.maximum(x, -np.inf if min is None else min), np.inf if max is None else max
        ),
        s.elementwise(away_from([-0.5, 0.5])),
        dtypes=NUMERIC,
        variants=(
            variant("min_max", min=-0.5, max=0.5),
            variant("min", min=-0.5),
            variant("max", max=0.5),
            variant("tensor_bounds", overrides={"sample": s.clamp_tensor_bounds, "dtypes": FLOATS}),
        ),
        forms=(_method("clamp"),),
    ),
    OpInfo(
        "minimum",
        lambda lib: lib.minimum,
        np.minimum,
        s.separated_pair,
        dtypes=NUMERIC,
        promotes=True,
    ),
    OpInfo(
        "maximum",
        lambda lib: lib.maximum,
        np.maximum,
        s.separated_pair,
        dtypes=NUMERIC,
        promotes=True,
    ),
    OpInfo(
        "lerp",
        lambda lib: lib.lerp,
        lambda a, b, w: a + w * (b - a),
        s.elementwise(REAL, REAL, REAL),
        variants=(
            variant("tensor_weight"),
            variant("scalar_weight", overrides={"sample": s.scalar_weight_lerp}),
        ),
    ),
)

COMPARISONS = (
    _comparison("eq", np.equal, operator.eq),
    _comparison("ne", np.not_equal, operator.ne),
    _comparison("lt", np.less, operator.lt),
    _comparison("le", np.less_equal, operator.le),
    _comparison("gt", np.greater, operator.gt),
    _comparison("ge", np.greater_equal, operator.ge),
    _logical("logical_and", np.logical_and),
    _logical("logical_or", np.logical_or),
    _logical("logical_xor", np.logical_xor),
    _logical("logical_not", np.logical_not),
)


def _reduction(name: str, ref: Callable, sample: Sampler | None = None, **fields: Any) -> OpInfo:
    """A reduction ``lib.<name>(x, **kwargs)`` (and ``x.<name>(**kwargs)``)."""
    fields.setdefault("variants", DIMS)
    return OpInfo(
        name,
        lambda lib: getattr(lib, name),
        ref,
        sample or s.reduction(),
        forms=(_method(name),),
        **fields,
    )


def _var(x: np.ndarray, dim: Any = None, correction: int = 1, keepdim: bool = False) -> Any:
    return np.var(x, axis=_axis(x, dim), ddof=correction, keepdims=keepdim)


def _std(x: np.ndarray, dim: Any = None, correction: int = 1, keepdim: bool = False) -> Any:
    return np.sqrt(_var(x, dim, correction, keepdim))


VARIANCE_DIMS = (
    variant(""),
    variant("dim1_keepdim", dim=1, keepdim=True),
    variant("dims0_-1_correction0", dim=(0, -1), correction=0),
    variant("dim-1_correction2", dim=-1, correction=2),
)

REDUCTIONS = (
    _reduction("sum", _reduce(np.sum), dtypes=ALL_DTYPES),
    _reduction("mean", _reduce(np.mean), dtypes=NUMERIC),
    # Distinct values, and more elements per reduction than `correction`: the variance is > 0
    # (std is not differentiable at 0) and the denominator n - correction is positive.
    _reduction("var", _var, s.reduction(unique=True, min_reduced_side=3), variants=VARIANCE_DIMS),
    _reduction(
        "std",
        _std,
        s.reduction(unique=True, min_reduced_side=3),
        variants=VARIANCE_DIMS,
        # "expanded" repeats values along a dim, which can make the spread 0.
        layouts=VALUE_PRESERVING_LAYOUTS,
    ),
    _reduction(
        "prod",
        _reduce(np.prod),
        s.reduction(domains.unit_magnitude),
        dtypes=NUMERIC,
        variants=(
            variant(""),
            variant("dim1_keepdim", dim=1, keepdim=True),
            # Products with zeros (multilinear, so finite differences stay exact).
            variant(
                "with_zeros",
                dim=-1,
                overrides={"sample": s.reduction(Domain("-1..1", ((-1, 1),), integer_valued=True))},
            ),
        ),
    ),
    *(
        _reduction(
            name,
            _max_with_indices(values, indices),
            # Distinct values: at a tie the (sub)gradient is not unique.
            s.reduction(unique=True),
            dtypes=NUMERIC,
            variants=(
                variant(""),
                variant("dim1", dim=1),
                variant("dim-1_keepdim", dim=-1, keepdim=True),
            ),
            layouts=VALUE_PRESERVING_LAYOUTS,
        )
        for name, values, indices in (("max", np.max, np.argmax), ("min", np.min, np.argmin))
    ),
    *(
        _reduction(
            name,
            _reduce(fn),
            s.reduction(unique=True),
            dtypes=NUMERIC,
            layouts=VALUE_PRESERVING_LAYOUTS,
        )
        for name, fn in (("amax", np.max), ("amin", np.min))
    ),
    *(
        _reduction(
            name,
            _arg_reduce(fn),
            s.reduction(unique=True),
            dtypes=NUMERIC,
            differentiable=False,
            variants=(variant(""), variant("dim1_keepdim", dim=1, keepdim=True), DIM_LAST),
            layouts=VALUE_PRESERVING_LAYOUTS,
        )
        for name, fn in (("argmax", np.argmax), ("argmin", np.argmin))
    ),
    _reduction(
        "logsumexp",
        _logsumexp,
        s.reduction(min_reduced_side=1),
        variants=(variant("dim1", dim=1), variant("dims0_-1_keepdim", dim=(0, -1), keepdim=True)),
    ),
    _reduction(
        "norm",
        _norm,
        s.reduction(domains.nonzero),
        variants=(
            variant(""),
            variant("p1_dim1", p=1, dim=1),
            # max |x|: distinct positive values, so one element attains it.
            variant(
                "pinf_dim-1_keepdim",
                p=math.inf,
                dim=-1,
                keepdim=True,
                overrides={
                    "sample": s.reduction(domains.positive, unique=True),
                    "layouts": VALUE_PRESERVING_LAYOUTS,
                },
            ),
        ),
    ),
    *(
        _reduction(
            name,
            _reduce(fn),
            s.reduction(domains.small_integers),
            dtypes=ALL_DTYPES,
            differentiable=False,
            variants=(
                variant(""),
                variant("dim1", dim=1),
                variant("dim-1_keepdim", dim=-1, keepdim=True),
            ),
        )
        for name, fn in (("all", np.all), ("any", np.any))
    ),
    _reduction(
        "cumsum",
        lambda x, dim: np.cumsum(x, axis=_axis(x, dim)).reshape(x.shape),
        dtypes=ALL_DTYPES,
        variants=(variant("dim0", dim=0), DIM_LAST),
    ),
    _reduction("softmax", _softmax, variants=(DIM_LAST, variant("dim0", dim=0))),
    _reduction("log_softmax", _log_softmax, variants=(DIM_LAST, variant("dim0", dim=0))),
)

LINEAR_ALGEBRA = (
    OpInfo(
        "matmul",
        lambda lib: lib.matmul,
        np.matmul,
        s.matmul_operands,
        dtypes=NUMERIC,
        forms=(operator.matmul, _method("matmul")),
    ),
    OpInfo("mm", lambda lib: lib.mm, np.matmul, s.fixed_rank_operands("mn", "np"), dtypes=NUMERIC),
    OpInfo(
        "nn.functional.linear",
        lambda lib: lib.nn.functional.linear,
        lambda x, w, b: x @ w.T + b,
        s.fixed_rank_operands("bi", "oi", "o"),
        dtypes=FLOATS,
    ),
    OpInfo(
        "bmm", lambda lib: lib.bmm, np.matmul, s.fixed_rank_operands("bmn", "bnp"), dtypes=NUMERIC
    ),
    OpInfo(
        "nn.functional.scaled_dot_product_attention",
        lambda lib: lib.nn.functional.scaled_dot_product_attention,
        _attention,
        s.fixed_rank_operands("ble", "bse", "bsv"),
        variants=(Variant(), variant("causal", is_causal=True)),
    ),
    OpInfo(
        "outer", lambda lib: lib.outer, np.outer, s.fixed_rank_operands("m", "n"), dtypes=NUMERIC
    ),
    OpInfo("dot", lambda lib: lib.dot, np.dot, s.fixed_rank_operands("n", "n"), dtypes=NUMERIC),
    OpInfo(
        "einsum",
        lambda lib: lambda *operands, equation: lib.einsum(equation, *operands),
        lambda *operands, equation: np.einsum(equation, *operands),
        s.einsum_operands,
        variants=tuple(
            variant(equation, equation=equation)
            for equation in (
                "ij,jk->ik",
                "bij,bjk->bik",
                "i,i->",
                "ij->ji",
                "ii->i",
                "bi,bj->bij",
                "ij->",
            )
        ),
    ),
)

SHAPES = (
    OpInfo(
        "reshape",
        lambda lib: lib.reshape,
        _reshape,
        s.reshape_target,
        dtypes=ALL_DTYPES,
        forms=(_method("reshape"),),
    ),
    # Only a view: torch raises where the strides do not allow it, and pybigml must too.
    OpInfo("view", lambda lib: _method("view"), _reshape, s.reshape_target, dtypes=ALL_DTYPES),
    OpInfo(
        "permute",
        lambda lib: lib.permute,
        np.transpose,
        s.permutation,
        dtypes=ALL_DTYPES,
        forms=(lambda x, dims: x.permute(*dims),),
    ),
    OpInfo(
        "transpose",
        lambda lib: lib.transpose,
        lambda x, dim0, dim1: np.swapaxes(x, dim0, dim1) if x.ndim else x,
        s.with_dims(),
        dtypes=ALL_DTYPES,
        variants=(variant("0_-1", dim0=0, dim1=-1), variant("1_2", dim0=1, dim1=2)),
        forms=(_method("transpose"),),
    ),
    OpInfo(
        "t",
        lambda lib: lib.t,
        np.transpose,
        s.with_dims(0, 2),
        dtypes=ALL_DTYPES,
        forms=(_method("t"),),
    ),
    OpInfo(
        "mT",
        lambda lib: lambda x: x.mT,
        lambda x: np.swapaxes(x, -1, -2),
        s.with_dims(2, 4),
        dtypes=ALL_DTYPES,
    ),
    OpInfo(
        "expand",
        lambda lib: lambda x, sizes: x.expand(*sizes),
        _expand,
        s.expand_target,
        dtypes=ALL_DTYPES,
        forms=(lambda x, sizes: x.expand(sizes),),
    ),
    OpInfo(
        "squeeze",
        lambda lib: lib.squeeze,
        _squeeze,
        s.with_dims(ones=True),
        dtypes=ALL_DTYPES,
        variants=(variant(""), variant("dim0", dim=0), variant("dims0_-1", dim=(0, -1))),
        forms=(_method("squeeze"),),
    ),
    OpInfo(
        "unsqueeze",
        lambda lib: lib.unsqueeze,
        lambda x, dim: np.expand_dims(x, dim),
        s.with_dims(),
        dtypes=ALL_DTYPES,
        variants=(variant("dim0", dim=0), DIM_LAST),
        forms=(_method("unsqueeze"),),
    ),
    OpInfo(
        "flatten",
        lambda lib: lib.flatten,
        _flatten,
        s.with_dims(),
        dtypes=ALL_DTYPES,
        variants=(
            variant(""),
            variant("start1", start_dim=1),
            variant("0_1", start_dim=0, end_dim=1),
        ),
        forms=(_method("flatten"),),
    ),
    OpInfo(
        "unflatten",
        lambda lib: lib.unflatten,
        _unflatten,
        s.unflatten_sizes,
        dtypes=ALL_DTYPES,
        forms=(_method("unflatten"),),
    ),
    OpInfo(
        "narrow",
        lambda lib: lib.narrow,
        _narrow,
        s.narrow_range,
        dtypes=ALL_DTYPES,
        forms=(_method("narrow"),),
    ),
    OpInfo(
        "split",
        lambda lib: lib.split,
        _split,
        s.split_sizes,
        dtypes=ALL_DTYPES,
        forms=(_method("split"),),
    ),
    OpInfo(
        "chunk",
        lambda lib: lib.chunk,
        _chunk,
        s.chunks,
        dtypes=ALL_DTYPES,
        forms=(_method("chunk"),),
    ),
    OpInfo(
        "unbind",
        lambda lib: lib.unbind,
        _unbind,
        s.a_dim(),
        dtypes=ALL_DTYPES,
        forms=(_method("unbind"),),
    ),
    OpInfo(
        "cat",
        lambda lib: lib.cat,
        lambda xs, dim: np.concatenate(xs, axis=dim),
        s.concatenation,
        dtypes=ALL_DTYPES,
    ),
    OpInfo(
        "stack",
        lambda lib: lib.stack,
        lambda xs, dim: np.stack(xs, axis=dim),
        s.stacking,
        dtypes=ALL_DTYPES,
    ),
)

INDEXING = (
    OpInfo(
        "__getitem__",
        lambda lib: operator.getitem,
        _index,
        s.basic_index,
        dtypes=ALL_DTYPES,
        variants=(variant("basic"), variant("advanced", overrides={"sample": s.advanced_index})),
    ),
    OpInfo(
        "gather",
        lambda lib: lib.gather,
        _gather,
        s.gather_index,
        dtypes=ALL_DTYPES,
        forms=(_method("gather"),),
    ),
    OpInfo(
        "scatter",
        lambda lib: lib.scatter,
        _scatter,
        s.scatter_index(unique=True),
        dtypes=NUMERIC,
        variants=(
            variant("src"),
            variant(
                "value",
                value=1.5,
                overrides={"sample": s.scatter_index(unique=True, with_src=False)},
            ),
        ),
        forms=(_method("scatter"),),
    ),
    OpInfo(
        "scatter_add",
        lambda lib: lib.scatter_add,
        lambda x, dim, index, src: _scatter(x, dim, index, src, accumulate=True),
        s.scatter_index(unique=False),
        dtypes=NUMERIC,
        forms=(_method("scatter_add"),),
    ),
    OpInfo(
        "index_select",
        lambda lib: lib.index_select,
        lambda x, dim, index: np.take(x, index, axis=dim),
        s.index_select_index,
        dtypes=ALL_DTYPES,
        forms=(_method("index_select"),),
    ),
    OpInfo(
        "index_add",
        lambda lib: lib.index_add,
        _index_add,
        s.index_add_source,
        dtypes=NUMERIC,
        variants=(variant(""), variant("alpha2", alpha=2)),
        forms=(_method("index_add"),),
    ),
    OpInfo(
        "masked_fill",
        lambda lib: lib.masked_fill,
        lambda x, mask, value: np.where(mask, value, x).astype(x.dtype),
        s.masked(with_value=True),
        dtypes=ALL_DTYPES,
        variants=(
            variant("scalar", value=-1.0),
            variant("tensor_value", overrides={"sample": s.tensor_fill_value, "dtypes": FLOATS}),
        ),
        forms=(_method("masked_fill"),),
    ),
    OpInfo(
        "masked_select",
        lambda lib: lib.masked_select,
        _masked_select,
        s.masked(with_value=False),
        dtypes=ALL_DTYPES,
        forms=(_method("masked_select"),),
    ),
    OpInfo(
        "where",
        lambda lib: lib.where,
        np.where,
        s.where_operands(scalar_other=False),
        dtypes=ALL_DTYPES,
        variants=(
            variant(""),
            variant(
                "scalar_other",
                overrides={"sample": s.where_operands(scalar_other=True), "dtypes": FLOATS},
            ),
        ),
    ),
    OpInfo(
        "take_along_dim",
        lambda lib: lib.take_along_dim,
        _take_along_dim,
        s.take_along_dim_indices,
        dtypes=ALL_DTYPES,
        variants=(
            variant("dim1", dim=1),
            variant("dim-1", dim=-1),
            # torch flattens with view() here and raises on non-contiguous inputs.
            variant("flat", overrides={"layouts": ("contiguous",)}),
        ),
        forms=(_method("take_along_dim"),),
    ),
)

OPS: tuple[OpInfo, ...] = (
    *ARITHMETIC,
    *COMPARISONS,
    *REDUCTIONS,
    *LINEAR_ALGEBRA,
    *SHAPES,
    *INDEXING,
)
