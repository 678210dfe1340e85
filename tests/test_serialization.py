"""pybigml.save / pybigml.load: round trips, atomic writes, broken and foreign files, and
interchange of checkpoints with PyTorch."""

from __future__ import annotations

import io
import json
import math
import os
import pickle
import struct
import zipfile
from collections import OrderedDict
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import safetensors.numpy
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import pybigml
import pybigml.nn as nn
from pybigml.serialization import load, save
from pybigml.testing import strategies as pst

torch = pytest.importorskip("torch")
safetensors_torch = pytest.importorskip("safetensors.torch")

DTYPES = [
    pybigml.bool,
    pybigml.uint8,
    pybigml.int8,
    pybigml.int16,
    pybigml.int32,
    pybigml.int64,
    pybigml.float16,
    pybigml.float32,
    pybigml.float64,
]


def round_trip(obj: Any, tmp_path: Path, **load_kwargs: Any) -> Any:
    path = tmp_path / "ckpt.safetensors"
    save(obj, path)
    return load(path, **load_kwargs)


def assert_same_tensor(actual: Any, expected: pybigml.Tensor) -> None:
    """Same type, dtype, shape and bytes (so NaN payloads and -0.0 count too)."""
    assert type(actual) is pybigml.Tensor
    assert actual.dtype == expected.dtype and actual.shape == expected.shape
    assert actual.numpy().tobytes() == np.ascontiguousarray(expected.detach().numpy()).tobytes()


def assert_same_structure(actual: Any, expected: Any) -> None:
    """Equal values with the same container and key types, tensors compared bit for bit."""
    if isinstance(expected, pybigml.Tensor):
        assert_same_tensor(actual, expected)
        return
    assert type(actual) is type(expected), (actual, expected)
    if isinstance(expected, dict):
        assert [(type(k), k) for k in actual] == [(type(k), k) for k in expected]
        for key in expected:
            assert_same_structure(actual[key], expected[key])
    elif isinstance(expected, (list, tuple)):
        assert len(actual) == len(expected)
        for a, e in zip(actual, expected):
            assert_same_structure(a, e)
    elif isinstance(expected, float) and math.isnan(expected):
        assert math.isnan(actual)
    else:
        assert actual == expected


# --------------------------------------------------------------------------- round trips


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
@given(data=st.data())
def test_every_dtype_round_trips_bit_for_bit(dtype: pybigml.dtype, data: Any, tmp_path_factory):
    # Any bit pattern of the dtype, NaN and inf included, must come back unchanged.
    values = data.draw(hnp.arrays(dtype._np, hnp.array_shapes(min_dims=0, min_side=0, max_side=4)))
    tensor = pybigml.from_numpy(values)
    assert_same_tensor(round_trip(tensor, tmp_path_factory.mktemp("dtype")), tensor)


@given(tensor=pst.tensors(dtype=pybigml.float64))
def test_any_memory_layout_is_saved_as_its_logical_values(tensor, tmp_path_factory):
    # Permuted, sliced and expanded (stride-0) tensors are written contiguous.
    back = round_trip({"x": tensor}, tmp_path_factory.mktemp("layout"))["x"]
    assert back.is_contiguous()
    np.testing.assert_array_equal(back.numpy(), tensor.numpy())


def test_nested_structure_keeps_container_and_key_types(tmp_path: Path) -> None:
    obj = {
        "weights": [pybigml.randn(2, 3), (pybigml.tensor(1.5), pybigml.zeros(0, 4))],
        0: OrderedDict(b=1, a=[None, True, False]),
        1.5: "ünïcode ✓",
        (1, "x"): {"empty": {}, "also": [], "tuple": ()},
        None: 2**70,
        True: [float("inf"), -float("inf"), float("nan"), -0.0, 1e-310],
        "__metadata__": pybigml.ones(2),  # the safetensors header's reserved name
        "shape": pybigml.Size([2, 3]),
        "dtypes": [pybigml.float64, pybigml.bool, pybigml.uint8],
    }
    assert_same_structure(round_trip(obj, tmp_path), obj)


@pytest.mark.parametrize("obj", [None, 3, 2.5, "text", [], (), {}, pybigml.tensor(7)], ids=repr)
def test_plain_values_round_trip(obj: Any, tmp_path: Path) -> None:
    assert_same_structure(round_trip(obj, tmp_path), obj)


def test_optimizer_state_dict_restores_int_keys_and_continues_identically(tmp_path: Path) -> None:
    def make() -> tuple[nn.Module, pybigml.optim.Optimizer]:
        pybigml.manual_seed(0)
        model = nn.Linear(3, 2)
        return model, pybigml.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, nesterov=True)

    def step(model: nn.Module, opt: pybigml.optim.Optimizer) -> None:
        opt.zero_grad()
        (model(pybigml.ones(4, 3)) ** 2).sum().backward()
        opt.step()

    model, opt = make()
    step(model, opt)
    state = {"model": model.state_dict(), "optimizer": opt.state_dict(), "epoch": 1}
    loaded = round_trip(state, tmp_path)
    assert_same_structure(loaded["optimizer"], opt.state_dict())
    assert sorted(loaded["optimizer"]["state"]) == [0, 1]  # int keys, as saved

    restored_model, restored_opt = make()
    restored_model.load_state_dict(loaded["model"])
    restored_opt.load_state_dict(loaded["optimizer"])
    step(model, opt)
    step(restored_model, restored_opt)
    for p, q in zip(model.parameters(), restored_model.parameters()):
        np.testing.assert_array_equal(p.detach().numpy(), q.detach().numpy())


def test_adam_like_state_keeps_tuples_and_tensor_steps(tmp_path: Path) -> None:
    state = {
        "state": {0: {"step": pybigml.tensor(3.0), "exp_avg": pybigml.randn(4)}, 7: {}},
        "param_groups": [{"lr": 1e-3, "betas": (0.9, 0.999), "amsgrad": False, "params": [0, 7]}],
    }
    assert_same_structure(round_trip(state, tmp_path), state)


def test_shared_memory_is_saved_as_separate_copies(tmp_path: Path) -> None:
    base = pybigml.arange(6.0).reshape(2, 3)
    loaded = round_trip({"base": base, "t": base.t(), "row": base[1]}, tmp_path)
    loaded["base"].add_(100)  # the loaded tensors do not share memory any more
    np.testing.assert_array_equal(loaded["t"].numpy(), np.arange(6.0).reshape(2, 3).T)
    np.testing.assert_array_equal(loaded["row"].numpy(), [3.0, 4.0, 5.0])


def test_parameters_load_as_plain_writable_tensors(tmp_path: Path) -> None:
    layer = nn.Linear(2, 2)
    loaded = round_trip(layer.state_dict(keep_vars=True), tmp_path)
    for name, tensor in loaded.items():
        assert type(tensor) is pybigml.Tensor and not tensor.requires_grad
        assert_same_tensor(tensor, getattr(layer, name))
        tensor.mul_(2)  # owns writable memory


def test_file_objects_and_plain_strings_work(tmp_path: Path) -> None:
    buffer = io.BytesIO()
    save({"a": pybigml.ones(3)}, buffer)
    buffer.seek(0)
    assert_same_structure(load(buffer), {"a": pybigml.ones(3)})
    path = str(tmp_path / "x.pt")
    save([1, 2], path)
    assert load(path) == [1, 2]


def test_map_location_forms(tmp_path: Path) -> None:
    obj = {"w": pybigml.ones(2)}
    for location in ("cpu", pybigml.device("cpu"), {"cpu": "cpu"}, None):
        assert round_trip(obj, tmp_path, map_location=location)["w"].device == pybigml.device("cpu")
    seen = []

    def double(tensor: pybigml.Tensor, saved: str) -> pybigml.Tensor:
        seen.append(saved)
        return tensor * 2

    assert round_trip(obj, tmp_path, map_location=double)["w"].tolist() == [2.0, 2.0]
    assert seen == ["cpu"]
    assert round_trip(obj, tmp_path, map_location=lambda t, s: None)["w"].tolist() == [1.0, 1.0]
    if not pybigml.cuda.is_available():
        with pytest.raises(RuntimeError, match="cuda"):
            round_trip(obj, tmp_path, map_location="cuda")


def test_checkpoint_is_a_safetensors_file_named_by_paths(tmp_path: Path) -> None:
    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    path = tmp_path / "model.safetensors"
    save({"model": model.state_dict(), "step": 5}, path)
    arrays = safetensors.numpy.load_file(path)
    assert sorted(arrays) == sorted(f"model.{k}" for k in model.state_dict())
    np.testing.assert_array_equal(arrays["model.0.weight"], model[0].weight.detach().numpy())


def test_a_plain_safetensors_file_loads_as_a_dict_of_tensors(tmp_path: Path) -> None:
    path = tmp_path / "plain.safetensors"
    arrays = {"b": np.arange(3, dtype=np.int32), "a": np.eye(2)}
    safetensors.numpy.save_file(arrays, path, metadata={"format": "pt"})
    loaded = load(path, map_location=lambda tensor, saved: tensor + 1)
    assert sorted(loaded) == ["a", "b"]
    loaded = {key: tensor - 1 for key, tensor in loaded.items()}
    for key, array in arrays.items():
        assert_same_tensor(loaded[key], pybigml.from_numpy(array))


# --------------------------------------------------------------------------- what save refuses


@pytest.mark.parametrize(
    ("obj", "match"),
    [
        ({"a": [1, {2}]}, r"type builtins\.set at obj\['a'\]\[1\]"),
        ({"x": np.zeros(2)}, r"numpy\.ndarray at obj\['x'\].*from_numpy"),
        ([print], r"builtin_function_or_method at obj\[0\]"),
        ({pybigml.ones(1): 1}, r"dict key of type Tensor"),
        ({(1, frozenset()): 1}, r"dict key of type frozenset"),
        (torch.ones(2), r"torch\.Tensor"),
    ],
)
def test_unsupported_objects_raise_type_error_naming_where(obj: Any, match: str, tmp_path: Path):
    with pytest.raises(TypeError, match=match):
        save(obj, tmp_path / "x")


def test_a_cycle_raises_value_error(tmp_path: Path) -> None:
    cycle: list[Any] = [1]
    cycle.append({"again": cycle})
    with pytest.raises(ValueError, match=r"obj\[1\]\['again'\] contains itself"):
        save(cycle, tmp_path / "x")


def test_missing_parent_directory(tmp_path: Path) -> None:
    with pytest.raises(RuntimeError, match="parent directory .*missing does not exist"):
        save(1, tmp_path / "missing" / "x")


# --------------------------------------------------------------------------- atomic writes


@pytest.fixture
def existing(tmp_path: Path) -> Path:
    path = tmp_path / "ckpt.safetensors"
    save({"w": pybigml.arange(4)}, path)
    return path


def assert_untouched(path: Path) -> None:
    assert load(path)["w"].tolist() == [0, 1, 2, 3]
    assert os.listdir(path.parent) == [path.name]  # no temporary file left behind


def test_a_failing_save_leaves_the_existing_file_intact(existing: Path) -> None:
    with pytest.raises(TypeError):
        save({"w": pybigml.ones(2), "bad": object()}, existing)
    assert_untouched(existing)


@pytest.mark.parametrize("interrupted", ["fsync", "replace"])
def test_an_interrupted_write_leaves_the_existing_file_intact(
    existing: Path, interrupted: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    def fail(*args: Any) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, interrupted, fail)
    with pytest.raises(OSError, match="disk full"):
        save({"w": pybigml.ones(2)}, existing)
    monkeypatch.undo()
    assert_untouched(existing)


def test_save_replaces_through_a_symlink(tmp_path: Path) -> None:
    target = tmp_path / "real.safetensors"
    link = tmp_path / "link.safetensors"
    save(1, target)
    link.symlink_to(target)
    save(2, link)
    assert link.is_symlink() and load(target) == 2


# --------------------------------------------------------------------------- broken files


@pytest.fixture
def checkpoint_bytes(existing: Path) -> bytes:
    return existing.read_bytes()


def header_length(data: bytes) -> int:
    return struct.unpack("<Q", data[:8])[0]


def write(tmp_path: Path, data: bytes) -> Path:
    path = tmp_path / "broken.safetensors"
    path.write_bytes(data)
    return path


def assert_load_error(path: Path, match: str) -> None:
    with pytest.raises(RuntimeError, match=match) as info:
        load(path)
    assert str(path) in str(info.value)


def test_missing_file_raises_file_not_found(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        load(tmp_path / "nothing")


@pytest.mark.parametrize(
    ("cut", "match"),
    [
        (lambda n: 0, "truncated or empty"),
        (lambda n: 8, "truncated or empty"),
        (lambda n: 8 + n // 2, "truncated inside its header"),
        (lambda n: 8 + n + 5, "truncated: the header describes 32 bytes of tensor data"),
    ],
    ids=["empty", "in-length", "in-header", "in-data"],
)
def test_truncated_files(checkpoint_bytes: bytes, cut: Any, match: str, tmp_path: Path) -> None:
    data = checkpoint_bytes[: cut(header_length(checkpoint_bytes))]
    assert_load_error(write(tmp_path, data), match)


def test_flipped_bit_in_tensor_data_fails_the_crc(checkpoint_bytes: bytes, tmp_path: Path) -> None:
    data = bytearray(checkpoint_bytes)
    data[-3] ^= 0x10
    assert_load_error(write(tmp_path, bytes(data)), r"tensor 'w' .*fails its CRC-32 check")


def test_corrupted_header_and_structure(checkpoint_bytes: bytes, tmp_path: Path) -> None:
    n = header_length(checkpoint_bytes)
    header = checkpoint_bytes[8 : 8 + n]
    body = checkpoint_bytes[8 + n :]

    def with_header(text: bytes) -> bytes:
        return struct.pack("<Q", len(text)) + text + body

    assert_load_error(write(tmp_path, with_header(header.replace(b'"', b"'", 3))), "not valid JSON")
    parsed = json.loads(header)
    parsed["__metadata__"]["pybigml_structure"] = '{"dict": [["w", {"tensor": "zz"}]]'
    assert_load_error(write(tmp_path, with_header(json.dumps(parsed).encode())), "not JSON")
    parsed["__metadata__"]["pybigml_structure"] = '{"dict": [["w", {"tensor": "zz"}]]}'
    assert_load_error(
        write(tmp_path, with_header(json.dumps(parsed).encode())), "missing or reused"
    )
    for malformed in ('{"set": [1]}', '{"dict": [[{"list": [1]}, 2]]}', '{"dtype": "int3"}'):
        parsed["__metadata__"]["pybigml_structure"] = malformed
        assert_load_error(write(tmp_path, with_header(json.dumps(parsed).encode())), "malformed")
    parsed["__metadata__"]["pybigml_format_version"] = "2"
    assert_load_error(write(tmp_path, with_header(json.dumps(parsed).encode())), "newer pybigml")
    assert_load_error(write(tmp_path, checkpoint_bytes + b"\0\0"), "2 unexpected bytes")


@pytest.mark.parametrize(
    "data",
    [b"hello, this is a text file\n", b"\x93NUMPY\x01\x00v\x00{'descr': '<f8'}" + b" " * 64],
    ids=["text", "npy"],
)
def test_foreign_files_are_not_safetensors(data: bytes, tmp_path: Path) -> None:
    assert_load_error(write(tmp_path, data), "not a safetensors file")


def test_unsupported_safetensors_dtype(tmp_path: Path) -> None:
    path = tmp_path / "u32.safetensors"
    safetensors.numpy.save_file({"x": np.arange(3, dtype=np.uint32)}, path)
    assert_load_error(path, "tensor 'x' has dtype U32, which pybigml does not support")


def test_other_zip_archives_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "arrays.npz"
    np.savez(path, a=np.ones(2))
    assert_load_error(path, "a zip archive, not a safetensors file")
    assert_load_error(write(tmp_path, path.read_bytes()[:30]), "zip archive that cannot be read")


@pytest.mark.parametrize("zip_format", [True, False], ids=["zip", "legacy"])
def test_torch_save_checkpoints_are_refused_with_a_conversion_hint(
    zip_format: bool, tmp_path: Path
) -> None:
    path = tmp_path / "model.pt"
    torch.save({"w": torch.ones(2)}, path, _use_new_zipfile_serialization=zip_format)
    kind = "zip format" if zip_format else "legacy format"
    with pytest.raises(RuntimeError) as info:
        load(path)
    message = str(info.value)
    assert str(path) in message and f"PyTorch pickle checkpoint (torch.save's {kind})" in message
    assert "arbitrary code execution" in message and "safetensors.torch.save_file" in message


class _Exploit:
    """Unpickling this would create the file named in ``marker``."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> Any:
        return (Path.touch, (self.marker,))


def test_a_pickle_is_never_unpickled(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    path = write(tmp_path, pickle.dumps(_Exploit(marker)))
    with zipfile.ZipFile(tmp_path / "torchlike.pt", "w") as archive:  # torch.save's layout
        archive.writestr("archive/data.pkl", pickle.dumps(_Exploit(marker)))
    assert_load_error(path, "a Python pickle")
    assert_load_error(tmp_path / "torchlike.pt", "PyTorch pickle checkpoint")
    assert not marker.exists()


# --------------------------------------------------------------------------- PyTorch interop


def mlp_pair() -> tuple[nn.Module, Any]:
    pybigml.manual_seed(1)
    torch.manual_seed(2)  # different initial weights: equal outputs must come from loading
    ours = nn.Sequential(nn.Linear(5, 8), nn.ReLU(), nn.Linear(8, 3))
    theirs = torch.nn.Sequential(torch.nn.Linear(5, 8), torch.nn.ReLU(), torch.nn.Linear(8, 3))
    return ours, theirs


def assert_same_outputs(ours: nn.Module, theirs: Any) -> None:
    x = np.random.default_rng(0).standard_normal((6, 5)).astype(np.float32)
    with torch.no_grad():
        expected = theirs(torch.from_numpy(x)).numpy()
    actual = ours(pybigml.from_numpy(x)).detach().numpy()
    # float32 sums of 5 and 8 products: the two GEMMs may round differently in the last bit.
    np.testing.assert_allclose(actual, expected, rtol=1e-5, atol=1e-6)


def test_pybigml_checkpoint_loads_into_torch(tmp_path: Path) -> None:
    ours, theirs = mlp_pair()
    path = tmp_path / "mlp.safetensors"
    save(ours.state_dict(), path)
    theirs.load_state_dict({k: torch.from_numpy(v.numpy()) for k, v in load(path).items()})
    assert_same_outputs(ours, theirs)
    # The file also opens directly with safetensors' PyTorch reader, names and all.
    _, fresh = mlp_pair()
    fresh.load_state_dict(safetensors_torch.load_file(path))
    assert_same_outputs(ours, fresh)


def test_torch_checkpoint_loads_into_pybigml(tmp_path: Path) -> None:
    ours, theirs = mlp_pair()
    path = tmp_path / "mlp.safetensors"
    save({k: pybigml.from_numpy(v.numpy()) for k, v in theirs.state_dict().items()}, path)
    ours.load_state_dict(load(path))
    assert_same_outputs(ours, theirs)
    # The conversion path the refusal message suggests: safetensors.torch, then pybigml.load.
    fresh, _ = mlp_pair()
    safetensors_torch.save_file(theirs.state_dict(), tmp_path / "torch.safetensors")
    fresh.load_state_dict(load(tmp_path / "torch.safetensors"))
    assert_same_outputs(fresh, theirs)
