"""``default_collate``: turn a list of samples into one batch, and ``default_convert``.

The batch has the structure of one sample, with each leaf stacked along a new first
dimension: tensors are stacked, numpy arrays become tensors first, Python floats become a
float64 tensor and ints an int64 one, strings stay a list; dicts, namedtuples and
sequences are collated field by field (a tuple of fields becomes a list, as in PyTorch).
"""

from __future__ import annotations

import collections.abc
from typing import Any

import numpy as np

from ..._dtype import bool_, float64, int64
from ..._tensor import Tensor
from ...ops.creation import as_tensor, tensor
from ...ops.shape import stack

_ERROR = (
    "default_collate: batch must contain tensors, numpy arrays, numbers, dicts or lists; found {}"
)


def _numpy_to_tensor(array: np.ndarray) -> Tensor:
    if array.dtype.kind in "USO":
        raise TypeError(_ERROR.format(array.dtype))
    return as_tensor(array)


def default_collate(batch: list[Any]) -> Any:
    """Collate a list of samples into a batch (see the module docstring).

    Example::

        >>> default_collate([(pybigml.zeros(2), 0), (pybigml.ones(2), 1)])
        [tensor([[0., 0.],
                [1., 1.]]), tensor([0, 1])]
    """
    elem = batch[0]
    if isinstance(elem, Tensor):
        return stack(batch, 0)
    if isinstance(elem, np.ndarray):
        return default_collate([_numpy_to_tensor(b) for b in batch])
    if isinstance(elem, np.generic):
        return _numpy_to_tensor(np.array(batch))
    if isinstance(elem, bool):
        return tensor(batch, dtype=bool_)
    if isinstance(elem, float):
        return tensor(batch, dtype=float64)
    if isinstance(elem, int):
        return tensor(batch, dtype=int64)
    if isinstance(elem, (str, bytes)):
        return batch
    if isinstance(elem, collections.abc.Mapping):
        collated = {key: default_collate([d[key] for d in batch]) for key in elem}
        try:
            return type(elem)(collated)
        except TypeError:  # a mapping type that cannot be built from a dict
            return collated
    if isinstance(elem, tuple) and hasattr(elem, "_fields"):  # namedtuple
        return type(elem)(*(default_collate(list(field)) for field in zip(*batch)))
    if isinstance(elem, collections.abc.Sequence):
        size = len(elem)
        if any(len(sample) != size for sample in batch):
            raise RuntimeError("each element in list of batch should be of equal size")
        fields = [default_collate(list(field)) for field in zip(*batch)]
        if isinstance(elem, (tuple, list)):
            return fields
        try:
            return type(elem)(fields)
        except TypeError:
            return fields
    raise TypeError(_ERROR.format(type(elem)))


def default_convert(data: Any) -> Any:
    """Convert numpy arrays and numbers inside ``data`` to tensors, keeping the structure
    (what ``DataLoader`` applies to each sample when ``batch_size=None``)."""
    if isinstance(data, Tensor):
        return data
    if isinstance(data, np.ndarray):
        return data if data.dtype.kind in "USO" else as_tensor(data)
    if isinstance(data, np.generic):
        return as_tensor(data)
    if isinstance(data, collections.abc.Mapping):
        return type(data)({key: default_convert(value) for key, value in data.items()})
    if isinstance(data, tuple) and hasattr(data, "_fields"):
        return type(data)(*(default_convert(d) for d in data))
    if isinstance(data, tuple):
        return [default_convert(d) for d in data]
    if isinstance(data, list):
        return [default_convert(d) for d in data]
    return data
