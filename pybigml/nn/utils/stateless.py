"""``functional_call``: run a module with other tensors standing in for its parameters and
buffers (``torch.nn.utils.stateless.functional_call``, also ``pybigml.func.functional_call``)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ..._tensor import Tensor

__all__ = ["functional_call"]


def _set_member(module: Any, dotted: str, value: Tensor) -> Any:
    """Put ``value`` at ``dotted`` (a parameter or buffer name); return what was there."""
    path, _, name = dotted.rpartition(".")
    owner = module.get_submodule(path)
    for registry in (owner._parameters, owner._buffers):
        if name in registry:
            old = registry[name]
            registry[name] = value
            return old
    raise AttributeError(
        f"functional_call: {module._get_name()} has no parameter or buffer {dotted!r}"
    )


def functional_call(
    module: Any,
    parameter_and_buffer_dicts: Mapping[str, Tensor] | Sequence[Mapping[str, Tensor]],
    args: Any = None,
    kwargs: dict[str, Any] | None = None,
    *,
    tie_weights: bool = True,
    strict: bool = False,
) -> Any:
    """``module(*args, **kwargs)`` with the named tensors standing in for its parameters and
    buffers (others keep their own); the module is unchanged afterwards."""
    dicts = (
        [parameter_and_buffer_dicts]
        if isinstance(parameter_and_buffer_dicts, Mapping)
        else list(parameter_and_buffer_dicts)
    )
    replacements: dict[str, Tensor] = {}
    for d in dicts:
        overlap = set(replacements) & set(d)
        if overlap:
            raise ValueError(f"{sorted(overlap)} appeared in multiple dictionaries")
        replacements.update(d)
    if strict:
        expected = {n for n, _ in module.named_parameters()} | {
            n for n, _ in module.named_buffers()
        }
        missing, unexpected = expected - set(replacements), set(replacements) - expected
        if missing or unexpected:
            raise RuntimeError(
                f"functional_call: missing keys {sorted(missing)}, unexpected keys "
                f"{sorted(unexpected)}"
            )
    args = () if args is None else args if isinstance(args, tuple) else (args,)
    saved = {}
    try:
        for name, value in replacements.items():
            saved[name] = _set_member(module, name, value)
        return module(*args, **(kwargs or {}))
    finally:
        for name, old in saved.items():
            _set_member(module, name, old)
