"""The kernel cache on disk is never trusted blindly (runtime/cache_entry.py, disk_cache.py):
every fault below is injected into a cache folder of the test's own, and lazygrad recovers,
gives the right answer and says so once.

Entries: C libraries (`compile_c`), OpenCL binaries (`compile_opencl`, where OpenCL works
here) and rendered sources. Each test builds kernels of its own source (a number drawn for
the test), so that no library it loads was mapped by this process before: glibc hands back
the library already mapped under a path, whatever the file holds now.
"""
from __future__ import annotations

import ctypes
import errno
import multiprocessing
import os
import signal
import subprocess
import sys
import time
import warnings

import numpy as np
import pytest

import lazygrad as lg
from lazygrad import config, errors
from lazygrad.errors import CacheWarning, CompileError, DeviceWarning
from lazygrad.runtime import c as c_runtime
from lazygrad.runtime import cache_entry, disk_cache, opencl, registry, source_cache
from lazygrad.runtime.disk_cache import TEMP_PREFIX

OPENCL = opencl.check()[0]
_DRAWN = np.random.default_rng().permutation(1 << 20)  # one number a kernel, this process
_drawn = iter(_DRAWN)


@pytest.fixture
def cache(tmp_path, override, monkeypatch):
    """A cache folder of the test's own; warnings given again as in a new process. (PoCL's own
    kernel cache is declared off, so that lazygrad keeps OpenCL binaries there too.)"""
    monkeypatch.setattr(errors, "_WARNED", set())
    override(**dict.fromkeys(opencl.DRIVERS_WITH_A_KERNEL_CACHE.values(), "0"))
    folder = tmp_path / "cache"
    override(cache=str(folder))
    return folder


def _value() -> float:
    return float(next(_drawn)) + 0.5


# ---- the kinds of entry: build one (not loaded), run it, find its file ----------------------------

class CLibrary:
    name = "C library"

    def source(self, value: float) -> str:
        return f"void k(float* p0) {{ p0[0] = {value!r}f; }}\n"

    def build(self, value: float) -> str:
        return c_runtime.compile_c(self.source(value), "k")

    def run(self, value: float) -> float:
        out = np.zeros(1, np.float32)
        ctypes.CDLL(c_runtime.compile_c(self.source(value), "k")).k(ctypes.c_void_p(out.ctypes.data))
        return float(out[0])


class OpenCLBinary:
    name = "OpenCL binary"

    def source(self, value: float) -> str:
        return f"__kernel void k(__global float* p0) {{ p0[0] = {value!r}f; }}\n"

    def build(self, value: float) -> str:
        opencl.compile_opencl(self.source(value), "k")
        key = opencl._cache_key(opencl.context(), self.source(value))
        return os.path.join(disk_cache.cache_dir("opencl"), f"k-{key}.bin")

    def run(self, value: float) -> float:
        ctx = opencl.context()
        program = opencl.compile_opencl(self.source(value), "k").program
        buf = ctx.cl.Buffer(ctx.context, ctx.cl.mem_flags.READ_WRITE, 4)
        program.k(ctx.queue, (1,), None, buf)
        out = np.zeros(1, np.float32)
        ctx.cl.enqueue_copy(ctx.queue, out, buf, is_blocking=True)
        return float(out[0])


class Source:
    name = "kernel source"

    def build(self, value: float) -> str:
        source_cache.store(self._key(value), f"/* {value!r} */\n")
        return os.path.join(disk_cache.cache_dir("sources"), self._key(value) + ".src")

    def run(self, value: float) -> float:
        text = source_cache.load(self._key(value))
        return float(text.split()[1]) if text is not None else value  # (a miss: rendered again)

    def _key(self, value: float) -> str:
        return f"{int(value):032x}"


KINDS = [CLibrary(), Source()] + [OpenCLBinary()] * OPENCL
KIND_IDS = [k.name for k in KINDS]


def _good(path) -> bool:
    key = os.path.basename(path).rsplit("-", 1)[-1].split(".")[0]
    with open(path, "rb") as f:
        return cache_entry.unseal(key, f.read())[0] is not None


def _damage(path, fault: str) -> None:
    """Damage the file in place; then forget it was checked, as a new process would."""
    with open(path, "rb") as f:
        data = f.read()
    middle = (len(data) - cache_entry._RECORD.size) // 2  # (in the payload: its length unchanged)
    damaged = {"truncated": data[: len(data) // 2], "empty": b"", "garbage": os.urandom(len(data)),
               "edited": data[:middle] + bytes([data[middle] ^ 1]) + data[middle + 1:]}[fault]
    with open(path, "wb") as f:
        f.write(damaged)
    cache_entry.VERIFIED.clear()


def _cache_warnings(record) -> list[str]:
    return [str(w.message) for w in record if issubclass(w.category, CacheWarning)]


# ---- damaged entries ---------------------------------------------------------------------------

@pytest.mark.parametrize("fault", ["truncated", "empty", "garbage", "edited"])
@pytest.mark.parametrize("kind", KINDS, ids=KIND_IDS)
def test_a_damaged_entry_is_removed_and_rebuilt_with_one_warning(cache, kind, fault):
    value = _value()
    path = kind.build(value)
    _damage(path, fault)
    with pytest.warns(CacheWarning) as record:
        assert kind.run(value) == np.float32(value)
    assert len(_cache_warnings(record)) == 1 and path in _cache_warnings(record)[0]
    if kind.name != "kernel source":  # (a source is stored again by whoever renders it)
        assert _good(path)


@pytest.mark.parametrize("kind", KINDS, ids=KIND_IDS)
def test_two_swapped_entries_are_each_rebuilt_and_warned_of_once(cache, kind):
    values = [_value(), _value()]
    a, b = [kind.build(v) for v in values]
    os.rename(a, a + ".x")
    os.rename(b, a)
    os.rename(a + ".x", b)
    with pytest.warns(CacheWarning) as record:
        assert [kind.run(v) for v in values] == [np.float32(v) for v in values]
    assert len(_cache_warnings(record)) == 1 and "another entry's file" in _cache_warnings(record)[0]


def test_an_edited_source_on_disk_gives_the_right_answer(cache, device, rng):
    if device not in ("c", "opencl"):
        pytest.skip("no rendered sources on disk")
    dev = registry.get_device(device)
    a = rng.standard_normal(64).astype(np.float32)
    scale = np.float32(_value())
    (lg.Tensor(a, device=device) * float(scale)).numpy()
    edited, text = 0, repr(float(scale))
    for path in (cache / "sources").iterdir():  # another constant of the same length, checksum as it was
        data = path.read_bytes()
        path.write_bytes(data.replace(text.encode(), f"{int(text[0]) % 9 + 1}{text[1:]}".encode()))
        edited += path.read_bytes() != data
    assert edited
    dev._sources.clear()  # as in a new process
    with pytest.warns(CacheWarning, match="kernel source"):
        got = (lg.Tensor(a, device=device) * float(scale)).numpy()
    np.testing.assert_allclose(got, a * scale, rtol=1e-6)


# ---- folders that cannot be written ------------------------------------------------------------

def _read_only(folder, monkeypatch) -> None:
    """folder and the folders in it read-only; root ignores modes, so creating a file there
    also fails as on a read-only file system."""
    for sub in [folder, *(p for p in folder.rglob("*") if p.is_dir())]:
        sub.chmod(0o555)
    real_open = os.open

    def refuse(path, flags, mode=0o777, **kw):
        if flags & os.O_CREAT and os.path.dirname(os.path.abspath(path)).startswith(str(folder)):
            raise OSError(errno.EROFS, os.strerror(errno.EROFS), path)
        return real_open(path, flags, mode, **kw)
    monkeypatch.setattr(disk_cache.os, "open", refuse)


@pytest.mark.parametrize("kind", KINDS, ids=KIND_IDS)
def test_a_read_only_cache_falls_back_to_a_private_temporary_one(cache, kind, monkeypatch):
    old = _value()
    kept = kind.build(old)  # (a good entry made before: still read)
    _read_only(cache, monkeypatch)
    value = _value()
    with pytest.warns(CacheWarning, match="cannot be written") as record:
        path = kind.build(value)
    assert kind.run(value) == np.float32(value) and kind.run(old) == np.float32(old)
    temporary = disk_cache._FALLBACK[str(cache)]
    assert len(_cache_warnings(record)) == 1 and path.startswith(temporary) and os.path.exists(kept)
    assert os.stat(temporary).st_mode & 0o077 == 0  # (private)
    for sub in [cache, *(p for p in cache.rglob("*") if p.is_dir())]:
        sub.chmod(0o755)


@pytest.mark.parametrize("kind", KINDS, ids=KIND_IDS)
def test_a_full_disk_falls_back_to_a_temporary_cache(cache, kind, monkeypatch):
    real_write = cache_entry.atomic_write

    def full(path, *args, **kwargs):
        if str(path).startswith(str(cache)):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), path)
        return real_write(path, *args, **kwargs)
    monkeypatch.setattr(cache_entry, "atomic_write", full)
    value = _value()
    with pytest.warns(CacheWarning, match="No space left") as record:
        path = kind.build(value)
    assert kind.run(value) == np.float32(value)
    assert len(_cache_warnings(record)) == 1 and not path.startswith(str(cache))
    assert not [p for p in cache.rglob("*") if p.name.startswith(TEMP_PREFIX)]


def test_the_temporary_cache_is_removed_at_exit(tmp_path):
    blocked = tmp_path / "a file"
    blocked.write_text("not a folder")
    script = ("import warnings, numpy as np, lazygrad as lg\nfrom lazygrad.runtime import disk_cache\n"
              "warnings.simplefilter('ignore')\n"
              "print((lg.Tensor(np.arange(5, dtype=np.float32), device='c') * 2).tolist())\n"
              "print(list(disk_cache._FALLBACK.values())[0])\n")
    out = subprocess.run([sys.executable, "-c", script], env=dict(os.environ, LAZYGRAD_CACHE=str(blocked)),
                         capture_output=True, text=True, check=True).stdout.split("\n")
    assert out[0] == "[0.0, 2.0, 4.0, 6.0, 8.0]" and out[1] and not os.path.exists(out[1])


# ---- modes, fsync, stale temporary files -------------------------------------------------------

@pytest.mark.parametrize("umask", [0o022, 0o027])
def test_entries_are_0644_and_folders_0755_under_the_umask(cache, umask):
    old = os.umask(umask)
    try:
        path = CLibrary().build(_value())
        Source().build(_value())
    finally:
        os.umask(old)
    assert os.stat(path).st_mode & 0o777 == 0o644 & ~umask
    assert os.stat(cache / "sources").st_mode & 0o777 == 0o755 & ~umask
    assert cache.stat().st_mode & 0o777 == 0o755 & ~umask
    assert [f.stat().st_mode & 0o777 for f in (cache / "sources").iterdir()] == [0o644 & ~umask]


def test_a_library_reaches_the_disk_before_it_is_renamed_into_place(cache, monkeypatch):
    order = []
    real_fsync, real_replace = os.fsync, os.replace
    monkeypatch.setattr(disk_cache.os, "fsync", lambda fd: order.append("fsync") or real_fsync(fd))
    monkeypatch.setattr(disk_cache.os, "replace", lambda a, b: order.append("replace") or real_replace(a, b))
    CLibrary().build(_value())
    assert order == ["fsync", "replace"]


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_stale_temporary_files_are_removed_when_the_cache_is_opened(tmp_path, override):
    folder = tmp_path / "cache"
    (folder / "sources").mkdir(parents=True)
    host, hour_ago = disk_cache._HOST, time.time() - 2 * disk_cache.STALE_SECONDS
    names = {"dead": (folder / f"{TEMP_PREFIX}{host}-{_dead_pid()}-ab.so", None),
             "old": (folder / "sources" / f"{TEMP_PREFIX}otherhost-1-cd.src", hour_ago),
             "old, no pid": (folder / f"{TEMP_PREFIX}0123456789ab.so", hour_ago),
             "alive": (folder / f"{TEMP_PREFIX}{host}-{os.getpid()}-ef.so", None),
             "another host's": (folder / f"{TEMP_PREFIX}otherhost-1-gh.so", None)}
    for path, mtime in names.values():
        path.write_bytes(b"part of a library")
        if mtime:
            os.utime(path, (mtime, mtime))
    override(cache=str(folder))
    disk_cache.cache_dir()
    assert {k for k, (path, _) in names.items() if path.exists()} == {"alive", "another host's"}


# ---- processes -----------------------------------------------------------------------------------

_PROGRAM = ("import numpy as np, lazygrad as lg\n"
            "x = lg.Tensor(np.arange(300, dtype=np.float32), device='c')\n"
            "for v in {values}:\n"
            "    print(float(((x * 3.25).sin() + v).sum().item()))\n")


def _expected(v: float) -> float:
    return float((np.sin(np.arange(300, dtype=np.float32) * np.float32(3.25)) + np.float32(v)).sum())


def test_a_process_killed_mid_compile_leaves_nothing_the_next_one_trips_on(tmp_path):
    """A process is killed while its compiler writes a library; the next one compiles that
    kernel, removes the dead writer's temporary file, and takes a library cut short (of a
    kernel the first run compiled) as damaged, never mapping it."""
    cc, marker, folder = tmp_path / "slow-cc", tmp_path / "compiling", tmp_path / "cache"
    cc.write_text(f'#!/bin/sh\ncase "$*" in *{TEMP_PREFIX}*) if [ -n "$LG_SLOW" ]; then touch "{marker}"; '
                  f'sleep 60; fi;; esac\nexec {c_runtime.compiler_command()[0]} "$@"\n')
    cc.chmod(0o755)
    env = dict(os.environ, LAZYGRAD_CACHE=str(folder), CC=str(cc))
    first, second = _value(), _value()
    subprocess.run([sys.executable, "-c", _PROGRAM.format(values=[first])], env=env, check=True,
                   capture_output=True)
    for lib in folder.glob("*.so"):
        lib.write_bytes(lib.read_bytes()[:4000])
    killed = subprocess.Popen([sys.executable, "-c", _PROGRAM.format(values=[second])],
                              env=dict(env, LG_SLOW="1"), start_new_session=True, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE)
    for _ in range(1200):
        if marker.exists() or killed.poll() is not None:
            break
        time.sleep(0.05)
    os.killpg(killed.pid, signal.SIGKILL)
    killed.wait()
    assert marker.exists(), killed.stderr.read().decode()
    left = list(folder.rglob(f"{TEMP_PREFIX}*"))
    assert left  # what the kill left behind
    done = subprocess.run([sys.executable, "-c", _PROGRAM.format(values=[first, second])], env=env,
                          capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    got = [float(line) for line in done.stdout.split()]
    np.testing.assert_allclose(got, [_expected(first), _expected(second)], rtol=1e-5)
    assert "damaged" in done.stderr and not list(folder.rglob(f"{TEMP_PREFIX}*"))


def _compute(device: str, folder: str, barrier, results) -> None:
    """In a new process: wait for the others, then run kernels none has compiled yet."""
    import traceback

    import lazygrad as lg
    from lazygrad import config
    try:
        with config.override(cache=folder):
            barrier.wait()
            x = lg.Tensor(np.linspace(-1, 1, 200, dtype=np.float32).reshape(10, 20), device=device)
            results.put([(x * 1.75 + 0.25).exp().sum(1).numpy(), (x.softmax(1) @ x.T).numpy(),
                         (x.max(0).values - x.min(0).values).numpy()])
    except Exception:  # noqa: BLE001  (whatever fails goes back to the test)
        results.put(traceback.format_exc())


@pytest.mark.parametrize("processes", [2, pytest.param(4, marks=pytest.mark.slow)])
def test_processes_compiling_the_same_kernels_at_once_all_get_right_results(tmp_path, device, processes):
    if device == "python":
        pytest.skip("the python device compiles nothing")
    spawn = multiprocessing.get_context("spawn")
    barrier, results = spawn.Barrier(processes), spawn.Queue()
    procs = [spawn.Process(target=_compute, args=(device, str(tmp_path), barrier, results))
             for _ in range(processes)]
    for p in procs:
        p.start()
    outs = [results.get(timeout=120) for _ in procs]
    for p in procs:
        p.join(30)
    assert [p.exitcode for p in procs] == [0] * processes
    assert not [out for out in outs if isinstance(out, str)], outs  # (a failure's traceback)
    x = np.linspace(-1, 1, 200, dtype=np.float32).reshape(10, 20)
    softmax = np.exp(x - x.max(1, keepdims=True))
    expected = [np.exp(x * 1.75 + 0.25).sum(1), (softmax / softmax.sum(1, keepdims=True)) @ x.T,
                x.max(0) - x.min(0)]
    for out in outs:
        for got, want in zip(out, expected):
            np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-5)
    assert not list(tmp_path.rglob(f"{TEMP_PREFIX}*"))
    assert all(_good(p) for p in tmp_path.rglob("*") if p.suffix in cache_entry.ENTRY_SUFFIXES)


# ---- the compiler ------------------------------------------------------------------------------

def test_cc_may_carry_arguments(cache, override):
    gcc = c_runtime.compiler_command()[0]
    override(cc=f"{gcc} -O0 -DLG_FROM_CC=7.5f")
    assert c_runtime.find_compiler() == f"{gcc} -O0 -DLG_FROM_CC=7.5f" and c_runtime.check()[0]
    out = np.zeros(1, np.float32)
    source = f"void k(float* p0) {{ p0[0] = LG_FROM_CC + {_value()!r}f; }}\n"
    lib = ctypes.CDLL(c_runtime.compile_c(source, "k"))
    lib.k(ctypes.c_void_p(out.ctypes.data))
    assert out[0] > 7.5
    override(cc=f"env {gcc}")  # a wrapper, as ccache gcc
    assert CLibrary().run(v := _value()) == np.float32(v)


@pytest.mark.parametrize("cc", ["/nonexistent/cc", "no-such-ccache gcc", "'unbalanced"])
def test_a_missing_compiler_makes_c_unavailable_and_the_default_falls_back(cache, override, monkeypatch, cc):
    monkeypatch.setattr(registry, "_DEVICES", {})
    override(cc=cc, device=None)
    record = {d.name: d for d in lg.devices()}["c"]
    assert not record.available and repr(cc) in record.reason
    with pytest.warns(DeviceWarning, match=f"default device is '(opencl|python)'.*{cc.split()[0]}"):
        assert registry.default_device() in ("opencl", "python")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        registry.default_device()  # (warned once)
    with pytest.raises(CompileError, match="CC="):
        c_runtime.compile_c("void k(float* p0) { }\n", "k")


def test_a_compiler_that_writes_garbage_gives_a_compile_error_with_its_output(cache, override, tmp_path):
    cc = tmp_path / "garbage-cc"
    cc.write_text('#!/bin/sh\nwhile [ $# -gt 0 ]; do [ "$1" = -o ] && echo garbage > "$2"; shift; done\n'
                  'cat > /dev/null\necho "I wrote a library"\n')
    cc.chmod(0o755)
    override(cc=str(cc))
    ok, reason = c_runtime.check()
    assert not ok and "I wrote a library" in reason
    with pytest.raises(CompileError, match="(?s)not a shared library.*I wrote a library"):
        c_runtime.compile_c("void k(float* p0) { }\n", "k", flags=("-shared",))
    assert not [p for p in cache.rglob("*") if p.is_file()]


# ---- the size cap ------------------------------------------------------------------------------

@pytest.mark.parametrize("text, size", [("512M", 512 << 20), ("1G", 1 << 30), ("64KiB", 64 << 10),
                                        ("4096", 4096), ("1.5g", 3 << 29), ("0", 0), (None, 1 << 30),
                                        ("lots", 1 << 30)])
def test_the_cap_is_a_size_setting(override, text, size):
    override(cache_max=text)
    assert config.settings.cache_max == size


def test_the_cap_removes_the_least_recently_used_entries(cache, override):
    c_runtime.compiler_flags()  # (its test kernels are cache entries too: made, then left out)
    for probe_library in cache.glob("lg_probe-*.so"):
        probe_library.unlink()
    kind = CLibrary()
    values = [_value() for _ in range(6)]
    paths = [kind.build(v) for v in values]
    size = os.path.getsize(paths[0])
    for age, path in enumerate(reversed(paths)):  # paths[0] the oldest
        os.utime(path, (time.time() - 3600 - age, time.time() - 3600 - age))
    assert kind.run(values[0]) == np.float32(values[0])  # loaded: used now
    override(cache_max=str(int(size * 4.5)))
    newest = kind.build(_value())  # over the cap: down to 90% of it
    left = sorted(p for p in paths + [newest] if os.path.exists(p))
    assert left == sorted([paths[0], paths[4], paths[5], newest])
    assert sum(os.path.getsize(p) for p in left) <= int(size * 4.5)


def test_a_cap_of_zero_keeps_everything(cache, override):
    override(cache_max="0")
    paths = [CLibrary().build(_value()) for _ in range(3)]
    for path in paths:
        os.utime(path, (0, 0))
    CLibrary().build(_value())
    assert all(os.path.exists(p) for p in paths)


# ---- the hot path ------------------------------------------------------------------------------

def test_a_file_checked_once_is_not_read_again(cache, monkeypatch):
    kind = CLibrary()
    value = _value()
    kind.build(value)
    cache_entry.VERIFIED.clear()  # as in a new process: read and checked once
    kind.run(value)
    monkeypatch.setattr(cache_entry, "unseal", lambda *a: pytest.fail("read and checked again"))
    for _ in range(3):
        assert kind.run(value) == np.float32(value)


def test_a_program_in_memory_touches_no_file(cache, monkeypatch, rng):
    a, b = rng.standard_normal((2, 32)).astype(np.float32)
    (lg.Tensor(a, device="c") * 2.5 + 1).numpy()
    monkeypatch.setattr(cache_entry, "load", lambda *args: pytest.fail("read the disk"))
    monkeypatch.setattr(cache_entry, "find", lambda *args: pytest.fail("looked on disk"))
    np.testing.assert_allclose((lg.Tensor(b, device="c") * 2.5 + 1).numpy(), b * 2.5 + 1, rtol=1e-6)
