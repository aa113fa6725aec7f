"""Complex arithmetic in real ops on the (re, im) pair, installed as ComplexTensor's methods.

Each op splits its operands into real and imaginary parts (`parts`: a real tensor or a Python
number gives no imaginary part, so mixing costs nothing), computes the textbook formula in real
tensor ops, and packs the result into a new pair. Gradients follow from the real ops. The
result dtype is torch's (complex_dtypes.result_type). Division scales by the divisor's larger
part (no overflow of c^2 + d^2 for |c| beyond 1e19 in float32); a product of a real and a
complex operand does not multiply by the absent zero imaginary part (so 0 * inf gives no NaN
there, which torch's complex kernel would give).
"""
from __future__ import annotations

import warnings

from lazygrad import dtypes
from lazygrad.frontend import complex_tensor
from lazygrad.frontend.complex_dtypes import (
    as_complex_dtype,
    complex64,
    complex128,
    complex_of,
    part_dtype,
    result_type,
    unsupported,
)
from lazygrad.frontend.complex_tensor import ComplexTensor, _dim, wrap
from lazygrad.frontend.tensor import Tensor
from lazygrad.frontend.tensor_shape import broadcast_shape

Number = (bool, int, float, complex)


def is_complex_dtype(d: object) -> bool:
    return isinstance(d, dtypes.DType) and d.kind == "complex"


def is_complex_value(x: object) -> bool:
    return isinstance(x, (ComplexTensor, complex)) or type(x).__name__ in ("complex64", "complex128")


def parts(x, part, device):
    """(re, im) of x in the part dtype: tensors or Python numbers; im is None for a real x."""
    if isinstance(x, ComplexTensor):
        pair = x._pair if x._pair.dtype == part else x._pair.cast(part)
        return pair[..., 0], pair[..., 1]
    if isinstance(x, Tensor):
        return (x if x.dtype == part else x.cast(part)), None
    if isinstance(x, Number) or hasattr(x, "dtype"):
        c = complex(x)
        return (c.real, c.imag) if c.imag or is_complex_value(x) else (c.real, None)
    raise TypeError(f"expected a Tensor or a number, got {type(x).__name__}")


def pack(re, im, part, device) -> ComplexTensor:
    """The complex tensor of parts re and im (tensors or numbers, broadcast together)."""
    re = re if isinstance(re, Tensor) else Tensor(float(re), dtype=part, device=device)
    im = (re * 0) if im is None else im if isinstance(im, Tensor) else Tensor(float(im), dtype=part, device=device)
    shape = broadcast_shape(re.shape, im.shape)
    return wrap(re.expand(*shape).stack(im.expand(*shape), dim=-1))


def pair_of(value, dtype, device) -> Tensor:
    """value as a pair tensor of complex dtype (for writing into a complex tensor)."""
    part = part_dtype(dtype)
    re, im = parts(value, part, device)
    return pack(re, im, part, device)._pair


def _binary(name: str, formula):
    def op(self, other, *, alpha=None):
        a, b = (self, other) if not name.startswith("r") else (other, self)
        if alpha is not None:
            b = b * alpha
        dt = result_type(a, b)
        if dt.kind != "complex":
            raise unsupported(name)
        part, device = part_dtype(dt), (self.device if isinstance(self, Tensor) else other.device)
        (ar, ai), (br, bi) = parts(a, part, device), parts(b, part, device)
        return pack(*formula(ar, ai, br, bi), part, device)
    op.__name__ = op.__qualname__ = name
    return op


def _add(ar, ai, br, bi):
    return ar + br, ai if bi is None else bi if ai is None else ai + bi


def _sub(ar, ai, br, bi):
    return ar - br, ai if bi is None else -bi if ai is None else ai - bi


def _mul(ar, ai, br, bi):
    if ai is None:
        return ar * br, ar * bi
    if bi is None:
        return ar * br, ai * br
    return ar * br - ai * bi, ar * bi + ai * br


def _div(ar, ai, br, bi):
    if bi is None:
        return ar / br, None if ai is None else ai / br
    if not isinstance(br, Tensor) and not isinstance(bi, Tensor):
        inv = 1 / complex(br, bi)  # a Python number: exact in double
        return _mul(ar, ai, inv.real, inv.imag)
    br = br if isinstance(br, Tensor) else bi * 0 + br
    bi = bi if isinstance(bi, Tensor) else br * 0 + bi
    scale = br.abs().maximum(bi.abs())
    cr, ci = br / scale, bi / scale  # divisor / scale: c^2 + d^2 cannot overflow
    denom = (cr * cr + ci * ci) * scale
    if ai is None:
        return ar * cr / denom, -ar * ci / denom
    return (ar * cr + ai * ci) / denom, (ai * cr - ar * ci) / denom


add, sub, mul, div = (_binary(n, f) for n, f in (("add", _add), ("sub", _sub), ("mul", _mul), ("div", _div)))
radd, rsub, rmul, rdiv = (_binary(n, f) for n, f in (("radd", _add), ("rsub", _sub), ("rmul", _mul), ("rdiv", _div)))


def neg(self) -> ComplexTensor:
    return wrap(-self._pair)


def conj(self) -> ComplexTensor:
    """The conjugate, computed (torch's is a lazy view: writing into it raises here)."""
    out = wrap(self._pair * Tensor([1.0, -1.0], dtype=self._pair.dtype, device=self.device))
    out.__dict__["_conj_view"] = True
    return out


def _safe(re, im):
    """(re, im) with the origin moved to (1, 0), and where it was: the gradients of abs and
    angle at 0 are then 0, as torch's, instead of 0/0."""
    zero = (re == 0) & (im == 0)
    return zero, zero.if_else(1.0, re), zero.if_else(0.0, im)


def abs_(self) -> Tensor:
    re, im = self.real, self.imag
    zero, re, im = _safe(re, im)
    return zero.if_else(0.0, re.hypot(im))


def angle(self) -> Tensor:
    re, im = self.real, self.imag
    zero, sre, sim = _safe(re, im)
    return zero.if_else(im.atan2(re).detach(), sim.atan2(sre))  # angle(+-0 +-0i) is atan2's signed zero or pi


def exp(self) -> ComplexTensor:
    re, im = self.real, self.imag
    e = re.exp()
    return pack(e * im.cos(), e * im.sin(), self._pair.dtype, self.device)


def _reduce_dims(self, dim):
    n = self.ndim
    if dim is None:
        return tuple(range(n))
    return tuple(_dim(d, n) for d in (dim if isinstance(dim, (tuple, list)) else (dim,)))


def sum_(self, dim=None, keepdim: bool = False, *, dtype=None) -> ComplexTensor:
    src = self if dtype is None else self.to(dtype)
    dims = _reduce_dims(src, dim)
    return wrap(src._pair.sum(dims, keepdim=keepdim)) if dims else src.clone()


def mean(self, dim=None, keepdim: bool = False, *, dtype=None) -> ComplexTensor:
    src = self if dtype is None else self.to(dtype)
    dims = _reduce_dims(src, dim)
    return wrap(src._pair.mean(dims, keepdim=keepdim)) if dims else src.clone()


def matmul(self, other, reverse: bool = False) -> ComplexTensor:
    a, b = (other, self) if reverse else (self, other)
    if not isinstance(a, Tensor) or not isinstance(b, Tensor):
        raise TypeError("matmul(): argument 'other' must be Tensor")
    if a.dtype != b.dtype:  # torch's matmul does not promote
        raise RuntimeError(f"expected m1 and m2 to have the same dtype, but got: {a.dtype} != {b.dtype}")
    part, device = part_dtype(a.dtype), self.device
    (ar, ai), (br, bi) = parts(a, part, device), parts(b, part, device)
    if ai is None:
        return pack(ar @ br, ar @ bi, part, device)
    if bi is None:
        return pack(ar @ br, ai @ br, part, device)
    return pack(ar @ br - ai @ bi, ar @ bi + ai @ br, part, device)


def eq(self, other) -> Tensor:
    dt = result_type(self, other)
    part = part_dtype(dt) if dt.kind == "complex" else part_dtype(complex_of(dt) if dt.is_float else complex64)
    (ar, ai), (br, bi) = parts(self, part, self.device), parts(other, part, self.device)
    ai, bi = (0.0 if ai is None else ai), (0.0 if bi is None else bi)
    out = (ar == br) & (ai == bi) if isinstance(ar, Tensor) or isinstance(br, Tensor) else None
    return out if isinstance(out, Tensor) else (br == ar) & (bi == ai)


def ne(self, other) -> Tensor:
    return eq(self, other).logical_not()


def isnan(self) -> Tensor:
    return self.real.isnan() | self.imag.isnan()


def isclose(self, other, rtol: float = 1e-05, atol: float = 1e-08, equal_nan: bool = False) -> Tensor:
    """torch's complex isclose: |a - b| <= atol + rtol * |b| with the complex modulus."""
    a, b = (self, other) if isinstance(self, ComplexTensor) else (other, self)
    if not isinstance(b, ComplexTensor):
        b = to_complex(b, a.dtype)
    close = eq(a, b)
    if equal_nan:
        close = close | (isnan(a) & isnan(b))
    error = abs_(sub(a, b))
    return close | (error.isfinite() & (error <= atol + rtol * abs_(b)))


def allclose(self, other, rtol: float = 1e-05, atol: float = 1e-08, equal_nan: bool = False) -> bool:
    return bool(isclose(self, other, rtol, atol, equal_nan).all().item())


def to_complex(x, dtype) -> ComplexTensor:
    """A real tensor as a complex one (imaginary part 0), or a complex one in another precision."""
    part = part_dtype(dtype)
    if isinstance(x, ComplexTensor):
        return x if x.dtype == dtype else wrap(x._pair.cast(part))
    return pack(x.cast(part) if isinstance(x, Tensor) else x, None, part,
                x.device if isinstance(x, Tensor) else None)


def to(self, *args, **kwargs):
    """x.to(device), x.to(dtype), x.to(device, dtype), x.to(other): a complex dtype recasts the
    parts; a real one keeps the real part (torch's warning)."""
    dtype, device = kwargs.get("dtype"), kwargs.get("device")
    for a in args:
        if isinstance(a, Tensor):
            dtype, device = a.dtype, a.device
        elif isinstance(a, dtypes.DType):
            dtype = a
        elif a is not None:
            device = a
    out = self if device is None else wrap(self._pair.to(device))
    if dtype is None or dtype == self.dtype:
        return out.clone() if kwargs.get("copy") else out
    target = as_complex_dtype(dtype)
    if target is not None:
        return to_complex(out, target)
    warnings.warn("Casting complex values to real discards the imaginary part", UserWarning, stacklevel=2)
    return out.real.to(dtype)


def setitem(self, index, value) -> None:
    if self.__dict__.get("_conj_view"):
        raise unsupported("writing into the result of conj()")
    index = index if isinstance(index, tuple) else (index,)
    self._pair[index + (slice(None),)] = pair_of(value, self.dtype, self.device)


def copy_(self, src, non_blocking: bool = False) -> ComplexTensor:
    setitem(self, (Ellipsis,), src)
    return self


def roll(self, shifts, dims=None) -> ComplexTensor:
    """A roll of the complex elements (the pair rolled along the same dims; all of them
    flattened first when dims is None, as torch)."""
    if dims is None:
        return wrap(self._pair.reshape(-1, 2).roll(shifts, 0).reshape(self._pair.shape))
    dims = tuple(_dim(d, self.ndim) for d in (dims if isinstance(dims, (tuple, list)) else (dims,)))
    return wrap(self._pair.roll(shifts, dims))


def _inplace(op):
    """x op= y as torch: computed from a copy of x (what the gradient keeps must outlive the
    write, as torch's original self), then written into x's storage (views of it see the write)."""
    def update(self, other, *, alpha=None):
        old = self.clone()
        return copy_(self, op(old, other) if alpha is None else op(old, other, alpha=alpha))
    update.__name__ = update.__qualname__ = op.__name__ + "_"
    return update


def _warn_real(self, dtype):
    warnings.warn("Casting complex values to real discards the imaginary part", UserWarning, stacklevel=3)
    return self.real.to(dtype)


_METHODS = {
    "add": add, "sub": sub, "subtract": sub, "mul": mul, "multiply": mul, "div": div, "divide": div,
    "true_divide": div, "__add__": add, "__radd__": radd, "__sub__": sub, "__rsub__": rsub, "__mul__": mul,
    "__rmul__": rmul, "__truediv__": div, "__rtruediv__": rdiv, "__neg__": neg, "neg": neg, "negative": neg,
    "conj": conj, "conj_physical": conj, "resolve_conj": lambda self: self, "resolve_neg": lambda self: self,
    "is_conj": lambda self: False, "abs": abs_, "absolute": abs_, "__abs__": abs_, "angle": angle, "exp": exp,
    "sum": sum_, "mean": mean, "matmul": matmul, "__matmul__": matmul,
    "__rmatmul__": lambda self, other: matmul(self, other, reverse=True), "__eq__": eq, "__ne__": ne, "eq": eq,
    "ne": ne, "isclose": isclose, "allclose": allclose, "isnan": isnan, "to": to,
    "type_as": lambda self, other: to(self, other.dtype), "__setitem__": setitem, "copy_": copy_,
    "cfloat": lambda self: to(self, complex64), "cdouble": lambda self: to(self, complex128),
    "roll": roll, "add_": _inplace(add), "sub_": _inplace(sub), "mul_": _inplace(mul), "div_": _inplace(div),
    "__iadd__": _inplace(add), "__isub__": _inplace(sub), "__imul__": _inplace(mul), "__itruediv__": _inplace(div),
    "float": lambda self: _warn_real(self, dtypes.float32), "double": lambda self: _warn_real(self, dtypes.float64),
}
for _name, _fn in _METHODS.items():
    setattr(ComplexTensor, _name, _fn)
complex_tensor.seal()
