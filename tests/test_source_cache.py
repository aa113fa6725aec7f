"""Rendered sources kept on disk (runtime/source_cache.py): a new process finds them and
skips lowering and rendering; anything a source depends on changes its key; a replaced
renderer's sources stay out of the disk cache."""
from __future__ import annotations

import weakref

import numpy as np
import pytest

import lazygrad as lg
from lazygrad.codegen import heuristics
from lazygrad.runtime import device as device_module
from lazygrad.runtime import source_cache
from lazygrad.runtime.registry import get_device

CACHED = ["c", "opencl"]  # the built-in devices whose renderers say what they depend on


@pytest.fixture
def empty_cache(tmp_path, override):
    override(cache=str(tmp_path))
    return tmp_path


def _forget_sources(dev):
    dev._sources = weakref.WeakKeyDictionary()


def _sources_on_disk(folder) -> list:
    path = folder / "sources"
    return sorted(p.name for p in path.iterdir()) if path.exists() else []


@pytest.mark.parametrize("name", CACHED)
def test_a_new_process_reads_sources_instead_of_lowering(empty_cache, monkeypatch, rng, name):
    if name not in [d.name for d in lg.devices() if d.available]:
        pytest.skip(f"{name} does not work here")
    dev = get_device(name)
    a = rng.standard_normal((16, 33)).astype(np.float32)
    x = lg.Tensor(a, device=name)
    _forget_sources(dev)
    np.testing.assert_allclose((x.exp() * 2).sum(1).numpy(), (np.exp(a) * 2).sum(1), rtol=1e-5)
    stored = _sources_on_disk(empty_cache)
    assert stored and all(n.endswith(".src") for n in stored)
    _forget_sources(dev)  # as in a new process: only the disk cache is left

    def no_lowering(*args, **kwargs):
        raise AssertionError("lowered a kernel whose source is on disk")
    monkeypatch.setattr(device_module, "lower", no_lowering)
    y = lg.Tensor(a, device=name)
    np.testing.assert_allclose((y.exp() * 2).sum(1).numpy(), (np.exp(a) * 2).sum(1), rtol=1e-5)
    assert _sources_on_disk(empty_cache) == stored


def test_every_input_of_the_rendering_is_in_the_key():
    x = lg.Tensor(np.ones((8, 8), np.float32), device="c")
    (k,) = [k for k in (x.sum(1) * 2).schedule() if k.ast is not None]
    (other,) = [k for k in (x.sum(0) * 2).schedule() if k.ast is not None]
    base = source_cache.source_key("c\0cpu", k.ast, k.name)
    assert base == source_cache.source_key("c\0cpu", k.ast, k.name)
    assert base != source_cache.source_key("c\0another cpu", k.ast, k.name)
    assert base != source_cache.source_key("c\0cpu", k.ast, k.name + "_b")
    assert base != source_cache.source_key("c\0cpu", other.ast, k.name)
    old = heuristics._PROFILES.get("c")
    try:
        heuristics.set_lane_profile("c", heuristics.GPU_PROFILE)
        assert base != source_cache.source_key("c\0cpu", k.ast, k.name)
    finally:
        heuristics._PROFILES.pop("c")
        if old is not None:
            heuristics._PROFILES["c"] = old


def test_the_code_fingerprint_follows_the_code(tmp_path, monkeypatch):
    for sub in ("codegen", "ir", "runtime"):
        (tmp_path / sub).mkdir()
        (tmp_path / sub / "a.py").write_text("x = 1\n")
    (tmp_path / "dtypes.py").write_text("")
    monkeypatch.setattr(source_cache, "_PACKAGE", str(tmp_path))
    source_cache.code_fingerprint.cache_clear()
    try:
        before = source_cache.code_fingerprint()
        (tmp_path / "codegen" / "a.py").write_text("x = 2\n")
        source_cache.code_fingerprint.cache_clear()
        assert source_cache.code_fingerprint() != before
    finally:
        monkeypatch.undo()
        source_cache.code_fingerprint.cache_clear()


def test_a_replaced_renderer_keeps_nothing_on_disk(empty_cache, monkeypatch, rng):
    from lazygrad.codegen.render_c import render_c
    dev = get_device("c")
    monkeypatch.setattr(dev, "renderer", lambda kernel: render_c(kernel) + "/* replaced */\n")
    _forget_sources(dev)
    a = rng.standard_normal(40).astype(np.float32)
    np.testing.assert_allclose((lg.Tensor(a, device="c") * 3 + 1).numpy(), a * 3 + 1, rtol=1e-6)
    assert _sources_on_disk(empty_cache) == []
    monkeypatch.undo()
    _forget_sources(dev)


@pytest.mark.filterwarnings("ignore::lazygrad.errors.CacheWarning")
def test_an_unwritable_cache_is_not_an_error(tmp_path, override, rng):
    """The process keeps its sources in a temporary folder instead (tests/test_kernel_cache.py)."""
    blocked = tmp_path / "file"
    blocked.write_text("not a folder")
    override(cache=str(blocked))
    source_cache.store("k" * 32, "int x;\n")  # no error
    assert source_cache.load("k" * 32) == "int x;\n" and blocked.read_text() == "not a folder"
