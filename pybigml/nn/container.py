"""Containers: ``Sequential`` (a chain), ``ModuleList`` (a list), ``ModuleDict`` (a dict).

Each stores its children in ``_modules`` under string keys (``"0"``, ``"1"``, ... for the
ordered ones), so they show up in ``parameters()`` and ``state_dict()`` like any submodule.
"""

from __future__ import annotations

import operator
from collections import OrderedDict
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from .module import Module, _add_indent


def _normalise_index(index: Any, length: int) -> int:
    """A Python index into ``length`` items as a non-negative int (IndexError if out of range)."""
    index = operator.index(index)
    if not -length <= index < length:
        raise IndexError(f"index {index} is out of range")
    return index % length


class _IndexedModules(Module):
    """What ``Sequential`` and ``ModuleList`` share: children keyed ``"0"..."n-1"`` and
    list-like access to them."""

    def _renumber(self, modules: Iterable[Module]) -> None:
        """Store ``modules`` as the children, keyed by position."""
        self._modules.clear()
        for i, module in enumerate(modules):
            self.add_module(str(i), module)

    def __getitem__(self, index: Any) -> Any:
        modules = list(self._modules.values())
        if isinstance(index, slice):
            return type(self)._from_modules(modules[index])
        return modules[_normalise_index(index, len(modules))]

    def __setitem__(self, index: int, module: Module) -> None:
        position = _normalise_index(index, len(self._modules))
        self.add_module(str(position), module)

    def __delitem__(self, index: Any) -> None:
        modules = list(self._modules.values())
        if isinstance(index, slice):
            del modules[index]
        else:
            del modules[_normalise_index(index, len(modules))]
        # Keep the keys contiguous so state_dict names stay "0".."n-1".
        self._renumber(modules)

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[Module]:
        return iter(self._modules.values())

    def append(self, module: Module) -> _IndexedModules:
        """Add ``module`` at the end. Returns self."""
        self.add_module(str(len(self)), module)
        return self

    def extend(self, modules: Iterable[Module]) -> _IndexedModules:
        """Add every module of ``modules`` at the end. Returns self."""
        for module in modules:
            self.append(module)
        return self

    def insert(self, index: int, module: Module) -> None:
        """Insert ``module`` before position ``index`` (``len(self)`` appends)."""
        modules = list(self._modules.values())
        if not -len(modules) <= index <= len(modules):
            raise IndexError(f"Index out of range: {index}")
        modules.insert(index, module)
        self._renumber(modules)

    def pop(self, index: int = -1) -> Module:
        """Remove and return the module at ``index``."""
        module = self[index]
        del self[index]
        return module

    def __add__(self, other: _IndexedModules) -> _IndexedModules:
        return type(self)._from_modules([*self, *other])

    def __iadd__(self, other: Iterable[Module]) -> _IndexedModules:
        return self.extend(other)

    @classmethod
    def _from_modules(cls, modules: list[Module]) -> _IndexedModules:
        raise NotImplementedError


class Sequential(_IndexedModules):
    """Modules applied one after another: ``forward(x)`` is ``m_n(...m_1(x))``.

    Built from modules (``Sequential(a, b)``) or from an ``OrderedDict`` of named ones.
    Indexing with an int gives a module, with a slice a new ``Sequential``.

    Example::

        >>> net = nn.Sequential(nn.Linear(784, 128), nn.ReLU(), nn.Linear(128, 10))
        >>> net[0]
        Linear(in_features=784, out_features=128, bias=True)
        >>> len(net[1:])
        2
    """

    def __init__(self, *args: Module) -> None:
        super().__init__()
        if len(args) == 1 and isinstance(args[0], OrderedDict):
            for name, module in args[0].items():
                self.add_module(name, module)
        else:
            for i, module in enumerate(args):
                self.add_module(str(i), module)

    @classmethod
    def _from_modules(cls, modules: list[Module]) -> Sequential:
        return cls(*modules)

    def __getitem__(self, index: Any) -> Any:
        if isinstance(index, slice):
            # A slice keeps the children's names (they may come from an OrderedDict).
            return type(self)(OrderedDict(list(self._modules.items())[index]))
        return super().__getitem__(index)

    def __setitem__(self, index: int, module: Module) -> None:
        key = list(self._modules)[_normalise_index(index, len(self._modules))]
        self.add_module(key, module)

    def forward(self, input: Any) -> Any:
        for module in self._modules.values():
            input = module(input)
        return input


class ModuleList(_IndexedModules):
    """A list of modules, registered so their parameters are the container's.

    Example::

        >>> layers = nn.ModuleList(nn.Linear(8, 8) for _ in range(3))
        >>> layers.append(nn.ReLU())
        >>> len(layers)
        4
    """

    def __init__(self, modules: Iterable[Module] | None = None) -> None:
        super().__init__()
        if modules is not None:
            self.extend(modules)

    @classmethod
    def _from_modules(cls, modules: list[Module]) -> ModuleList:
        return cls(modules)

    def __repr__(self) -> str:
        # Runs of identical children print once: "(0-2): 3 x Linear(...)".
        items = [repr(module) for module in self]
        if not items:
            return f"{self._get_name()}()"
        lines = []
        start = 0
        for end in range(1, len(items) + 1):
            if end == len(items) or items[end] != items[start]:
                label = f"{start}" if end - start == 1 else f"{start}-{end - 1}"
                count = "" if end - start == 1 else f"{end - start} x "
                lines.append(f"({label}): {count}{_add_indent(items[start], 2)}")
                start = end
        return f"{self._get_name()}(\n  " + "\n  ".join(lines) + "\n)"


class ModuleDict(Module):
    """A dict of modules (insertion-ordered), registered so their parameters are the
    container's.

    Example::

        >>> heads = nn.ModuleDict({"cls": nn.Linear(16, 2), "reg": nn.Linear(16, 1)})
        >>> list(heads.keys())
        ['cls', 'reg']
    """

    def __init__(self, modules: Mapping[str, Module] | None = None) -> None:
        super().__init__()
        if modules is not None:
            self.update(modules)

    def __getitem__(self, key: str) -> Module:
        return self._modules[key]

    def __setitem__(self, key: str, module: Module) -> None:
        self.add_module(key, module)

    def __delitem__(self, key: str) -> None:
        del self._modules[key]

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[str]:
        return iter(self._modules)

    def __contains__(self, key: str) -> bool:
        return key in self._modules

    def clear(self) -> None:
        """Remove all modules."""
        self._modules.clear()

    def pop(self, key: str) -> Module:
        """Remove and return the module under ``key``."""
        module = self[key]
        del self[key]
        return module

    def keys(self) -> Iterable[str]:
        return self._modules.keys()

    def items(self) -> Iterable[tuple[str, Module]]:
        return self._modules.items()

    def values(self) -> Iterable[Module]:
        return self._modules.values()

    def update(self, modules: Mapping[str, Module] | Iterable[tuple[str, Module]]) -> None:
        """Add the modules of a mapping or of an iterable of ``(key, module)`` pairs."""
        pairs = modules.items() if isinstance(modules, Mapping) else modules
        for j, pair in enumerate(pairs):
            if len(pair) != 2:
                raise ValueError(
                    f"ModuleDict update sequence element #{j} has length {len(pair)}; 2 is required"
                )
            key, module = pair
            self[key] = module
