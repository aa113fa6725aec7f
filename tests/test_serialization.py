"""lg.save / lg.load: the safetensors layout, read back by the `safetensors` package."""
import json
import struct

import numpy as np
import pytest
from safetensors.numpy import load_file, save_file

import lazygrad as lg
from lazygrad import nn

R = np.random.default_rng(0)


def test_a_dict_of_tensors_opens_with_safetensors(tmp_path):
    arrays = {"f32": R.standard_normal((2, 3)).astype(np.float32), "f64": R.standard_normal(4),
              "i64": np.arange(5), "i32": np.arange(6, dtype=np.int32).reshape(2, 3),
              "u8": np.arange(3, dtype=np.uint8), "b": np.array([True, False]),
              "f16": np.ones((2, 2), np.float16), "scalar": np.array(3.5, np.float32)}
    path = tmp_path / "t.safetensors"
    lg.save({k: lg.Tensor(v) for k, v in arrays.items()}, path)
    loaded = load_file(str(path))
    assert set(loaded) == set(arrays)
    for k, v in arrays.items():
        assert loaded[k].dtype == v.dtype and loaded[k].shape == v.shape, k
        np.testing.assert_array_equal(loaded[k], v)


def test_header_layout(tmp_path):
    path = tmp_path / "h.safetensors"
    lg.save({"w": lg.Tensor(np.zeros((2, 3), np.float32))}, path)
    blob = path.read_bytes()
    (n,) = struct.unpack("<Q", blob[:8])
    header = json.loads(blob[8:8 + n])
    assert header["w"] == {"dtype": "F32", "shape": [2, 3], "data_offsets": [0, 24]}
    assert (8 + n) % 8 == 0 and len(blob) == 8 + n + 24


def test_load_reads_files_written_by_safetensors(tmp_path):
    path = tmp_path / "ext.safetensors"
    arrays = {"a": R.standard_normal((3, 2)).astype(np.float32), "b": np.arange(4, dtype=np.int64)}
    save_file(arrays, str(path))
    loaded = lg.load(path)
    for k, v in arrays.items():
        assert loaded[k].dtype == lg.dtypes.to_dtype(v.dtype)
        np.testing.assert_array_equal(loaded[k].numpy(), v)


def test_save_module_then_load_state_dict(tmp_path):
    model = nn.Sequential(nn.Conv2d(1, 2, 3), nn.BatchNorm2d(2), nn.Flatten(), nn.Linear(8, 3))
    path = tmp_path / "m.safetensors"
    lg.save(model, path)
    assert set(load_file(str(path))) == set(model.state_dict())
    other = nn.Sequential(nn.Conv2d(1, 2, 3), nn.BatchNorm2d(2), nn.Flatten(), nn.Linear(8, 3))
    other.load_state_dict(lg.load(path))
    x = lg.Tensor(R.standard_normal((2, 1, 4, 4)).astype(np.float32))
    model.eval(), other.eval()
    np.testing.assert_array_equal(model(x).numpy(), other(x).numpy())


def test_load_state_dict_names_the_mismatched_key_and_both_shapes(tmp_path):
    path = tmp_path / "bad.safetensors"
    lg.save(nn.Linear(3, 2), path)
    with pytest.raises(RuntimeError, match=r"weight.*\[2, 3\].*\[4, 3\]"):
        nn.Linear(3, 4).load_state_dict(lg.load(path))


def test_bad_files_and_values_are_reported(tmp_path):
    path = tmp_path / "junk.safetensors"
    path.write_bytes(b"\x05\x00")
    with pytest.raises(ValueError, match="not a safetensors file"):
        lg.load(path)
    with pytest.raises(TypeError, match="not a Tensor"):
        lg.save({"x": 3}, tmp_path / "x.safetensors")


def test_bfloat16_round_trips_as_bf16_bits(tmp_path):
    path = tmp_path / "bf.safetensors"
    values = np.array([1.5, -2.25, 2.0 ** 100, 0.0078125], np.float32)  # all exact in bfloat16
    lg.save({"w": lg.Tensor(values).cast(lg.bfloat16)}, path)
    blob = path.read_bytes()
    (n,) = struct.unpack("<Q", blob[:8])
    assert json.loads(blob[8:8 + n])["w"]["dtype"] == "BF16"
    bits = np.frombuffer(blob[8 + n:], dtype="<u2")
    np.testing.assert_array_equal(bits, values.view(np.uint32) >> 16)
    back = lg.load(path)["w"]
    assert back.dtype == lg.bfloat16
    np.testing.assert_array_equal(back.float().numpy(), values)


def test_save_and_load_take_file_objects(tmp_path, device):
    """torch.save(obj, f) and torch.load(f) with an open file or a BytesIO (the word language
    model example saves its checkpoint so)."""
    import io
    values = {"w": lg.tensor([[1.5, -2.0]], device=device), "b": lg.tensor([1.0, 2.0], dtype=lg.bfloat16),
              "i": lg.arange(3)}
    buffer = io.BytesIO()
    lg.save(values, buffer)
    buffer.seek(0)
    loaded = lg.load(buffer, map_location=device)
    with open(tmp_path / "ckpt.pt", "wb") as f:
        lg.save(values, f)
    with open(tmp_path / "ckpt.pt", "rb") as f:
        from_file = lg.load(f, map_location=device)
    assert set(loaded) == set(from_file) == set(values)
    for name, t in values.items():
        for got in (loaded[name], from_file[name], lg.load(tmp_path / "ckpt.pt", map_location=device)[name]):
            assert got.dtype == t.dtype and got.tolist() == t.tolist() and got.device == lg.device(device)
    with pytest.raises(RuntimeError, match="not a safetensors"):
        lg.load(io.BytesIO(b"not a checkpoint at all"))
