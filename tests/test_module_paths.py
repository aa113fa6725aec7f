"""torch's module paths that lazygrad keeps under other files (module_paths.py) import as
lazygrad's, under their own names and under a hook that maps torch's names to lazygrad's, as a
program run with lazygrad standing for torch imports them; lg.__version__ and lg.version."""
import importlib
import pathlib
import subprocess
import sys
import textwrap

import pytest
import tomllib

import lazygrad as lg
from lazygrad import module_paths


@pytest.mark.parametrize("path", sorted(module_paths.SAME_OBJECT))
def test_a_path_imports_as_the_object_its_attribute_is(path):
    obj = lg
    for part in module_paths.SAME_OBJECT[path].split("."):
        obj = getattr(obj, part)
    assert importlib.import_module(f"lazygrad.{path}") is obj


@pytest.mark.parametrize("path", sorted(module_paths.BY_CLASS))
def test_a_torch_module_named_after_a_class_gives_that_class(path):
    name = module_paths.BY_CLASS[path].split(".")[-1]
    cls = getattr(importlib.import_module(f"lazygrad.{module_paths.BY_CLASS[path].rsplit('.', 1)[0]}"), name)
    assert getattr(importlib.import_module(f"lazygrad.{path}"), name) is cls


def test_a_program_importing_torchs_paths_runs_under_a_torch_to_lazygrad_hook():
    program = textwrap.dedent('''
        import importlib, importlib.abc, importlib.util, sys
        class Alias(importlib.abc.MetaPathFinder, importlib.abc.Loader):
            def find_spec(self, name, path, target=None):
                if name == "torch" or name.startswith("torch."):
                    return importlib.util.spec_from_loader(name, self)
            def create_module(self, spec):
                return importlib.import_module("lazygrad" + spec.name[len("torch"):])
            def exec_module(self, module):
                pass
        sys.meta_path.insert(0, Alias())
        import torch
        import torch.backends.cudnn as cudnn
        from torch.random import fork_rng
        from torch.optim.adamw import AdamW
        from torch.distributions.bernoulli import Bernoulli
        from torch.cuda.amp import GradScaler
        cudnn.benchmark = True
        assert torch.backends.cudnn.benchmark and torch.version.cuda is None
        torch.manual_seed(1)
        with fork_rng():
            torch.rand(5).tolist()
        after = torch.rand(2).tolist()
        torch.manual_seed(1)
        assert torch.rand(2).tolist() == after
        print("ok", torch.__version__)
    ''')
    done = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split() == ["ok", lg.__version__]


def test_version_is_the_packages():
    pyproject = tomllib.loads((pathlib.Path(__file__).parents[1] / "pyproject.toml").read_text())
    assert lg.__version__ == lg.version.__version__ == pyproject["project"]["version"]
    assert lg.version.cuda is None and lg.version.hip is None
