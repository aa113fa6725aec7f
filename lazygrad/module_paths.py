"""torch's module paths that lazygrad has under another file: `import torch.backends.cudnn as
cudnn`, `from torch.random import fork_rng`, `from torch.distributions.bernoulli import
Bernoulli`, `from torch.optim.adamw import AdamW`, run with lazygrad standing for torch.

Each path below is entered in sys.modules as the object lazygrad already has there (the module
or namespace that `lg.backends.cudnn`, `lg.random`, ... is), or as the module that defines the
class a torch module is named after; an import then finds it without a file of its own, and it
is the very object the attribute gives. Declared as data: the path, then where it lives.
"""
from __future__ import annotations

import importlib
import sys

# torch path (after "torch.") -> lazygrad attribute path (after "lazygrad.") of the same object
SAME_OBJECT = {
    "accelerator": "accelerator", "backends": "backends", "backends.cuda": "backends.cuda",
    "backends.cudnn": "backends.cudnn", "backends.mps": "backends.mps", "cuda": "cuda", "cuda.amp": "cuda.amp",
    "cpu": "cpu", "cpu.amp": "cpu.amp", "compiler": "compiler",
    "random": "random",
}
# torch module (after "torch.") -> a class it is named after (the module that defines it stands for it)
BY_CLASS = {
    "distributions.bernoulli": "distributions.Bernoulli", "distributions.beta": "distributions.Beta",
    "distributions.chi2": "distributions.Chi2", "distributions.fishersnedecor": "distributions.FisherSnedecor",
    "distributions.half_cauchy": "distributions.HalfCauchy", "distributions.half_normal": "distributions.HalfNormal",
    "distributions.independent": "distributions.Independent",
    "distributions.inverse_gamma": "distributions.InverseGamma", "distributions.laplace": "distributions.Laplace",
    "distributions.log_normal": "distributions.LogNormal",
    "distributions.mixture_same_family": "distributions.MixtureSameFamily",
    "distributions.pareto": "distributions.Pareto", "distributions.relaxed_bernoulli": "distributions.RelaxedBernoulli",
    "distributions.relaxed_categorical": "distributions.RelaxedOneHotCategorical",
    "distributions.studentT": "distributions.StudentT",
    "distributions.transformed_distribution": "distributions.TransformedDistribution",
    "optim.adadelta": "optim.Adadelta", "optim.adagrad": "optim.Adagrad", "optim.adamax": "optim.Adamax",
    "optim.adamw": "optim.AdamW", "optim.asgd": "optim.ASGD", "optim.nadam": "optim.NAdam",
    "optim.radam": "optim.RAdam", "optim.rprop": "optim.Rprop",
}


def _attribute(path: str):
    obj = importlib.import_module("lazygrad")
    for part in path.split("."):
        obj = getattr(obj, part)
    return obj


def install() -> None:
    """Enter every path above in sys.modules (run once, at the end of lazygrad/__init__.py). A
    module with paths below it gets an empty __path__, as a package has: an import system (or
    a hook mapping torch's names to lazygrad's) asks the parent for one before the child."""
    for torch_path, ours in SAME_OBJECT.items():
        obj = _attribute(ours)
        sys.modules.setdefault(f"lazygrad.{torch_path}", obj)
        if any(other.startswith(torch_path + ".") for other in SAME_OBJECT) and not hasattr(obj, "__path__"):
            obj.__path__ = []
    for torch_path, cls in BY_CLASS.items():
        sys.modules.setdefault(f"lazygrad.{torch_path}", sys.modules[_attribute(cls).__module__])
