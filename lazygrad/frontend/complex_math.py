"""Complex elementwise functions (sqrt, log, pow, the trigonometric and hyperbolic functions,
sigmoid, sgn, the isinf/isfinite/isreal tests) in real ops on the (re, im) pair.

As in complex_ops.py, each function is the textbook formula in real tensor ops, so gradients
come from the real graph (torch's convention: the gradient of a complex leaf is
dL/dRe + i dL/dIm). Values are the principal ones, with torch's branch cuts: the cut of sqrt
and log lies on the negative reals, and the sign of a zero imaginary part picks the side
(sqrt(-4 - 0j) = -2j, log(-1 - 0j) = -i pi), which copysign and atan2 give.

Where a formula has a removable singularity or overflows (sqrt at 0, log1p's precise form away
from 0, tanh for large |Re z|), its input is moved to a safe point where the formula is not
used, so the branch not taken has a finite gradient (the masked branch's zero gradient times
an infinite local derivative would otherwise give NaN).
"""
from __future__ import annotations

import math

from lazygrad.frontend import complex_tensor
from lazygrad.frontend.complex_dtypes import part_dtype, result_type, unsupported
from lazygrad.frontend.complex_ops import _div, _mul, _safe, conj, copy_, exp, neg, pack, parts
from lazygrad.frontend.complex_tensor import ComplexTensor, wrap
from lazygrad.frontend.tensor import Tensor


def _split(z: ComplexTensor):
    return z.real, z.imag, z._pair.dtype, z.device


def _unary(name: str, formula):
    """A method computing formula(re, im, part) -> (re, im) on a complex tensor."""
    def op(self) -> ComplexTensor:
        re, im, part, device = _split(self)
        return pack(*formula(re, im, part), part, device)
    op.__name__ = op.__qualname__ = name
    return op


def _sqrt(x, y, part):
    """t = sqrt((|z| + |x|) / 2) is the larger part of the root; the other is |y| / 2t (no
    cancellation for either sign of x). An infinite y gives (inf, y), as C99's csqrt."""
    right = x >= 0
    t = ((x.hypot(y) + right.if_else(x, -x)) * 0.5).sqrt()  # (|x|, with x's own gradient at x = 0)
    safe_t = (t == 0).if_else(1.0, t)
    other = y / (safe_t * 2)
    re = right.if_else(t, other.abs())
    im = right.if_else(other, t.copysign(y))
    inf = y.isinf()
    return inf.if_else(math.inf, re), inf.if_else(y, im)


def _log(x, y, part):
    return x.hypot(y).log(), y.atan2(x)


def _log_base(base: float):
    def formula(x, y, part):
        re, im = _log(x, y, part)
        return re / math.log(base), im / math.log(base)
    return formula


def _log1p(x, y, part):
    """log|1 + z| as log1p(2x + x^2 + y^2) near 0 (no loss to 1 + x rounding), as log of the
    modulus elsewhere; the argument is atan2(y, 1 + x)."""
    near = (x.abs() < 0.5) & (y.abs() < 0.5)
    xs, ys = near.if_else(x, 0.0), near.if_else(y, 0.0)
    precise = (xs * (xs + 2) + ys * ys).log1p() * 0.5
    return near.if_else(precise, (x + 1).hypot(y).log()), y.atan2(x + 1)


def _expm1(x, y, part):
    """exp(x) cos(y) - 1 as expm1(x) cos(y) - 2 sin^2(y / 2) (accurate near 0)."""
    s = (y * 0.5).sin()
    return x.expm1() * y.cos() - s * s * 2, x.exp() * y.sin()


def _sin(x, y, part):
    return x.sin() * y.cosh(), x.cos() * y.sinh()


def _cos(x, y, part):
    return x.cos() * y.cosh(), -(x.sin() * y.sinh())


def _sinh(x, y, part):
    return x.sinh() * y.cos(), x.cosh() * y.sin()


def _cosh(x, y, part):
    return x.cosh() * y.cos(), x.sinh() * y.sin()


_TANH_CLAMP = {"float32": 40.0, "float64": 350.0}  # tanh(x) is 1 in the dtype and cosh(2x) is finite


def _tanh(x, y, part):
    """(sinh 2x + i sin 2y) / (cosh 2x + cos 2y), with x clamped where tanh x is already +-1
    in the dtype (cosh 2x would overflow to inf / inf)."""
    bound = _TANH_CLAMP[part.name]
    xc = x.clamp(-bound, bound) * 2
    d = xc.cosh() + (y * 2).cos()
    return xc.sinh() / d, (y * 2).sin() / d


def _tan(x, y, part):
    """tan z = -i tanh(i z), and i z = -y + i x."""
    a, b = _tanh(-y, x, part)
    return b, -a


def _sgn(x, y, part):
    zero, sx, sy = _safe(x, y)
    r = sx.hypot(sy)
    inf = r.isinf()  # torch's sgn of an infinite z is nan + nan i
    r = inf.if_else(math.nan, r)
    return zero.if_else(0.0, sx / r), zero.if_else(0.0, sy / r)


sqrt = _unary("sqrt", _sqrt)
log = _unary("log", _log)
log2 = _unary("log2", _log_base(2.0))
log10 = _unary("log10", _log_base(10.0))
log1p = _unary("log1p", _log1p)
expm1 = _unary("expm1", _expm1)
sin, cos, tan = _unary("sin", _sin), _unary("cos", _cos), _unary("tan", _tan)
sinh, cosh, tanh = _unary("sinh", _sinh), _unary("cosh", _cosh), _unary("tanh", _tanh)
sgn = _unary("sgn", _sgn)


def reciprocal(self) -> ComplexTensor:
    """1 / z; at 0 it is inf + nan i and at an infinite z a zero signed as conj(z), as torch's."""
    re, im, part, device = _split(self)
    zero, sx, sy = _safe(re, im)
    inf = sx.isinf() | sy.isinf()
    sx, sy = inf.if_else(1.0, sx), inf.if_else(0.0, sy)
    rr, ri = _div(1.0, None, sx, sy)
    rr, ri = inf.if_else(re.detach().sign() * 0.0, rr), inf.if_else(im.detach().sign() * -0.0, ri)
    return pack(zero.if_else(math.inf, rr), zero.if_else(math.nan, ri), part, device)


def rsqrt(self) -> ComplexTensor:
    return reciprocal(sqrt(self))


def square(self) -> ComplexTensor:
    re, im, part, device = _split(self)
    return pack(*_mul(re, im, re, im), part, device)


def sigmoid(self) -> ComplexTensor:
    """1 / (1 + exp(-z))."""
    re, im, part, device = _split(self)
    e = (-re).exp()
    er, ei = e * im.cos(), -(e * im.sin())  # exp(-z)
    return pack(*_div(1.0, None, er + 1, ei), part, device)


def conj_physical(self) -> ComplexTensor:
    """The conjugate as a tensor of its own (conj's result refuses writes and view_as_real)."""
    return wrap(conj(self)._pair)


def positive(self) -> ComplexTensor:
    return self


def isinf(self) -> Tensor:
    return self.real.isinf() | self.imag.isinf()


def isfinite(self) -> Tensor:
    return self.real.isfinite() & self.imag.isfinite()


def isreal(self) -> Tensor:
    """True where the imaginary part is zero (NaN's is not: its element is not real)."""
    return self.imag == 0


# ---- inverse trigonometric functions: their logarithmic forms -----------------------------
def asin(self) -> ComplexTensor:
    """-i log(i z + sqrt(1 - z^2)): the cuts of sqrt and log give asin's (the real axis beyond
    +-1, the side picked by the sign of the zero imaginary part)."""
    iz = _times_i(self)
    w = log(iz + sqrt(1 - square(self)))
    return _times_i(w) * -1


def acos(self) -> ComplexTensor:
    """pi / 2 - asin z."""
    return math.pi / 2 - asin(self)


def atan(self) -> ComplexTensor:
    """(i / 2) (log(1 - i z) - log(1 + i z))."""
    iz = _times_i(self)
    return _times_i(log(1 - iz) - log(1 + iz)) * 0.5


def asinh(self) -> ComplexTensor:
    """-i asin(i z) (C99's definition): its cuts are the imaginary axis beyond +-i."""
    return _times_i(asin(_times_i(self))) * -1


def acosh(self) -> ComplexTensor:
    """log(z + sqrt(z + 1) sqrt(z - 1)) (two roots, not sqrt(z^2 - 1), keep the cut on the real
    axis below 1 alone)."""
    return log(self + sqrt(self + 1) * sqrt(self - 1))


def atanh(self) -> ComplexTensor:
    """-i atan(i z) (C99's definition): its cuts are the real axis beyond +-1."""
    return _times_i(atan(_times_i(self))) * -1


def _times_i(z: ComplexTensor) -> ComplexTensor:
    re, im, part, device = _split(z)
    return pack(-im, re, part, device)


# ---- pow -------------------------------------------------------------------------------------
def _log_parts(r, i, part, device):
    """log of r + i i (i None: a real operand, tensor or number): its (re, im)."""
    if not isinstance(r, Tensor) and not isinstance(i, Tensor):
        c = complex(r, 0.0 if i is None else i)
        if c == 0:
            return -math.inf, math.atan2(c.imag, c.real)
        return math.log(abs(c)), math.atan2(c.imag, c.real)
    r = r if isinstance(r, Tensor) else (i * 0).abs() + r
    i = (r * 0).abs() if i is None else i if isinstance(i, Tensor) else (r * 0).abs() + i  # +0: log(-2) = log 2 + i pi
    return _log(r, i, part)


def _exp_parts(r, i):
    e = r.exp()
    return e * i.cos(), e * i.sin()


_SCALAR_POWERS = {2.0: lambda z: square(z), 0.5: sqrt, 1.0: lambda z: z.clone(), 3.0: lambda z: square(z) * z,
                  -1.0: reciprocal, -0.5: rsqrt, -2.0: lambda z: reciprocal(square(z))}


def pow_(self, exponent) -> ComplexTensor:
    """base ** exponent = exp(exponent log base), either or both complex; an exponent that is a
    number 0, 1, 2, 3, 0.5, -0.5, -1 or -2 takes torch's special form (pow(z, 0) is 1
    everywhere, pow(z, 2) is z * z)."""
    return _pow(self, exponent)


def rpow(self, base) -> ComplexTensor:
    return _pow(base, self)


def _pow(base, exponent, general: bool = False, complex_base: bool | None = None) -> ComplexTensor:
    dt = result_type(base, exponent)
    if dt.kind != "complex":
        raise unsupported("pow")
    part = part_dtype(dt)
    device = base.device if isinstance(base, Tensor) else exponent.device
    if isinstance(base, Tensor) and not isinstance(exponent, Tensor) and not general:
        c = complex(exponent)
        z = base if isinstance(base, ComplexTensor) and base.dtype == dt else _as_complex(base, part, device)
        if c == 0:  # 1 everywhere, nan and inf too
            k = z.real.isfinite().if_else(z.real, 0.0) * 0  # 0, with z's graph: its gradient is 0
            return pack(k + 1, k.abs(), part, device)
        if c.imag == 0 and c.real in _SCALAR_POWERS:
            return _SCALAR_POWERS[c.real](z)
        return _pow(z, c, general=True, complex_base=isinstance(base, ComplexTensor))
    (br, bi), (er, ei) = parts(base, part, device), parts(exponent, part, device)
    lr, li = _log_parts(br, bi, part, device)
    wr, wi = _mul(er, ei, lr, li) if isinstance(er, Tensor) or isinstance(ei, Tensor) else _mul(lr, li, er, ei)
    wr = wr if isinstance(wr, Tensor) else (wi * 0 + wr)
    wi = (wr * 0) if wi is None else wi if isinstance(wi, Tensor) else wr * 0 + wi
    re, im = _exp_parts(wr, wi)
    if isinstance(base, ComplexTensor) if complex_base is None else complex_base:
        # 0 ** w is 0 for w != 0 for a complex base, as torch's (a real one gives nan)
        zero = (br == 0) & (bi == 0)
        for w in (er, ei):
            zero = zero & (w != 0) if isinstance(w, Tensor) else zero
        re, im = zero.if_else(0.0, re), zero.if_else(0.0, im)
    return pack(re, im, part, device)


def _as_complex(x, part, device) -> ComplexTensor:
    re, im = parts(x, part, device)
    return pack(re, (re * 0).abs() if im is None else im, part, device)  # +0 imaginary parts, as torch's


def real_pow(method):
    """A real tensor's pow that takes a complex exponent (x ** 1j, x.pow(z))."""
    def pow_either(self, exponent, *args, **kwargs):
        if isinstance(exponent, (complex, ComplexTensor)):
            return _pow(self, exponent)
        return method(self, exponent, *args, **kwargs)
    pow_either.__name__ = method.__name__
    return pow_either


def real_rpow(method):
    def rpow_either(self, base, *args, **kwargs):
        if isinstance(base, complex):
            return _pow(base, self)
        return method(self, base, *args, **kwargs)
    rpow_either.__name__ = method.__name__
    return rpow_either


def pow_function(input, exponent):
    """torch.pow(input, exponent): input a tensor or a number, either complex."""
    return _pow(input, exponent)


METHODS = {
    "sqrt": sqrt, "rsqrt": rsqrt, "reciprocal": reciprocal, "log": log, "log2": log2, "log10": log10,
    "log1p": log1p, "expm1": expm1, "square": square, "sin": sin, "cos": cos, "tan": tan, "sinh": sinh,
    "cosh": cosh, "tanh": tanh, "sigmoid": sigmoid, "sgn": sgn, "positive": positive, "isinf": isinf,
    "isfinite": isfinite, "isreal": isreal, "conj_physical": conj_physical, "asin": asin, "acos": acos, "atan": atan,
    "arcsin": asin, "arccos": acos, "arctan": atan, "asinh": asinh, "acosh": acosh, "atanh": atanh,
    "arcsinh": asinh, "arccosh": acosh, "arctanh": atanh, "pow": pow_, "__pow__": pow_, "__rpow__": rpow,
}
FUNCTIONS = {**{n: f for n, f in METHODS.items() if not n.startswith("__") and n != "pow"}, "pow": pow_function}




def _inplace_unary(fn):
    """z.fn_(): computed, then written into z's storage (views of it see the write), as torch's.
    fn reads a copy of z: what its gradient keeps must outlive the write (torch keeps its result
    or the original self)."""
    def update(self) -> ComplexTensor:
        return copy_(self, fn(self.clone()))
    update.__name__ = update.__qualname__ = fn.__name__ + "_"
    return update


# the unary functions torch also has in place on a complex tensor
IN_PLACE = ("sqrt", "rsqrt", "reciprocal", "log", "log2", "log10", "log1p", "expm1", "square", "sin", "cos", "tan",
            "sinh", "cosh", "tanh", "sigmoid", "sgn", "asin", "acos", "atan", "arcsin", "arccos", "arctan", "asinh",
            "acosh", "atanh", "arcsinh", "arccosh", "arctanh")
METHODS.update({n + "_": _inplace_unary(METHODS[n]) for n in IN_PLACE})
METHODS.update({"neg_": _inplace_unary(neg), "negative_": _inplace_unary(neg), "exp_": _inplace_unary(exp),
                "zero_": lambda self: copy_(self, 0.0), "fill_": lambda self, value: copy_(self, value)})

for _name, _fn in METHODS.items():
    setattr(ComplexTensor, _name, _fn)
complex_tensor.seal()
