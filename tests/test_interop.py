"""Moving tensors to and from numpy and PyTorch: shared memory where PyTorch shares it.

Sharing is checked by writing through one side and reading the other, not by comparing
pointers, since that is what a user relies on.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

import pybigml


# ----------------------------------------------------------------------------- numpy
def test_numpy_shares_memory_both_ways():
    t = pybigml.zeros(2, 3)
    a = t.numpy()
    a[0, 1] = 5.0
    assert t[0, 1].item() == 5.0
    t.add_(1.0)
    assert a[0, 1] == 6.0 and a[1, 2] == 1.0


def test_numpy_of_a_tensor_requiring_grad():
    t = pybigml.ones(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="detach"):
        t.numpy()
    a = t.detach().numpy()
    a[0] = 7.0
    assert t[0].item() == 7.0  # detach() shares memory too


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int64, np.int32, np.uint8, np.bool_])
def test_from_numpy_shares_memory_and_keeps_dtype(dtype):
    a = np.zeros((2, 2), dtype=dtype)
    t = pybigml.from_numpy(a)
    assert t.dtype._np == np.dtype(dtype)
    a[1, 0] = 1
    assert t[1, 0].item() == 1
    t.fill_(1)
    assert a.all()


def test_from_numpy_keeps_strides_of_a_view():
    base = np.arange(12.0).reshape(3, 4)
    t = pybigml.from_numpy(base[:, ::2].T)
    assert t.shape == (2, 3)
    base[2, 2] = -1.0
    assert t[1, 2].item() == -1.0


def test_from_numpy_rejects_unsupported_dtypes():
    with pytest.raises(TypeError):
        pybigml.from_numpy(np.zeros(2, dtype=np.complex64))


def test_array_protocol():
    t = pybigml.arange(6.0).reshape(2, 3)
    a = np.asarray(t)
    assert np.shares_memory(a, t.numpy())
    converted = np.asarray(t, dtype=np.float64)
    assert converted.dtype == np.float64 and converted.tolist() == t.tolist()
    copied = np.array(t)
    copied[0, 0] = 9.0
    assert t[0, 0].item() == 0.0


# ----------------------------------------------------------------------------- DLPack
def test_torch_from_dlpack_shares_memory():
    t = pybigml.arange(6.0).reshape(2, 3)
    shared = torch.from_dlpack(t)
    assert shared.shape == (2, 3) and shared.dtype == torch.float32
    shared[0, 0] = 42.0
    assert t[0, 0].item() == 42.0
    t.mul_(2.0)
    assert shared[1, 2].item() == 10.0


def test_torch_from_dlpack_keeps_strides():
    t = pybigml.arange(6.0).reshape(2, 3).t()
    shared = torch.from_dlpack(t)
    assert shared.stride() == t.stride()
    assert shared.tolist() == t.tolist()


def test_pybigml_from_dlpack_of_torch_shares_memory():
    x = torch.arange(4.0, dtype=torch.float64)
    t = pybigml.from_dlpack(x)
    assert t.dtype == pybigml.float64
    t.add_(1.0)
    assert x.tolist() == [1.0, 2.0, 3.0, 4.0]
    x[0] = -1.0
    assert t[0].item() == -1.0


def test_dlpack_with_numpy_both_ways():
    a = np.arange(3, dtype=np.int64)
    t = pybigml.from_dlpack(a)
    a[2] = 9
    assert t.tolist() == [0, 1, 9]
    back = np.from_dlpack(t)
    back[0] = 5
    assert t[0].item() == 5


def test_dlpack_refuses_a_tensor_requiring_grad():
    with pytest.raises(RuntimeError, match="require"):
        torch.from_dlpack(pybigml.ones(2, requires_grad=True))


def test_values_round_trip_through_torch():
    t = pybigml.tensor([[1.5, -2.0], [0.25, 3.0]])
    assert torch.as_tensor(t).tolist() == t.tolist()
    assert pybigml.tensor(torch.tensor([1, 2, 3])).tolist() == [1, 2, 3]


# ----------------------------------------------------------------------------- Python values
def test_item():
    assert pybigml.tensor(2.5).item() == 2.5 and type(pybigml.tensor(2.5).item()) is float
    assert type(pybigml.tensor([3]).item()) is int
    assert pybigml.tensor([[True]]).item() is True
    with pytest.raises(RuntimeError, match="3 elements cannot be converted to Scalar"):
        pybigml.tensor([1.0, 2.0, 3.0]).item()


def test_tolist():
    assert pybigml.tensor([[1, 2], [3, 4]]).tolist() == [[1, 2], [3, 4]]
    values = pybigml.tensor([0.5, 1.0]).tolist()
    assert values == [0.5, 1.0] and all(type(v) is float for v in values)
    assert pybigml.tensor(7).tolist() == 7
    assert pybigml.zeros(0, 2).tolist() == []
    assert pybigml.tensor([True, False]).tolist() == [True, False]
