"""``RemovableHandle``: what every ``register_*_hook`` returns, for tensors, graph nodes,
modules and optimizers alike (``torch.utils.hooks.RemovableHandle``).

Hooks live in ``OrderedDict``s keyed by their handle's ``id``, so they run in the order they
were registered and ``handle.remove()`` drops exactly the one it registered.
"""

from __future__ import annotations

import itertools
import weakref
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

_next_id = itertools.count()


class RemovableHandle:
    """A handle that removes one registered hook from the dicts it was stored in.

    Some kinds of hook are also recorded in side dicts (``extra_dict``: hooks called with
    kwargs, hooks always called), and ``remove()`` drops the id from all of them. The dicts
    are held by weak reference (a plain ``dict`` cannot be, an ``OrderedDict`` can) so a
    forgotten handle keeps neither the hooks nor their owner alive.

    Example::

        >>> handle = module.register_forward_hook(lambda m, args, out: print(out.shape))
        >>> handle.remove()
    """

    def __init__(self, hooks_dict: OrderedDict, *, extra_dict: Any = None) -> None:
        self.hooks_dict_ref = weakref.ref(hooks_dict)
        self.id = next(_next_id)
        if extra_dict is None:
            extra_dict = ()
        elif isinstance(extra_dict, OrderedDict):
            extra_dict = (extra_dict,)
        self.extra_dict_ref = tuple(weakref.ref(d) for d in extra_dict)

    def remove(self) -> None:
        """Unregister the hook (a second call does nothing)."""
        for ref in (self.hooks_dict_ref, *self.extra_dict_ref):
            hooks = ref()
            if hooks is not None:
                hooks.pop(self.id, None)

    def __enter__(self) -> RemovableHandle:
        return self

    def __exit__(self, *exc: object) -> None:
        self.remove()


def add_hook(hooks: OrderedDict, hook: Callable) -> RemovableHandle:
    """Store ``hook`` last in ``hooks`` under a new handle's id; return the handle."""
    handle = RemovableHandle(hooks)
    hooks[handle.id] = hook
    return handle
