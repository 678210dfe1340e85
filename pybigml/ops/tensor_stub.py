"""Write ``pybigml/_tensor.pyi``: the whole ``Tensor`` class, with signatures, for editors and
type checkers.

Most of ``Tensor`` is bound at import by the method table (:mod:`pybigml.ops.methods`), so
tools that read ``_tensor.py`` alone see a class without ``exp`` or ``__add__``. The stub lists
every attribute the class has once the package is loaded: the methods, properties and
operators (their signatures taken with ``inspect.signature`` from the functions that
implement them, the first parameter named ``self``), the class-level attributes with their
annotations, and the rest of ``_tensor.py`` (``Size``, its helpers).

Usage: ``python -m pybigml.ops.tensor_stub`` (writes the file; ``--check`` only compares).
The output is deterministic and already in ``ruff format``'s style, and
``tests/test_tensor_stub.py`` fails when the committed stub is out of date.
"""

from __future__ import annotations

import argparse
import ast
import builtins
import inspect
import math
import sys
import types
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .. import _tensor
from .._tensor import Size, Tensor

STUB_PATH = Path(_tensor.__file__).with_suffix(".pyi")
COMMAND = "python -m pybigml.ops.tensor_stub"
_LINE_LENGTH = 100
# Class attributes every class has, or that describe the class rather than its instances.
_SKIPPED = {"__dict__", "__weakref__", "__module__", "__doc__", "__slots__", "__annotations__"}
_SKIPPED |= {"__qualname__", "__firstlineno__", "__static_attributes__"}


class _Source:
    """Text that ``inspect`` prints as it is (an annotation or a default, already rendered)."""

    def __init__(self, text: str) -> None:
        self.text = text

    def __repr__(self) -> str:
        return self.text


class _Imports:
    """The imports the stub's annotations need, found by resolving each name in the
    namespace of the function it came from."""

    def __init__(self) -> None:
        self.lines: dict[str, str] = {}  # name bound in the stub -> the import statement
        self.objects: dict[str, Any] = {}

    def bind(self, name: str, obj: Any) -> bool:
        """Import ``obj`` as ``name`` into the stub; False when that cannot be done."""
        if name in self.objects:
            return self.objects[name] is obj
        line = _import_line(name, obj)
        if line is None:
            return False
        self.lines[name], self.objects[name] = line, obj
        return True

    def render(self) -> str:
        """The import block, grouped and sorted as ruff's isort rules want."""
        groups: dict[int, list[str]] = {}
        for line in set(self.lines.values()):
            module = line.split()[1]
            if module.startswith("."):
                rank = 3  # this package
            else:
                rank = 1 if module.split(".")[0] in sys.stdlib_module_names else 2
            groups.setdefault(rank, []).append(line)
        blocks = []
        for rank in sorted(groups):
            lines = _merge_from_imports(groups[rank])
            plain = sorted(line for line in lines if line.startswith("import "))
            froms = sorted(
                (line for line in lines if line.startswith("from ")),
                key=lambda line: _module_sort_key(line.split()[1]),
            )
            blocks.append("\n".join(plain + froms))
        return "\n\n".join(blocks)


def _module_sort_key(module: str) -> tuple:
    # isort orders relative imports by depth of dots first ("." before ".autograd")
    dots = len(module) - len(module.lstrip("."))
    return (-dots, module.lstrip(".").lower())


def _merge_from_imports(lines: list[str]) -> list[str]:
    """``from m import a`` and ``from m import b`` become ``from m import a, b``."""
    merged: dict[str, list[str]] = {}
    out = []
    for line in lines:
        if line.startswith("from "):
            module, names = line[5:].split(" import ")
            merged.setdefault(module, []).append(names)
        else:
            out.append(line)
    for module, names in merged.items():
        out.append(f"from {module} import {', '.join(_isort_names(sorted(set(names))))}")
    return out


def _isort_names(names: list[str]) -> list[str]:
    # isort's order inside one import: CONSTANTS, then Classes, then functions (case-sensitive)
    def key(name: str) -> tuple:
        base = name.split(" as ")[0]
        kind = 0 if base.isupper() and len(base) > 1 else 1 if base[:1].isupper() else 2
        return (kind, base)

    return sorted(names, key=key)


def _relative(module: str) -> str:
    """``pybigml.autograd.hooks`` -> ``.autograd.hooks`` (the stub sits in ``pybigml/``)."""
    return "." + module.removeprefix("pybigml.") if module != "pybigml" else "."


def _import_line(name: str, obj: Any) -> str | None:
    if isinstance(obj, types.ModuleType):
        module = obj.__name__
        if module.startswith("pybigml."):
            parent, _, leaf = module.rpartition(".")
            return f"from {_relative(parent)} import {leaf}" if leaf == name else None
        if module == name:
            return f"import {module}"
        return f"import {module} as {name}"
    module = getattr(obj, "__module__", None)
    real = getattr(obj, "__name__", None)
    if module is None or real is None or getattr(sys.modules.get(module), real, None) is not obj:
        return None
    if module == "builtins":
        return None
    source = _relative(module) if module.startswith("pybigml") else module
    return f"from {source} import {real}" + ("" if real == name else f" as {name}")


class _Renderer:
    """Renders annotations and defaults of functions as stub source text."""

    def __init__(self, imports: _Imports, shadowed: set[str]) -> None:
        self.imports = imports
        self.shadowed = shadowed  # names of Tensor attributes that hide builtins in its body

    def annotation(self, annotation: Any, namespace: dict) -> str | None:
        if annotation is inspect.Parameter.empty:
            return None
        if not isinstance(annotation, str):
            annotation = inspect.formatannotation(annotation)
        try:
            tree = ast.parse(annotation, mode="eval")
        except SyntaxError:
            return "Any"
        for node in ast.walk(tree):
            if isinstance(node, ast.Name) and not self._resolve(node, namespace):
                return self._any()
        return ast.unparse(self._qualify_builtins(tree))

    def _resolve(self, node: ast.Name, namespace: dict) -> bool:
        name = node.id
        if name in ("Tensor", "Size", "None"):
            return True
        if name in namespace:
            obj = namespace[name]
            if getattr(builtins, name, None) is obj:
                return True
            return self.imports.bind(name, obj)
        return hasattr(builtins, name)

    def _qualify_builtins(self, tree: ast.AST) -> ast.AST:
        """``int`` -> ``builtins.int`` where a Tensor method (``Tensor.int``) would shadow it."""
        renamer = self

        class Qualify(ast.NodeTransformer):
            def visit_Name(self, node: ast.Name) -> ast.AST:  # noqa: N802
                if node.id in renamer.shadowed and hasattr(builtins, node.id):
                    renamer.imports.bind("builtins", builtins)
                    return ast.Attribute(ast.Name("builtins", ast.Load()), node.id, ast.Load())
                return node

        return Qualify().visit(tree)

    def _any(self) -> str:
        self.imports.bind("Any", Any)
        return "Any"

    @staticmethod
    def default(value: Any) -> str:
        if value is None or isinstance(value, bool):
            return repr(value)
        if isinstance(value, int):
            return repr(value)
        if isinstance(value, float) and math.isfinite(value):
            return repr(value)
        if isinstance(value, str) and not any(c in value for c in "\"'\\\n"):
            return f'"{value}"'
        return "..."

    def signature(self, fn: Callable, as_method: bool) -> str:
        """``(self, dim: int = 0) -> Tensor``, or ``(self, *args: Any, **kwargs: Any) -> Any``."""
        try:
            sig = inspect.signature(fn)
        except (TypeError, ValueError):
            any_ = self._any()
            return f"(self, *args: {any_}, **kwargs: {any_}) -> {any_}"
        namespace = getattr(fn, "__globals__", {})
        params = []
        for p in sig.parameters.values():
            text = self.annotation(p.annotation, namespace)
            default = p.default
            params.append(
                p.replace(
                    annotation=inspect.Parameter.empty if text is None else _Source(text),
                    default=default if default is p.empty else _Source(self.default(default)),
                )
            )
        if as_method:
            params = _with_self(params)
        returns = self.annotation(sig.return_annotation, namespace)
        rendered = sig.replace(
            parameters=params,
            return_annotation=inspect.Signature.empty if returns is None else _Source(returns),
        )
        return str(rendered)


def _with_self(params: list[inspect.Parameter]) -> list[inspect.Parameter]:
    """The first positional parameter becomes ``self`` (unannotated); one is added if none."""
    positional = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    if params and params[0].kind in positional:
        first = params[0].replace(name="self", annotation=inspect.Parameter.empty)
        return [first, *params[1:]]
    kind = inspect.Parameter.POSITIONAL_OR_KEYWORD
    if params and params[0].kind is inspect.Parameter.POSITIONAL_ONLY:
        kind = inspect.Parameter.POSITIONAL_ONLY
    return [inspect.Parameter("self", kind), *params]


def _def_lines(name: str, signature: str, indent: str) -> list[str]:
    """``def name(...) -> ...: ...`` wrapped as ``ruff format`` wraps stub functions."""
    one_line = f"{indent}def {name}{signature}: ..."
    if len(one_line) <= _LINE_LENGTH:
        return [one_line]
    params, returns = _split_signature(signature)
    inner = indent + "    "
    closing = f"{indent}){returns}: ..."
    if len(inner + params) <= _LINE_LENGTH and not params.endswith(","):
        return [f"{indent}def {name}(", inner + params, closing]
    return [f"{indent}def {name}(", *(f"{inner}{p}," for p in _split_params(params)), closing]


def _split_signature(signature: str) -> tuple[str, str]:
    """``(a, b) -> R`` -> (``a, b``, `` -> R``), at the parenthesis closing the parameters."""
    depth = 0
    for i, ch in enumerate(signature):
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
            if depth == 0:
                return signature[1:i], signature[i + 1 :]
    raise ValueError(f"unbalanced signature {signature!r}")


def _split_params(params: str) -> list[str]:
    """Split at the commas that separate parameters (not those inside brackets)."""
    parts, depth, start = [], 0, 0
    for i, ch in enumerate(params):
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
        elif ch == "," and depth == 0:
            parts.append(params[start:i].strip())
            start = i + 1
    parts.append(params[start:].strip())
    return parts


def _attribute_type(cls: type, name: str, value: Any, renderer: _Renderer) -> str:
    """The annotation the class gives ``name``, else the type of its class-level value."""
    annotation = inspect.get_annotations(cls).get(name, type(value).__name__)
    return renderer.annotation(annotation, vars(sys.modules[cls.__module__])) or "Any"


def _member_lines(cls: type, name: str, value: Any, renderer: _Renderer) -> list[str]:
    indent = "    "
    if isinstance(value, property):
        lines = [
            f"{indent}@property",
            *_def_lines(name, renderer.signature(value.fget, True), indent),
        ]
        if value.fset is not None:
            lines.append(f"{indent}@{name}.setter")
            lines += _def_lines(name, renderer.signature(value.fset, True), indent)
        return lines
    if isinstance(value, staticmethod):
        function = renderer.signature(value.__func__, False)
        return [f"{indent}@staticmethod", *_def_lines(name, function, indent)]
    if callable(value):
        return _def_lines(name, renderer.signature(value, True), indent)
    return [f"{indent}{name}: {_attribute_type(cls, name, value, renderer)}"]


def _class_lines(cls: type, renderer: _Renderer) -> list[str]:
    """The class statement and its members: annotated slots in the class's order, then the
    other data attributes, then methods, properties and operators, each group by name."""
    bases = ", ".join(b.__name__ for b in cls.__bases__ if b is not object)
    lines = [f"class {cls.__name__}({bases}):" if bases else f"class {cls.__name__}:"]
    members = {n: v for n, v in vars(cls).items() if n not in _SKIPPED}
    slots = [n for n in inspect.get_annotations(cls) if _is_slot(members.get(n))]
    data = sorted(n for n, v in members.items() if n not in slots and not _is_function(v))
    functions = sorted(n for n, v in members.items() if _is_function(v))
    for name in slots + data + functions:
        lines += _member_lines(cls, name, members[name], renderer)
    return lines


def _is_slot(value: Any) -> bool:
    return isinstance(value, types.MemberDescriptorType)


def _is_function(value: Any) -> bool:
    return callable(value) or isinstance(value, (property, staticmethod))


def render() -> str:
    """The text of ``pybigml/_tensor.pyi`` for the Tensor class as it is loaded now."""
    imports = _Imports()
    renderer = _Renderer(imports, shadowed=set(vars(Tensor)))
    body = ["\n".join(_class_lines(Size, _Renderer(imports, set(vars(Size)))))]
    body.append("\n".join(_class_lines(Tensor, renderer)))
    module_renderer = _Renderer(imports, shadowed=set())
    functions = [
        fn
        for name, fn in sorted(vars(_tensor).items())
        if inspect.isfunction(fn) and fn.__module__ == _tensor.__name__
    ]
    body.append(
        "\n".join(
            line
            for fn in functions
            for line in _def_lines(fn.__name__, module_renderer.signature(fn, False), "")
        )
    )
    header = f'"""The ``Tensor`` class as the package binds it.\n\nGenerated by ``{COMMAND}``: do not edit."""'
    return f"{header}\n\n{imports.render()}\n\n" + "\n\n".join(body) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Write pybigml/_tensor.pyi.")
    parser.add_argument("--check", action="store_true", help="only report whether it is current")
    args = parser.parse_args(argv)
    text = render()
    current = STUB_PATH.read_text() if STUB_PATH.exists() else ""
    if args.check:
        if current != text:
            print(f"{STUB_PATH} is out of date: run `{COMMAND}`")
            return 1
        return 0
    if current != text:
        STUB_PATH.write_text(text)
        print(f"wrote {STUB_PATH}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
