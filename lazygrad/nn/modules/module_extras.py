"""The rest of torch.nn.Module's surface: type(), to_empty(), share_memory(), compile() and the
accelerator moves lazygrad has no device for (xpu, ipu, mtia: torch's error on a machine
without them)."""
from __future__ import annotations

from lazygrad.frontend.grad_mode import no_grad


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
        """The parameters and buffers on device, their values unspecified (torch allocates them
        empty; here they keep their values, which is one of the values empty memory may hold)."""
        return self.to(device)

    def share_memory(self):
        """torch moves storages to shared memory for multiprocessing; lazygrad's workers get
        copies, so there is nothing to move."""
        return self

    def compile(self, *args, **kwargs) -> None:
        """torch compiles the module's forward in place: lazygrad compiles every call anyway."""

    def xpu(self, device=None):
        raise AssertionError("Torch not compiled with XPU enabled")

    def ipu(self, device=None):
        raise RuntimeError("PyTorch is not linked with support for ipu devices")

    def mtia(self, device=None):
        raise AssertionError("Torch not compiled with MTIA enabled")
