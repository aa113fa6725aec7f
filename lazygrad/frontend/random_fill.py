"""torch's in-place random fills (x.normal_(), x.uniform_(a, b), x.bernoulli_(p), random_,
exponential_, geometric_, cauchy_, log_normal_) and torch.normal / torch.bernoulli.

Each draws from the same counter-based generator as lg.rand (frontend/random.py: so lg.jit
replays draw fresh numbers, and lg.manual_seed repeats them), transforms the uniform or normal
draws on the device, and writes the result into the tensor as fill_ does (an in-place write:
views see it, autograd keeps no path to the numbers drawn). torch's checks come first, with
torch's messages; the streams are lazygrad's own, not torch's (docs/differences-from-torch.md).

Installed on Tensor when this module is imported (lazygrad/__init__.py): frontend/random.py
imports tensor.py, so tensor.py cannot import these.
"""
from __future__ import annotations

import math

from lazygrad import dtypes
from lazygrad.errors import DTypeNotImplementedError
from lazygrad.frontend.factories import zeros_like
from lazygrad.frontend.grad_mode import no_grad
from lazygrad.frontend.index_checks import check_all
from lazygrad.frontend.random import _float_dtype, _normal, _shape_args, _uniform, _wide_bits, random_bits
from lazygrad.frontend.tensor import Tensor
from lazygrad.frontend.tensor_declared import input_gradient
from lazygrad.frontend.tensor_shape import broadcast_shape
from lazygrad.frontend.torch_device import resolve_device
from lazygrad.ir.ops import Op


def _floats_only(t: Tensor, kernel: str) -> None:
    if not t.dtype.is_float:
        raise DTypeNotImplementedError(f'"{kernel}" not implemented for {t.dtype.name} tensors: it draws '
                                       "floating-point numbers (as in torch)")


def _uniform_like(t: Tensor, generator, work=None):
    """Uniform draws on [0, 1) with t's shape, in work (t's dtype by default; float32 for
    integer targets)."""
    work = work or (t.dtype if t.dtype.is_float else dtypes.float32)
    return _uniform(*random_bits(t.shape, t.device, generator), work)


def _fill(t: Tensor, value: Tensor) -> Tensor:
    """Write value into t, as fill_ does: a write with no history from the draw."""
    return t.assign(value.detach().cast(t.dtype)).realize()


def uniform_(self, from_: float = 0.0, to: float = 1.0, *, generator=None, **kwargs):
    from_ = kwargs.pop("from", from_)
    _no_more(kwargs, "uniform_")
    _floats_only(self, "check_uniform_bounds")
    if from_ > to:
        raise RuntimeError(f"uniform_ expects to return a [from, to) range, but found from={from_:g} > to={to:g}")
    return _fill(self, _uniform_like(self, generator) * (to - from_) + from_)


def normal_(self, mean: float = 0.0, std: float = 1.0, *, generator=None):
    _floats_only(self, "normal_kernel_cpu")
    if std < 0:
        raise RuntimeError(f"normal expects std >= 0.0, but found std {std:g}")
    return _fill(self, _normal(*random_bits(self.shape, self.device, generator), self.dtype) * std + mean)


def log_normal_(self, mean: float = 1.0, std: float = 2.0, *, generator=None):
    _floats_only(self, "log_normal_cpu")
    if std <= 0:
        raise RuntimeError(f"log_normal_ expects std > 0.0, but found std={std:g}")
    return _fill(self, (_normal(*random_bits(self.shape, self.device, generator), self.dtype) * std + mean).exp())


def exponential_(self, lambd: float = 1.0, *, generator=None):
    if not self.dtype.is_float:
        raise RuntimeError("Exponential distribution is a continuous probability distribution. dtype must be a "
                           f"floating point but you specified {self.dtype.name}")
    if not lambd > 0:
        raise RuntimeError(f"exponential_ expects lambda > 0.0, but found lambda={lambd:g}")
    # 1 - u is in (0, 1]: the log is finite, and 0 is drawn only as often as u = 0
    return _fill(self, (1.0 - _uniform_like(self, generator)).log() * (-1.0 / lambd))


def cauchy_(self, median: float = 0.0, sigma: float = 1.0, *, generator=None):
    if not self.dtype.is_float:
        raise RuntimeError("Cauchy distribution is a continuous probability distribution. dtype must be a "
                           f"floating point but you specified {self.dtype.name}")
    if not sigma > 0:
        raise RuntimeError(f"cauchy_ expects sigma > 0.0, but found sigma={sigma:g}")
    return _fill(self, ((_uniform_like(self, generator) - 0.5) * math.pi).tan() * sigma + median)


def geometric_(self, p: float, *, generator=None):
    """The number of Bernoulli(p) trials up to the first success: ceil(log(v) / log(1 - p)) for
    v uniform on (0, 1], at least 1."""
    if not 0 < p < 1:
        raise RuntimeError(f"geometric_ expects p to be in (0, 1), but got p={p:g}")
    work = dtypes.float64 if self.dtype == dtypes.float64 else dtypes.float32
    v = 1.0 - _uniform_like(self, generator, work)
    return _fill(self, (v.log() / math.log1p(-p)).ceil()._maximum(1.0))


def bernoulli_(self, p=0.5, *, generator=None):
    """1 where a uniform draw falls below p (a number, or a tensor broadcast to self's shape)."""
    if isinstance(p, Tensor):
        if p.requires_grad:
            p = p.detach()
        check_all((p >= 0) & (p <= 1), "Expected p_in >= 0 && p_in <= 1 to be true, but got false.")
        work = dtypes.float64 if p.dtype == dtypes.float64 else dtypes.float32
        return _fill(self, _uniform_like(self, generator, work) < p.to(self.device)._broadcast_to(self.shape))
    p = float(p)
    if not 0 <= p <= 1:
        raise RuntimeError(f"bernoulli_ expects p to be in [0, 1], but got p={p:g}")
    work = dtypes.float64 if self.dtype == dtypes.float64 else dtypes.float32
    return _fill(self, _uniform_like(self, generator, work) < p)


def _random_bounds(t: Tensor, from_, to) -> tuple[int, int]:
    """[low, high) of random_(from, to): random_(to) is [0, to); random_() is every integer the
    dtype holds exactly ([0, 2**digits] for floats, [0, max] for integers)."""
    if to is None and from_ is not None and from_ != 0:
        from_, to = 0, from_
    low = 0 if from_ is None else int(from_)
    if to is None:
        if t.dtype.is_float:
            digits = {"float64": 53, "float32": 24, "float16": 11, "bfloat16": 8}[t.dtype.name]
            return low, (1 << digits) + 1
        return low, int(dtypes.value_range(t.dtype)[1]) + 1
    high = int(to)
    if low >= high:
        raise RuntimeError(f"random_ expects 'from' to be less than 'to', but got from={low} >= to={high}")
    if not t.dtype.is_float:
        smallest, largest = dtypes.value_range(t.dtype)
        if not smallest <= low <= largest:
            raise RuntimeError(f"from is out of bounds for {t.dtype.name}")
        if not smallest <= high - 1 <= largest:
            raise RuntimeError(f"to - 1 is out of bounds for {t.dtype.name}")
    return low, high


def random_(self, from_=None, to=None, *, generator=None, **kwargs):
    from_ = kwargs.pop("from", from_)
    _no_more(kwargs, "random_")
    low, high = _random_bounds(self, from_, to)
    wide = _wide_bits(self.shape, self.device, generator)
    offset = wide if high - low >= 1 << 64 else wide._binary(Op.MOD, high - low)
    work = dtypes.float64 if self.dtype == dtypes.float64 else dtypes.int64
    return _fill(self, offset.cast(dtypes.int64).cast(work) + low)


def _no_more(kwargs: dict, name: str) -> None:
    if kwargs:
        raise TypeError(f"{name}() got an unexpected keyword argument {next(iter(kwargs))!r}")


FILLS = {"uniform_": uniform_, "normal_": normal_, "log_normal_": log_normal_, "exponential_": exponential_,
         "cauchy_": cauchy_, "geometric_": geometric_, "bernoulli_": bernoulli_, "random_": random_}
for _name, _fill_fn in FILLS.items():
    setattr(Tensor, _name, _fill_fn)


# ---- torch.normal, torch.bernoulli ----------------------------------------------------------------

def _zero_gradient(inputs: tuple, value: Tensor) -> Tensor:
    """value, with a zero gradient for each input that requires one (torch's derivative of
    normal's mean and std, and of bernoulli's p: the draw is not reparameterized)."""
    return input_gradient(inputs, lambda *_: value, lambda i, args, result, g: zeros_like(g))


def normal(mean=0.0, std=1.0, size=None, *, generator=None, out=None, dtype=None, device=None,
           requires_grad: bool = False):
    """torch.normal: mean and std tensors (broadcast) or numbers; with two numbers, size."""
    if out is not None:
        raise NotImplementedError("normal(out=...) is not supported")
    tensors = [v for v in (mean, std) if isinstance(v, Tensor)]
    if not tensors:
        if size is None:
            raise TypeError("normal(mean, std) with two numbers needs size")
        if std < 0:
            raise RuntimeError(f"normal expects std >= 0.0, but found std {std:g}")
        dt = _float_dtype(dtype)
        draw = _normal(*random_bits(_shape_args((size,)), resolve_device(device), generator), dt)
        result = draw * std + mean
        return result.requires_grad_() if requires_grad else result
    first = tensors[0]
    for t in tensors:
        _floats_only(t, "normal_kernel_cpu")
    if not isinstance(std, Tensor) and std < 0:
        raise RuntimeError(f"normal expects std >= 0.0, but found std {std:g}")
    if isinstance(std, Tensor):
        check_all(std >= 0, "normal expects all elements of std >= 0.0")
    shape = first.shape
    if len(tensors) == 2:
        shape = broadcast_shape(mean.shape, std.shape)
    dt = tensors[0].dtype if len(tensors) == 1 else dtypes.promote_types(mean.dtype, std.dtype)
    with no_grad():
        draw = _normal(*random_bits(shape, first.device, generator), dt)
        value = (draw * std + mean).cast(dt)._broadcast_to(shape)
    return _zero_gradient(tuple(t.cast(dt)._broadcast_to(shape) for t in tensors), value)


def bernoulli(input, p=None, *, generator=None, out=None):
    """torch.bernoulli: 1 where a uniform draw falls below input's probabilities (or below p,
    with input giving the shape and dtype)."""
    if out is not None:
        raise NotImplementedError("bernoulli(out=...) is not supported")
    if p is not None:
        return zeros_like(input.detach()).bernoulli_(p, generator=generator)
    if not input.dtype.is_float:
        raise DTypeNotImplementedError(f'"bernoulli_tensor_cpu_p_" not implemented for {input.dtype.name} '
                                       "tensors: probabilities are floating-point (as in torch)")
    with no_grad():
        value = zeros_like(input.detach()).bernoulli_(input.detach(), generator=generator)
    return _zero_gradient((input,), value)


def _bernoulli_method(self, p=None, *, generator=None):
    """Tensor.bernoulli(): draws with self's probabilities (or p), as torch.bernoulli(self, p)."""
    return bernoulli(self, p, generator=generator)


Tensor.bernoulli = _bernoulli_method

__all__ = ["bernoulli", "normal"]
