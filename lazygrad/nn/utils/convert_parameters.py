"""nn.utils.parameters_to_vector and vector_to_parameters: a model's parameters as one flat
vector and back (torch's order: the parameters' order, each flattened row-major)."""
from __future__ import annotations

from lazygrad.frontend.functions import cat
from lazygrad.frontend.tensor import Tensor


def _device_of(param: Tensor, device):
    if device is not None and param.device != device:
        raise TypeError("Found two parameters on different devices, this is currently not supported.")
    return param.device


def parameters_to_vector(parameters) -> Tensor:
    """One vector of every parameter's values (keeping their history, as torch's)."""
    device, flat = None, []
    for p in parameters:
        device = _device_of(p, device)
        flat.append(p.reshape(-1))
    return cat(flat)


def vector_to_parameters(vec: Tensor, parameters) -> None:
    """Consecutive slices of vec become the parameters' data, in order (`param.data = ...`, as
    torch's; torch's parameters then share vec's storage, lazygrad's get a copy, as any
    `.data =` here: docs/differences-from-torch.md)."""
    if not isinstance(vec, Tensor):
        raise TypeError(f"expected torch.Tensor, but got: {type(vec).__name__}")
    device, at = None, 0
    for p in parameters:
        device = _device_of(p, device)
        n = p.numel()
        p.data = vec[at:at + n].reshape(p.shape)
        at += n
