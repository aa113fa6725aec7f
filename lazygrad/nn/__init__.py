"""lazygrad.nn: modules, Parameter, init and functional, with torch's names and defaults."""
from lazygrad.nn import functional, init, utils
from lazygrad.nn.modules import *
from lazygrad.nn.modules import __all__ as _modules_all
from lazygrad.nn.parameter import Parameter

__all__ = ["Parameter", "functional", "init", "utils"] + list(_modules_all)

from lazygrad.nn import parallel  # torch.nn.parallel (imports lazygrad.distributed, never mpi4py)

__all__ += ["parallel"]
