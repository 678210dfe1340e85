"""The Tensor method table (``pybigml.ops.methods``) and the layers under it: what each name
is bound to, how operators and in-place forms are named in tracebacks, hooks and their
handles, the device answered by the backend, and which modules import which."""

from __future__ import annotations

import ast
import traceback
import types
from pathlib import Path

import numpy as np
import pytest

import pybigml
from pybigml import backend
from pybigml.autograd.hooks import RemovableHandle
from pybigml.ops import methods
from pybigml.utils import hooks as utils_hooks

Tensor = pybigml.Tensor
PACKAGE = Path(pybigml.__file__).parent


# ----------------------------------------------------------------------------- the table
def test_every_entry_of_the_table_is_what_the_class_has() -> None:
    for name, method in methods.METHODS.items():
        assert Tensor.__dict__[name] is method, name


def test_methods_are_the_ops_themselves() -> None:
    assert Tensor.exp is pybigml.exp
    assert Tensor.sum is pybigml.sum
    assert Tensor.reshape is pybigml.reshape


def test_operators_and_in_place_forms_are_named_as_tensor_methods() -> None:
    assert Tensor.__matmul__.__qualname__ == "Tensor.__matmul__"
    operators = [n for n in methods.METHODS if n.startswith("__") and n.endswith("__")]
    for name in [*operators, "add_", "clamp_", "index_add_", "squeeze_", "put_"]:
        function = getattr(Tensor, name)
        assert function.__qualname__ == f"Tensor.{name}", name
        assert function.__code__.co_name == f"Tensor.{name}", name


def test_a_traceback_through_matmul_names_the_operator() -> None:
    a, b = pybigml.ones(2, 3), pybigml.ones(4, 5)
    with pytest.raises(RuntimeError, match="cannot be multiplied") as info:
        a @ b
    text = "".join(traceback.format_exception(info.value))
    assert "in Tensor.__matmul__" in text


def test_in_place_operators_write_like_the_named_methods() -> None:
    x = pybigml.tensor([1, 2])
    with pytest.raises(RuntimeError, match="add_: result type"):
        x += 0.5
    y = pybigml.tensor([1.0, 2.0])
    y += 1
    y *= 2
    assert y.tolist() == [4.0, 6.0]


def test_operators_answer_not_implemented_to_other_operands() -> None:
    x = pybigml.ones(2)
    assert x.__add__("a") is NotImplemented
    assert x.__radd__(object()) is NotImplemented
    assert x.__matmul__([1, 2]) is NotImplemented
    assert (np.ones(2) + x).tolist() == [2.0, 2.0]


def test_metadata_functions_are_also_top_level() -> None:
    x = pybigml.ones(2)
    assert pybigml.conj(x) is x and pybigml.real(x) is x and x.real is x
    assert pybigml.is_complex(x) is False and pybigml.is_signed(x) is True
    with pytest.raises(RuntimeError, match="imag is not implemented"):
        x.imag  # noqa: B018


# ----------------------------------------------------------------------------- devices
def test_device_is_the_backends(monkeypatch) -> None:
    class Array(np.ndarray):
        pass

    fake = types.SimpleNamespace(array_type=Array, device=pybigml.device("cuda", 0))
    monkeypatch.setitem(backend._BY_TYPE, Array, fake)
    array = np.zeros(3).view(Array)
    t = Tensor._make(array)
    assert t._data is array  # arrays of any backend are kept, not converted
    assert t.device == fake.device and t.is_cuda and not t.is_cpu
    cpu = pybigml.zeros(2)
    assert cpu.device == pybigml.device("cpu") and cpu.is_cpu and not cpu.is_cuda


def test_make_turns_a_numpy_scalar_into_an_array() -> None:
    t = Tensor._make(np.float32(2.5))
    assert type(t._data) is np.ndarray and t.item() == 2.5


def test_new_methods_pass_the_device_on() -> None:
    x = pybigml.ones(2)
    assert x.new_zeros(3, device="cpu").device == pybigml.device("cpu")
    for make in (
        lambda: x.new_zeros(3, device="cuda"),
        lambda: x.new_ones(3, device="cuda"),
        lambda: x.new_empty(3, device="cuda"),
        lambda: x.new_full((3,), 1.0, device="cuda"),
        lambda: x.new_tensor([1.0], device="cuda"),
    ):
        with pytest.raises(RuntimeError, match="not available"):
            make()


# ----------------------------------------------------------------------------- hooks
def test_every_hook_handle_is_the_one_removable_handle() -> None:
    assert utils_hooks.RemovableHandle is RemovableHandle
    leaf = pybigml.ones(2, requires_grad=True)
    y = leaf * 2
    handles = [
        leaf.register_hook(lambda g: None),
        leaf.register_post_accumulate_grad_hook(lambda t: None),
        y.register_hook(lambda g: None),
        y.grad_fn.register_hook(lambda gi, go: None),
        y.grad_fn.register_prehook(lambda go: None),
        pybigml.nn.Linear(2, 2).register_forward_hook(lambda m, a, o: None),
    ]
    assert all(type(h) is RemovableHandle for h in handles)


def test_removing_a_handle_removes_only_its_own_registration() -> None:
    leaf = pybigml.ones(1, requires_grad=True)
    calls = []

    def hook(g):
        calls.append(1)

    first = leaf.register_hook(hook)
    leaf.register_hook(hook)
    first.remove()
    first.remove()  # a second remove does nothing
    (leaf * 1).sum().backward()
    assert calls == [1]


def test_node_hooks_run_in_registration_order_until_removed() -> None:
    leaf = pybigml.ones(2, requires_grad=True)
    y = leaf * 3
    seen = []
    with y.grad_fn.register_prehook(lambda go: seen.append("pre")):
        y.grad_fn.register_hook(lambda gi, go: seen.append("post"))
        y.grad_fn.register_hook(lambda gi, go: seen.append("post 2"))
        y.sum().backward(retain_graph=True)
    y.sum().backward()
    assert seen == ["pre", "post", "post 2", "post", "post 2"]


def test_autograd_reaches_testing_and_functional_through_the_face() -> None:
    assert pybigml.autograd.gradcheck is pybigml.testing.gradcheck
    assert pybigml.autograd.gradgradcheck is pybigml.testing.gradgradcheck
    jacobian = pybigml.autograd.functional.jacobian(lambda x: x * 2, pybigml.ones(2))
    assert jacobian.tolist() == [[2.0, 0.0], [0.0, 2.0]]


# ----------------------------------------------------------------------------- layers
# module (relative to pybigml/) -> the pybigml modules it may import from
_LOWER_LAYERS = {
    "_tensor.py": {"_dtype", "_device", "backend", "_repr"},
    "_repr.py": {"_dtype"},
    "random.py": {"_device", "_tensor"},
}


def _imports(path: Path) -> set[str]:
    """The pybigml modules ``path`` imports (first component below ``pybigml``), at any
    depth of the file, so function-level imports count too."""
    package = path.relative_to(PACKAGE).parts[:-1]
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            if node.level == 0:
                parts = (node.module or "").split(".")
                if parts[0] == "pybigml":
                    found.add(parts[1] if len(parts) > 1 else "")
                continue
            base = package[: len(package) - node.level + 1]
            parts = [*base, *(node.module.split(".") if node.module else [])]
            names = [parts[0]] if parts else [a.name for a in node.names]
            found.update(names)
        elif isinstance(node, ast.Import):
            for alias in node.names:
                parts = alias.name.split(".")
                if parts[0] == "pybigml":
                    found.add(parts[1] if len(parts) > 1 else "")
    return found


@pytest.mark.parametrize("module", sorted(_LOWER_LAYERS))
def test_the_tensor_layer_imports_nothing_above_the_backend(module: str) -> None:
    assert _imports(PACKAGE / module) <= _LOWER_LAYERS[module]


@pytest.mark.parametrize(
    "path", sorted(p.name for p in (PACKAGE / "autograd").glob("*.py") if p.name != "functional.py")
)
def test_autograd_imports_nothing_above_autograd(path: str) -> None:
    allowed = {"autograd", *_LOWER_LAYERS["_tensor.py"], "_tensor"}
    assert _imports(PACKAGE / "autograd" / path) <= allowed
