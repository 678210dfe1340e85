"""``assert_close``: compare tensors (and nested containers of them) like ``torch.testing``."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from .._tensor import Tensor

__all__ = ["assert_close"]

# Default (rtol, atol) per dtype, as in torch.testing; other dtypes compare exactly.
_DEFAULT_TOLERANCES = {
    np.dtype(np.float16): (1e-3, 1e-5),
    np.dtype(np.float32): (1.3e-6, 1e-5),
    np.dtype(np.float64): (1e-7, 1e-7),
    np.dtype(np.complex64): (1.3e-6, 1e-5),
    np.dtype(np.complex128): (1e-7, 1e-7),
}
# Python scalars compare as these dtypes (floats as the default float32, as torch does).
_SCALAR_DTYPES = {
    bool: np.dtype(np.bool_),
    int: np.dtype(np.int64),
    float: np.dtype(np.float32),
    complex: np.dtype(np.complex64),
}
_TENSOR_LIKE = (Tensor, np.ndarray)


class _Mismatch(AssertionError):
    """A difference, found at ``path`` ("" at the top, "[1]['w']" inside containers)."""

    path = ""


def _tolerances(dtypes: Sequence[np.dtype], rtol: float | None, atol: float | None):
    if (rtol is None) != (atol is None):
        missing = "atol" if atol is None else "rtol"
        raise ValueError(
            f"Both 'rtol' and 'atol' must be either specified or omitted, but got no {missing}."
        )
    if rtol is not None:
        return rtol, atol
    defaults = [_DEFAULT_TOLERANCES.get(np.dtype(d), (0.0, 0.0)) for d in dtypes]
    return max(r for r, _ in defaults), max(a for _, a in defaults)


def _as_number(x: np.ndarray) -> Any:
    return x.item() if x.dtype.kind in "biuc" else float(x)


def _compare_values(
    actual: np.ndarray, expected: np.ndarray, rtol: float, atol: float, equal_nan: bool
) -> None:
    """Raise ``_Mismatch`` with torch's description unless the arrays are close."""
    as_float = {"b": np.float64, "i": np.float64, "u": np.float64}
    a = actual.astype(as_float.get(actual.dtype.kind, actual.dtype))
    e = expected.astype(as_float.get(expected.dtype.kind, expected.dtype))
    with np.errstate(invalid="ignore", over="ignore"):
        close = np.isclose(a, e, rtol=rtol, atol=atol, equal_nan=equal_nan)
    if close.all():
        return
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        abs_diff = np.abs(a - e)
        rel_diff = abs_diff / np.abs(e)
    if actual.ndim == 0:
        raise _Mismatch(
            f"Scalars are not close!\n\nExpected {_as_number(expected)} but got "
            f"{_as_number(actual)}.\nAbsolute difference: {float(abs_diff)} (up to {atol} "
            f"allowed)\nRelative difference: {float(rel_diff)} (up to {rtol} allowed)"
        )
    exact = rtol == 0 and atol == 0
    lines = [
        f"Tensor-likes are not {'equal' if exact else 'close'}!",
        "",
        f"Mismatched elements: {int((~close).sum())} / {close.size} ({100 * (~close).mean():.1f}%)",
    ]
    integers = actual.dtype.kind in "biu" and expected.dtype.kind in "biu"
    for label, diff, allowed in (("absolute", abs_diff, atol), ("relative", rel_diff, rtol)):
        worst = np.where(close, -np.inf, np.nan_to_num(diff, nan=np.inf))
        index = np.unravel_index(int(np.argmax(worst)), diff.shape)
        value = int(diff[index]) if integers and label == "absolute" else float(diff[index])
        bound = "" if exact else f" (up to {allowed} allowed)"
        where = tuple(int(i) for i in index)
        lines.append(f"Greatest {label} difference: {value} at index {where}{bound}")
    raise _Mismatch("\n".join(lines))


def _compare_tensors(
    actual: Any,
    expected: Any,
    *,
    rtol: float | None,
    atol: float | None,
    equal_nan: bool,
    check_dtype: bool,
    check_device: bool,
    check_stride: bool,
) -> None:
    def attribute(name: str, a: Any, e: Any) -> None:
        if a != e:
            raise _Mismatch(f"The values for attribute '{name}' do not match: {a} != {e}.")

    attribute("shape", actual.shape, expected.shape)
    if check_device:
        attribute("device", getattr(actual, "device", "cpu"), getattr(expected, "device", "cpu"))
    if check_dtype:
        attribute("dtype", actual.dtype, expected.dtype)
    if check_stride and isinstance(actual, Tensor):
        attribute("stride()", actual.stride(), expected.stride())
    a, e = (x.detach().cpu().numpy() if isinstance(x, Tensor) else x for x in (actual, expected))
    rtol, atol = _tolerances([a.dtype, e.dtype], rtol, atol)
    _compare_values(a, e, rtol, atol, equal_nan)


def _compare(actual: Any, expected: Any, path: str, allow_subclasses: bool, **options: Any) -> None:
    if isinstance(actual, _TENSOR_LIKE) or isinstance(expected, _TENSOR_LIKE):
        if not allow_subclasses and type(actual) is not type(expected):
            raise TypeError(f"Type mismatch: {type(actual)} != {type(expected)}.")
        comparable = isinstance(actual, _TENSOR_LIKE) and isinstance(expected, _TENSOR_LIKE)
        if not comparable or isinstance(actual, np.ndarray) != isinstance(expected, np.ndarray):
            raise TypeError(
                f"No comparison pair was able to handle inputs of type {type(actual)} and "
                f"{type(expected)}."
            )

        def leaf() -> None:
            _compare_tensors(actual, expected, **options)

    elif type(actual) in _SCALAR_DTYPES and type(expected) in _SCALAR_DTYPES:

        def leaf() -> None:
            if options["check_dtype"] and type(actual) is not type(expected):
                raise _Mismatch(f"The (d)types do not match: {type(actual)} != {type(expected)}.")
            a = np.asarray(actual, _SCALAR_DTYPES[type(actual)])
            e = np.asarray(expected, _SCALAR_DTYPES[type(expected)])
            rtol, atol = _tolerances([a.dtype, e.dtype], options["rtol"], options["atol"])
            _compare_values(a, e, rtol, atol, options["equal_nan"])

    elif isinstance(actual, Mapping) and isinstance(expected, Mapping):
        if set(actual) != set(expected):
            raise _Mismatch(
                "The keys of the mappings do not match:\n"
                f"Missing keys in the actual mapping: {sorted(set(expected) - set(actual))}\n"
                f"Additional keys in the actual mapping: {sorted(set(actual) - set(expected))}"
            )
        for key in expected:
            _compare(actual[key], expected[key], f"{path}[{key!r}]", allow_subclasses, **options)
        return
    elif (
        isinstance(actual, Sequence)
        and isinstance(expected, Sequence)
        and not isinstance(actual, str)
        and not isinstance(expected, str)
    ):
        if len(actual) != len(expected):
            raise _Mismatch(
                f"The length of the sequences mismatch: {len(actual)} != {len(expected)}"
            )
        for k, (a, e) in enumerate(zip(actual, expected)):
            _compare(a, e, f"{path}[{k}]", allow_subclasses, **options)
        return
    else:
        raise TypeError(
            f"No comparison pair was able to handle inputs of type {type(actual)} and "
            f"{type(expected)}."
        )
    try:
        leaf()
    except _Mismatch as mismatch:
        mismatch.path = path
        raise


def assert_close(
    actual: Any,
    expected: Any,
    *,
    allow_subclasses: bool = True,
    rtol: float | None = None,
    atol: float | None = None,
    equal_nan: bool = False,
    check_device: bool = True,
    check_dtype: bool = True,
    check_layout: bool = True,
    check_stride: bool = False,
    msg: str | Callable[[str], str] | None = None,
) -> None:
    """Assert that ``actual`` and ``expected`` are close, as ``torch.testing.assert_close``.

    Tensors (or numpy arrays) must agree in shape, device, dtype (``check_dtype``) and strides
    (``check_stride``), and elementwise ``|actual - expected| <= atol + rtol * |expected|``.
    Without tolerances, defaults follow the dtype: float32 ``(1.3e-6, 1e-5)``, float64
    ``(1e-7, 1e-7)``, float16 ``(1e-3, 1e-5)``, exact for integers and bools. Python scalars
    (floats compare as float32), sequences and mappings are compared item by item.

    Args:
        actual: the value to check.
        expected: the value it should be close to.
        allow_subclasses: accept inputs of different (tensor-like) types.
        rtol: relative tolerance (give both or neither of rtol and atol).
        atol: absolute tolerance.
        equal_nan: NaN equals NaN.
        check_device: require equal devices.
        check_dtype: require equal dtypes (if False, values are compared after promotion).
        check_layout: accepted for compatibility (pybigml has only strided tensors).
        check_stride: require equal strides.
        msg: replaces the message on failure (a callable gets the generated message).

    Raises:
        AssertionError: if the inputs are not close.
        TypeError: if the inputs cannot be compared.
        ValueError: if only one of rtol and atol is given.

    Example:
        >>> assert_close(pybigml.tensor([1.0, 2.0]), pybigml.tensor([1.0, 2.0 + 1e-7]))
    """
    del check_layout
    try:
        _compare(
            actual,
            expected,
            "",
            allow_subclasses,
            rtol=rtol,
            atol=atol,
            equal_nan=equal_nan,
            check_device=check_device,
            check_dtype=check_dtype,
            check_stride=check_stride,
        )
    except _Mismatch as mismatch:
        message = str(mismatch)
        if mismatch.path:
            message += f"\n\nThe failure occurred for item {mismatch.path}"
        if msg is not None:
            message = msg(message) if callable(msg) else msg
        raise AssertionError(message) from None
