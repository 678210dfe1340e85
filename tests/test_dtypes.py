"""dtypes and type promotion, checked against PyTorch.

PyTorch's promotion differs from numpy's: operands are ranked by kind — tensors with
dimensions, then zero-dim tensors, then Python numbers — and a lower-ranked operand only
changes the result dtype when it is of a higher category (bool < integer < floating).
The tables below run every pair of operand kinds through the arithmetic and comparison
operators of both libraries and require the same dtype, the same values, or the same
exception type.
"""

from __future__ import annotations

import itertools
import operator

import numpy as np
import pytest
import torch

import pybigml

DTYPE_NAMES = ("bool", "uint8", "int32", "int64", "float32", "float64")
SCALARS = (True, 2, 2.5)
OPERATORS = {name: getattr(operator, name) for name in ("add", "sub", "mul", "truediv", "eq", "lt")}


def _operand(lib, kind: str, dtype_name: str | None, value: int):
    """One operand in ``lib``: a 1-d tensor ("dim"), a zero-dim tensor ("zero") or a scalar."""
    if kind == "scalar":
        return value
    data = bool(value) if dtype_name == "bool" else value
    dtype = getattr(lib, dtype_name)
    return lib.tensor([data, data] if kind == "dim" else data, dtype=dtype)


def _operand_specs() -> list[tuple]:
    tensors = [(k, d, None) for k in ("dim", "zero") for d in DTYPE_NAMES]
    scalars = [("scalar", None, s) for s in SCALARS]
    pairs = []
    for left, right in itertools.product(tensors + scalars, repeat=2):
        if left[0] == right[0] == "scalar":
            continue  # two Python numbers never reach a tensor op
        pairs.append((left, right))
    return pairs


def _spec_id(spec: tuple) -> str:
    kind, dtype_name, scalar = spec
    return f"{kind}-{dtype_name}" if kind != "scalar" else f"scalar-{type(scalar).__name__}"


def _build(lib, spec: tuple, tensor_value: int):
    kind, dtype_name, scalar = spec
    return _operand(lib, kind, dtype_name, scalar if kind == "scalar" else tensor_value)


def _name(dtype) -> str:
    """A dtype's short name, the same for both libraries ("float32")."""
    return str(dtype).split(".")[-1]


def _outcome(lib, op, left: tuple, right: tuple) -> tuple:
    """(result, None) or (None, exception type) of ``op(left, right)`` in ``lib``."""
    try:
        # left tensor values 3, right 2 (True for bool): no division by zero, exact results
        return op(_build(lib, left, 3), _build(lib, right, 2)), None
    except Exception as e:  # noqa: BLE001 - the exception *type* is what is compared
        return None, type(e)


@pytest.mark.parametrize("left_kind", ["dim", "zero", "scalar"])
@pytest.mark.parametrize("op_name", list(OPERATORS))
def test_binary_operator_promotion_matches_torch(op_name: str, left_kind: str) -> None:
    """Every operand pair with a left operand of ``left_kind``: same dtype, values or error."""
    op = OPERATORS[op_name]
    mismatches = []
    for left, right in _operand_specs():
        if left[0] != left_kind:
            continue
        t_res, t_err = _outcome(torch, op, left, right)
        p_res, p_err = _outcome(pybigml, op, left, right)
        case = f"{op_name}({_spec_id(left)}, {_spec_id(right)})"
        if t_err is not None or p_err is not None:
            if t_err is not p_err:
                mismatches.append(f"{case}: torch raised {t_err}, pybigml raised {p_err}")
            continue
        if _name(p_res.dtype) != _name(t_res.dtype):
            mismatches.append(f"{case}: dtype {p_res.dtype} != torch's {t_res.dtype}")
        elif tuple(p_res.shape) != tuple(t_res.shape) or not np.array_equal(
            np.asarray(p_res.tolist()), np.asarray(t_res.tolist())
        ):
            mismatches.append(f"{case}: values {p_res.tolist()} != torch's {t_res.tolist()}")
    assert not mismatches, f"{len(mismatches)} mismatches:\n" + "\n".join(mismatches)


@pytest.mark.parametrize(
    "left,right",
    [(a, b) for a, b in _operand_specs() if a[0] != "scalar"],
    ids=[f"{_spec_id(a)}|{_spec_id(b)}" for a, b in _operand_specs() if a[0] != "scalar"],
)
def test_result_type_matches_torch(left: tuple, right: tuple) -> None:
    expected = torch.result_type(_build(torch, left, 3), _build(torch, right, 2))
    got = pybigml.result_type(_build(pybigml, left, 3), _build(pybigml, right, 2))
    assert got is getattr(pybigml, _name(expected))


@pytest.mark.parametrize("a,b", list(itertools.product(DTYPE_NAMES, repeat=2)))
def test_promote_types_matches_torch(a: str, b: str) -> None:
    expected = torch.promote_types(getattr(torch, a), getattr(torch, b))
    got = pybigml.promote_types(getattr(pybigml, a), getattr(pybigml, b))
    assert got is getattr(pybigml, _name(expected))


def test_integer_true_division_gives_default_float() -> None:
    assert (pybigml.tensor([3, 4]) / pybigml.tensor([2, 8])).dtype is pybigml.float32
    assert (pybigml.tensor([3, 4]) / 2).dtype is pybigml.float32
    assert (pybigml.tensor([True]) / pybigml.tensor([True])).dtype is pybigml.float32
    assert (pybigml.tensor([3, 4]) / pybigml.tensor([2, 8])).tolist() == [1.5, 0.5]


def test_int_tensor_plus_float_scalar_gives_default_float() -> None:
    x = pybigml.tensor([1, 2], dtype=pybigml.int32)
    y = x + 2.5
    assert y.dtype is pybigml.float32
    assert y.tolist() == [3.5, 4.5]


def test_default_dtype_drives_float_inference_and_promotion() -> None:
    previous = pybigml.get_default_dtype()
    pybigml.set_default_dtype(pybigml.float64)
    try:
        assert pybigml.tensor([1.0, 2.0]).dtype is pybigml.float64
        assert (pybigml.tensor([1, 2]) + 2.5).dtype is pybigml.float64
        assert (pybigml.tensor([1, 2]) / 2).dtype is pybigml.float64
        assert pybigml.zeros(2).dtype is pybigml.float64
    finally:
        pybigml.set_default_dtype(previous)
    assert pybigml.get_default_dtype() is pybigml.float32


def test_default_dtype_must_be_floating() -> None:
    with pytest.raises(TypeError):
        pybigml.set_default_dtype(pybigml.int64)


# Python's floor division and modulo take the sign of the divisor; fmod and trunc division
# take the sign of the dividend. These values cover every sign combination and exact
# multiples (where remainder is 0, not -0 or the divisor).
DIVIDENDS = [-7, -6, -3, -1, 0, 1, 3, 6, 7]
DIVISORS = [-3, -2, 2, 3]


@pytest.mark.parametrize("dtype_name", ["int64", "int32", "float32", "float64"])
@pytest.mark.parametrize(
    "name",
    ["floor_divide", "remainder", "fmod", "div_floor", "div_trunc", "floordiv_op", "mod_op"],
)
def test_division_sign_semantics_match_torch(dtype_name: str, name: str) -> None:
    def run(lib):
        scale = 1.25 if "float" in dtype_name else 1  # non-integral float values too
        a = lib.tensor([d * scale for d in DIVIDENDS for _ in DIVISORS])
        b = lib.tensor([float(d) if scale != 1 else d for _ in DIVIDENDS for d in DIVISORS])
        a, b = a.to(getattr(lib, dtype_name)), b.to(getattr(lib, dtype_name))
        return {
            "floor_divide": lambda: lib.floor_divide(a, b),
            "remainder": lambda: lib.remainder(a, b),
            "fmod": lambda: lib.fmod(a, b),
            "div_floor": lambda: lib.div(a, b, rounding_mode="floor"),
            "div_trunc": lambda: lib.div(a, b, rounding_mode="trunc"),
            "floordiv_op": lambda: a // b,
            "mod_op": lambda: a % b,
        }[name]()

    expected, got = run(torch), run(pybigml)
    assert _name(got.dtype) == _name(expected.dtype)
    np.testing.assert_allclose(np.asarray(got.tolist()), expected.numpy(), rtol=1e-6)


@pytest.mark.parametrize("scalar", [2, -2, 2.5, -2.5])
def test_remainder_with_scalar_on_either_side_matches_torch(scalar: float) -> None:
    values = [-5, -1, 0, 4, 7]
    for lib_expr in (
        lambda lib: lib.tensor(values) % scalar,
        lambda lib: scalar % lib.tensor([1, 3, -2, 4]),
    ):
        expected, got = lib_expr(torch), lib_expr(pybigml)
        assert _name(got.dtype) == _name(expected.dtype)
        np.testing.assert_allclose(np.asarray(got.tolist()), expected.numpy(), rtol=1e-6)


def test_integer_division_by_zero_raises_like_torch() -> None:
    with pytest.raises(RuntimeError, match="ZeroDivisionError"):
        torch.tensor([1]) // 0
    with pytest.raises(RuntimeError, match="ZeroDivisionError"):
        pybigml.tensor([1]) // 0


@pytest.mark.parametrize("name", DTYPE_NAMES)
def test_dtype_attributes_match_torch(name: str) -> None:
    p, t = getattr(pybigml, name), getattr(torch, name)
    assert p.itemsize == t.itemsize
    assert p.is_floating_point == t.is_floating_point
    assert p.is_signed == t.is_signed
    assert repr(p) == f"pybigml.{name}"


def test_dtype_aliases() -> None:
    assert pybigml.float is pybigml.float32
    assert pybigml.double is pybigml.float64
    assert pybigml.long is pybigml.int64
    assert pybigml.int is pybigml.int32
    assert pybigml.bool is not bool and repr(pybigml.bool) == "pybigml.bool"


@pytest.mark.parametrize("py_type", [float, int, bool])
def test_python_types_as_dtype_match_torch(py_type: type) -> None:
    # torch maps float -> float64 (not the default dtype), int -> int64, bool -> bool
    expected = torch.tensor([1, 0], dtype=py_type).dtype
    assert pybigml.tensor([1, 0], dtype=py_type).dtype is getattr(pybigml, _name(expected))
    assert pybigml.tensor([1, 0]).to(py_type).dtype is getattr(pybigml, _name(expected))


def test_numpy_dtype_inference_keeps_array_dtype() -> None:
    for np_dtype in (np.float64, np.float32, np.int32, np.int64, np.uint8, np.bool_):
        arr = np.zeros(3, dtype=np_dtype)
        assert _name(pybigml.from_numpy(arr).dtype) == _name(torch.from_numpy(arr).dtype)
        assert _name(pybigml.tensor(arr).dtype) == _name(torch.tensor(arr).dtype)


def test_unsupported_numpy_dtype_is_a_type_error() -> None:
    with pytest.raises(TypeError):
        pybigml.from_numpy(np.array(["a", "b"]))


def test_requires_grad_only_for_floating_dtypes() -> None:
    with pytest.raises(RuntimeError, match="floating point"):
        pybigml.tensor([1, 2], requires_grad=True)
    with pytest.raises(RuntimeError, match="floating point"):
        pybigml.tensor([1, 2]).requires_grad_()


def test_comparison_of_int_tensor_with_float_scalar_is_exact() -> None:
    x = pybigml.tensor([2, 3])
    assert (x == 2.5).tolist() == [False, False]
    assert (x < 2.5).tolist() == [True, False]
    assert (2.5 < x).tolist() == [False, True]  # noqa: SIM300 - the reflected operator
