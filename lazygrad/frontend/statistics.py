"""torch's sample statistics of a tensor's values: cov, corrcoef and histogram, as torch 2.13
computes them (functions and Tensor methods).

cov follows torch's formula step by step (weights, the weighted mean, the correction applied to
the weight sum, a covariance clamped at zero degrees of freedom with torch's UserWarning), so
the numbers and the gradients are torch's. histogram counts with the bin edges themselves
(an element lands in bin b when edges[b] <= x < edges[b+1], the last bin closed), which is
what torch's local search around its interpolated guess settles on; with a bin count and no
range the data's min and max are read, as torch reads them.
"""
from __future__ import annotations

import warnings

from lazygrad import dtypes
from lazygrad.frontend import return_types
from lazygrad.frontend.factories import linspace
from lazygrad.frontend.index_checks import check_all
from lazygrad.frontend.tensor import Tensor
from lazygrad.frontend.tensor_declared import input_gradient
from lazygrad.frontend.tensor_gather import positions


def _check_weights(name: str, w: Tensor, observations: int, integral: bool) -> None:
    if w.ndim > 1:
        raise RuntimeError(f"cov(): expected {name} to have one or fewer dimensions but got {name} with "
                           f"{w.ndim} dimensions")
    if integral and not (w.dtype.is_int or w.dtype.is_bool):
        raise RuntimeError(f"cov(): expected {name} to have integral dtype but got {name} with "
                           f"{dtypes.torch_name(w.dtype)} dtype")
    if not integral and not w.dtype.is_float:
        raise RuntimeError(f"cov(): expected {name} to have floating point dtype but got {name} with "
                           f"{dtypes.torch_name(w.dtype)} dtype")
    if w.numel() != observations:
        raise RuntimeError(f"cov(): expected {name} to have the same numel as there are observations in the "
                           f"input but got {w.numel()} != {observations}")
    check_all(w >= 0, f"cov(): {name} cannot be negative")


def cov(input: Tensor, *, correction: int = 1, fweights: Tensor | None = None,
        aweights: Tensor | None = None) -> Tensor:
    """The covariance of the rows (variables) over the columns (observations) of a 1-D or 2-D
    tensor, with integer frequency weights and float observation weights (torch.cov)."""
    if input.ndim > 2:
        raise RuntimeError(f"cov(): expected input to have two or fewer dimensions but got an input with "
                           f"{input.ndim} dimensions")
    observations = input.numel() if input.ndim < 2 else input.shape[1]
    w = None
    if fweights is not None:
        _check_weights("fweights", fweights, observations, integral=True)
        w = fweights
    if aweights is not None:
        _check_weights("aweights", aweights, observations, integral=False)
        w = aweights if w is None else w * aweights
    x = input if input.ndim == 2 else input.reshape(1, -1)
    if w is None:
        w_sum = observations
        avg = x.sum(1) / w_sum
        norm = w_sum - correction
        if norm <= 0:
            _warn_dof()
            norm = 0
    else:
        w_sum = w.sum()
        avg = (x * w).sum(1) / w_sum
        if correction == 0:
            norm = w_sum
        elif aweights is None:
            norm = w_sum - correction
        else:
            norm = w_sum - correction * (w * aweights).sum() / w_sum
        if bool((norm <= 0).item()):
            _warn_dof()
            norm = norm.clamp(min=0)
    centred = x - avg.unsqueeze(1)
    c = centred @ (centred if w is None else centred * w).T
    return (c / norm).squeeze()


def _warn_dof() -> None:
    warnings.warn("cov(): degrees of freedom is <= 0. Correction should be strictly less than the number of "
                  "observations.", UserWarning, stacklevel=3)


def corrcoef(input: Tensor) -> Tensor:
    """Pearson's correlation coefficients of the rows of input: cov over the outer product of
    the standard deviations, clipped to [-1, 1] (a 0-D covariance gives c / c, as torch's)."""
    c = cov(input)
    if c.ndim == 0:
        return c / c
    std = c.diagonal().sqrt()
    c = c / std.unsqueeze(1)
    c = c / std.unsqueeze(0)
    return c.clip(-1, 1)


def _edges(input: Tensor, bins, range_) -> Tensor:
    if isinstance(bins, Tensor):
        if bins.dtype != input.dtype:
            raise RuntimeError("torch.histogramdd: input tensor and bins tensors should have the same dtype, but "
                               f"got input with dtype {input.dtype.name} and bins for dimension 0 with dtype "
                               f"{bins.dtype.name}")
        if bins.ndim != 1:
            raise RuntimeError(f"torch.histogramdd: bins tensor should have one dimension, but got {bins.ndim} "
                               "dimensions in the bins tensor for dimension 0")
        if bins.numel() == 0:
            raise RuntimeError("torch.histogramdd: bins tensor should have at least 1 element, but got 0 elements "
                               "in the bins tensor for dimension 0")
        return bins.detach().clone()  # (a copy, as torch's)
    bins = int(bins)
    if bins <= 0:
        raise RuntimeError(f"torch.histogram(): bins must be > 0, but got {bins} for dimension 0")
    if range_ is not None:
        lo, hi = (float(v) for v in range_)
    elif input.numel():
        lo, hi = float(input.amin().item()), float(input.amax().item())
    else:
        lo, hi = 0.0, 1.0  # (torch's range for no data)
    if lo > hi:
        raise RuntimeError(f"torch.histogramdd: min should not exceed max, but got min {lo:g} max {hi:g} for "
                           "dimension 0")
    if lo == hi:
        lo, hi = lo - 0.5, hi + 0.5
    return linspace(lo, hi, bins + 1, dtype=input.dtype, device=input.device)


def histogram(input: Tensor, bins, *, range=None, weight: Tensor | None = None,  # (torch's name, shadowing range)
              density: bool = False, out=None):
    """(hist, bin_edges) of input's values (flattened): `bins` equal bins over range (the data's
    min and max by default) or the given increasing edges; elements outside are not counted,
    the last edge falls in the last bin. weight gives each element's weight; density divides
    by the total and the bin widths (torch.histogram)."""
    if out is not None:
        raise NotImplementedError("histogram(out=...) is not supported")
    if not input.dtype.is_float:
        raise NotImplementedError(f"\"histogramdd\" not implemented for '{dtypes.torch_name(input.dtype)}'")
    if weight is not None and weight.dtype != input.dtype:
        raise RuntimeError("torch.histogramdd: if weight tensor is provided, input tensor and weight tensor should "
                           f"have the same dtype, but got input({input.dtype.name}), and weight({weight.dtype.name})")
    if weight is not None and weight.shape != input.shape:
        raise RuntimeError("torch.histogramdd: if weight tensor is provided it should have the same shape as the "
                           f"input tensor excluding its innermost dimension, but got input with shape "
                           f"{list(input.shape) + [1]} and weight with shape {list(weight.shape)}")
    edges = _edges(input, bins, range)
    x = input.detach().reshape(-1, 1)
    lo, hi = edges[:-1], edges[1:]
    nb = lo.shape[0]
    last_bin = positions(edges, nb, 0, 1) == nb - 1
    inside = ((x >= lo) & (x < hi)) | ((x == edges[-1:]) & last_bin)
    if weight is None:
        hist = inside.sum(0).cast(input.dtype)
    else:
        hist = inside.if_else(weight.detach().reshape(-1, 1), 0.0).sum(0)
    if density:
        hist = hist / (hist.sum() * (hi - lo))
    sources = [t for t in (input, weight, bins) if isinstance(t, Tensor)]
    return return_types.histogram(tuple(_no_derivative(t, sources) for t in (hist, edges)))


def _no_derivative(value: Tensor, sources: list) -> Tensor:
    """value, requiring grad where a source does, whose backward raises as torch's (aten has no
    derivative for histogram)."""
    def refuse(i, args, result, grad):
        raise RuntimeError("derivative for aten::histogram is not implemented")
    return input_gradient(tuple(sources), lambda *_: value, refuse)


def _histogram_method(self, bins, *, range=None, weight=None, density=False):
    return histogram(self, bins, range=range, weight=weight, density=density)


def _cov_method(self, *, correction=1, fweights=None, aweights=None):
    return cov(self, correction=correction, fweights=fweights, aweights=aweights)


for _name, _fn in {"cov": _cov_method, "corrcoef": corrcoef, "histogram": _histogram_method}.items():
    setattr(Tensor, _name, _fn)

__all__ = ["corrcoef", "cov", "histogram"]
