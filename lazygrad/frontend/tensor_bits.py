"""Functions of how numbers are stored: frexp, ldexp and nextafter (a float's exponent and
bits, read through a bitcast to the integer of its width), gcd and lcm (integers).
"""
from __future__ import annotations

from lazygrad import dtypes
from lazygrad.frontend import return_types
from lazygrad.frontend.tensor_base import TensorBase, tensor_operand
from lazygrad.frontend.tensor_declared import input_gradient

# float dtype: (integer of its width, mantissa bits, exponent mask, smallest normal)
_LAYOUTS = {
    "float32": (dtypes.int32, 23, 0xFF, 2.0 ** -126),
    "float64": (dtypes.int64, 52, 0x7FF, 2.0 ** -1022),
    "float16": (dtypes.int16, 10, 0x1F, 2.0 ** -14),
    "bfloat16": (dtypes.int16, 7, 0xFF, 2.0 ** -126),
}
# Euclid's steps enough for any pair of the width: F(n + 2) > 2^bits (Lame's theorem)
_GCD_STEPS = {8: 13, 16: 24, 32: 47, 64: 93}


def _exponent_field(x, layout):
    ints, bits, mask, _ = layout
    return (x.bitcast(ints) >> bits) & mask


def _frexp_bits(x):
    """(mantissa, exponent) of a float32 or float64 x: x = mantissa * 2^exponent, |mantissa| in
    [1/2, 1); zeros, infinities and NaN are their own mantissa with exponent 0 (torch's)."""
    layout = _LAYOUTS[x.dtype.name]
    ints, bits, mask, smallest = layout
    bias = mask >> 1
    lift = bits + 2  # subnormals are scaled up into the normal range first
    sub = x.abs() < smallest
    scaled = sub.if_else(x * float(2 ** lift), x)
    raw = scaled.bitcast(ints)
    exponent = ((raw >> bits) & mask) - (bias - 1) - sub.cast(ints) * lift
    mantissa = ((raw & ~(mask << bits)) | ((bias - 1) << bits)).bitcast(x.dtype)
    plain = (x == 0) | x.isinf() | x.isnan()
    return plain.if_else(x, mantissa), plain.if_else(0, exponent).cast(dtypes.int32)


class BitsMixin:
    def frexp(self):
        """The mantissa and int32 exponent of each element; the mantissa's gradient is 2^-exponent."""
        if not self.dtype.is_float:
            raise RuntimeError("torch.frexp() only supports floating-point dtypes")
        work = self.cast(dtypes.float32) if dtypes.is_half(self.dtype) else self  # (exact)
        exponent = _frexp_bits(work.detach())[1]

        def compute(v):
            w = v.cast(dtypes.float32) if dtypes.is_half(v.dtype) else v
            return _frexp_bits(w)[0].cast(v.dtype)

        def derivative(i, args, out, g):
            x = args[0]
            return g * (x == 0).if_else(1.0, out / (x == 0).if_else(1.0, x))
        return return_types.frexp((input_gradient((self,), compute, derivative), exponent))

    def ldexp(self, other):
        """self * 2^other in the float type torch's promotion of the two gives (a 0-d or an
        integer exponent leaves float16 as it is; int64 and int64 give float32); half types are
        computed in float32 and rounded once; a float exponent's power of 2 is taken in its own
        type (torch's pow(2, other)). The gradient is mul's."""
        tensor_operand("ldexp", other)
        if other.dtype.is_bool and self.dtype.is_float:  # (as torch: an integer self takes it)
            raise dtypes.no_kernel("ldexp_cpu_exp", other.dtype)
        dt = dtypes.result_type(self.dtype, self.ndim == 0, other.dtype, other.ndim == 0)
        dt = dt if dt.is_float else dtypes.default_float
        wide = dtypes.float32 if dtypes.is_half(dt) else dt
        power = other.exp2().cast(wide) if other.dtype.is_float else other.cast(wide).exp2()
        return (self.cast(wide) * power).cast(dt)

    def nextafter(self, other):
        """The next float after self towards other (other where they are equal; NaN if either is)."""
        x, y = self._broadcast_pair(tensor_operand("nextafter", other))
        if not x.dtype.is_float:
            raise dtypes.no_kernel("nextafter_cpu", x.dtype)
        ints, bits, _, smallest_normal = _LAYOUTS[x.dtype.name]
        tiny = smallest_normal * 2.0 ** -bits  # the smallest subnormal

        def compute(xv, yv):
            away = (xv < yv) == (xv > 0)  # away from zero: one more in the bits, else one less
            moved = (xv.bitcast(ints) + away.if_else(1, -1).cast(ints)).bitcast(xv.dtype)
            smallest = xv._const(tiny, xv.dtype, ())
            moved = (xv == 0).if_else((yv > 0).if_else(smallest, -smallest), moved)
            return (xv == yv).if_else(yv, (xv.isnan() | yv.isnan()).if_else(xv + yv, moved))

        # torch's gradient: grad for self, zero for other
        return input_gradient((x, y), compute, lambda i, args, out, g: g if i == 0 else g * 0)

    def gcd(self, other):
        """The greatest common divisor of |self| and |other| (0 for two zeros), by Euclid's
        algorithm unrolled for the widest case of the dtype (93 steps for int64)."""
        if not isinstance(other, TensorBase):
            raise TypeError(f"gcd(): argument 'other' (position 1) must be Tensor, not {type(other).__name__}")
        a, b = self._broadcast_pair(other)
        _integers("gcd", a.dtype)
        a, b = a.abs(), b.abs()
        for _ in range(_GCD_STEPS[a.dtype.bits]):
            nonzero = b != 0
            a, b = nonzero.if_else(b, a), nonzero.if_else(a % nonzero.if_else(b, 1), b)
        return a

    def lcm(self, other):
        if not isinstance(other, TensorBase):
            raise TypeError(f"lcm(): argument 'other' (position 1) must be Tensor, not {type(other).__name__}")
        a, b = self._broadcast_pair(other)
        _integers("lcm", a.dtype)
        g = a.gcd(b)
        return (g == 0).if_else(0, (a // (g == 0).if_else(1, g) * b).abs())


def _integers(name: str, dt) -> None:
    if not dt.is_int:
        raise dtypes.no_kernel(f"{name}_cpu", dt)
