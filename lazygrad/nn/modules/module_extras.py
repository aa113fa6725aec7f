"""The rest of torch.nn.Module's surface: type(), to_empty(), share_memory(), compile() and the
accelerator moves lazygrad has no device for (xpu, ipu, mtia: torch's error on a machine
without them)."""
from __future__ import annotations

import warnings

from lazygrad.frontend.factories import empty
from lazygrad.frontend.grad_mode import no_grad
from lazygrad.frontend.torch_device import resolve_device
from lazygrad.nn.parameter import is_lazy


class ModuleExtrasMixin:

    def type(self, dst_type):
        """Every parameter and buffer cast to dst_type, integer buffers too (torch's; .to() and
        .double() keep those)."""
        with no_grad():
            for m in self.modules():
                for table in (m._parameters, m._buffers):
                    for t in table.values():
                        if t is not None:
                            cast = t.detach().type(dst_type)
                            if cast.dtype != t.dtype:
                                t.node = cast._contiguous().realize().node
                                t.grad = None
        return self

    def to_empty(self, *, device, recurse: bool = True):
        """Every parameter and buffer (this module's own only, recurse=False) replaced by new
        storage on device, its values unspecified (here zeros, as lg.empty): torch's way to give
        a model built on the meta device real memory, to fill next (load_state_dict, init).
        The Parameter objects stay the same, so an optimizer made before still holds them."""
        name = resolve_device(device)
        with no_grad():
            for m in self.modules() if recurse else [self]:
                for table in (m._parameters, m._buffers):
                    for t in table.values():
                        if is_lazy(t):  # (torch's class: no shape to make memory for)
                            raise ValueError("to_empty(): an uninitialized parameter of a lazy module has no shape "
                                             "yet; call the module with a dummy batch first")
                        if t is not None:
                            t.node = empty(t.shape, dtype=t.dtype, device=name).realize().node
                            t.grad = None
        return self

    def share_memory(self):
        """torch moves storages to shared memory, so that processes given the module update one
        set of parameters (Hogwild training). lazygrad sends a module to another process by
        value: each process trains its own copy, which the warning says rather than let a
        parent's parameters stay untrained unnoticed."""
        warnings.warn("Module.share_memory(): lazygrad cannot share a module's parameters between processes; "
                      "each process that receives it works on its own copy, and its updates do not reach this "
                      "process (see lazygrad/multiprocessing.py)", UserWarning, stacklevel=2)
        return self

    def compile(self, *args, **kwargs) -> None:
        """torch compiles the module's forward in place: lazygrad compiles every call anyway."""

    def xpu(self, device=None):
        raise AssertionError("Torch not compiled with XPU enabled")

    def ipu(self, device=None):
        raise RuntimeError("PyTorch is not linked with support for ipu devices")

    def mtia(self, device=None):
        raise AssertionError("Torch not compiled with MTIA enabled")
