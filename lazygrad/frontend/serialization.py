"""lg.save / lg.load in the safetensors format, written and read by our own code.

Layout: an 8-byte little-endian header length N, N bytes of JSON
({name: {"dtype": "F32", "shape": [...], "data_offsets": [begin, end]}, "__metadata__": {...}},
padded with spaces to a multiple of 8), then the raw little-endian bytes of every tensor,
offsets counted from the end of the header. Files open with the `safetensors` package and
so with other frameworks.
"""
from __future__ import annotations

import json
import struct

import numpy as np

from lazygrad import dtypes
from lazygrad.frontend.tensor import Tensor
from lazygrad.runtime.disk_cache import atomic_write

_CODES = {"bool": "BOOL", "uint8": "U8", "int8": "I8", "int16": "I16", "uint16": "U16",
          "int32": "I32", "uint32": "U32", "int64": "I64", "uint64": "U64", "float16": "F16",
          "float32": "F32", "float64": "F64", "bfloat16": "BF16"}
_NAMES = {code: name for name, code in _CODES.items()}


def _tensors_of(obj) -> dict:
    if hasattr(obj, "state_dict") and callable(obj.state_dict) and not isinstance(obj, dict):
        obj = obj.state_dict()
    if isinstance(obj, Tensor):
        obj = {"tensor": obj}
    if not isinstance(obj, dict):
        raise TypeError(f"save expects a Module, a dict of tensors or a tensor, got {type(obj).__name__}")
    out = {}
    for k, v in obj.items():
        if not isinstance(k, str):
            raise TypeError(f"save: keys must be strings, got {k!r}")
        if not isinstance(v, Tensor):
            raise TypeError(f"save: the value of {k!r} is a {type(v).__name__}, not a Tensor")
        out[k] = v
    return out


def save(obj, path, metadata: dict[str, str] | None = None) -> None:
    """Save a Module (its state_dict), a dict of tensors or one tensor to path."""
    tensors = _tensors_of(obj)
    header: dict = {}
    blobs, offset = [], 0
    for name, t in tensors.items():
        values = t.detach().numpy()
        if t.dtype == dtypes.bfloat16:  # numpy has no bfloat16: store the 16-bit patterns
            data = dtypes.bf16_bits(values).astype("<u2")
        else:
            data = np.ascontiguousarray(values).astype(t.dtype.np.newbyteorder("<"), copy=False)
        raw = data.tobytes()
        header[name] = {"dtype": _CODES[t.dtype.name], "shape": list(t.shape),
                        "data_offsets": [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    if metadata:
        header["__metadata__"] = {str(k): str(v) for k, v in metadata.items()}
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    # durable: the old checkpoint stays whole until the new one is on disk
    atomic_write(path, [struct.pack("<Q", len(text)), text, *blobs])


def load(path, device: str | None = None) -> dict:
    """Read a safetensors file into a dict of realized tensors (in the file's order)."""
    with open(path, "rb") as f:
        blob = f.read()
    if len(blob) < 8:
        raise ValueError(f"{path}: not a safetensors file (shorter than its 8-byte header length)")
    (n,) = struct.unpack("<Q", blob[:8])
    if 8 + n > len(blob):
        raise ValueError(f"{path}: header length {n} runs past the end of the file ({len(blob)} bytes)")
    try:
        header = json.loads(blob[8:8 + n])
    except json.JSONDecodeError as e:
        raise ValueError(f"{path}: the safetensors header is not valid JSON ({e})") from None
    body = memoryview(blob)[8 + n:]
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        begin, end = info["data_offsets"]
        code = info["dtype"]
        if code not in _NAMES:
            raise ValueError(f"{path}: tensor {name!r} has unsupported dtype {code}")
        shape = tuple(info["shape"])
        dt = dtypes.BY_NAME[_NAMES[code]]
        if dt == dtypes.bfloat16:  # 16-bit patterns -> exact float32 values -> bfloat16
            arr = dtypes.bf16_values(np.frombuffer(body[begin:end], dtype="<u2")).reshape(shape)
        else:
            arr = np.frombuffer(body[begin:end], dtype=dt.np.newbyteorder("<")).reshape(shape).astype(dt.np)
        out[name] = Tensor(np.array(arr), dtype=dt, device=device)
    return out
