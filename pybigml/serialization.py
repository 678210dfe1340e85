"""``save`` and ``load``: checkpoints of tensors and nested containers, in the safetensors format.

A checkpoint is a plain safetensors file, so any safetensors reader opens it::

    8-byte little-endian header length | JSON header | the tensors' bytes, back to back

The header lists each tensor (dtype, shape, byte range) under its name: the path of keys
that leads to it in the saved object (``"fc1.weight"`` in a model's state dict,
``"state.0.momentum_buffer"`` in an optimizer's). The header's ``__metadata__`` (a str -> str
map) holds everything else:

* ``"pybigml_format_version"``: ``"1"``, which marks the file as a pybigml checkpoint;
* ``"pybigml_structure"``: the saved object as JSON, each tensor replaced by a reference
  to its name (plus its device and a CRC-32 of its bytes, so corrupted data is caught).

JSON has neither tuples nor non-string keys, so every container is tagged with its type
and a dict is stored as a list of ``[key, value]`` pairs; an optimizer's ``{0: {...}}``
comes back with the int key ``0`` and its ``betas`` as a tuple.

Why not pickle, as ``torch.save`` does: unpickling runs whatever code the file names, so
loading a checkpoint from an untrusted source could take over the machine. Loading a
safetensors file only parses JSON and copies bytes. A file written by ``torch.save`` is
therefore refused, with a note on how to convert it.
"""

from __future__ import annotations

import io
import json
import math
import os
import secrets
import struct
import zipfile
import zlib
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

import numpy as np
import safetensors
import safetensors.numpy

from ._device import device
from ._dtype import _ALL as _ALL_DTYPES
from ._dtype import dtype
from ._tensor import Size, Tensor

FORMAT_VERSION = 1
_VERSION_KEY = "pybigml_format_version"
_STRUCTURE_KEY = "pybigml_structure"

#: the safetensors dtypes pybigml has a dtype for
_SAFETENSORS_DTYPES = {"BOOL", "U8", "I8", "I16", "I32", "I64", "F16", "F32", "F64"}

# What ``torch.save`` writes: a zip archive (PyTorch >= 1.6) or, in the legacy format, a
# pickle (protocol opcode 0x80) whose first object is this magic number as a LONG1 (0x8a).
_ZIP_MAGIC = b"PK\x03\x04"
_PICKLE_PROTO = 0x80
_TORCH_LEGACY_MAGIC = b"\x8a\x0a" + (0x1950A86A20F9469CFC6C).to_bytes(10, "little")

# The containers save accepts (exact types: a subclass may carry state JSON can't hold).
_CONTAINER_TAGS = {
    list: "list",
    tuple: "tuple",
    Size: "Size",
    dict: "dict",
    OrderedDict: "OrderedDict",
}
_CONTAINER_TYPES = {tag: container for container, tag in _CONTAINER_TAGS.items()}
_DTYPES = {d.name: d for d in _ALL_DTYPES}

FileLike = str | os.PathLike | IO[bytes]
MapLocation = str | device | dict | Callable[[Tensor, str], Any] | None


class _Corrupt(Exception):
    """A problem with a file's contents; ``load`` reports it as a RuntimeError naming the file."""


# ----------------------------------------------------------------------------- save


def save(obj: Any, f: FileLike) -> None:
    """Save tensors and nested dicts/lists/tuples of them (a ``state_dict``) to a file.

    Supported objects: pybigml tensors (``nn.Parameter`` included), dtypes, ``None``, bool,
    int, float, str, and lists, tuples, ``Size``\\ s, dicts and ``OrderedDict``\\ s of these,
    nested to any depth. Dict keys may be None, bool, int, float, str or tuples of these.

    Each tensor is stored as a contiguous copy of its values: tensors that share memory
    (views, tied weights) are saved, and loaded, as separate tensors. ``requires_grad`` and
    gradients are not stored.

    A path is written atomically: the bytes go to a temporary file in the same directory,
    which is flushed to disk and then renamed over ``f``, so an interrupted or failed save
    leaves an existing file as it was. An unsupported object raises before anything is
    written.

    Args:
        obj: what to save.
        f: a path, or a binary file object opened for writing (written in place).

    Raises:
        TypeError: ``obj`` holds an object of an unsupported type (the message gives
            where, e.g. ``obj['state'][0]['step']``).
        ValueError: ``obj`` contains itself.
        RuntimeError: the parent directory of ``f`` does not exist.

    Example::

        >>> model = pybigml.nn.Linear(3, 2)
        >>> pybigml.save(model.state_dict(), "model.safetensors")
        >>> model.load_state_dict(pybigml.load("model.safetensors"))
        <All keys matched successfully>
    """
    arrays: dict[str, np.ndarray] = {}
    structure = _encode(obj, [], arrays, active=set())
    metadata = {
        _VERSION_KEY: str(FORMAT_VERSION),
        _STRUCTURE_KEY: json.dumps(structure, allow_nan=False, separators=(",", ":")),
    }
    payload = safetensors.numpy.save(arrays, metadata=metadata)
    if hasattr(f, "write"):
        f.write(payload)
    else:
        _write_atomically(Path(os.path.realpath(f)), payload)


def _encode(obj: Any, where: list[Any], arrays: dict[str, np.ndarray], active: set[int]) -> Any:
    """The JSON node of ``obj``; tensors found on the way are added to ``arrays``.

    ``where`` is the list of keys/indexes from the root to ``obj`` (for names and errors);
    ``active`` holds the ids of the containers being encoded, to catch cycles.
    """
    if obj is None or isinstance(obj, (bool, int, str)):
        return obj
    if isinstance(obj, float):
        # JSON has no inf/nan; these are tagged and spelled as Python's float() reads them.
        return obj if math.isfinite(obj) else {"float": repr(obj)}
    if isinstance(obj, Tensor):
        array = np.require(obj.detach().cpu().numpy(), requirements="C")
        name = _tensor_name(where, arrays)
        arrays[name] = array
        return {"tensor": name, "device": str(obj.device), "crc32": zlib.crc32(array)}
    if isinstance(obj, dtype):
        return {"dtype": obj.name}
    tag = _CONTAINER_TAGS.get(type(obj))
    if tag is None:
        raise TypeError(
            f"save: can't save an object of type {type(obj).__module__}.{type(obj).__qualname__}"
            f" at {_where(where)}; pybigml.save stores pybigml tensors and dtypes, None, bool, "
            "int, float, str, and lists, tuples and dicts of them (convert numpy arrays with "
            "pybigml.from_numpy, numpy scalars with .item())"
        )
    if id(obj) in active:
        raise ValueError(f"save: {_where(where)} contains itself (a reference cycle)")
    active.add(id(obj))
    if isinstance(obj, dict):
        payload: list[Any] = [
            [_encode_key(key, where), _encode(value, [*where, key], arrays, active)]
            for key, value in obj.items()
        ]
    else:
        payload = [_encode(item, [*where, i], arrays, active) for i, item in enumerate(obj)]
    active.discard(id(obj))
    return {tag: payload}


def _encode_key(key: Any, where: list[Any]) -> Any:
    """The JSON node of a dict key: None, bool, int, float, str, or a tuple of these."""
    if type(key) is tuple:
        return {"tuple": [_encode_key(part, where) for part in key]}
    if key is None or isinstance(key, (bool, int, float, str)):
        return _encode(key, where, {}, set())
    raise TypeError(
        f"save: can't save a dict key of type {type(key).__qualname__} at {_where(where)}; "
        "keys may be None, bool, int, float, str or tuples of these"
    )


def _tensor_name(where: list[Any], arrays: dict[str, np.ndarray]) -> str:
    """The dotted path to a tensor (``"fc1.weight"``), made unique if two paths spell the same."""
    base = ".".join(str(part) for part in where) or "tensor"
    name, suffix = base, 1
    while name in arrays or name == "__metadata__":
        name, suffix = f"{base}#{suffix}", suffix + 1
    return name


def _where(where: list[Any]) -> str:
    return "obj" + "".join(f"[{part!r}]" for part in where)


def _write_atomically(path: Path, payload: bytes) -> None:
    """Write ``payload`` to ``path`` through a temporary file and a rename (see ``save``)."""
    directory = path.parent
    if not directory.is_dir():
        raise RuntimeError(f"save: parent directory {directory} does not exist")
    tmp = directory / f".{path.name}.{secrets.token_hex(8)}.tmp"
    # os.open with mode 0o666 lets the umask decide the permissions, as open() would.
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666)
    try:
        with open(fd, "wb") as out:
            out.write(payload)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    if os.name == "posix":  # make the rename itself durable
        dir_fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)


# ----------------------------------------------------------------------------- load


def load(f: FileLike, map_location: MapLocation = None, *, weights_only: bool = True) -> Any:
    """Load what ``save`` wrote; also reads any safetensors file as a dict of tensors.

    Loading never runs code from the file: the format holds only JSON and raw tensor
    bytes, so ``weights_only`` (``True`` by default, as in PyTorch) changes nothing. The
    tensors come back as plain tensors (an ``nn.Parameter`` was saved as its values) that
    do not require grad, and own their memory. A safetensors file not written by pybigml
    (e.g. by ``safetensors.torch.save_file``) loads as ``{name: tensor}``.

    Args:
        f: a path, or a binary file object opened for reading.
        map_location: where to put the tensors: ``None`` (the device each was saved from),
            a device or device string, a dict mapping saved device strings to new ones, or
            a function ``(tensor, saved_device) -> tensor or None`` (``None`` keeps the
            default placement).
        weights_only: accepted for PyTorch compatibility; see above.

    Returns:
        The saved object, with dicts, ``OrderedDict``\\ s, lists and tuples as they were
        and dict keys of their original types.

    Raises:
        FileNotFoundError: ``f`` does not exist.
        RuntimeError: the file is truncated, corrupted (including tensor data that fails
            its CRC-32), not a safetensors file, a PyTorch pickle checkpoint, or holds a
            dtype pybigml does not have; the message names the file and the problem.

    Example::

        >>> pybigml.save({"w": pybigml.ones(2), "step": 3}, "ckpt.safetensors")
        >>> pybigml.load("ckpt.safetensors", map_location="cpu")
        {'w': tensor([1., 1.]), 'step': 3}
    """
    if hasattr(f, "read"):
        name, data = repr(getattr(f, "name", type(f).__name__)), f.read()
    else:
        name, data = str(f), Path(f).read_bytes()
    try:
        _refuse_pickles(data)
        header = _read_header(data)
        arrays = safetensors.numpy.load(data)
        place = _placement(map_location)
        metadata = header.get("__metadata__") or {}
        if _VERSION_KEY not in metadata:
            return {
                key: place(Tensor._make(_owned(arrays[key])), "cpu")
                for key in header
                if key != "__metadata__"
            }
        version = metadata[_VERSION_KEY]
        if version != str(FORMAT_VERSION):
            raise _Corrupt(
                f"it has pybigml format version {version!r}; this pybigml reads version "
                f"{FORMAT_VERSION} (the file was written by a newer pybigml, or is corrupted)"
            )
        try:
            structure = json.loads(metadata[_STRUCTURE_KEY])
        except (KeyError, json.JSONDecodeError) as exc:
            raise _Corrupt(f"its structure metadata is missing or not JSON ({exc})") from None
        referenced: set[str] = set()
        obj = _decode(structure, [], arrays, referenced, place)
        if referenced != set(arrays):
            unused = sorted(set(arrays) - referenced)
            raise _Corrupt(f"tensors {unused} are not referenced by its structure")
        return obj
    except _Corrupt as exc:
        raise RuntimeError(f"load: {name} is not a valid pybigml checkpoint: {exc}") from None
    except safetensors.SafetensorError as exc:
        raise RuntimeError(f"load: {name} is a corrupted safetensors file ({exc})") from None


def _refuse_pickles(data: bytes) -> None:
    """Raise for files written by ``torch.save`` (zip or legacy pickle) and other pickles."""
    why = (
        "pybigml never unpickles, because unpickling runs whatever code the file names "
        "(arbitrary code execution). Convert it once with PyTorch: "
        "sd = torch.load(path, weights_only=True); "
        "safetensors.torch.save_file({k: v.contiguous() for k, v in sd.items()}, "
        "'model.safetensors'); pybigml.load('model.safetensors') then returns that dict"
    )
    if data.startswith(_ZIP_MAGIC):
        try:
            names = zipfile.ZipFile(io.BytesIO(data)).namelist()
        except (zipfile.BadZipFile, OSError) as exc:
            raise _Corrupt(f"it is a zip archive that cannot be read ({exc})") from None
        if any(n == "data.pkl" or n.endswith("/data.pkl") for n in names):
            raise _Corrupt(f"it is a PyTorch pickle checkpoint (torch.save's zip format). {why}")
        raise _Corrupt("it is a zip archive, not a safetensors file")
    if len(data) >= 2 and data[0] == _PICKLE_PROTO and data[1] <= 5:
        if data[2:14] == _TORCH_LEGACY_MAGIC:
            raise _Corrupt(f"it is a PyTorch pickle checkpoint (torch.save's legacy format). {why}")
        raise _Corrupt(f"it is a Python pickle, not a safetensors file. {why}")


def _read_header(data: bytes) -> dict[str, Any]:
    """The safetensors JSON header, after checking the lengths the file's layout implies."""
    if len(data) < 9:
        raise _Corrupt(
            f"it is truncated or empty ({len(data)} bytes; a safetensors file starts with an "
            "8-byte header length and a JSON header)"
        )
    (header_len,) = struct.unpack("<Q", data[:8])
    if data[8:9] != b"{":
        raise _Corrupt(f"it is not a safetensors file (it starts with {data[:16]!r})")
    if 8 + header_len > len(data):
        raise _Corrupt(
            f"it is truncated inside its header ({len(data)} bytes, the header alone needs "
            f"{8 + header_len})"
        )
    try:
        header = json.loads(data[8 : 8 + header_len])
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise _Corrupt(f"its header is not valid JSON ({exc})") from None
    if not isinstance(header, dict):
        raise _Corrupt("its header is not a JSON object")
    tensors = {key: info for key, info in header.items() if key != "__metadata__"}
    try:
        data_len = max((int(info["data_offsets"][1]) for info in tensors.values()), default=0)
        dtypes = {key: info["dtype"] for key, info in tensors.items()}
    except (TypeError, KeyError, IndexError, ValueError):
        raise _Corrupt("its header has a tensor entry without dtype or data_offsets") from None
    available = len(data) - 8 - header_len
    if available < data_len:
        raise _Corrupt(
            f"it is truncated: the header describes {data_len} bytes of tensor data, the file "
            f"holds {available}"
        )
    if available > data_len:
        raise _Corrupt(f"it has {available - data_len} unexpected bytes after its tensor data")
    for key, stored_dtype in dtypes.items():
        if stored_dtype not in _SAFETENSORS_DTYPES:
            raise _Corrupt(
                f"tensor {key!r} has dtype {stored_dtype}, which pybigml does not support "
                f"(supported: {', '.join(sorted(_SAFETENSORS_DTYPES))})"
            )
    return header


def _owned(array: np.ndarray) -> np.ndarray:
    """A writable array: safetensors gives each tensor its own writable buffer, but a
    version that hands out read-only views must not give pybigml read-only tensors."""
    return array if array.flags.writeable else array.copy()


def _placement(map_location: MapLocation) -> Callable[[Tensor, str], Tensor]:
    """The function that moves a loaded tensor from its saved device as ``map_location`` says."""
    if callable(map_location):
        function = map_location

        def place(tensor: Tensor, saved: str) -> Tensor:
            moved = function(tensor, saved)
            return tensor.to(saved) if moved is None else moved

        return place
    if isinstance(map_location, dict):
        return lambda tensor, saved: tensor.to(map_location.get(saved, saved))
    if map_location is None:
        return lambda tensor, saved: tensor.to(saved)
    target = device(map_location)
    return lambda tensor, saved: tensor.to(target)


def _decode(
    node: Any,
    where: list[Any],
    arrays: dict[str, np.ndarray],
    referenced: set[str],
    place: Callable[[Tensor, str], Tensor],
) -> Any:
    """Rebuild the object of a JSON node written by ``_encode``."""
    if node is None or isinstance(node, (bool, int, float, str)):
        return node
    if isinstance(node, dict) and len(node) >= 1:
        tag = next(iter(node))
        payload = node[tag]
        if tag == "tensor":
            return _decode_tensor(node, where, arrays, referenced, place)
        if tag == "float" and payload in ("inf", "-inf", "nan"):
            return float(payload)
        if tag == "dtype" and isinstance(payload, str) and payload in _DTYPES:
            return _DTYPES[payload]
        container = _CONTAINER_TYPES.get(tag)
        if container is not None and isinstance(payload, list) and not issubclass(container, dict):
            return container(
                _decode(item, [*where, i], arrays, referenced, place)
                for i, item in enumerate(payload)
            )
        if container is not None and isinstance(payload, list):
            result = container()
            for pair in payload:
                key = _decode_key(pair, where, place)
                result[key] = _decode(pair[1], [*where, key], arrays, referenced, place)
            return result
    raise _Corrupt(f"the structure at {_where(where)} is malformed ({str(node)[:80]})")


def _decode_key(pair: Any, where: list[Any], place: Callable[[Tensor, str], Tensor]) -> Any:
    """The key of a dict item ``[key, value]``, checked to be hashable."""
    if isinstance(pair, list) and len(pair) == 2:
        key = _decode(pair[0], where, {}, set(), place)
        try:
            hash(key)
        except TypeError:
            pass
        else:
            return key
    raise _Corrupt(f"the structure at {_where(where)} has a malformed dict item")


def _decode_tensor(
    node: dict[str, Any],
    where: list[Any],
    arrays: dict[str, np.ndarray],
    referenced: set[str],
    place: Callable[[Tensor, str], Tensor],
) -> Tensor:
    key, saved_device, crc = node.get("tensor"), node.get("device"), node.get("crc32")
    if key not in arrays or not isinstance(saved_device, str) or key in referenced:
        raise _Corrupt(f"the structure at {_where(where)} refers to a missing or reused tensor")
    array = _owned(arrays[key])
    if zlib.crc32(array) != crc:
        raise _Corrupt(
            f"the data of tensor {key!r} ({_where(where)}) fails its CRC-32 check (corrupted data)"
        )
    referenced.add(key)
    try:
        device(saved_device)
    except (RuntimeError, ValueError):
        raise _Corrupt(f"tensor {key!r} has an unknown device {saved_device!r}") from None
    return place(Tensor._make(array), saved_device)
