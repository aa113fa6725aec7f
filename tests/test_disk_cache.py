"""Files on disk (runtime/disk_cache.py): a write replaces the old file whole or leaves it as it
was, never leaves a temporary file behind, and every file lazygrad writes goes through it; the
CPU tag tells machines apart."""
from __future__ import annotations

import ast
import os
import pathlib

import pytest

import lazygrad as lg
from lazygrad import config
from lazygrad.runtime import disk_cache
from lazygrad.runtime.disk_cache import TEMP_PREFIX, atomic_path, atomic_write

PACKAGE = pathlib.Path(__file__).resolve().parent.parent / "lazygrad"


def _temps(folder) -> list[str]:
    return [n for n in os.listdir(folder) if n.startswith(TEMP_PREFIX)]


@pytest.mark.parametrize("data, expected", [
    (b"\x00\x01bytes", b"\x00\x01bytes"), ("text é\n", "text é\n".encode()),
    ([b"one ", b"two"], b"one two"), (memoryview(b"view"), b"view"),
])
@pytest.mark.parametrize("durable", [True, False])
def test_atomic_write_replaces_the_file(tmp_path, data, expected, durable):
    path = tmp_path / "f.bin"
    path.write_bytes(b"old")
    atomic_write(path, data, durable=durable)
    assert path.read_bytes() == expected and _temps(tmp_path) == []


def test_a_write_that_fails_midway_leaves_the_old_file_and_no_temporary(tmp_path):
    path = tmp_path / "f.bin"
    path.write_bytes(b"old contents")

    def pieces():
        yield b"half of the new "
        raise RuntimeError("the writer failed")
    with pytest.raises(RuntimeError, match="the writer failed"):
        atomic_write(path, pieces())
    assert path.read_bytes() == b"old contents" and _temps(tmp_path) == []


def test_a_failed_rename_leaves_the_old_file_and_no_temporary(tmp_path, monkeypatch):
    path = tmp_path / "f.bin"
    path.write_bytes(b"old contents")

    def replace(src, dst):
        raise OSError("disk full")
    monkeypatch.setattr(disk_cache.os, "replace", replace)
    with pytest.raises(OSError, match="disk full"):
        atomic_write(path, b"new contents")
    assert path.read_bytes() == b"old contents" and _temps(tmp_path) == []


def test_a_path_writer_that_fails_leaves_nothing(tmp_path):
    """A compiler writing its -o file: the block raising removes what it wrote."""
    path = tmp_path / "k.so"
    with pytest.raises(ValueError), atomic_path(path, ".so") as tmp:
        pathlib.Path(tmp).write_bytes(b"part of a library")
        raise ValueError("the compiler failed")
    assert not path.exists() and _temps(tmp_path) == []


@pytest.mark.parametrize("durable", [True, False])
def test_durable_writes_reach_the_disk_before_the_rename(tmp_path, monkeypatch, durable):
    order = []
    real_fsync, real_replace = os.fsync, os.replace
    monkeypatch.setattr(disk_cache.os, "fsync", lambda fd: order.append("fsync") or real_fsync(fd))
    monkeypatch.setattr(disk_cache.os, "replace", lambda a, b: order.append("replace") or real_replace(a, b))
    atomic_write(tmp_path / "a", b"x", durable=durable)
    with atomic_path(tmp_path / "b", durable=durable) as tmp:
        pathlib.Path(tmp).write_bytes(b"y")
    assert order == (["fsync", "replace"] * 2 if durable else ["replace"] * 2)


def test_a_new_file_gets_the_permissions_open_gives(tmp_path):
    umask = os.umask(0)
    os.umask(umask)
    atomic_write(tmp_path / "f", b"x")
    assert (tmp_path / "f").stat().st_mode & 0o777 == 0o666 & ~umask


def test_a_failed_save_keeps_the_old_checkpoint(tmp_path, monkeypatch):
    path = tmp_path / "model.safetensors"
    lg.save({"w": lg.Tensor([1.0, 2.0])}, path)
    before = path.read_bytes()
    monkeypatch.setattr(disk_cache.os, "replace", lambda a, b: (_ for _ in ()).throw(OSError("no space")))
    with pytest.raises(OSError, match="no space"):
        lg.save({"w": lg.Tensor([3.0, 4.0, 5.0])}, path)
    assert path.read_bytes() == before and _temps(tmp_path) == []
    monkeypatch.undo()
    assert lg.load(path)["w"].tolist() == [1.0, 2.0]


def test_the_cache_folder_follows_its_settings(tmp_path, override):
    override(cache=str(tmp_path / "mine"))
    assert disk_cache.cache_dir("beam") == str(tmp_path / "mine" / "beam")
    assert (tmp_path / "mine" / "beam").is_dir()
    override(cache=None, xdg_cache_home=str(tmp_path / "xdg"))
    assert disk_cache.cache_dir() == str(tmp_path / "xdg" / "lazygrad")


def test_cpuinfo_is_parsed_and_missing_cpuinfo_has_a_fallback(tmp_path):
    info = tmp_path / "cpuinfo"
    info.write_text("processor\t: 0\nmodel name\t: Some CPU 9000\nflags\t\t: fpu sse2 avx2 avx512f\n\n"
                    "processor\t: 1\nmodel name\t: Some CPU 9000\nflags\t\t: fpu sse2 avx2 avx512f\n")
    cpu = config.describe_cpu(str(info))
    assert cpu.model == "Some CPU 9000" and cpu.flags == ("fpu", "sse2", "avx2", "avx512f")
    assert cpu.has("avx512f") and not cpu.has("avx512")
    arm = tmp_path / "arm"
    arm.write_text("processor\t: 0\nFeatures\t: fp asimd crc32\nCPU part\t: 0xd0c\n")
    assert config.describe_cpu(str(arm)).flags == ("fp", "asimd", "crc32")
    missing = config.describe_cpu(str(tmp_path / "absent"))  # macOS has no /proc/cpuinfo
    assert missing.model and missing.flags == ()


def test_the_cpu_tag_tells_cpus_apart(monkeypatch):
    tag = disk_cache.cpu_tag()
    assert len(tag) == 12
    monkeypatch.setattr(disk_cache, "cpu", lambda: config.CPU("Other CPU", ("sse2",)))
    assert disk_cache.cpu_tag() != tag


# ---- every writer and every reader of the machine goes through one home ------------------------

def _writes(source: str) -> list[tuple[int, str]]:
    """(line, call) of each call that writes a file other than through disk_cache: open() for
    writing, os.replace or rename, tempfile's files, pathlib's write_*, np.save to a path."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call):
            continue
        fn = ast.unparse(node.func)
        mode = node.args[1] if len(node.args) > 1 else next((k.value for k in node.keywords if k.arg == "mode"), None)
        writing = (fn in ("open", "io.open", "os.fdopen") and isinstance(mode, ast.Constant)
                   and any(c in str(mode.value) for c in "wax+"))
        to_path = fn in ("np.save", "np.savez") and not isinstance(node.args[0], ast.Name)  # (a buffer)
        if (writing or to_path or fn in ("os.replace", "os.rename", "shutil.move")
                or fn.endswith(("mkstemp", "NamedTemporaryFile", ".write_text", ".write_bytes", ".tofile"))):
            found.append((node.lineno, ast.unparse(node)[:70]))
    return found


def test_the_writer_check_finds_writes():
    sample = ("import os, numpy as np\nopen(p, 'w')\nopen(p, mode='ab')\nos.replace(a, b)\n"
              "np.save(os.path.join(d, 'x.npy'), a)\nopen(p)\nopen(p, 'rb')\nnp.save(buf, a)\n")
    assert [line for line, _ in _writes(sample)] == [2, 3, 4, 5]


def test_every_file_lazygrad_writes_goes_through_disk_cache():
    stray = [f"{p.relative_to(PACKAGE.parent)}:{line}: {call}" for p in sorted(PACKAGE.rglob("*.py"))
             if p.name != "disk_cache.py" for line, call in _writes(p.read_text())]
    assert not stray, "write files with runtime/disk_cache.py (atomic_write, atomic_path):\n" + "\n".join(stray)


def test_only_config_reads_proc_cpuinfo():
    readers = [str(p.relative_to(PACKAGE.parent)) for p in PACKAGE.rglob("*.py")
               if "/proc/cpuinfo" in p.read_text() and p.name != "config.py"]
    assert not readers, f"read the CPU through lazygrad.config.cpu(), not /proc/cpuinfo: {readers}"
