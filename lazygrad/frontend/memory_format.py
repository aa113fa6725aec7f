"""torch's memory formats: lg.contiguous_format, lg.channels_last, lg.channels_last_3d,
lg.preserve_format, and the strides each asks for (`x.contiguous(memory_format=...)`,
`x.is_contiguous(memory_format=...)`, `clone`, `to`, `Module.to`).

lazygrad's buffers are always row-major: a memory format only sets torch's strides on the
result (frontend/torch_layout.py), so `stride()`, `is_contiguous()`, and whether a later
`view` raises or `reshape` copies answer as torch's would. It changes no value and no kernel.
"""
from __future__ import annotations

from lazygrad.frontend import torch_layout
from lazygrad.frontend.torch_layout import Layout


class NamedConstant:
    """One of torch's named constants (lg.channels_last, lg.strided): printed and pickled by name."""

    __slots__ = ("name",)

    def __init__(self, name: str):
        self.name = name

    def __repr__(self) -> str:
        return f"lazygrad.{self.name}"

    def __reduce__(self):
        return self.name


class memory_format(NamedConstant):
    __slots__ = ()


contiguous_format = memory_format("contiguous_format")
preserve_format = memory_format("preserve_format")
channels_last = memory_format("channels_last")
channels_last_3d = memory_format("channels_last_3d")

_RANK = {channels_last: 4, channels_last_3d: 5}


def checked(fmt) -> memory_format:
    if fmt is None:
        return contiguous_format
    if not isinstance(fmt, memory_format):
        raise TypeError(f"memory_format must be a lazygrad memory format (lazygrad.channels_last, ...), got "
                        f"{type(fmt).__name__}")
    return fmt


def layout_in(fmt: memory_format, layout: Layout) -> Layout:
    """The strides a tensor of this layout gets in fmt (preserve: a dense layout's own)."""
    sizes = layout[0]
    if fmt is preserve_format:
        return torch_layout.like(layout)
    if fmt is contiguous_format:
        return torch_layout.contiguous(sizes)
    rank = _RANK[fmt]
    if len(sizes) != rank:
        raise RuntimeError(f"required rank {rank} tensor to use {fmt.name} format")
    return torch_layout.in_channels_last(sizes)


def suggested(layout: Layout) -> memory_format:
    """torch's suggest_memory_format, which `.to(memory_format=)` and convolutions go by: a 4-d
    (5-d) tensor whose strides are channels-last ones and not the contiguous ones (a C=1 tensor
    made channels-last is; a fresh one, or one whose channels-last strides are also row-major
    ones, is not)."""
    sizes = layout[0]
    if torch_layout.is_channels_last(layout) and layout != torch_layout.contiguous(sizes):
        return channels_last if len(sizes) == 4 else channels_last_3d
    return contiguous_format


def holds(fmt: memory_format, layout: Layout) -> bool:
    """is_contiguous(memory_format=fmt): channels-last holds only for 4-d (5-d) tensors."""
    if fmt is contiguous_format or fmt is preserve_format:  # (torch answers preserve as contiguous)
        return torch_layout.is_contiguous(layout)
    return len(layout[0]) == _RANK[fmt] and torch_layout.is_channels_last(layout)


__all__ = ["channels_last", "channels_last_3d", "contiguous_format", "memory_format", "preserve_format"]
