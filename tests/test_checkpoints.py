"""Checkpoints (frontend/serialization.py) through the `safetensors` library: every dtype comes
back bit for bit on every device, a hostile or broken file raises CheckpointError naming the
file and the fault, a save is atomic (a failed one keeps the old file, two processes saving at
once never leave a broken one), and loading peaks near the file's size."""
from __future__ import annotations

import json
import multiprocessing
import os
import struct
import subprocess
import sys

import numpy as np
import pytest
from safetensors import safe_open

import lazygrad as lg
from lazygrad import dtypes
from lazygrad.frontend import serialization
from lazygrad.frontend.serialization import CheckpointError


def _values(dt: dtypes.DType, rng) -> np.ndarray:
    if dt.is_bool:
        return rng.random((3, 4)) < 0.5
    if dt.is_int:
        info = np.iinfo(dt.np)
        return np.array([[info.min, info.max, 0, 1], [-1 if info.min else 2, 7, 3, 5], [9, 8, 6, 4]], dt.np)
    special = [np.inf, -np.inf, np.nan, -0.0]
    values = np.concatenate([special, rng.standard_normal(8)]).astype(np.float32 if dt == lg.bfloat16 else dt.np)
    return (dtypes.round_bf16(values) if dt == lg.bfloat16 else values).reshape(3, 4)


@pytest.mark.parametrize("dt", dtypes.ALL_DTYPES, ids=lambda d: d.name)
def test_every_dtype_comes_back_bit_for_bit(tmp_path, device, dt, rng):
    values = _values(dt, rng)
    path = tmp_path / "t.safetensors"
    lg.save({"x": lg.Tensor(values, dtype=dt, device=device), "scalar": lg.Tensor(values[0, 0], dtype=dt),
             "empty": lg.zeros(0, 2, dtype=dt)}, path)
    back = lg.load(path, device=device)
    assert back["x"].dtype == dt and back["x"].device == device and back["x"].shape == (3, 4)
    got = back["x"].numpy()
    np.testing.assert_array_equal(got.view(np.uint8), values.astype(got.dtype).view(np.uint8))  # -0.0, nan
    assert back["scalar"].shape == () and back["empty"].shape == (0, 2)


def test_bfloat16_files_agree_with_torch_both_ways(tmp_path):
    torch = pytest.importorskip("torch")
    from safetensors.torch import load_file, save_file
    ours = tmp_path / "ours.safetensors"
    theirs = tmp_path / "theirs.safetensors"
    t = torch.tensor([1.5, -2.25, 2.0 ** 100, 3.1, float("nan"), -0.0]).to(torch.bfloat16)
    save_file({"w": t}, str(theirs))
    back = lg.load(theirs)["w"]
    assert back.dtype == lg.bfloat16
    np.testing.assert_array_equal(back.float().numpy(), t.float().numpy())
    lg.save({"w": back}, ours, metadata={"step": 3})
    again = load_file(str(ours))["w"]
    assert again.dtype == torch.bfloat16 and torch.equal(again.view(torch.int16), t.view(torch.int16))
    with safe_open(str(ours), framework="numpy") as f:
        assert f.metadata() == {"step": "3"}


def _file(header, body: bytes = bytes(24)) -> bytes:
    text = header if isinstance(header, bytes) else json.dumps(header).encode()
    return struct.pack("<Q", len(text)) + text + body


def _entry(dtype: str, shape: list, begin: int, end: int) -> dict:
    return {"dtype": dtype, "shape": shape, "data_offsets": [begin, end]}


_DUPLICATE = (b'{"a":{"dtype":"F32","shape":[6],"data_offsets":[0,24]},'
              b'"a":{"dtype":"I32","shape":[6],"data_offsets":[0,24]}}')
HOSTILE = [  # (what, file bytes, what the error says)
    ("overlapping offsets", _file({"a": _entry("F32", [4], 0, 16), "b": _entry("F32", [4], 8, 24)}), "offset"),
    ("reversed offsets", _file({"a": _entry("F32", [2], 8, 0), "b": _entry("F32", [4], 8, 24)}), "offset"),
    ("gapped offsets", _file({"a": _entry("F32", [2], 0, 8), "b": _entry("F32", [2], 16, 24)}), "offset"),
    ("negative shape", _file({"a": _entry("F32", [-6], 0, 24)}), "-6"),
    ("shape and size disagree", _file({"a": _entry("F32", [5], 0, 24)}), "shape"),
    ("shape overflows", _file({"a": _entry("F32", [2 ** 62, 8], 0, 24)}), "overflow"),
    ("trailing bytes", _file({"a": _entry("F32", [6], 0, 24)}, bytes(32)), "not fully covered"),
    ("body cut short", _file({"a": _entry("F32", [6], 0, 24)}, bytes(16)), "not fully covered"),
    ("metadata is a list", _file({"__metadata__": ["x"], "a": _entry("F32", [6], 0, 24)}), "map"),
    ("metadata value not a string", _file({"__metadata__": {"k": 1}, "a": _entry("F32", [6], 0, 24)}), "string"),
    ("header longer than the file", struct.pack("<Q", 1000) + b"{}", "header length"),
    ("header length 2**63", struct.pack("<Q", 2 ** 63) + b"{}", "header too large"),
    ("truncated file", b"\x05\x00\x00", "header too small"),
    ("empty file", b"", "header too small"),
    ("header not JSON", _file(b"{not json}   ", b""), "JSON"),
    ("header a JSON list", _file(b"[1, 2]", b""), "JSON"),
    ("header not UTF-8", _file(b'{"\xff":{"dtype":"F32","shape":[6],"data_offsets":[0,24]}}'), "UTF-8"),
    ("entry missing its offsets", _file({"a": {"dtype": "F32", "shape": [6]}}), "data_offsets"),
    ("unknown dtype", _file({"a": _entry("F33", [6], 0, 24)}), "F33"),
    ("dtype lazygrad lacks", _file({"a": _entry("F8_E4M3", [24], 0, 24)}), "F8_E4M3, a dtype lazygrad does not"),
    ("duplicate names", _file(_DUPLICATE), "two entries named 'a'"),
    ("duplicate names, second elsewhere",
     _file(_DUPLICATE.replace(b'[6],"data_offsets":[0,24]}}', b'[3],"data_offsets":[12,24]}}')), "offset"),
]


@pytest.mark.parametrize("what, blob, says", HOSTILE, ids=[h[0] for h in HOSTILE])
def test_a_hostile_file_raises_a_checkpoint_error_saying_what_and_where(tmp_path, what, blob, says):
    path = tmp_path / "hostile.safetensors"
    path.write_bytes(blob)
    with pytest.raises(CheckpointError, match=says) as info:
        lg.load(path)
    assert str(path) in str(info.value)
    assert isinstance(info.value, ValueError) and isinstance(info.value, RuntimeError)  # torch.load's class


def test_a_missing_file_or_a_folder_raises_what_open_raises(tmp_path):
    with pytest.raises(FileNotFoundError):
        lg.load(tmp_path / "absent.safetensors")
    with pytest.raises(IsADirectoryError):
        lg.load(tmp_path)


def test_load_takes_torchs_keywords(tmp_path):
    path = tmp_path / "k.safetensors"
    lg.save({"w": lg.Tensor([1.0, 2.0])}, path)
    assert lg.load(path, weights_only=True)["w"].tolist() == [1.0, 2.0]
    assert lg.load(path, weights_only=False)["w"].tolist() == [1.0, 2.0]
    assert lg.load(path, map_location="cpu")["w"].device == "c"
    with pytest.raises(TypeError, match="device or map_location"):
        lg.load(path, device="python", map_location="cpu")
    with pytest.raises(TypeError, match="device name"):
        lg.load(path, map_location={"cuda:0": "cpu"})


def test_a_tensor_named_like_the_metadata_is_refused(tmp_path):
    with pytest.raises(ValueError, match="__metadata__"):
        lg.save({"__metadata__": lg.Tensor([1.0])}, tmp_path / "m.safetensors")
    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize("error", [OSError("disk full"), KeyboardInterrupt()], ids=["OSError", "KeyboardInterrupt"])
def test_a_save_that_fails_midway_keeps_the_old_file_and_leaves_no_temporary(tmp_path, monkeypatch, error):
    path = tmp_path / "model.safetensors"
    lg.save({"w": lg.Tensor([1.0, 2.0])}, path)
    before = path.read_bytes()

    def half_then_fail(specs, filename, metadata=None):
        with open(filename, "wb") as f:
            f.write(before[: len(before) // 2])
        raise error

    monkeypatch.setattr(serialization, "serialize_file", half_then_fail)
    with pytest.raises(type(error)):
        lg.save({"w": lg.Tensor([3.0, 4.0, 5.0])}, path)
    assert path.read_bytes() == before and os.listdir(tmp_path) == ["model.safetensors"]


def test_a_checkpoint_gets_the_permissions_open_gives(tmp_path):
    umask = os.umask(0)
    os.umask(umask)
    lg.save({"w": lg.Tensor([1.0])}, tmp_path / "p.safetensors")  # (the library's own file is 0600)
    assert (tmp_path / "p.safetensors").stat().st_mode & 0o777 == 0o666 & ~umask


SAVES = 20


def _save_repeatedly(path: str, value: int) -> None:
    """A writer process: SAVES checkpoints whose two tensors both hold value."""
    for _ in range(SAVES):
        lg.save({"a": lg.full((256, 256), float(value)), "b": lg.full((1000,), value)}, path)


def test_two_processes_saving_to_one_path_never_leave_a_broken_file(tmp_path):
    path = str(tmp_path / "shared.safetensors")
    lg.save({"a": lg.full((256, 256), 0.0), "b": lg.full((1000,), 0)}, path)
    spawn = multiprocessing.get_context("spawn")
    writers = [spawn.Process(target=_save_repeatedly, args=(path, v)) for v in (1, 2)]
    for w in writers:
        w.start()
    seen = set()
    while any(w.is_alive() for w in writers) or not seen:
        got = lg.load(path)  # a reader at the same time: each file it opens is one writer's, whole
        a, b = np.unique(got["a"].numpy()), np.unique(got["b"].numpy())
        assert got["a"].shape == (256, 256) and len(a) == 1 and list(b) == [int(a[0])]
        seen.add(int(a[0]))
    for w in writers:
        w.join(60)
    assert [w.exitcode for w in writers] == [0, 0]
    assert os.listdir(tmp_path) == ["shared.safetensors"]
    assert np.unique(lg.load(path)["a"].numpy()).tolist() in ([1.0], [2.0])


_PEAK = """
import os, sys
import numpy as np
import lazygrad as lg

def kb(field):
    return next(int(line.split()[1]) for line in open("/proc/self/status") if line.startswith(field))

lg.Tensor([1.0]).numpy()
base = kb("VmRSS")
loaded = lg.load(sys.argv[1])
print((kb("VmHWM") - base) * 1024 / os.path.getsize(sys.argv[1]))
"""


@pytest.mark.skipif(not os.path.exists("/proc/self/status"), reason="peak RSS is read from /proc")
def test_loading_peaks_near_the_files_size(tmp_path):
    path = tmp_path / "big.safetensors"
    rng = np.random.default_rng(0)
    lg.save({f"w{i}": lg.Tensor(rng.standard_normal((1000, 1000), dtype=np.float32)) for i in range(8)}, path)
    out = subprocess.run([sys.executable, "-c", _PEAK, str(path)], check=False, capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0, out.stderr
    ratio = float(out.stdout)
    assert ratio < 1.5, f"loading a {path.stat().st_size >> 20} MB file peaked at {ratio:.2f}x its size"


def test_a_state_dict_loads_back_in_its_own_order(tmp_path, device):
    """The format sorts its entries by dtype and name; torch's load gives the saved order back,
    and code zips a loaded state_dict with model.parameters(), so the order is kept."""
    model = lg.nn.Sequential(lg.nn.Linear(2, 3), lg.nn.BatchNorm1d(3)).to(device)
    model.register_buffer("a_scale", lg.tensor(2.0, device=device))
    path = tmp_path / "o.safetensors"
    lg.save(model.state_dict(), path)
    loaded = lg.load(path, weights_only=True)
    assert list(loaded) == list(model.state_dict()) and loaded["1.num_batches_tracked"].dtype == lg.int64
    lg.save(model, path)
    assert list(lg.load(path, weights_only=True)) == list(model.state_dict())
    with safe_open(path, "np") as f:
        assert json.loads(f.metadata()[serialization.ORDER]) == list(model.state_dict())
    with pytest.raises(ValueError, match="lazygrad's own"):
        lg.save({"w": lg.ones(1)}, path, metadata={serialization.ORDER: "[]"})
