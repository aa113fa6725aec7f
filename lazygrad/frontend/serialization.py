"""lg.save / lg.load: checkpoints in the safetensors format, through the `safetensors` library.

The library checks what a file claims before anything is read (offsets that overlap, run
backwards or leave gaps, shapes that disagree with the bytes, trailing bytes, a header longer
than the file, unknown dtypes, metadata that is not a map of strings); every such file, and
every other file that is no checkpoint, raises CheckpointError naming the file and the fault.

Anything more than a flat dict of tensors keeps its structure as JSON in the file's metadata
(frontend/checkpoint_structure.py); its tensors are ordinary entries of the file. A state_dict's
`_metadata` (module versions) goes in the file's metadata too, as JSON under "_metadata", and
comes back as the loaded OrderedDict's `_metadata`; torch code reading the file with the
safetensors library finds it there (and a file torch code writes so loads here with it).

Saving hands each tensor's little-endian bytes to `serialize_file` with its dtype named
(numpy has no bfloat16: its buffers' 16-bit patterns go as they are), into a temporary file
that replaces the destination once it is on disk (runtime/disk_cache.py's atomic_path). The
library writes tensors sorted by dtype and name; a flat dict's own key order goes in the
metadata (ORDER), so it loads back in the order it was saved in, as torch's does.

Loading takes one tensor at a time from `safe_open` straight into a device buffer. Measured
on a 201 MB file of eight float32 tensors (c, python and opencl devices alike), the peak RSS
above the process's baseline is 1.13x the file's size (the file plus its largest tensor);
reading the whole file and copying it twice, as lazygrad's own reader did, peaked at 2.37x,
and the library's default mmap backend at 2.12x (the mapped pages count until the file is
closed), hence its pread backend. Two things the library cannot do are done here, on the
header it has validated: refusing two entries with one name (its JSON map keeps the last),
and reading BF16 tensors' bytes (its numpy API has no bfloat16).
"""
from __future__ import annotations

import io
import json
import os
import pickle
import stat
import struct
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from typing import BinaryIO

import numpy as np
from safetensors import SafetensorError, TensorSpec, deserialize, safe_open, serialize, serialize_file

from lazygrad import dtypes
from lazygrad.config import settings
from lazygrad.dtypes import DType
from lazygrad.engine.realize import buffer_node
from lazygrad.errors import LazygradError, user_stacklevel
from lazygrad.frontend.checkpoint_pickle import (
    OBJECT_PREFIX,
    PICKLE,
    PICKLE_FAILURES,
    PICKLE_ONLY,
    pickled,
    unpickled,
)
from lazygrad.frontend.checkpoint_structure import (
    METADATA,
    ORDER,
    STRUCTURE,
    flatten,
    in_order,
    metadata_json,
    order_json,
    rebuild,
    with_metadata,
)
from lazygrad.frontend.complex_dtypes import complex64, complex128
from lazygrad.frontend.complex_tensor import wrap
from lazygrad.frontend.tensor import Tensor
from lazygrad.frontend.torch_device import resolve_device
from lazygrad.runtime.buffer import Buffer
from lazygrad.runtime.disk_cache import atomic_path
from lazygrad.runtime.meta import MetaDataError, is_meta
from lazygrad.runtime.registry import get_device

# the format's dtype codes; the library names dtypes as lazygrad does (TensorSpec(dtype="bfloat16"))
_BY_CODE: dict[str, DType] = {
    "BOOL": dtypes.bool_, "U8": dtypes.uint8, "I8": dtypes.int8, "I16": dtypes.int16,
    "U16": dtypes.uint16, "I32": dtypes.int32, "U32": dtypes.uint32, "I64": dtypes.int64,
    "U64": dtypes.uint64, "F16": dtypes.float16, "BF16": dtypes.bfloat16, "F32": dtypes.float32,
    "F64": dtypes.float64, "C64": complex64}  # (the format has no complex128)
_TRIES = 3  # opens of a file that another process's save keeps replacing (see load)


class CheckpointError(LazygradError, ValueError, RuntimeError):
    """A file lg.load cannot read. torch.load raises RuntimeError for a corrupt file, and
    lazygrad's own reader raised ValueError (code may catch either), so this is both."""


def _tensors_of(obj) -> tuple[dict[str, Tensor], str | None]:
    """(the tensors to write by name, the structure of anything more than a flat dict of
    tensors: frontend/checkpoint_structure.py)."""
    if isinstance(obj, dict) and all(isinstance(k, str) and isinstance(v, Tensor) for k, v in obj.items()):
        if "__metadata__" in obj:
            raise ValueError("save: '__metadata__' is the format's own key; name the tensor otherwise "
                             "(metadata goes in save's metadata argument)")
        return obj, None
    return flatten(obj)


def _file_bytes(t: Tensor) -> np.ndarray:
    """A tensor's values as the file holds them: contiguous little-endian, bfloat16 as bits."""
    if t.dtype == complex128:
        raise TypeError("save: the safetensors format has no complex128 (it has complex64: save "
                        "t.to(lg.complex64), or lg.view_as_real(t), a float64 tensor)")
    if is_meta(t.device):  # (torch.save keeps a meta tensor's shape; a safetensors entry is its bytes)
        raise MetaDataError("save: a meta tensor has no data to write, and lazygrad's checkpoints hold values; "
                            "give the model memory first (Module.to_empty, load_state_dict(..., assign=True))")
    values = t.detach().numpy()
    if t.dtype == dtypes.bfloat16:
        return dtypes.bf16_bits(values).astype("<u2", copy=False)
    return np.ascontiguousarray(values, dtype=t.dtype.np.newbyteorder("<"))


def save(obj, f, pickle_module=None, pickle_protocol: int | None = None, _use_new_zipfile_serialization: bool = True,
         _disable_byteorder_record: bool = False, *, metadata: dict[str, str] | None = None) -> None:
    """Save a Module (its state_dict, and the module itself for a weights_only=False load), a
    dict of tensors, or dicts, lists and tuples of tensors, numbers, strings and None (torch's
    general checkpoint), or any other object pickle can hold (frontend/checkpoint_pickle.py),
    to f (a path or a file object), atomically: a reader sees the old file or the new one, and
    a save that fails leaves the old one. pickle_protocol is that of the pickle inside (torch's
    other options choose its zip layout, which a safetensors file has not)."""
    path, protocol = f, pickle_protocol
    whole = None
    if hasattr(obj, "state_dict") and callable(obj.state_dict) and not isinstance(obj, dict):
        whole, obj = obj, obj.state_dict()
    try:
        tensors, structure = _tensors_of(obj)
    except TypeError as refused:  # an object inside that only pickle describes
        tensors = {}
        own = {PICKLE_ONLY: "1", PICKLE: _pickled(obj, tensors, {}, refused, protocol)}
    else:
        own = {STRUCTURE: structure} if structure is not None else {METADATA: metadata_json(obj),
                                                                     ORDER: order_json(obj) if len(obj) > 1 else None}
        if whole is not None:
            tensors = dict(tensors)
            try:
                own[PICKLE] = _pickled(whole, tensors, _held(whole), None, protocol)
            except PICKLE_FAILURES:
                pass  # (a module pickle cannot hold, a local class: its state_dict alone, as torch's weights)
    arrays = {name: _file_bytes(t) for name, t in tensors.items()}  # kept alive while written
    specs = {name: TensorSpec(dtype=t.dtype.name, shape=list(t.shape), data_ptr=arrays[name].ctypes.data,
                              data_len=arrays[name].nbytes) for name, t in tensors.items()}
    meta = {str(k): str(v) for k, v in metadata.items()} if metadata else None
    taken = next((k for k in (STRUCTURE, METADATA, ORDER, PICKLE, PICKLE_ONLY) if meta and k in meta), None)
    if taken is not None:
        raise ValueError(f"save: the metadata key {taken!r} is lazygrad's own (the object's "
                         f"{'state_dict _metadata' if taken == METADATA else 'structure'})")
    own = {k: v for k, v in own.items() if v is not None}
    if own:
        meta = {**(meta or {}), **own}
    if hasattr(path, "write"):  # a file object (torch.save(obj, f)): the bytes, written to it
        path.write(serialize(specs, metadata=meta))
        return
    path = os.fspath(path)
    with atomic_path(path, os.path.splitext(path)[1]) as tmp:  # durable: fsync before the rename
        mode = stat.S_IMODE(os.stat(tmp).st_mode)
        serialize_file(specs, tmp, metadata=meta)
        os.chmod(tmp, mode)  # (the library renames a 0600 file of its own over tmp)


def _held(whole) -> dict:
    """A module's parameters and buffers as objects, by their state_dict keys (state_dict()
    detaches them, and the pickle meets the objects); {} for an optimizer (no keep_vars)."""
    try:
        return whole.state_dict(keep_vars=True)
    except TypeError:
        return {}


def _pickled(obj, tensors: dict[str, Tensor], held: dict, refused: TypeError | None, protocol: int | None) -> str:
    """obj's pickle, tensors extended by the entries it names (a tensor in `tensors` or in
    `held` under a name of the file is that entry); a pickle that fails leaves tensors as they
    were, and raises the structure's refusal where there was one."""
    names = {id(t): name for name, t in tensors.items()}
    names.update({id(t): name for name, t in held.items() if isinstance(t, Tensor) and name in tensors})
    extra: dict[str, Tensor] = {}
    try:
        data = pickled(obj, extra, names, protocol)
    except PICKLE_FAILURES as e:
        if refused is not None:
            raise TypeError(f"{refused} (nor could it be pickled: {e})") from e
        raise
    tensors.update(extra)
    return data


def _load_device(device: str | None, map_location) -> str:
    if map_location is not None:
        if device is not None:
            raise TypeError("load: pass device or map_location, not both")
        if not isinstance(map_location, str):
            raise TypeError(f"load: map_location must be a device name, got {type(map_location).__name__} "
                            "(a dict or a function is not supported)")
        device = map_location
    device = resolve_device(device)
    get_device(device)  # (an unknown device fails here, even for a file without tensors)
    return device


@contextmanager
def _reading(path: str) -> Iterator[None]:
    try:
        yield
    except SafetensorError as e:
        reason = str(e).removeprefix("Error while deserializing header: ")
        raise CheckpointError(f"{path}: not a safetensors file ({reason})") from e


def _header(raw: BinaryIO, path: str) -> tuple[int, dict]:
    """(where the tensor bytes start, the header in the file's order). The library has
    validated it, except for a name given twice (its JSON map keeps the last): refused here."""
    def unique(pairs: list) -> dict:
        names = [k for k, _ in pairs]
        twice = next((k for k in names if names.count(k) > 1), None)
        if twice is not None:
            raise CheckpointError(f"{path}: not a safetensors file (the header has two entries "
                                  f"named {twice!r})")
        return dict(pairs)

    raw.seek(0)
    (n,) = struct.unpack("<Q", raw.read(8))
    return 8 + n, json.loads(raw.read(n), object_pairs_hook=unique)


def _to_device(values: np.ndarray, dt: DType, shape: tuple[int, ...], device: str) -> Tensor:
    """One tensor's values straight into a new device buffer (Tensor(array) without its copies);
    a complex tensor's as its (re, im) pairs."""
    if dt == complex64:
        pairs = np.ascontiguousarray(values, dtype="<c8").view("<f4")
        return wrap(_to_device(pairs, dtypes.float32, (*shape, 2), device))
    data = np.ascontiguousarray(values, dtype=dtypes.storage_np(dt)).reshape(-1)
    buf = Buffer(device, data.size, dt)
    get_device(device).allocator.copyin(buf.handle, memoryview(data.view(np.uint8)))
    buf.storage.owned = True
    return Tensor(buffer_node(buf, shape))


def _entries(header: dict, path: str) -> Iterator[tuple[str, dict, DType]]:
    """(name, header entry, lazygrad dtype) of each tensor, in the file's order."""
    for name, info in header.items():
        if name == "__metadata__":
            continue
        dt = _BY_CODE.get(info["dtype"])
        if dt is None:
            raise CheckpointError(f"{path}: tensor {name!r} is {info['dtype']}, a dtype lazygrad does not "
                                  f"have (it reads {', '.join(_BY_CODE)})")
        yield name, info, dt


def _object(header: dict, tensors: dict[str, Tensor], path: str, weights_only: bool | None):
    """The saved object: unpickled (weights_only=False), its structure rebuilt, or the dict of
    tensors a flat file holds."""
    meta = header.get("__metadata__") or {}
    if PICKLE in meta:
        if weights_only is False:
            return unpickled(meta[PICKLE], tensors, path)
        try:  # weights-only: the object itself when the pickle names only trusted globals
            return unpickled(meta[PICKLE], tensors, path, weights_only=True)
        except pickle.UnpicklingError as e:
            if meta.get(PICKLE_ONLY) == "1":
                raise pickle.UnpicklingError(f"{path}: {e}") from None
        tensors = {k: v for k, v in tensors.items() if not k.startswith(OBJECT_PREFIX)}
    try:
        if STRUCTURE in meta:
            return rebuild(meta[STRUCTURE], tensors, path)
        tensors = in_order(tensors, meta.get(ORDER))
        if METADATA in meta:
            return with_metadata(tensors, json.loads(meta[METADATA]))
    except (ValueError, TypeError) as e:  # (json's errors are ValueErrors)
        raise CheckpointError(f"{path}: {e}" if not str(e).startswith(path) else str(e)) from None
    return tensors


def _read(f, raw: BinaryIO, path: str, device: str, weights_only: bool | None):
    start, header = _header(raw, path)
    out = {}
    for name, info, dt in _entries(header, path):
        if dt == dtypes.bfloat16:  # bits at the offsets the library validated
            begin, end = info["data_offsets"]
            raw.seek(start + begin)
            values = np.frombuffer(raw.read(end - begin), dtype="<u2")
        else:
            values = f.get_tensor(name)
        out[name] = _to_device(values, dt, tuple(info["shape"]), device)
        del values  # (one tensor's host copy at a time)
    return _object(header, out, path, weights_only)


def _read_bytes(data: bytes, path: str, device: str, weights_only: bool | None):
    """A whole safetensors file held in memory: the library checks it and hands out each
    tensor's bytes; the header gives the file's order (and refuses a name given twice)."""
    with _reading(path):
        values = dict(deserialize(bytes(data)))
    _, header = _header(io.BytesIO(data), path)
    out = {}
    for name, info, dt in _entries(header, path):
        stored = "<u2" if dt == dtypes.bfloat16 else dt.np.newbyteorder("<")
        out[name] = _to_device(np.frombuffer(values[name]["data"], dtype=stored), dt, tuple(info["shape"]), device)
    return _object(header, out, path, weights_only)


_TRUE = ("1", "y", "yes", "true")  # torch's spellings of a set switch


def _weights_only(weights_only: bool | None) -> bool | None:
    """torch's environment overrides: TORCH_FORCE_WEIGHTS_ONLY_LOAD makes every load weights-only;
    TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD makes a load that did not say weights_only a full one (and
    warns, as torch)."""
    force = settings.force_weights_only.lower() in _TRUE
    force_no = settings.force_no_weights_only.lower() in _TRUE
    if force and force_no:
        raise RuntimeError("Only one of `TORCH_FORCE_WEIGHTS_ONLY_LOAD` or `TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD` "
                           "should be set, but both were set.")
    if force:
        return True
    if force_no and weights_only is None:
        warnings.warn("Environment variable TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD detected, since the `weights_only` "
                      "argument was not explicitly passed to `torch.load`, forcing weights_only=False.",
                      UserWarning, stacklevel=user_stacklevel())
        return False
    return weights_only


def load(f, map_location: str | None = None, pickle_module=None, *, weights_only: bool | None = None,
         mmap: bool | None = None, device: str | None = None, **pickle_load_args):
    """Read a safetensors file into a dict of realized tensors on device (default: the default
    device), in the file's order; a file lg.save wrote from more than a dict of tensors (a
    general checkpoint, a list, one tensor) gives that object back. map_location is torch's
    name for device. weights_only=False gives back an object only pickle describes (a whole
    module, as torch.save(model) wrote it), running the code its pickle names, as torch's; by
    default (torch's weights_only=True) nothing in the file runs: a module's file gives its
    state_dict, and a file only a pickle describes raises pickle.UnpicklingError. f is a path
    or a file object; torch's pickle_module, mmap and pickle_load_args choose how torch reads
    its zip files, and are accepted and unused here (a file is read one tensor at a time)."""
    device = _load_device(device, map_location)
    weights_only = _weights_only(weights_only)
    path = f
    if hasattr(path, "read"):  # a file object (torch.load(f)): read from where it stands
        return _read_bytes(path.read(), getattr(path, "name", "<file object>"), device, weights_only)
    path = os.fspath(path)
    with open(path, "rb") as raw:  # Linux: the library opens the very file raw holds, whatever replaces it
        held = f"/proc/self/fd/{raw.fileno()}"
        if os.path.exists(held):
            with _reading(path), safe_open(held, framework="numpy", backend="pread") as opened:
                return _read(opened, raw, path, device, weights_only)
    for _ in range(_TRIES):
        # the file is opened twice (by us for the header, by the library for the tensors): both
        # must be the one file, not one before and one after another process's save renamed
        with open(path, "rb") as raw, _reading(path), safe_open(path, framework="numpy", backend="pread") as opened:
            if os.path.samestat(os.fstat(raw.fileno()), os.stat(path)):
                return _read(opened, raw, path, device, weights_only)
    raise CheckpointError(f"{path}: replaced by another save while being opened, {_TRIES} times running")
