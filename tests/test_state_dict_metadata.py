"""lg.save keeps a state_dict's `_metadata` (each module's version, what _load_from_state_dict
reads to convert old checkpoints) and lg.load gives it back; torch code reading the file with
the safetensors library finds it under "_metadata", and a file torch code writes so loads here
with it."""
import json
from collections import OrderedDict
from typing import ClassVar

import numpy as np
import pytest

import lazygrad as lg
from lazygrad import nn


def _versions_seen(lib):
    """A module whose _load_from_state_dict records the version it is handed."""
    class Recorder(lib.nn.BatchNorm1d):
        seen: ClassVar[list] = []

        def _load_from_state_dict(self, state_dict, prefix, local_metadata, *args):
            Recorder.seen.append(local_metadata.get("version"))
            super()._load_from_state_dict(state_dict, prefix, local_metadata, *args)
    return Recorder


def _model(lib, device=None):
    model = lib.nn.Sequential(lib.nn.Linear(3, 2), _versions_seen(lib)(2))
    return model.to(device) if device else model


def test_a_state_dicts_metadata_survives_save_and_load(device, tmp_path):
    model = _model(lg, device)
    sd = model.state_dict()
    for obj in (sd, model):  # (a module saves its state_dict)
        lg.save(obj, tmp_path / "m.safetensors")
        back = lg.load(tmp_path / "m.safetensors", map_location=device)
        assert isinstance(back, OrderedDict) and back._metadata == sd._metadata
        assert back._metadata["1"] == {"version": 2}
    fresh = _model(lg, device)
    type(fresh[1]).seen.clear()
    fresh.load_state_dict(back)
    assert type(fresh[1]).seen == [2]
    np.testing.assert_array_equal(fresh[0].weight.detach().numpy(), model[0].weight.detach().numpy())


def test_a_general_checkpoint_keeps_each_state_dicts_metadata(device, tmp_path):
    sd = _model(lg, device).state_dict()
    lg.save({"epoch": 3, "model": sd, "plain": {"w": lg.ones(2, device=device)}}, tmp_path / "c.pt")
    back = lg.load(tmp_path / "c.pt", map_location=device)
    assert back["model"]._metadata == sd._metadata and list(back["model"]) == list(sd)
    assert type(back["plain"]) is dict and not hasattr(back["plain"], "_metadata")


def test_a_dict_without_metadata_loads_as_a_plain_dict_and_the_key_is_refused(tmp_path):
    lg.save({"w": lg.ones(2)}, tmp_path / "p.safetensors")
    assert type(lg.load(tmp_path / "p.safetensors")) is dict
    with pytest.raises(ValueError, match="'_metadata' is lazygrad's own"):
        lg.save({"w": lg.ones(2)}, tmp_path / "q.safetensors", metadata={"_metadata": "{}"})


def test_a_lazygrad_file_loads_in_torch_with_its_metadata(tmp_path):
    torch = pytest.importorskip("torch")
    from safetensors import safe_open
    from safetensors.torch import load_file
    sd = _model(lg).state_dict()
    lg.save(sd, tmp_path / "ours.safetensors")
    loaded = OrderedDict(load_file(str(tmp_path / "ours.safetensors")))
    with safe_open(str(tmp_path / "ours.safetensors"), framework="pt") as f:
        loaded._metadata = OrderedDict(json.loads(f.metadata()["_metadata"]))
    target = _model(torch)
    assert loaded._metadata == target.state_dict()._metadata
    type(target[1]).seen.clear()
    target.load_state_dict(loaded)
    assert type(target[1]).seen == [2]
    np.testing.assert_array_equal(target[0].weight.detach().numpy(), sd["0.weight"].numpy())


def test_a_torch_file_with_metadata_loads_here_with_it(device, tmp_path):
    torch = pytest.importorskip("torch")
    from safetensors.torch import save_file
    source = _model(torch)
    sd = source.state_dict()
    save_file(dict(sd), str(tmp_path / "theirs.safetensors"), metadata={"_metadata": json.dumps(sd._metadata)})
    back = lg.load(tmp_path / "theirs.safetensors", map_location=device)
    assert back._metadata == sd._metadata
    target = _model(lg, device)
    type(target[1]).seen.clear()
    target.load_state_dict(back)
    assert type(target[1]).seen == [2]
    np.testing.assert_array_equal(target[0].weight.detach().numpy(), source[0].weight.detach().numpy())


def test_metadata_that_is_not_a_json_map_is_a_checkpoint_error(tmp_path):
    from safetensors.numpy import save_file
    for bad in ("not json", "[1, 2]"):
        save_file({"w": np.ones(2, np.float32)}, str(tmp_path / "bad.safetensors"), metadata={"_metadata": bad})
        with pytest.raises(ValueError, match="bad.safetensors") as info:
            lg.load(tmp_path / "bad.safetensors")
        assert isinstance(info.value, RuntimeError)  # (CheckpointError, as for any file lg.load cannot read)


def test_nn_module_state_dict_is_what_gets_its_metadata_kept(tmp_path):
    """(nn.Module.state_dict builds the OrderedDict with `_metadata`; a copy into a plain dict
    drops it, in torch as here.)"""
    sd = nn.Linear(2, 2).state_dict()
    lg.save(dict(sd), tmp_path / "d.safetensors")
    assert not hasattr(lg.load(tmp_path / "d.safetensors"), "_metadata")
