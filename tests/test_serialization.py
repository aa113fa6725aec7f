"""lg.save / lg.load: the safetensors layout, read back by the `safetensors` package."""
import io
import json
import pickle
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
    np.testing.assert_array_equal(model(x).detach().numpy(), other(x).detach().numpy())


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
    with pytest.raises(TypeError, match="cannot store a function at f.*nor could it be pickled"):
        lg.save({"f": lambda: 0}, tmp_path / "x.safetensors")
    # a module or a set inside: pickled (checkpoint_pickle.py), loaded only with weights_only=False
    lg.save({"m": nn.Linear(2, 2), "x": {1, 2}}, tmp_path / "x.safetensors")
    with pytest.raises(pickle.UnpicklingError, match="weights_only=False"):
        lg.load(tmp_path / "x.safetensors")
    back = lg.load(tmp_path / "x.safetensors", weights_only=False)
    assert isinstance(back["m"], nn.Linear) and back["x"] == {1, 2}


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


def test_a_general_checkpoint_comes_back_as_saved(device, tmp_path):
    """torch's 'saving a general checkpoint': a dict of the epoch, state dicts and the loss."""
    model = nn.Linear(3, 2).to(device)
    opt = lg.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    model(lg.ones(4, 3, device=device)).sum().backward()
    opt.step()
    checkpoint = {"epoch": 5, "model_state_dict": model.state_dict(), "optimizer_state_dict": opt.state_dict(),
                  "loss": 0.25, "history": [1.0, float("inf"), None, (1, "a"), True], ("a", 2): "tuple key"}
    path = tmp_path / "checkpoint.pt"
    lg.save(checkpoint, path)
    back = lg.load(path, map_location=device)
    assert list(back) == list(checkpoint)
    assert back["epoch"] == 5 and back["loss"] == 0.25 and back[("a", 2)] == "tuple key"
    assert back["history"] == [1.0, float("inf"), None, (1, "a"), True]
    assert type(back["history"][4]) is bool and type(back["epoch"]) is int
    restored = nn.Linear(3, 2).to(device)
    restored.load_state_dict(back["model_state_dict"])
    again = lg.optim.SGD(restored.parameters(), lr=0.5, momentum=0.9)
    again.load_state_dict(back["optimizer_state_dict"])
    assert again.param_groups[0]["lr"] == 0.1
    for a, b in zip(restored.parameters(), model.parameters()):
        np.testing.assert_array_equal(a.detach().numpy(), b.detach().numpy())
    buffers = [s["momentum_buffer"] for s in back["optimizer_state_dict"]["state"].values()]
    assert len(buffers) == 2 and all(b.device == device for b in buffers)


def test_a_lone_tensor_or_a_list_comes_back_as_itself(device, tmp_path):
    t = lg.tensor([1.5, -2.0], device=device)
    lg.save(t, tmp_path / "t.pt")
    back = lg.load(tmp_path / "t.pt", map_location=device)
    assert isinstance(back, lg.Tensor) and back.tolist() == [1.5, -2.0]
    f = io.BytesIO()
    lg.save([t, 3, {"k": t * 2}], f)
    f.seek(0)
    items = lg.load(f, map_location=device)
    assert items[0].tolist() == [1.5, -2.0] and items[1] == 3 and items[2]["k"].tolist() == [3.0, -4.0]


def test_a_checkpoints_tensors_are_plain_safetensors_entries(tmp_path):
    from safetensors import safe_open
    path = tmp_path / "c.safetensors"
    lg.save({"model": {"w": lg.ones(2)}, "step": 3}, path)
    with safe_open(str(path), framework="numpy") as f:
        assert list(f.keys()) == ["model.w"]


def test_a_damaged_structure_is_a_checkpoint_error(tmp_path):
    from safetensors.numpy import save_file
    path = tmp_path / "bad.safetensors"
    for structure in ('["t", "missing"]', "[", '["i", "3"]', '["q"]'):
        save_file({"w": np.ones(2, np.float32)}, str(path), metadata={"lazygrad.structure": structure})
        with pytest.raises(ValueError, match="does not describe an object"):
            lg.load(path)
