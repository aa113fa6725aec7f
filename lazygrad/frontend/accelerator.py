"""`lg.accelerator`: torch.accelerator, over lazygrad's devices.

The accelerator is the opencl device when it is a GPU (PoCL and other CPU OpenCLs are not
one); its `lg.device` has type "opencl" (torch's type of that name), never "cuda".
"""
from __future__ import annotations

from lazygrad.errors import DeviceError
from lazygrad.frontend.torch_device import accelerator_name, device


def is_available() -> bool:
    return accelerator_name() is not None


def current_accelerator(check_available: bool = False) -> device | None:
    """device("opencl") where lazygrad drives a GPU through OpenCL, else None."""
    name = accelerator_name()
    return None if name is None else device(name)


def device_count() -> int:
    return 0 if accelerator_name() is None else 1


def current_device_index() -> int:
    if accelerator_name() is None:
        raise DeviceError("Cannot access accelerator device when none is available.")
    return 0
