"""``Optimizer``: parameter groups, per-parameter state, and their (de)serialisation.

An optimizer holds ``param_groups`` — a list of dicts, each with a ``"params"`` list and
its own hyper-parameters (``lr``, ``momentum`` ...; missing ones come from ``defaults``) —
and ``state``, a dict from parameter to that parameter's buffers (SGD's
``momentum_buffer``). ``state_dict()`` replaces parameters by their position across all
groups, so a checkpoint can be loaded into a fresh optimizer over a fresh model.

Hooks, as PyTorch's: step pre/post hooks (per optimizer, or for all optimizers through
``register_optimizer_step_pre_hook``), and pre/post hooks around ``state_dict`` and
``load_state_dict``. Every ``step`` — the base class's and any a subclass defines —
is wrapped once (``__init_subclass__``) so its hooks run whichever optimizer it is.
"""

from __future__ import annotations

import copy
import functools
import warnings
from collections import OrderedDict, defaultdict
from collections.abc import Callable, Iterable
from itertools import chain
from typing import Any

from .._dtype import get_default_dtype
from .._tensor import Tensor
from ..autograd.grad_mode import enable_grad
from ..ops.creation import full
from ..utils.hooks import RemovableHandle

StepPreHook = Callable[["Optimizer", tuple, dict], "tuple[tuple, dict] | None"]
StepPostHook = Callable[["Optimizer", tuple, dict], None]

# Hooks that run around the step of every optimizer (pre hooks before an optimizer's
# own, post hooks after), as torch.optim.optimizer keeps them.
_global_step_pre_hooks: OrderedDict[int, StepPreHook] = OrderedDict()
_global_step_post_hooks: OrderedDict[int, StepPostHook] = OrderedDict()

_HOOK_DICTS = (
    "_optimizer_step_pre_hooks",
    "_optimizer_step_post_hooks",
    "_optimizer_state_dict_pre_hooks",
    "_optimizer_state_dict_post_hooks",
    "_optimizer_load_state_dict_pre_hooks",
    "_optimizer_load_state_dict_post_hooks",
)


class _RequiredParameter:
    """Marks a hyper-parameter that every param group must give (no default)."""

    def __repr__(self) -> str:
        return "<required parameter>"


required = _RequiredParameter()


def _typename(obj: Any) -> str:
    return obj.type() if isinstance(obj, Tensor) else type(obj).__name__


def register_optimizer_step_pre_hook(hook: StepPreHook) -> RemovableHandle:
    """Register ``hook(optimizer, args, kwargs) -> None | (new_args, new_kwargs)`` to run
    before the step of every optimizer (before the optimizer's own pre hooks).

    Returns:
        A handle whose ``remove()`` unregisters the hook.
    """
    return _register(_global_step_pre_hooks, hook, prepend=False)


def register_optimizer_step_post_hook(hook: StepPostHook) -> RemovableHandle:
    """Register ``hook(optimizer, args, kwargs) -> None`` to run after the step of every
    optimizer (after the optimizer's own post hooks).

    Returns:
        A handle whose ``remove()`` unregisters the hook.
    """
    return _register(_global_step_post_hooks, hook, prepend=False)


def _with_step_hooks(step: Callable[..., Any]) -> Callable[..., Any]:
    """Wrap an optimizer's ``step`` so that the step pre and post hooks run around it.

    The hooks see ``args`` with the optimizer first, as PyTorch passes them; a pre hook may
    return ``(new_args, new_kwargs)`` to replace the call's arguments. A step that calls a
    base class's step (``super().step()``) runs the hooks once, in the outer call.
    """

    @functools.wraps(step)
    def hooked_step(*args: Any, **kwargs: Any) -> Any:
        self = args[0]
        if self.__dict__.get("_running_step_hooks"):
            return step(*args, **kwargs)
        self._running_step_hooks = True
        try:
            for pre_hook in (
                *_global_step_pre_hooks.values(),
                *self._optimizer_step_pre_hooks.values(),
            ):
                result = pre_hook(self, args, kwargs)
                if result is not None:
                    if not (isinstance(result, tuple) and len(result) == 2):
                        raise RuntimeError(
                            f"{step} must return None or a tuple of (new_args, new_kwargs), "
                            f"but got {result}."
                        )
                    args, kwargs = result
            out = step(*args, **kwargs)
            for post_hook in (
                *self._optimizer_step_post_hooks.values(),
                *_global_step_post_hooks.values(),
            ):
                post_hook(self, args, kwargs)
            return out
        finally:
            self._running_step_hooks = False

    hooked_step._with_step_hooks = True  # type: ignore[attr-defined]
    return hooked_step


def _register(hooks: OrderedDict, hook: Callable[..., Any], prepend: bool) -> RemovableHandle:
    """Store ``hook`` in ``hooks`` (first if ``prepend``) and return its handle."""
    handle = RemovableHandle(hooks)
    hooks[handle.id] = hook
    if prepend:
        hooks.move_to_end(handle.id, last=False)
    return handle


def step_counter(value: float = 0.0) -> Tensor:
    """A fresh ``state["step"]`` (or another scalar state, starting at ``value``): a 0-d float
    tensor of the default dtype, as PyTorch keeps it."""
    return full((), value, dtype=get_default_dtype())


# How PyTorch's messages name the hyper-parameters whose ranges they check; any other is
# "<name> value" ("Invalid weight_decay value: -1").
_HYPERPARAMETER_LABELS = {"lr": "learning rate", "eps": "epsilon value"}


def check_hyperparameters(**values: Any) -> None:
    """Raise PyTorch's ``ValueError`` for the first hyper-parameter out of its range, checking
    in the order given: ``betas`` must each lie in ``[0, 1)``, every other value must be
    ``>= 0`` (``lr`` may be a one-element tensor).

    Raises:
        ValueError: with PyTorch's message ("Invalid learning rate: -1").
    """
    for name, value in values.items():
        if name == "betas":
            for i, beta in enumerate(value):
                if not 0.0 <= beta < 1.0:
                    raise ValueError(f"Invalid beta parameter at index {i}: {beta}")
            continue
        if name == "lr" and isinstance(value, Tensor) and value.numel() != 1:
            raise ValueError("Tensor lr must be 1-element")
        if not value >= 0.0:
            label = _HYPERPARAMETER_LABELS.get(name, f"{name} value")
            raise ValueError(f"Invalid {label}: {value}")


def reject_unsupported(optimizer: str, **flags: bool) -> None:
    """Raise ``NotImplementedError`` for the first of PyTorch's flags (``differentiable``,
    ``capturable``) that is set: pybigml's optimizers implement only the plain step."""
    for flag, value in flags.items():
        if value:
            raise NotImplementedError(f"{optimizer}({flag}=True) is not supported by pybigml")


class Optimizer:
    """Base class of the optimizers; subclasses implement ``step``.

    Args:
        params: an iterable of tensors, of ``(name, tensor)`` pairs, or of dicts
            (parameter groups: ``{"params": [...], "lr": 0.1}``).
        defaults: the hyper-parameters a group takes when it does not set them.
    """

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        step = cls.__dict__.get("step")
        if step is not None and not getattr(step, "_with_step_hooks", False):
            cls.step = _with_step_hooks(step)

    def __init__(self, params: Iterable[Any], defaults: dict[str, Any]) -> None:
        if isinstance(params, Tensor):
            raise TypeError(
                "params argument given to the optimizer should be an iterable of Tensors or "
                f"dicts, but got {_typename(params)}"
            )
        self.defaults = defaults
        self._init_hooks()
        self.state: defaultdict[Tensor, dict[str, Any]] = defaultdict(dict)
        self.param_groups: list[dict[str, Any]] = []
        param_groups = list(params)
        if not param_groups:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(param_groups[0], dict):
            param_groups = [{"params": param_groups}]
        for group in param_groups:
            self.add_param_group(group)

    def _init_hooks(self) -> None:
        for name in _HOOK_DICTS:
            setattr(self, name, OrderedDict())

    def __getstate__(self) -> dict[str, Any]:
        # As PyTorch: a copy or pickle keeps the groups and state, not the hooks.
        return {
            "defaults": self.defaults,
            "state": self.state,
            "param_groups": self.param_groups,
        }

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._init_hooks()

    def register_step_pre_hook(self, hook: StepPreHook) -> RemovableHandle:
        """Register ``hook(optimizer, args, kwargs) -> None | (new_args, new_kwargs)`` to run
        before each ``step``; ``args`` starts with the optimizer, and a returned pair
        replaces the arguments the step is called with.

        Returns:
            A handle whose ``remove()`` unregisters the hook.
        """
        return _register(self._optimizer_step_pre_hooks, hook, prepend=False)

    def register_step_post_hook(self, hook: StepPostHook) -> RemovableHandle:
        """Register ``hook(optimizer, args, kwargs) -> None`` to run after each ``step``.

        Returns:
            A handle whose ``remove()`` unregisters the hook.
        """
        return _register(self._optimizer_step_post_hooks, hook, prepend=False)

    def register_state_dict_pre_hook(
        self, hook: Callable[[Optimizer], None], prepend: bool = False
    ) -> RemovableHandle:
        """Register ``hook(optimizer) -> None`` to run before ``state_dict()`` builds its dict.

        Args:
            hook: the hook.
            prepend: run it before the hooks already registered (default: after them).

        Returns:
            A handle whose ``remove()`` unregisters the hook.
        """
        return _register(self._optimizer_state_dict_pre_hooks, hook, prepend)

    def register_state_dict_post_hook(
        self,
        hook: Callable[[Optimizer, dict[str, Any]], dict[str, Any] | None],
        prepend: bool = False,
    ) -> RemovableHandle:
        """Register ``hook(optimizer, state_dict) -> state_dict | None`` to run on the dict
        ``state_dict()`` built; it may change it in place or return a replacement.

        Args:
            hook: the hook.
            prepend: run it before the hooks already registered (default: after them).

        Returns:
            A handle whose ``remove()`` unregisters the hook.
        """
        return _register(self._optimizer_state_dict_post_hooks, hook, prepend)

    def register_load_state_dict_pre_hook(
        self,
        hook: Callable[[Optimizer, dict[str, Any]], dict[str, Any] | None],
        prepend: bool = False,
    ) -> RemovableHandle:
        """Register ``hook(optimizer, state_dict) -> state_dict | None`` to run before
        ``load_state_dict`` loads; it gets a shallow copy of the dict passed in and may change
        it in place or return the dict to load instead.

        Args:
            hook: the hook.
            prepend: run it before the hooks already registered (default: after them).

        Returns:
            A handle whose ``remove()`` unregisters the hook.
        """
        return _register(self._optimizer_load_state_dict_pre_hooks, hook, prepend)

    def register_load_state_dict_post_hook(
        self, hook: Callable[[Optimizer], None], prepend: bool = False
    ) -> RemovableHandle:
        """Register ``hook(optimizer) -> None`` to run after ``load_state_dict`` has loaded.

        Args:
            hook: the hook.
            prepend: run it before the hooks already registered (default: after them).

        Returns:
            A handle whose ``remove()`` unregisters the hook.
        """
        return _register(self._optimizer_load_state_dict_post_hooks, hook, prepend)

    def add_param_group(self, param_group: dict[str, Any]) -> None:
        """Add a group of parameters with its own hyper-parameters (e.g. a layer to unfreeze).

        Raises:
            ValueError: a parameter is not a leaf, already belongs to a group, or a required
                hyper-parameter is missing.
        """
        if not isinstance(param_group, dict):
            raise TypeError(f"param_group must be a dict, but got {type(param_group).__name__}")
        params = param_group["params"]
        if isinstance(params, Tensor):
            params = [params]
        elif isinstance(params, set):
            raise TypeError(
                "optimizer parameters need to be organized in ordered collections, but the "
                "ordering of tensors in sets will change between runs. Please use a list instead."
            )
        else:
            params = list(params)
        named = [p for p in params if isinstance(p, tuple)]
        if named:
            if len(named) != len(params):
                raise ValueError(
                    "all optimizer params should be with/without names. Some param names are "
                    "missing"
                )
            param_group["param_names"] = [name for name, _ in named]
            params = [p for _, p in named]
        param_group["params"] = params
        for p in params:
            if not isinstance(p, Tensor):
                raise TypeError(
                    f"optimizer can only optimize Tensors, but one of the params is {_typename(p)}"
                )
            if not self.defaults.get("differentiable") and not (p.is_leaf or p.retains_grad):
                raise ValueError("can't optimize a non-leaf Tensor")
        for name, default in self.defaults.items():
            if default is required and name not in param_group:
                raise ValueError(
                    "parameter group didn't specify a value of required optimization "
                    f"parameter {name}"
                )
            param_group.setdefault(name, default)
        ids = [id(p) for p in params]
        if len(ids) != len(set(ids)):
            warnings.warn(
                "optimizer contains a parameter group with duplicate parameters; in future, "
                "this will cause an error",
                stacklevel=3,
            )
        for group in self.param_groups:
            if ("param_names" in param_group) != ("param_names" in group):
                kind = "with names" if "param_names" in param_group else "without names"
                raise ValueError(
                    "all optimizer param groups should be with/without names. "
                    f"cannot add param group {kind} to the optimizer"
                )
            if not set(ids).isdisjoint(id(p) for p in group["params"]):
                raise ValueError("some parameters appear in more than one parameter group")
        self.param_groups.append(param_group)

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Reset the gradients of all optimised parameters: to ``None`` (default) or zeros."""
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                if set_to_none:
                    p.grad = None
                else:
                    p.grad.detach_()
                    p.grad.zero_()

    @_with_step_hooks
    def step(self, closure: Any = None) -> Any:
        """Update every parameter that has a gradient once.

        Args:
            closure: re-evaluates the model and returns the loss (run with grad enabled).

        Returns:
            The closure's loss, or ``None``.
        """
        loss = None
        if closure is not None:
            with enable_grad():
                loss = closure()
        for group in self.param_groups:
            self._step_group(group)
        return loss

    def _step_group(self, group: dict[str, Any]) -> None:
        """Apply one update to the parameters of ``group``; each optimizer implements it."""
        raise NotImplementedError

    def _init_group(
        self, group: dict[str, Any], new_state: Callable[[Tensor], dict[str, Tensor]]
    ) -> tuple[list[Tensor], list[Tensor], list[dict[str, Any]]]:
        """The parameters of ``group`` that have a gradient, their gradients and their states,
        as the update functions of :mod:`pybigml.ops.optim` take them. A parameter's first
        update creates its state: ``state["step"]`` (which the update increments), then the
        buffers ``new_state(p)`` returns, in that order (PyTorch's key order)."""
        params, grads, states = [], [], []
        for p in group["params"]:
            if p.grad is None:
                continue
            state = self.state[p]
            if not state:
                state["step"] = step_counter()
                state.update(new_state(p))
            params.append(p)
            grads.append(p.grad)
            states.append(state)
        return params, grads, states

    def state_dict(self) -> dict[str, Any]:
        """``{"state": {index: {...}}, "param_groups": [{..., "params": [indices]}]}``.

        Parameters are numbered in order across all groups; the state tensors are the
        optimizer's own (not copies), as in PyTorch. The state-dict pre hooks run first, the
        post hooks last (each may replace the dict).
        """
        for pre_hook in self._optimizer_state_dict_pre_hooks.values():
            pre_hook(self)
        index_of: dict[int, int] = {}
        groups = []
        for group in self.param_groups:
            packed = {k: v for k, v in group.items() if k != "params"}
            for p in group["params"]:
                index_of.setdefault(id(p), len(index_of))
            packed["params"] = [index_of[id(p)] for p in group["params"]]
            groups.append(packed)
        state = {
            (index_of[id(p)] if isinstance(p, Tensor) else p): value
            for p, value in self.state.items()
        }
        state_dict = {"state": state, "param_groups": groups}
        for post_hook in self._optimizer_state_dict_post_hooks.values():
            result = post_hook(self, state_dict)
            if result is not None:
                state_dict = result
        return state_dict

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore hyper-parameters and state saved by ``state_dict()``.

        State tensors (also inside lists and dicts) are copied and cast to their parameter's
        dtype (except ``"step"``). The load pre hooks see a shallow copy of ``state_dict``
        (and may return a replacement); the post hooks run after loading.

        Raises:
            ValueError: the number of groups or of parameters in a group differs.
        """
        state_dict = state_dict.copy()
        for pre_hook in self._optimizer_load_state_dict_pre_hooks.values():
            result = pre_hook(self, state_dict)
            if result is not None:
                state_dict = result
        saved_groups = copy.deepcopy(state_dict["param_groups"])
        if len(saved_groups) != len(self.param_groups):
            raise ValueError("loaded state dict has a different number of parameter groups")
        for group, saved in zip(self.param_groups, saved_groups):
            if len(group["params"]) != len(saved["params"]):
                raise ValueError(
                    "loaded state dict contains a parameter group that doesn't match the size "
                    "of optimizer's group"
                )
        param_of = dict(
            zip(
                chain.from_iterable(g["params"] for g in saved_groups),
                chain.from_iterable(g["params"] for g in self.param_groups),
            )
        )
        state: defaultdict[Any, dict[str, Any]] = defaultdict(dict)
        for key, value in state_dict["state"].items():
            if key in param_of:
                param = param_of[key]
                state[param] = {k: _cast_state(param, k, v) for k, v in value.items()}
            else:
                state[key] = value
        for group, saved in zip(self.param_groups, saved_groups):
            saved["params"] = group["params"]
            if "param_names" in group and "param_names" not in saved:
                saved["param_names"] = group["param_names"]
        self.state = state
        self.param_groups = saved_groups
        for post_hook in self._optimizer_load_state_dict_post_hooks.values():
            post_hook(self)

    def __repr__(self) -> str:
        lines = [f"{type(self).__name__} ("]
        for i, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            lines.extend(f"    {key}: {group[key]}" for key in sorted(group) if key != "params")
        lines.append(")")
        return "\n".join(lines)


def _cast_state(param: Tensor, key: str | None, value: Any) -> Any:
    """A copy of a loaded state value, as the parameter's dtype if both are floating.

    Lists, tuples and dicts (LBFGS keeps its history in lists) are copied item by item.
    """
    if isinstance(value, (list, tuple)):
        return type(value)(_cast_state(param, None, v) for v in value)
    if isinstance(value, dict):
        return {k: _cast_state(param, k, v) for k, v in value.items()}
    if not isinstance(value, Tensor) or key == "step":
        return value
    if param.is_floating_point() and value.is_floating_point():
        return value.to(dtype=param.dtype, copy=True)
    return value.clone()
