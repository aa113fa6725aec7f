"""lazygrad/config.py, the one home of settings and caches: every environment variable is read
through it and documented, an override changes a setting for a block and restores it, and every
piece of module-level mutable state is either a registered cache (bounded, clearable, switchable)
or state listed below with the reason it is not a cache."""
from __future__ import annotations

import ast
import importlib
import os
import pathlib
import pkgutil
import re
import shutil
import subprocess
import sys

import numpy as np
import pytest

import lazygrad as lg
from lazygrad import config
from lazygrad.config import settings

ROOT = pathlib.Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "lazygrad"


def _import_everything() -> None:
    """Import every lazygrad module, so every cache is registered (a device's are registered
    when it is first used: the built-in runtimes import nothing they cannot do without)."""
    for info in pkgutil.walk_packages([str(PACKAGE)], "lazygrad."):
        importlib.import_module(info.name)


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


def settings_table() -> str:
    """config.SETTINGS as the markdown table docs/configuration.md shows."""
    rows = [f"| `{s.variable}` | `{s.name}` | {s.kind} | {s.default} | {s.meaning} |" for s in config.SETTINGS]
    return "\n".join(["| variable | setting | type | default | meaning |", "|---|---|---|---|---|", *rows])


def test_the_documented_table_is_the_declared_one():
    docs = (ROOT / "docs" / "configuration.md").read_text()
    assert settings_table() in docs, "docs/configuration.md: paste tests/test_config.py's settings_table()"
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


def test_an_override_clears_the_caches_that_depend_on_it():
    """CC names a program that builds nothing: the flags are probed again, without -fopenmp."""
    from lazygrad.runtime import c
    real = (c.find_compiler(), c.compiler_flags())
    with config.override(cc=sys.executable):
        assert c.find_compiler() == shutil.which(sys.executable)
        assert "-fopenmp" not in c.compiler_flags()
    assert (c.find_compiler(), c.compiler_flags()) == real


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


# ---- caches: registered, bounded, listed, cleared, switched --------------------------------------

def _registrations() -> set[str]:
    """The names register_cache, memo and Table are called with, read from the source."""
    names = set()
    for p in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(p.read_text())):
            if (isinstance(node, ast.Call) and ast.unparse(node.func).split(".")[-1] in ("register_cache", "memo", "Table")
                    and node.args and isinstance(node.args[0], ast.Constant)):
                names.add(node.args[0].value)
    return names


def test_lg_caches_lists_every_registered_cache():
    _import_everything()
    listed = {c.name: c for c in lg.caches()}
    assert set(listed) == _registrations()
    for c in listed.values():
        assert c.what and c.bound and (c.size is None or c.size >= 0), c
    soundness = (ROOT / "docs" / "soundness.md").read_text()
    assert [n for n in listed if f"`{n}`" not in soundness] == [], "list these in docs/soundness.md"


def test_clearing_empties_every_cache_and_changes_no_value(device):
    _import_everything()
    x = lg.Tensor(np.arange(12, dtype=np.float32).reshape(3, 4), device=device)
    first = ((x * 2).exp().sum(1) + 1).numpy()
    assert any(c.size for c in lg.caches())
    config.clear_caches()
    sizes = {c.name: c.size for c in lg.caches() if c.size is not None}
    assert all(n == 0 for n in sizes.values()), sizes
    np.testing.assert_array_equal(((x * 2).exp().sum(1) + 1).numpy(), first)


def test_every_cache_off_gives_the_same_bits(device):
    _import_everything()
    x = lg.Tensor(np.linspace(-2, 2, 24, dtype=np.float32).reshape(4, 6), device=device)
    on = (x.softmax(1) @ x.T).numpy()
    with config.caches_disabled():
        assert not any(c.enabled for c in lg.caches())
        off = (x.softmax(1) @ x.T).numpy()
    assert all(c.enabled for c in lg.caches())
    np.testing.assert_array_equal(on, off)


def test_a_table_keeps_its_bound_and_obeys_its_switch():
    table = config.Table("test-table", "test entries, by int", 3)
    try:
        for i in range(3):
            table.put(i, str(i))
        assert table.get(0) == "0"  # now the most recently used
        table.put(3, "3")
        assert len(table) == 3 and table.get(1) is None and table.get(0) == "0"
        with config.caches_disabled("test-table"):
            assert len(table) == 0 and table.put(5, "5") == "5" and table.get(5) is None
        assert table.get(5) is None and table.record.size == 0
    finally:
        del config._REGISTRY["test-table"]


# ---- module-level mutable state: caches registered, the rest named with its reason --------------

MUTATORS = {"append", "extend", "insert", "pop", "popitem", "clear", "update", "setdefault", "add",
            "discard", "remove", "move_to_end", "put"}
CACHE = "registered cache "
STATE = {
    "codegen/lower.py:_CACHE": CACHE + "lowered", "codegen/lower.py:_CHOSEN": CACHE + "lowered",
    "engine/jit.py:_FUNCTIONS": CACHE + "jit (the functions whose plans it clears; weak)",
    "engine/search.py:WINNERS": CACHE + "beam-winners", "engine/search.py:IDENTITIES": CACHE + "device-identities",
    "ir/node.py:_OURS": CACHE + "user-files", "ir/rewrite.py:INDEXED": CACHE + "rule-index",
    "runtime/python.py:KERNELS": CACHE + "python-kernels",
    "runtime/device.py:_DEVICES": CACHE + "sources and programs (the devices whose tables they clear; weak)",
    "schedule/schedule.py:_NAMES": CACHE + "kernel-names",
    "schedule/schedule_cache.py:_PLANS": CACHE + "schedules",
    "frontend/elementwise_templates.py:_TEMPLATES": CACHE + "elementwise-templates",
    "schedule/schedule_cache.py:_remembered_bytes": CACHE + "schedules (its keys' bytes, for the bound)",
    "schedule/schedule_cache.py:_seen_once": CACHE + "schedules (big keys seen once, remembered when seen again)",
    "config.py:_REGISTRY": "the cache registry itself",
    "config.py:_OVERRIDES": "the open override blocks: settings, not a cache",
    "config.py:_LOCAL": "per thread: the depth of fresh_values blocks",
    "engine/graph_lock.py:GRAPH_LOCK": "the lock threads take turns on (a forked child makes its own), not a cache",
    "frontend/index_checks.py:_PENDING": "per thread: index checks waiting for the next realize, not a cache",
    "utils/data/_utils/worker.py:_worker_info": "per process: a DataLoader worker's own WorkerInfo, not a cache",
    "codegen/heuristics.py:_PROFILES": "a setting a runtime makes (opencl: GPU lanes once it finds a GPU)",
    "engine/realize.py:stats": "counters (lg.stats)", "engine/search.py:stats": "counters",
    "schedule/schedule_cache.py:stats": "counters",
    "engine/realize.py:_local": "per thread: lg.jit's captures", "engine/realize.py:observers": "debug tool and lg.profiler hooks",
    "frontend/autograd.py:_REQUIRES_GRAD": "the leaves that asked for gradients (weak): semantics",
    "frontend/autograd.py:_SAVED": "what each op kept for backward (weak keys): torch's saved-value check",
    "frontend/autograd.py:_AWAITING": "what a backward yet to run reads (weak keys, released by the backward): "
                                      "torch keeps its saved values alive",
    "frontend/grad_mode.py:_state": "per thread: grad mode",
    "frontend/autocast_state.py:_state": "per thread: torch's autocast switches (a setting, not a cache)",
    "frontend/autocast_state.py:_CPU_EVER": "a flag: whether any thread switched CPU autocast on (a fast path, not a cache)",
    "frontend/dual_levels.py:_LEVELS": "the open forward AD level and its dual tensors' tangents (weak keys): "
                                       "semantics, forgotten when the level exits",
    "frontend/tensor_hooks.py:HOOKED": "hooked tensors' nodes and the nodes they stood for (weak keys): semantics",
    "frontend/tensor_hooks.py:HOOKS_OF": "hooked tensors' nodes and their hooks (weak keys): semantics",
    "frontend/tensor_hooks.py:RETAINED": "the tensors that retain their gradient (weak): semantics",
    "frontend/tensor_hooks.py:REACHED": "the hooked nodes the running backward reaches: per backward",
    "frontend/tensor_print.py:PRINT_OPTIONS": "lg.set_printoptions: settings, not a cache",
    "frontend/complex_tensor.py:_OWN": "the names ComplexTensor answers itself, fixed at import (seal)",
    "frontend/complex_functions.py:_REAL": "the real rand/randn the complex factories call, fixed at import",
    "nn/utils/parametrize.py:_cache": "torch's parametrize.cached(): the user's block-scoped values, None outside",
    "frontend/anomaly_mode.py:_state": "torch's anomaly detection switch (a setting, not a cache)",
    "frontend/hub.py:_state": "torch.hub's set_dir folder (a setting, not a cache)",
    "optim/optimizer_hooks.py:_GLOBAL_PRE": "torch's global optimizer step hooks: the user's, not a cache",
    "optim/optimizer_hooks.py:_GLOBAL_POST": "torch's global optimizer step hooks: the user's, not a cache",
    "frontend/process_settings.py:_settings": "torch's process-wide settings (matmul precision, ...): read back only",
    "runtime/threads.py:_openmp": "the process's OpenMP library (lg.set_num_threads), loaded once",
    "runtime/threads.py:_tried": "the process's OpenMP library (lg.set_num_threads), loaded once",
    "runtime/threads.py:_without_openmp": "lg.set_num_threads's count where there is no OpenMP: a setting",
    "runtime/threads.py:_configured": "lg.set_num_threads's count: a setting",
    "runtime/threads.py:_launching": "per thread: the OpenMP team size it last set (OpenMP's own state, mirrored)",
    "runtime/cpu_load.py:_SAMPLER": "the last measure of other processes' load: a reading, not a cache",
    "frontend/sparse_accumulate.py:_COLLECTING": "whether the running gradient transform is backward()'s (per "
                                                 "thread): which form a sparse embedding gradient takes",
    "frontend/safe_globals.py:_ADDED": "torch.serialization.add_safe_globals: the process's trusted globals",
    "frontend/random.py:_STATE": "the random generator", "frontend/random.py:_trace": "lg.jit's random trace",
    "frontend/random.py:_trace_base": "lg.jit's random trace",
    "frontend/tensor_storage.py:_LAZY": "every live tensor (weak): an in-place write reaches its readers",
    "ir/gradient.py:_PATHS": "declared gradient paths (weak keys): semantics",
    "frontend/grad_fn_records.py:OUTPUT_NUMBER": "which output of split/chunk/unbind a node is (weak keys), a fact "
                                                  "of the node as RECORDS is, not a cache",
    "frontend/grad_fn_records.py:RECORDS": "which front-end op made a node (weak keys): what "
                                           "grad_fn.next_functions shows, not a cache",
    "distributions/kl.py:KL_RULES": "the KL registry (register_kl): declarations, not a cache",
    "ir/node.py:_CONS": "hash-consing (weak values): equal structure is one node, and nodes compare by "
                        "identity; switched off, equal graphs would be different values",
    "ir/symbolic.py:_CONS": "hash-consing of index expressions (weak values), as ir/node.py's",
    "nn/_shared.py:_NP_RNG": "nn's host noise generator", "nn/_shared.py:_SEEDED_FROM": "nn's host noise generator",
    "runtime/registry.py:_FACTORIES": "the device registry", "runtime/registry.py:_DEVICES": "the devices made "
    "(each owns memory and programs)", "runtime/registry.py:_ENTRY_POINTS_LOADED": "the device registry",
    "runtime/registry.py:Device_": "the default device (lg.Device.DEFAULT), chosen once or set",
    "runtime/opencl_context.py:_made": "the OpenCL context: buffers and programs belong to it",
    "multiprocessing.py:_strategy": "torch's sharing strategy, as set (names only: tensors go by value)",
    "runtime/disk_cache.py:OPENED": CACHE + "cache-folders",
    "runtime/disk_cache.py:_FALLBACK": "the temporary folder a process writes its cache to once the "
                                       "configured one failed (removed at exit)",
    "runtime/cache_entry.py:VERIFIED": CACHE + "verified-entries",
    "runtime/cache_entry.py:USAGE": CACHE + "cache-usage",
    "errors.py:_WARNED": "the kinds of warning given: each is given once a process",
    "dtypes.py:default_float": "the default float dtype (lg.set_default_dtype): a setting, not a cache",
}


def module_state(source: str, imported: dict[str, tuple[str, str]] | None = None) -> set[str]:
    """Names of module-level objects that functions mutate (item or attribute stores, mutating
    method calls, `global`), or that hand a mutating bound method out (`register(d.clear)`),
    plus lru_cache'd functions. imported: name -> (module, name) of `from lazygrad.x import name`,
    whose mutations count for their own module (returned as 'module:name')."""
    tree = ast.parse(source)
    top = set()
    found = set()
    for node in tree.body:
        if isinstance(node, (ast.Assign, ast.AnnAssign)) and node.value is not None:
            top |= {t.id for t in (node.targets if isinstance(node, ast.Assign) else [node.target])
                    if isinstance(t, ast.Name)}
        elif isinstance(node, (ast.FunctionDef, ast.ClassDef)) and any(
                re.search(r"\blru_cache\b|^functools\.cache$|^cache$", ast.unparse(d)) for d in node.decorator_list):
            top.add(node.name)
            found.add(node.name)
    functions = [n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.Lambda))]
    for fn in functions:
        for node in ast.walk(fn):
            if isinstance(node, ast.Global):
                found |= set(node.names)
            stored = isinstance(node, (ast.Subscript, ast.Attribute)) and isinstance(node.ctx, (ast.Store, ast.Del))
            mutated = isinstance(node, ast.Attribute) and node.attr in MUTATORS
            target = node.value if stored or mutated else None
            if isinstance(target, ast.Name):
                found.add(target.id)
    called = {id(n.func) for n in ast.walk(tree) if isinstance(n, ast.Call)}
    for node in ast.walk(tree):  # a bound mutator handed out, to be called later: `register(d.clear)`
        if isinstance(node, ast.Attribute) and node.attr in MUTATORS and isinstance(node.value, ast.Name) \
                and id(node) not in called:
            found.add(node.value.id)
    imported = imported or {}
    return {n for n in found if n in top} | {f"{imported[n][0]}:{imported[n][1]}" for n in found if n in imported}


def _imports(path: pathlib.Path) -> dict[str, tuple[str, str]]:
    out = {}
    for node in ast.parse(path.read_text()).body:
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("lazygrad."):
            rel = node.module.removeprefix("lazygrad.").replace(".", "/") + ".py"
            if (PACKAGE / rel).exists():
                out.update({a.asname or a.name: (rel, a.name) for a in node.names})
    return out


def test_the_state_check_finds_mutated_module_objects():
    sample = ("import functools\nTABLE = {'a': 1}\n_memo = {}\n_n = 0\nLIST = []\n"
              "def f(k):\n    global _n\n    _n += 1\n    _memo[k] = 1\n    return TABLE[k]\n"
              "register(LIST.clear)\n@functools.lru_cache(None)\ndef g(): pass\n")
    assert module_state(sample) == {"_memo", "_n", "LIST", "g"}
    assert module_state("from lazygrad.x import T\ndef f():\n    T.append(1)\n", {"T": ("x.py", "T")}) == {"x.py:T"}


def test_module_level_state_is_a_registered_cache_or_named_here():
    found = set()
    for p in sorted(PACKAGE.rglob("*.py")):
        rel = str(p.relative_to(PACKAGE))
        found |= {n if ":" in n else f"{rel}:{n}" for n in module_state(p.read_text(), _imports(p))}
    assert sorted(found - set(STATE)) == [], "register these as caches (config.Table, memo, register_cache) " \
                                             "or name them in STATE with the reason they are not caches"
    assert sorted(set(STATE) - found) == [], "gone: drop them from STATE"
    names = {c.name for c in config.caches()} | _registrations()
    for key, why in STATE.items():
        if why.startswith(CACHE):
            assert why[len(CACHE):].split()[0] in names, key


@pytest.mark.parametrize(("value", "frozen"), [(None, True), ("1", True), ("0", False)])
def test_the_objects_of_the_import_leave_the_cycle_collector_unless_switched_off(value, frozen):
    env = {k: v for k, v in os.environ.items() if k != "LAZYGRAD_GC_FREEZE"}
    if value is not None:
        env["LAZYGRAD_GC_FREEZE"] = value
    script = "import gc, lazygrad; print(gc.get_freeze_count())"
    count = int(subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True,
                               check=True).stdout)
    assert (count > 10000) == frozen, count
