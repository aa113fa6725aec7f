"""The package's layering (DESIGN.md, "one layer a folder"), checked on the source with `ast`.

Every module under lazygrad/ belongs to a layer; a module imports its own layer and the layers
downstream of it, never one upstream. Upstream to downstream:

    api        lazygrad/__init__.py: the public names, gathered from every layer; autograd/,
               special.py, linalg.py, return_types.py, func.py, amp.py, futures.py, jit.py,
               testing.py, profiler.py: torch.autograd's (with autograd.functional and
               autograd.profiler), torch.special's, torch.linalg's, torch.return_types',
               torch.func's, torch.amp's, torch.futures', torch.jit's, torch.testing's and
               torch.profiler's public names
               (`from lazygrad.autograd import Function`)
    frontend   frontend/, nn/, optim/, utils/, distributed/, debug_tool/ (a tool: it may read any layer)
    engine     engine/: realize, jit's recorder, search, the caches of realized values
    schedule   schedule/: fusion decisions, Kernel IR, remembered schedules
    runtime    runtime/: devices; a device bundles its renderer, so it reads codegen/
    codegen    codegen/: lowering to Loop IR, its passes and renderers
    ir         ir/: Graph IR, simplification, views, the gradient rules
    root       dtypes.py, errors.py, config.py

Every import counts: at module level or inside a function, absolute or relative, under
`if TYPE_CHECKING:` too. (The runtime registry's importlib.import_module of built-in devices
names its own layer.) A parent package that Python runs on the way to a module
(`import lazygrad.ir.node` runs lazygrad/__init__.py) is not an import of that package.
"""
from __future__ import annotations

import ast
import pathlib

import networkx as nx

PACKAGE = pathlib.Path(__file__).resolve().parent.parent / "lazygrad"
ORDER = ["api", "frontend", "engine", "schedule", "runtime", "codegen", "ir", "root"]
FOLDERS = {"frontend": "frontend", "nn": "frontend", "optim": "frontend", "debug_tool": "frontend",
           "engine": "engine", "schedule": "schedule", "runtime": "runtime", "codegen": "codegen",
           "ir": "ir", "utils": "frontend", "distributions": "frontend", "distributed": "frontend"}
ROOT_MODULES = {"dtypes", "errors", "config"}
API_MODULES = {"autograd", "onnx", "special", "linalg", "fft", "return_types", "func", "amp", "futures", "jit",
               "testing", "profiler", "sparse", "version", "module_paths",
               "multiprocessing", "serialization", "hub"}  # public namespaces that torch programs
# import by their module path (module_paths: the paths torch has that lazygrad keeps under other files)
MAX_LINES = 400


def module_name(path: pathlib.Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def layer_of(module: str) -> str:
    parts = module.split(".")
    if len(parts) == 1 or parts[1] in API_MODULES:
        return "api"
    if len(parts) == 2 and parts[1] in ROOT_MODULES:
        return "root"
    if parts[1] not in FOLDERS:
        raise AssertionError(f"{module}: no layer; add its folder to tests/test_layers.py and DESIGN.md")
    return FOLDERS[parts[1]]


MODULES = {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}
PACKAGES = {module_name(p.parent / "__init__.py") for p in PACKAGE.rglob("*.py")}


def imports_of(module: str) -> list[tuple[int, str, str]]:
    """(line, statement as written, lazygrad module it imports) for every import in module."""
    path = MODULES[module]
    tree = ast.parse(path.read_text(), str(path))
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                found.append((node.lineno, ast.unparse(node), alias.name))
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(parent + ([node.module] if node.module else []))
            for alias in node.names:
                sub = f"{base}.{alias.name}"
                # `from pkg import mod` imports pkg.mod; `from pkg import name` imports pkg itself
                target = sub if sub in MODULES else base
                found.append((node.lineno, ast.unparse(node), target))
    return [(line, text, target) for line, text, target in found
            if target.split(".")[0] == "lazygrad" and target != module
            and (target in MODULES or target not in PACKAGES)]


def test_every_module_has_a_layer():
    for module in MODULES:
        assert layer_of(module) in ORDER


def test_imports_point_downstream_only():
    """A module imports its own layer and the layers below it (the order in the docstring)."""
    wrong = []
    for module, path in MODULES.items():
        mine = ORDER.index(layer_of(module))
        for line, text, target in imports_of(module):
            theirs = layer_of(target)
            if ORDER.index(theirs) < mine:
                wrong.append(f"{path.relative_to(PACKAGE.parent)}:{line}: `{text}` imports {target}, "
                             f"in {theirs}, upstream of {layer_of(module)}")
    assert not wrong, "imports against the layer order:\n" + "\n".join(wrong)


def test_no_import_cycles_between_modules():
    """Module level or not: an import inside a function that closes a cycle is still one."""
    graph = nx.DiGraph()
    graph.add_nodes_from(MODULES)
    for module in MODULES:
        for line, _, target in imports_of(module):
            graph.add_edge(module, target, line=line)
    cycles = []
    for component in nx.strongly_connected_components(graph):
        if len(component) > 1:
            cycle = nx.find_cycle(graph.subgraph(component))
            where = {m: str(MODULES[m].relative_to(PACKAGE.parent)) for m in component}
            steps = [f"{where[a]}:{graph.edges[a, b]['line']}" for a, b in cycle]
            cycles.append(" imports ".join(steps + [where[cycle[0][0]]]))
    assert not cycles, "import cycles (file:line of each import):\n" + "\n".join(cycles)


def test_no_file_is_over_400_lines():
    long = [f"{p.relative_to(PACKAGE.parent)}: {n} lines" for p in MODULES.values()
            if (n := len(p.read_text().splitlines())) > MAX_LINES]
    assert not long, f"files over {MAX_LINES} lines (split them along a concept):\n" + "\n".join(long)
