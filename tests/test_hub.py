"""torch.hub from a local folder, as torch's: load(dir, entry, *args, source='local', **kwargs)
imports the folder's hubconf.py (its own modules importable), checks its `dependencies` and
calls the entry point; list and help; get_dir/set_dir; load_state_dict_from_url reads the file
already in <hub dir>/checkpoints. What would need the network raises NoDownloadError, naming
the file. Compared with torch (each side reading a checkpoint it saved itself)."""
from __future__ import annotations

import importlib
import os

import numpy as np
import pytest

import lazygrad as lg
from lazygrad import config
from lazygrad.frontend import hub as lg_hub

torch = pytest.importorskip("torch")

HUBCONF = '''
"""A toy hub repository."""
from blocks import two_layer

dependencies = ["numpy"]


def tiny_mlp(lib, hidden=4, device=None):
    """A two-layer MLP of 3 inputs and 2 outputs."""
    lib.manual_seed(0)
    return two_layer(lib, hidden).to(device) if device else two_layer(lib, hidden)


def _helper():
    return None


not_callable = 3
'''
BLOCKS = '''
def two_layer(lib, hidden):
    return lib.nn.Sequential(lib.nn.Linear(3, hidden), lib.nn.ReLU(), lib.nn.Linear(hidden, 2))
'''


NAME = "tiny-0123abcd.pth"


@pytest.fixture
def repo(tmp_path, monkeypatch):
    monkeypatch.setitem(lg_hub._state, "dir", None)
    monkeypatch.setattr(torch.hub, "_hub_dir", None)
    (tmp_path / "repo").mkdir()
    (tmp_path / "repo" / "hubconf.py").write_text(HUBCONF)
    (tmp_path / "repo" / "blocks.py").write_text(BLOCKS)
    return str(tmp_path / "repo")


def test_load_list_and_help_read_a_local_hubconf(repo, device):
    model = lg.hub.load(repo, "tiny_mlp", lg, hidden=5, source="local", device=device)
    theirs = torch.hub.load(repo, "tiny_mlp", torch, hidden=5, source="local")
    assert [(k, tuple(v.shape)) for k, v in model.state_dict().items()] == \
        [(k, tuple(v.shape)) for k, v in theirs.state_dict().items()]
    assert model[0].weight.device == device
    # (torch's list and help read GitHub only; lazygrad's read a folder, by torch's rules: public callables)
    assert lg.hub.list(repo) == ["tiny_mlp", "two_layer"]
    assert lg.hub.help(repo, "tiny_mlp") == "A two-layer MLP of 3 inputs and 2 outputs."


@pytest.mark.parametrize("call", ["missing dependency", "no such entry", "not callable", "entry not a string",
                                  "unknown source"])
def test_errors_are_torchs(repo, call, device):
    if call == "missing dependency":
        with open(os.path.join(repo, "hubconf.py"), "a") as f:
            f.write("dependencies = ['numpy', 'no_such_package_here', 'nor_this_one']\n")
    errors = []
    for T in (lg, torch):
        model = {"no such entry": "resnet9000", "not callable": "not_callable", "entry not a string": 3}.get(
            call, "tiny_mlp")
        kw = {"source": "nowhere" if call == "unknown source" else "local"}
        with pytest.raises((RuntimeError, ValueError)) as caught:
            T.hub.load(repo, model, T, **kw)
        errors.append((type(caught.value), str(caught.value)))
    assert errors[0] == errors[1]


def test_state_dicts_load_from_the_hub_cache(repo, tmp_path, device):
    url = "https://example.com/models/" + NAME
    loaded = []
    for T, folder in ((lg, "lg_hub"), (torch, "torch_hub")):
        T.hub.set_dir(str(tmp_path / folder))
        assert T.hub.get_dir() == str(tmp_path / folder)
        os.makedirs(os.path.join(T.hub.get_dir(), "checkpoints"))
        T.manual_seed(0)
        T.save({"w": T.arange(6.0).reshape(2, 3)}, os.path.join(T.hub.get_dir(), "checkpoints", NAME))
        state = T.hub.load_state_dict_from_url(url, map_location=device if T is lg else None)
        loaded.append(state["w"].numpy())
        other = importlib.import_module(f"{T.__name__}.utils.model_zoo").load_url(url, file_name=NAME)
        np.testing.assert_array_equal(other["w"].numpy(), loaded[-1])
    np.testing.assert_array_equal(loaded[0], loaded[1])


def test_what_needs_the_network_says_so(repo, tmp_path, device):
    lg.hub.set_dir(str(tmp_path / "empty"))
    with pytest.raises(OSError, match=r"tiny\.pth is not there.*does not download") as caught:
        lg.hub.load_state_dict_from_url("https://example.com/tiny.pth")
    assert str(tmp_path / "empty" / "checkpoints" / "tiny.pth") in str(caught.value)
    with pytest.raises(lg.hub.NoDownloadError, match="GitHub"):
        lg.hub.load("pytorch/vision", "resnet18")
    with pytest.raises(lg.hub.NoDownloadError, match="GitHub"):
        lg.hub.list("pytorch/vision")
    with pytest.raises(lg.hub.NoDownloadError):
        lg.hub.download_url_to_file("https://example.com/tiny.pth", str(tmp_path / "x.pth"))


def test_the_default_folder_is_torchs(repo, monkeypatch):
    monkeypatch.delenv("TORCH_HOME", raising=False)
    assert lg.hub.get_dir() == torch.hub.get_dir()


def test_torch_home_moves_the_folder_as_torchs(tmp_path, monkeypatch):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "th"))
    with config.override(torch_home=str(tmp_path / "th")):  # (settings read the environment once)
        assert lg.hub.get_dir() == torch.hub.get_dir() == str(tmp_path / "th" / "hub")
    monkeypatch.setenv("TORCH_HOME", "~/elsewhere")
    with config.override(torch_home="~/elsewhere"):
        assert lg.hub.get_dir() == torch.hub.get_dir()
