"""torch.serialization.safe_globals / add_safe_globals: a weights-only load (torch.load's default)
gives back a whole pickled object once the program trusts every global its pickle names, and
refuses with torch's error class, naming the global, otherwise; torch's TORCH_FORCE_(NO_)
WEIGHTS_ONLY_LOAD environment switches, read through lazygrad.config."""
from __future__ import annotations

import argparse
import pickle

import numpy as np
import pytest
import torch

import lazygrad as lg
from lazygrad import config


def _net(T):
    class Net(T.nn.Module):
        def __init__(self):
            super().__init__()
            self.fc, self.drop, self.act = T.nn.Linear(3, 2), T.nn.Dropout(0.5), T.nn.functional.relu

        def forward(self, x):
            return self.act(self.drop(self.fc(x)))
    Net.__qualname__ = Net.__name__ = f"Net{T.__name__}"  # (picklable: a module-level name below)
    return Net


Netlazygrad, Nettorch = _net(lg), _net(torch)


def _trust(T, net):
    return [net, T.nn.modules.linear.Linear, T.nn.modules.dropout.Dropout, T.nn.functional.relu]


def test_trusted_globals_give_a_weights_only_load_the_whole_module(tmp_path, device):
    theirs = Nettorch().eval()
    torch.save(theirs, tmp_path / "t.pt")
    ours = Netlazygrad().to(device).eval()
    lg.save(ours, tmp_path / "m.pt")
    assert sorted(lg.load(tmp_path / "m.pt", map_location=device)) == ["fc.bias", "fc.weight"]  # (untrusted)
    with torch.serialization.safe_globals(_trust(torch, Nettorch)):
        assert type(torch.load(tmp_path / "t.pt")) is Nettorch
    with lg.serialization.safe_globals(_trust(lg, Netlazygrad)):
        back = lg.load(tmp_path / "m.pt", map_location=device)
    assert type(back) is Netlazygrad and not back.training
    x = lg.randn(4, 3, device=device)
    np.testing.assert_allclose(back(x).detach().numpy(), ours(x).detach().numpy())
    assert lg.serialization.get_safe_globals() == []  # (the block's additions went with it)


def test_an_untrusted_global_is_named_in_torchs_error(tmp_path):
    lg.save({"args": argparse.Namespace(lr=0.1)}, tmp_path / "c.pt")
    torch.save({"args": argparse.Namespace(lr=0.1)}, tmp_path / "t.pt")
    with pytest.raises(pickle.UnpicklingError, match="argparse.Namespace") as theirs:
        torch.load(tmp_path / "t.pt")
    with pytest.raises(type(theirs.value), match=r"GLOBAL argparse\.Namespace was not an allowed global"):
        lg.load(tmp_path / "c.pt")
    with torch.serialization.safe_globals([argparse.Namespace]):
        assert torch.load(tmp_path / "t.pt")["args"].lr == 0.1
    lg.serialization.add_safe_globals([argparse.Namespace])
    try:
        assert lg.load(tmp_path / "c.pt")["args"].lr == 0.1
        assert lg.serialization.get_safe_globals() == [argparse.Namespace]
    finally:
        lg.serialization.clear_safe_globals()
    assert lg.serialization.get_safe_globals() == []


@pytest.mark.parametrize(("force", "force_no", "weights_only", "loads"), [
    ("1", "0", False, False), ("0", "yes", None, True), ("0", "true", True, False), ("0", "0", None, False)])
def test_torchs_environment_switches_force_how_load_reads(tmp_path, monkeypatch, force, force_no, weights_only, loads):
    lg.save(argparse.Namespace(lr=0.1), tmp_path / "c.pt")
    torch.save(argparse.Namespace(lr=0.1), tmp_path / "t.pt")
    monkeypatch.setenv("TORCH_FORCE_WEIGHTS_ONLY_LOAD", force)
    monkeypatch.setenv("TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD", force_no)
    kw = {} if weights_only is None else {"weights_only": weights_only}
    with config.override(force_weights_only=force, force_no_weights_only=force_no):
        for T, path in ((torch, "t.pt"), (lg, "c.pt")):
            if loads:
                with pytest.warns(UserWarning, match="TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD") as caught:
                    assert T.load(tmp_path / path, **kw).lr == 0.1
                assert caught[0].filename == __file__  # (the program's line, as torch's)
            else:
                with pytest.raises(pickle.UnpicklingError):
                    T.load(tmp_path / path, **kw)


def test_both_environment_switches_at_once_raise_as_torch(tmp_path, monkeypatch):
    lg.save({"w": lg.ones(1)}, tmp_path / "c.pt")
    monkeypatch.setenv("TORCH_FORCE_WEIGHTS_ONLY_LOAD", "1")
    monkeypatch.setenv("TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD", "1")
    torch.save({"w": torch.ones(1)}, tmp_path / "t.pt")
    with pytest.raises(RuntimeError, match="Only one of") as theirs:
        torch.load(tmp_path / "t.pt")
    with config.override(force_weights_only="1", force_no_weights_only="1"), \
            pytest.raises(type(theirs.value), match="Only one of"):
        lg.load(tmp_path / "c.pt")
