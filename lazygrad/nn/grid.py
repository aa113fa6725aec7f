"""F.affine_grid and F.grid_sample in 2-d (spatial transformers), from torch's definitions.

grid_sample reads input at the grid's normalized (x, y) in [-1, 1]: unnormalized to pixel
coordinates (align_corners: -1 and 1 are the corner pixels' centres, else their outer edges),
mapped by the padding mode (border clamps, reflection folds), then bilinear: the four
neighbours gathered from the flattened plane and weighted, out-of-range ones counting 0
(padding_mode='zeros'); nearest: the neighbour rounded half to even; bicubic: the 4x4
neighbours, each mapped by the padding mode, weighted by Keys' cubic kernel. The gradients follow
from the gathers and weights: for the input a scatter-add, for the grid the weights' slopes.
"""
from __future__ import annotations

from lazygrad.frontend.tensor import Tensor
from lazygrad.nn import _shared


def affine_grid(theta: Tensor, size, align_corners=None) -> Tensor:
    """(N, 2, 3) affine maps -> (N, H, W, 2) sampling grid for an (N, C, H, W) output."""
    if len(size) != 4:
        raise NotImplementedError(f"affine_grid only supports 4D sizes (2-d grids), got {list(size)}")
    n, _, h, w = size
    if tuple(theta.shape) != (n, 2, 3):
        raise ValueError(f"Expected a batch of 2D affine matrices of shape Nx2x3 for size {list(size)}. Got "
                         f"{list(theta.shape)}.")
    ys, xs = _base(h, theta, bool(align_corners)), _base(w, theta, bool(align_corners))
    ones = xs * 0 + 1
    base = xs.reshape(1, w).expand(h, w).stack(ys.reshape(h, 1).expand(h, w), ones.reshape(1, w).expand(h, w),
                                               dim=-1)
    return (base.reshape(1, h * w, 3) @ theta.transpose(1, 2)).reshape(n, h, w, 2)


def _base(steps: int, like: Tensor, align_corners: bool) -> Tensor:
    """torch's linspace(-1, 1, steps), scaled by (steps - 1) / steps without align_corners."""
    if steps == 1:
        return _shared.arange(1, like.device, like.dtype) * 0
    pos = _shared.arange(steps, like.device, like.dtype) * (2.0 / (steps - 1)) - 1
    return pos if align_corners else pos * ((steps - 1) / steps)


def _unnormalize(coord: Tensor, size: int, align_corners: bool) -> Tensor:
    return (coord + 1) / 2 * (size - 1) if align_corners else ((coord + 1) * size - 1) / 2


def _reflect(coord: Tensor, twice_low: int, twice_high: int) -> Tensor:
    if twice_low == twice_high:
        return coord * 0
    low, span = twice_low / 2, (twice_high - twice_low) / 2
    a = (coord - low).abs()
    flips = (a / span).floor()
    extra = a - flips * span
    return ((flips % 2) == 0).if_else(extra + low, span - extra + low)


def _source(coord: Tensor, size: int, padding_mode: str, align_corners: bool) -> Tensor:
    return _neighbour(_unnormalize(coord, size, align_corners), size, padding_mode, align_corners)


def _cubic_weights(t: Tensor) -> list[Tensor]:
    """The weights of the 4 neighbours at offsets -1, 0, 1, 2 from floor(x), t = x - floor(x):
    Keys' cubic convolution kernel with a = -0.75, as torch's bicubic uses."""
    a = -0.75

    def near(x):  # |x| <= 1
        return ((a + 2) * x - (a + 3)) * x * x + 1

    def far(x):  # 1 < |x| < 2
        return ((a * x - 5 * a) * x + 8 * a) * x - 4 * a
    return [far(t + 1), near(t), near(1 - t), far(2 - t)]


def _neighbour(coord: Tensor, size: int, padding_mode: str, align_corners: bool) -> Tensor:
    """A bicubic neighbour's pixel coordinate after the padding mode (zeros: as it is, read as
    0 outside)."""
    if padding_mode == "border":
        return coord.clamp(0, size - 1)
    if padding_mode == "reflection":
        c = _reflect(coord, 0, 2 * (size - 1)) if align_corners else _reflect(coord, -1, 2 * size - 1)
        return c.clamp(0, size - 1)
    return coord


def grid_sample(input: Tensor, grid: Tensor, mode: str = "bilinear", padding_mode: str = "zeros",
                align_corners=None) -> Tensor:
    if mode not in ("bilinear", "nearest", "bicubic"):
        raise ValueError(f"nn.functional.grid_sample(): expected mode to be 'bilinear', 'nearest' or 'bicubic', "
                         f"but got: '{mode}'")
    if padding_mode not in ("zeros", "border", "reflection"):
        raise ValueError(f"nn.functional.grid_sample(): expected padding_mode to be 'zeros', 'border', or "
                         f"'reflection', but got: '{padding_mode}'")
    if input.ndim != 4:
        raise NotImplementedError("grid_sample: only 2-d (4D input) sampling is supported")
    n, c, h, w = input.shape
    if grid.ndim != 4 or grid.shape[0] != n or grid.shape[-1] != 2:
        raise RuntimeError(f"grid_sampler(): expected grid of shape (N, H_out, W_out, 2) with N = {n}, got "
                           f"{list(grid.shape)}")
    ho, wo = grid.shape[1:3]
    align = bool(align_corners)
    if mode == "bicubic":  # (the padding mode applies to each neighbour, not to the point)
        ix, iy = _unnormalize(grid[..., 0], w, align), _unnormalize(grid[..., 1], h, align)
    else:
        ix = _source(grid[..., 0], w, padding_mode, align)  # (N, Ho, Wo)
        iy = _source(grid[..., 1], h, padding_mode, align)
    plane = input.reshape(n, c, h * w)

    def at(y: Tensor, x: Tensor) -> Tensor:
        """input[:, :, y, x] for integer-valued float coordinates; 0 outside the image."""
        inside = (x >= 0) & (x <= w - 1) & (y >= 0) & (y <= h - 1)
        flat = (inside.if_else(y, 0.0) * w + inside.if_else(x, 0.0)).cast(_shared.arange(1, input.device).dtype)
        index = flat.reshape(n, 1, ho * wo).expand(n, c, ho * wo)
        picked = plane.gather(-1, index).reshape(n, c, ho, wo)
        return inside.unsqueeze(1).if_else(picked, 0.0)

    if mode == "nearest":
        ry, rx = iy.round(), ix.round()
        # the grid's gradient is zero, as torch's (a zero tensor, not None): round's own
        zero_path = (rx + ry) - (rx + ry).detach()
        return at(ry.detach(), rx.detach()) + zero_path.unsqueeze(1)
    if mode == "bicubic":
        x0, y0 = ix.floor().detach(), iy.floor().detach()
        wxs, wys = _cubic_weights(ix - x0), _cubic_weights(iy - y0)
        out = 0.0
        for j, wy in enumerate(wys):
            y = _neighbour(y0 + (j - 1), h, padding_mode, align)
            row = 0.0
            for i, wx in enumerate(wxs):
                row = row + at(y, _neighbour(x0 + (i - 1), w, padding_mode, align)) * wx.unsqueeze(1)
            out = out + row * wy.unsqueeze(1)
        return out
    x0, y0 = ix.floor().detach(), iy.floor().detach()
    wx1, wy1 = (ix - x0).unsqueeze(1), (iy - y0).unsqueeze(1)
    wx0, wy0 = 1 - wx1, 1 - wy1
    return (at(y0, x0) * wy0 * wx0 + at(y0, x0 + 1) * wy0 * wx1 + at(y0 + 1, x0) * wy1 * wx0
            + at(y0 + 1, x0 + 1) * wy1 * wx1)
