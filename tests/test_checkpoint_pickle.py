"""torch.save(model, f) / torch.load(f, weights_only=False) give the module back, as torch's
(frontend/checkpoint_pickle.py): the same class, its parameters Parameters with their values,
tied weights tied, the tensors it holds outside its state_dict; a weights-only load still gives
the state_dict (API.md), and an object only pickle describes is refused by it with torch's
error class."""
from __future__ import annotations

import argparse
import io
import pickle

import numpy as np
import pytest
import torch

import lazygrad as lg
from lazygrad.frontend import checkpoint_pickle


class Tied(lg.nn.Module):
    """A language-model shape: embedding and decoder share one weight; a cached mask tensor."""

    def __init__(self):
        super().__init__()
        self.emb = lg.nn.Embedding(7, 4)
        self.mid = lg.nn.Linear(4, 4)
        self.out = lg.nn.Linear(4, 7, bias=False)
        self.out.weight = self.emb.weight
        self.register_buffer("scale", lg.tensor([2.0]))
        self.mask = None
        self.act = lg.nn.functional.relu  # (lazygrad wraps F.relu: pickled by where users find it)

    def forward(self, x):
        if self.mask is None:
            self.mask = lg.ones(x.shape[-1], device=x.device)
        return self.out(self.act(self.mid(self.emb(x))) * self.scale) * self.mask[0]


def _model(device):
    lg.manual_seed(0)
    m = Tied().to(device)
    m(lg.tensor([[1, 2, 3]], device=device))  # (fills the cached mask)
    return m


@pytest.mark.parametrize("through", ["path", "file object"])
def test_a_saved_module_comes_back_whole_with_weights_only_false(tmp_path, device, through):
    m = _model(device)
    x = lg.tensor([[0, 4, 6]], device=device)
    expected = m(x).detach().numpy()
    if through == "path":
        lg.save(m, tmp_path / "m.pt")
        back = lg.load(tmp_path / "m.pt", weights_only=False, map_location=device)
    else:
        f = io.BytesIO()
        lg.save(m, f)
        f.seek(0)
        back = lg.load(f, weights_only=False, map_location=device)
    assert type(back) is Tied and back is not m
    assert back.out.weight is back.emb.weight  # tied stays tied
    assert isinstance(back.mid.weight, lg.nn.Parameter) and back.mid.weight.requires_grad
    assert back.mask is not None and back.mask.tolist() == [1.0, 1.0, 1.0]
    assert back.act is lg.nn.functional.relu
    assert back.mid.weight.device == m.mid.weight.device
    np.testing.assert_array_equal(back(x).detach().numpy(), expected)
    back(x).sum().backward()  # it trains on
    assert back.emb.weight.grad is not None and back.mid.weight.grad.shape == (4, 4)


def test_a_weights_only_load_of_a_module_gives_its_state_dict(tmp_path, device):
    m = _model(device)
    lg.save(m, tmp_path / "m.pt")
    for weights_only in (None, True):
        state = (lg.load(tmp_path / "m.pt", weights_only=weights_only, map_location=device) if weights_only
                 else lg.load(tmp_path / "m.pt", map_location=device))
        assert sorted(state) == sorted(m.state_dict())  # (no entry of the pickle's own)
        fresh = Tied().to(device)
        fresh.load_state_dict(state)
        np.testing.assert_array_equal(fresh.mid.weight.detach().numpy(), m.mid.weight.detach().numpy())


def test_an_object_only_pickle_describes_is_refused_by_a_weights_only_load_as_torch(tmp_path, device):
    ours = {"args": argparse.Namespace(lr=0.1, layers=2), "w": lg.tensor([1.0, 2.0], device=device)}
    lg.save(ours, tmp_path / "c.pt")
    theirs = {"args": argparse.Namespace(lr=0.1, layers=2), "w": torch.tensor([1.0, 2.0])}
    torch.save(theirs, tmp_path / "t.pt")
    with pytest.raises(pickle.UnpicklingError) as torch_error:
        torch.load(tmp_path / "t.pt")
    with pytest.raises(type(torch_error.value), match="weights_only=False"):
        lg.load(tmp_path / "c.pt")
    back = lg.load(tmp_path / "c.pt", weights_only=False, map_location=device)
    assert back["args"] == argparse.Namespace(lr=0.1, layers=2) and back["w"].tolist() == [1.0, 2.0]
    assert back["w"].device == ours["w"].device


def test_an_object_neither_json_nor_pickle_can_hold_is_refused_with_both_reasons(tmp_path):
    with pytest.raises(TypeError, match="cannot store a function.*nor could it be pickled"):
        lg.save({"f": lambda x: x}, tmp_path / "bad.pt")
    assert not (tmp_path / "bad.pt").exists()


def test_a_module_pickle_cannot_hold_is_saved_as_its_state_dict(tmp_path, device):
    class Local(lg.nn.Module):  # (a local class: pickle cannot name it, and torch.save raises)
        def __init__(self):
            super().__init__()
            self.fc = lg.nn.Linear(2, 2)

    m = Local().to(device)
    lg.save(m, tmp_path / "l.pt")
    assert sorted(lg.load(tmp_path / "l.pt", weights_only=False)) == ["fc.bias", "fc.weight"]


def test_a_broken_pickle_raises_unpickling_error(tmp_path):
    path = tmp_path / "m.pt"
    lg.save(_model("python"), path)
    with pytest.raises(pickle.UnpicklingError, match="not base64"):
        checkpoint_pickle.unpickled("@@not base64@@", {}, str(path))
    named = checkpoint_pickle.pickled([lg.tensor([1.0])], {}, {})
    with pytest.raises(pickle.UnpicklingError, match="does not hold"):
        checkpoint_pickle.unpickled(named, {}, str(path))


def test_save_load_and_set_default_device_take_torchs_parameter_names(tmp_path):
    import inspect

    for name in ("save", "load", "set_default_device"):
        theirs = inspect.signature(getattr(torch, name)).parameters
        ours = inspect.signature(getattr(lg, name)).parameters
        assert [p for p in theirs if p not in ours] == [], name
    m = lg.nn.Linear(2, 2)
    lg.save(obj=m, f=tmp_path / "m.pt", pickle_protocol=2, _use_new_zipfile_serialization=True)
    assert type(lg.load(f=tmp_path / "m.pt", weights_only=False, mmap=False, encoding="utf-8")) is lg.nn.Linear
    before = lg.get_default_device()
    try:
        lg.set_default_device(device="cpu")
    finally:
        lg.set_default_device(before)
