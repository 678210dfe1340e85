"""``pybigml/_tensor.pyi``, the generated stub of the whole ``Tensor`` class: the committed
file is what the generator writes now, and it names every attribute the class has."""

from __future__ import annotations

import ast

import pybigml
from pybigml.ops import tensor_stub

Tensor = pybigml.Tensor


def _stub_class_members(name: str) -> set[str]:
    tree = ast.parse(tensor_stub.STUB_PATH.read_text())
    (cls,) = [n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == name]
    members = set()
    for node in cls.body:
        if isinstance(node, ast.FunctionDef):
            members.add(node.name)
        elif isinstance(node, ast.AnnAssign):
            members.add(node.target.id)
    return members


def test_committed_stub_is_current() -> None:
    expected = tensor_stub.render()
    committed = tensor_stub.STUB_PATH.read_text()
    assert committed == expected, (
        f"{tensor_stub.STUB_PATH} is out of date with the Tensor class: run "
        f"`{tensor_stub.COMMAND}` and commit the result"
    )


def test_every_public_attribute_of_tensor_is_in_the_stub() -> None:
    public = {name for name in dir(Tensor) if not name.startswith("_")}
    missing = public - _stub_class_members("Tensor")
    assert not missing, f"not in the stub: {sorted(missing)} (run `{tensor_stub.COMMAND}`)"


def test_every_operator_and_private_attribute_the_class_defines_is_in_the_stub() -> None:
    own = set(vars(Tensor)) - tensor_stub._SKIPPED
    assert own <= _stub_class_members("Tensor")


def test_stub_signatures_name_self_and_keep_the_ops_annotations() -> None:
    text = tensor_stub.STUB_PATH.read_text()
    assert "    def exp(self) -> Tensor: ..." in text
    assert "    def __matmul__(self, other: Any) -> Any: ..." in text
    assert "    def shape(self) -> Size: ..." in text
    assert "    def register_hook(self, hook: Callable) -> RemovableHandle: ..." in text
    # Tensor.int / .float / .bool would shadow the builtins inside the class body
    assert "    def numel(self) -> builtins.int: ..." in text


def test_check_mode_reports_a_stale_stub(tmp_path, monkeypatch, capsys) -> None:
    stale = tmp_path / "_tensor.pyi"
    stale.write_text("class Tensor: ...\n")
    monkeypatch.setattr(tensor_stub, "STUB_PATH", stale)
    assert tensor_stub.main(["--check"]) == 1
    assert tensor_stub.COMMAND in capsys.readouterr().out
    assert tensor_stub.main([]) == 0
    assert stale.read_text() == tensor_stub.render()
    assert tensor_stub.main(["--check"]) == 0
