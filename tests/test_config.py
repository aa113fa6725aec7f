"""lazygrad/config.py, the one home of settings: every environment variable is read through it
and documented, and an override changes a setting for a block and restores it."""
from __future__ import annotations

import ast
import os
import pathlib
import re
import subprocess
import sys

import numpy as np
import pytest

import lazygrad as lg
from lazygrad import config
from lazygrad.config import settings

ROOT = pathlib.Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "lazygrad"


# ---- settings: every environment variable, read through config ---------------------------------

def _environment_reads(source: str) -> list[int]:
    """Lines that read or write the process environment (os.environ, os.getenv, putenv, ...)."""
    lines = []
    for node in ast.walk(ast.parse(source)):
        attribute = isinstance(node, ast.Attribute) and node.attr in (
            "environ", "environb", "getenv", "getenvb", "putenv", "unsetenv")
        imported = isinstance(node, ast.ImportFrom) and node.module == "os" and any(
            a.name in ("environ", "getenv", "putenv") for a in node.names)
        if attribute or imported:
            lines.append(node.lineno)
    return sorted(lines)


def test_the_environment_check_finds_reads():
    sample = ("import os\nfrom os import environ\nos.environ.get('A')\nos.getenv('B')\n"
              "os.environ['C'] = '1'\nx = os.path.join('a')\n")
    assert _environment_reads(sample) == [2, 3, 4, 5]


def test_only_config_reads_the_environment():
    stray = [f"{p.relative_to(ROOT)}:{line}" for p in sorted(PACKAGE.rglob("*.py")) if p.name != "config.py"
             or p.parent != PACKAGE for line in _environment_reads(p.read_text())]
    assert not stray, "read environment variables through lazygrad.config.settings:\n" + "\n".join(stray)


def test_every_variable_lazygrad_names_is_declared():
    """A LAZYGRAD_* name anywhere in the package (code, messages, docstrings) is a setting."""
    declared = {s.variable for s in config.SETTINGS}
    named = {m for p in PACKAGE.rglob("*.py") for m in re.findall(r"\bLAZYGRAD_[A-Z_]*[A-Z]", p.read_text())}
    assert named - declared == set(), "declare these in config.SETTINGS"
    assert {s.variable for s in config.SETTINGS if s.variable.startswith("LAZYGRAD_")} <= named


def test_the_documented_table_is_the_declared_one():
    docs = (ROOT / "docs" / "configuration.md").read_text()
    assert config.settings_table() in docs, "docs/configuration.md: paste config.settings_table()"
    assert "docs/configuration.md" in (ROOT / "README.md").read_text()


@pytest.mark.parametrize("kind, text, value", [
    ("int", None, 0), ("int", "3", 3), ("int", " 2 ", 2), ("int", "", 0), ("int", "x", 0), ("int", "-1", -1),
    ("count", "-4", 0), ("count", "4", 4), ("count", "four", 0), ("count", "", 0),
    ("names", None, frozenset()), ("names", " jit, realized ,,", frozenset({"jit", "realized"})),
    ("text", None, ""), ("text", "", ""), ("text", "gpu", "gpu"),
])
def test_settings_read_text_as_before(kind, text, value):
    assert config._PARSE[kind](text) == value


def test_the_shell_still_sets_them():
    env = dict(os.environ, LAZYGRAD_BEAM="3", LAZYGRAD_DEVICE="python", LAZYGRAD_NO_CACHE="jit,lowered")
    script = ("from lazygrad import config as c; s = c.settings; "
              "print(s.beam, s.device, sorted(s.no_cache), sorted(x.name for x in c.caches() if not x.enabled))")
    out = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True).stdout
    assert out.split("\n")[0] == "3 python ['jit', 'lowered'] ['jit', 'lowered']"


def test_override_changes_a_setting_for_a_block_and_restores_it():
    before = (settings.beam, settings.device, dict(os.environ))
    with config.override(beam=2, device="python"):
        assert (settings.beam, settings.device) == (2, "python")
        with config.override(beam="5", device=None):  # text reads as the shell's; None: unset
            assert (settings.beam, settings.device) == (5, "")
        assert (settings.beam, settings.device) == (2, "python")
        assert dict(os.environ) == before[2]
    assert (settings.beam, settings.device) == before[:2]


def test_override_restores_when_the_block_raises_and_refuses_unknown_names():
    before = settings.debug
    with pytest.raises(KeyError), config.override(debug=4):
        raise KeyError
    assert settings.debug == before
    with pytest.raises(ValueError, match="unknown setting 'beams'.*beam"), config.override(beams=2):
        pass


def test_reload_reads_an_edited_environment(monkeypatch):
    assert settings.opencl_as == os.environ.get("LAZYGRAD_OPENCL_AS", "")
    monkeypatch.setenv("LAZYGRAD_OPENCL_AS", "edited")
    config.reload()
    assert settings.opencl_as == "edited"
    monkeypatch.undo()
    config.reload()
    assert settings.opencl_as == os.environ.get("LAZYGRAD_OPENCL_AS", "")


@pytest.mark.parametrize("no_cache, off", [("all", "every"), ("lowered,jit", ("lowered", "jit"))])
def test_no_cache_switches_caches_off_and_back(no_cache, off):
    with config.override(no_cache=no_cache):
        names = {c.name for c in config.caches() if not c.enabled}
        assert names == ({c.name for c in config.caches()} if off == "every" else set(off))
    assert all(c.enabled for c in config.caches())


def test_use_device_of_the_ir_tool_leaves_the_environment_alone(device):
    from lazygrad.debug_tool.capture import use_device
    from lazygrad.runtime.registry import Device_
    default, env = lg.Device.DEFAULT, dict(os.environ)
    with use_device(device):
        assert lg.Device.DEFAULT == device and settings.device == device
        assert dict(os.environ) == env
    assert lg.Device.DEFAULT == default and type(Device_)._default == default
