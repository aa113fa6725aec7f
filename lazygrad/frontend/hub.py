"""torch.hub without the network: models from a local folder's hubconf.py, and checkpoints
already in the hub's cache folder.

A hub repository is a folder with a `hubconf.py`: its public callables are entry points, its
optional `dependencies` list names the packages they need. `load(dir, name, *args,
source='local', **kwargs)` imports it with the folder first on sys.path (so it imports its own
modules), checks the dependencies and calls the entry point; `list` and `help` name the entry
points and show one's docstring. `load_state_dict_from_url` looks where torch would have
saved the download, `get_dir()/checkpoints/<the URL's file name>`, and loads that file with
lg.load. lazygrad makes no network requests: `source='github'`, a checkpoint that is not in
the cache and `download_url_to_file` raise NoDownloadError, which names the file to fetch and
where to put it. The cache folder is torch's default, $XDG_CACHE_HOME/torch/hub, so a file
torch downloaded there is found; $TORCH_HOME and set_dir() move it, as torch's.
"""
from __future__ import annotations

import builtins
import contextlib
import importlib.util
import os
import sys
from urllib.parse import urlparse

from lazygrad.config import settings
from lazygrad.errors import LazygradError
from lazygrad.frontend.serialization import load as _load

HUBCONF = "hubconf.py"
DEPENDENCIES = "dependencies"
_state: dict[str, str | None] = {"dir": None}  # set_dir's folder; None: the default


class NoDownloadError(LazygradError, OSError):
    """Something torch.hub would download (lazygrad makes no network requests); an OSError, as
    the URLError torch raises offline is."""


def get_dir() -> str:
    """The hub's cache folder: set_dir's, else $TORCH_HOME/hub, else $XDG_CACHE_HOME/torch/hub
    (torch's order)."""
    if _state["dir"] is not None:
        return _state["dir"]
    home = settings.torch_home or os.path.join(settings.xdg_cache_home or "~/.cache", "torch")
    return os.path.join(os.path.expanduser(home), "hub")


def set_dir(d: str | os.PathLike) -> None:
    _state["dir"] = os.path.expanduser(os.fspath(d))


@contextlib.contextmanager
def _on_sys_path(path: str):
    sys.path.insert(0, path)
    try:
        yield
    finally:
        with contextlib.suppress(ValueError):
            sys.path.remove(path)


def _import_hubconf(repo_dir: str):
    path = os.path.join(repo_dir, HUBCONF)
    spec = importlib.util.spec_from_file_location(HUBCONF, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)  # (FileNotFoundError where the folder has no hubconf.py, as torch's)
    return module


def _entry(module, model):
    if not isinstance(model, str):
        raise ValueError("Invalid input: model should be a string of function name")  # noqa: TRY004 (torch's)
    needed = getattr(module, DEPENDENCIES, None) or ()
    missing = [name for name in needed if importlib.util.find_spec(name) is None]
    if missing:
        raise RuntimeError(f"Missing dependencies: {', '.join(missing)}")
    func = getattr(module, model, None)
    if func is None or not callable(func):
        raise RuntimeError(f"Cannot find callable {model} in hubconf")
    return func


def _repo_dir(repo_or_dir: str, source: str) -> str:
    source = source.lower()
    if source not in ("github", "local"):
        raise ValueError(f'Unknown source: "{source}". Allowed values: "github" | "local".')
    if source == "github":
        raise NoDownloadError(f"torch.hub: lazygrad does not download repositories (it makes no network "
                              f"requests), so {repo_or_dir!r} cannot be fetched from GitHub; clone it and "
                              f"call with the folder and source='local'")
    return os.fspath(repo_or_dir)


def load(repo_or_dir, model, *args, source: str = "github", trust_repo="check", force_reload: bool = False,
         verbose: bool = True, skip_validation: bool = False, **kwargs):
    """The entry point `model` of repo_or_dir's hubconf.py, called with args and kwargs."""
    repo_dir = _repo_dir(repo_or_dir, source)
    with _on_sys_path(repo_dir):
        return _entry(_import_hubconf(repo_dir), model)(*args, **kwargs)


def _listed_dir(github) -> str:
    """torch's list and help read GitHub repositories only; lazygrad reads folders only, so a
    folder is taken as one (and anything else is a repository it cannot fetch)."""
    return _repo_dir(github, "local" if os.path.isdir(github) else "github")


def list(github, force_reload: bool = False, skip_validation: bool = False, trust_repo="check",
         verbose: bool = True) -> builtins.list[str]:
    """The entry points of a hubconf.py: its callables whose names do not start with '_'."""
    repo_dir = _listed_dir(github)
    with _on_sys_path(repo_dir):
        module = _import_hubconf(repo_dir)
    return [name for name in dir(module) if callable(getattr(module, name)) and not name.startswith("_")]


def help(github, model, force_reload: bool = False, skip_validation: bool = False,
         trust_repo="check") -> str | None:
    """The docstring of an entry point."""
    repo_dir = _listed_dir(github)
    with _on_sys_path(repo_dir):
        module = _import_hubconf(repo_dir)
    return _entry(module, model).__doc__


def download_url_to_file(url: str, dst: str, hash_prefix: str | None = None, progress: bool = True) -> None:
    raise NoDownloadError(f"torch.hub: lazygrad does not download (it makes no network requests): fetch "
                          f"{url} to {dst} yourself")


def load_state_dict_from_url(url: str, model_dir: str | None = None, map_location=None, progress: bool = True,
                             check_hash: bool = False, file_name: str | None = None,
                             weights_only: bool = False):
    """What lg.load reads from model_dir (default get_dir()/checkpoints)/file_name (default the
    URL's file name), the file torch would have downloaded there."""
    if model_dir is None:
        model_dir = os.path.join(get_dir(), "checkpoints")
    name = file_name if file_name is not None else os.path.basename(urlparse(url).path)
    cached = os.path.join(model_dir, name)
    if not os.path.exists(cached):
        raise NoDownloadError(f"torch.hub: {cached} is not there, and lazygrad does not download (it makes "
                              f"no network requests): fetch {url} to that path and call again")
    return _load(cached, map_location=map_location, weights_only=weights_only)


__all__ = ["NoDownloadError", "download_url_to_file", "get_dir", "help", "list", "load",
           "load_state_dict_from_url", "set_dir"]
