"""aten's convolution and sampling entry points at torch's top level (torch.convolution,
torch.grid_sampler, torch.affine_grid_generator, torch.embedding_renorm_), with aten's
argument forms: lists for stride/padding/dilation (a one-element list stands for every spatial
dim, as aten expands it), integer enums for the sampling modes (interpolation 0 bilinear,
1 nearest, 2 bicubic; padding 0 zeros, 1 border, 2 reflection).

They forward to nn.functional, so what F supports is what these support: 3-d grid sampling,
bicubic sampling and 3-d affine grids raise NotImplementedError there, and so here.
"""
from __future__ import annotations

from lazygrad.frontend.tensor import Tensor
from lazygrad.nn import functional as F
from lazygrad.nn.layers_more import renorm_rows_

_CONV = {1: F.conv1d, 2: F.conv2d, 3: F.conv3d}
_CONV_T = {1: F.conv_transpose1d, 2: F.conv_transpose2d, 3: F.conv_transpose3d}
_INTERPOLATION = {0: "bilinear", 1: "nearest", 2: "bicubic"}
_PADDING = {0: "zeros", 1: "border", 2: "reflection"}


def _spatial(values, dims: int, name: str) -> tuple[int, ...]:
    values = [values] if isinstance(values, int) else list(values)
    if len(values) == 1:
        values = values * dims
    if len(values) != dims:
        raise RuntimeError(f"expected {name} to be a single integer value or a list of {dims} values to match "
                           f"the convolution dimensions, but got {name}={values}")
    return tuple(int(v) for v in values)


def convolution(input: Tensor, weight: Tensor, bias, stride, padding, dilation, transposed: bool, output_padding,
                groups: int) -> Tensor:
    """A 1-, 2- or 3-d convolution (weight's rank picks), transposed when asked."""
    dims = weight.ndim - 2
    if dims not in _CONV:
        raise RuntimeError(f"convolution: expected a 3-, 4- or 5-dim weight, got {weight.ndim} dims")
    stride, padding, dilation = (_spatial(v, dims, n) for v, n in ((stride, "stride"), (padding, "padding"),
                                                                    (dilation, "dilation")))
    if transposed:
        return _CONV_T[dims](input, weight, bias, stride, padding, _spatial(output_padding, dims, "output_padding"),
                             groups, dilation)
    return _CONV[dims](input, weight, bias, stride, padding, dilation, groups)


def _modes(interpolation_mode: int, padding_mode: int) -> tuple[str, str]:
    if interpolation_mode not in _INTERPOLATION or padding_mode not in _PADDING:
        raise RuntimeError(f"grid_sampler(): unknown interpolation_mode {interpolation_mode} or padding_mode "
                           f"{padding_mode} (0-2 each)")
    return _INTERPOLATION[interpolation_mode], _PADDING[padding_mode]


def _sampled(ndim: int, input: Tensor, grid: Tensor, interpolation_mode: int, padding_mode: int,
             align_corners: bool) -> Tensor:
    if input.ndim != ndim or grid.ndim != ndim:
        raise RuntimeError(f"grid_sampler(): expected {ndim}D input and grid with same number of dimensions, but "
                           f"got input with sizes {list(input.shape)} and grid with sizes {list(grid.shape)}")
    return F.grid_sample(input, grid, *_modes(interpolation_mode, padding_mode), align_corners)


def grid_sampler_2d(input: Tensor, grid: Tensor, interpolation_mode: int, padding_mode: int,
                    align_corners: bool) -> Tensor:
    return _sampled(4, input, grid, interpolation_mode, padding_mode, align_corners)


def grid_sampler_3d(input: Tensor, grid: Tensor, interpolation_mode: int, padding_mode: int,
                    align_corners: bool) -> Tensor:
    return _sampled(5, input, grid, interpolation_mode, padding_mode, align_corners)


def grid_sampler(input: Tensor, grid: Tensor, interpolation_mode: int, padding_mode: int,
                 align_corners: bool) -> Tensor:
    """grid_sampler_2d for 4-d input, grid_sampler_3d for 5-d."""
    sampler = grid_sampler_3d if input.ndim == 5 else grid_sampler_2d
    return sampler(input, grid, interpolation_mode, padding_mode, align_corners)


def affine_grid_generator(theta: Tensor, size, align_corners: bool) -> Tensor:
    return F.affine_grid(theta, list(size), align_corners)


def embedding_renorm_(weight: Tensor, indices: Tensor, max_norm: float, norm_type: float) -> Tensor:
    """In place, without gradient: each row indices names whose norm exceeds max_norm is scaled
    by max_norm / (norm + 1e-7); returns weight."""
    renorm_rows_(weight, indices, max_norm, norm_type)
    return weight


__all__ = ["affine_grid_generator", "convolution", "embedding_renorm_", "grid_sampler", "grid_sampler_2d",
           "grid_sampler_3d"]
