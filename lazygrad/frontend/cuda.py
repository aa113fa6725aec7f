"""`lg.cuda`: torch.cuda's questions, answered as torch built without CUDA answers them.

lazygrad drives no CUDA device (a GPU runs through the opencl device, see `lg.accelerator`).
Programs ask `lg.cuda.is_available()` to pick a device and seed CUDA's generators
unconditionally, so those work; what needs a CUDA device raises torch's AssertionError.
"""
from __future__ import annotations

from lazygrad.frontend.torch_device import resolve_device


def is_available() -> bool:
    return False


def device_count() -> int:
    return 0


def is_initialized() -> bool:
    return False


def manual_seed(seed: int) -> None:
    """Accepted, as torch without CUDA accepts it (lg.manual_seed seeds lazygrad's generator)."""


def manual_seed_all(seed: int) -> None:
    """Accepted, as manual_seed."""


def empty_cache() -> None:
    """Nothing to free: no CUDA memory was taken."""


def is_bf16_supported() -> bool:
    return False


def _no_cuda(*args, **kwargs):
    resolve_device("cuda")  # raises torch's AssertionError, naming lazygrad's devices


current_device = synchronize = get_device_name = get_device_properties = _no_cuda
