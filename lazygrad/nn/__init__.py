"""lazygrad.nn: modules, Parameter, init and functional, with torch's names and defaults."""
from lazygrad.nn import functional, init, utils
from lazygrad.nn.modules import *
from lazygrad.nn.modules import __all__ as _modules_all
from lazygrad.nn.parameter import Buffer, Parameter, UninitializedBuffer, UninitializedParameter

__all__ = ["Buffer", "Parameter", "UninitializedBuffer", "UninitializedParameter", "functional", "init",
           "utils"] + list(_modules_all)

from lazygrad.nn import parallel  # torch.nn.parallel (imports lazygrad.distributed, never mpi4py)
from lazygrad.nn.parallel import DataParallel

__all__ += ["DataParallel", "parallel"]

from lazygrad.nn.modules import torch_files as _torch_files

_torch_files.install(globals())  # torch.nn.modules.dropout.Dropout, .normalization.LayerNorm, ... (torch's paths)
