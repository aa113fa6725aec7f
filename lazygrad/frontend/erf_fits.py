"""erf's value as piecewise fits in the primitive ops: one set per precision, chosen by dtype.

Exact gelu (nn.GELU's default, every transformer's) is built on erf, so each gelu of a
training step builds, simplifies, fuses and compiles erf's graph, forward and backward. A fit
to float64 precision is about 200 nodes; float32 (and the 16-bit floats, computed in float32)
needs far fewer terms, so it has a fit of its own of about a third of the nodes (57 against
200; float32's exact gelu is ~45 ALU ops, over scheduler rule 6's HEAVY_EPILOGUE of 40, so
a matmul's kernel does not repeat it in every lane of its register tile: docs/scheduling.md).

float64 (max error ~1e-15): erf(x) / x as a polynomial in 2 x^2 - 1 for |x| < 1 (a Chebyshev
fit, 11 terms), and 1 - exp(-x^2) erfcx(|x|) from 1 to 6, erfcx by 10-14-term polynomials on
three intervals; 1 beyond 6. tensor_special.py reuses the first two erfcx fits for erfc.

float32 (max error 1.1 ulp on the c, opencl and cstub devices, 1.2 on python, whose numpy
exp2 rounds differently; torch's is 0.7, float64's fit evaluated in float32 was 1.7-1.9;
tests/test_erf.py holds every device to 2 ulp over a dense sweep):
- |x| < 0.875: x + x P(x^2), P of degree 5. The leading 1 stays exact (P(0) = 2/sqrt(pi) - 1,
  not 2/sqrt(pi)), so the result has the rounding of a sum, not that of a product of
  rounded factors; x + x P keeps -0.0 and the subnormals.
- 0.875 <= |x| <= 4: 1 - exp2(Q(|x| - 0.875)), Q of degree 6 fitted to log2 erfc. erf's
  rounding near 1 is set by erfc's absolute error, and exp2 of a fitted exponent keeps
  erfc's relative error to about the exponent's absolute error (log2 folded into Q saves
  exp's multiply and its rounding); the shift keeps Q's variable small where erfc, and so
  the error, is largest. Beyond 4, erfc < 2^-25 and erf rounds to 1 (inf too; NaN falls through to Q).
Both were fitted in float64 numpy (minimax on Chebyshev nodes by Lawson's reweighted least
squares, the weight making the error relative to erf's ulp), each coefficient rounded to
float32 in turn with the others refitted, then checked in float32 arithmetic (with and
without fused multiply-adds: the c compiler contracts) on 2e6 points.
Degrees one lower cost 1.4 ulp (Q) and 5.9 ulp (P); higher ones gain nothing, float32's own
roundings dominate. 0.875 balances the two pieces (to 1, P needs degree 6 for 1.2 ulp).
"""
from __future__ import annotations

from lazygrad import dtypes
from lazygrad.frontend.elementwise_templates import templated


@templated
def erf_value(x):
    """erf's value (the module docstring says how; Tensor.erf declares the gradient)."""
    return _erf64(x) if x.dtype == dtypes.float64 else _erf32(x)


def _erf64(x):
    a = x._magnitude()
    t = a * a
    y = a * _horner(t * 2 - 1, ERF_SMALL)
    for lo, mid, half, coeffs in ERF_LARGE:
        tail = 1 - (-t).exp() * _horner((a - mid) * (1.0 / half), coeffs)
        y = (a >= lo).if_else(tail, y)
    y = (a >= 6.0).if_else(1.0, y)
    return (x < 0).if_else(-y, y)


def _erf32(x):
    a = x._magnitude()
    small = x + x * _horner(x * x, ERF32_SMALL)
    lo, coeffs = ERF32_LARGE
    tail = 1 - _horner(a - lo, coeffs).exp2()
    tail = (a > ERF32_ONE).if_else(1.0, tail)
    return (a < lo).if_else(small, (x < 0).if_else(-tail, tail))


def _horner(u, coeffs):
    """coeffs[0] + u * (coeffs[1] + u * (...)), the last coefficient innermost."""
    out = u * coeffs[-1] + coeffs[-2]
    for c in reversed(coeffs[:-2]):
        out = out * u + c
    return out


# erf(x) / x as a polynomial in u = 2 x^2 - 1, for |x| < 1 (a Chebyshev fit, max error 1e-15)
ERF_SMALL = (0.965468738669867, -0.14053608902272158, 0.01985249668898449,
             -0.0022854855610599852, 0.00021751715603412732, -1.7537169904346077e-05,
             1.223382765533785e-06, -7.511464105704845e-08, 4.115752142741435e-09,
             -2.0457161821621021e-10, 9.210082546908027e-12)

# erfcx(x) = exp(x^2) erfc(x) on [lo, lo + 2 half] as a polynomial in u = (x - mid) / half
ERF_LARGE = (
    (1.0, 1.5, 0.5, (0.321585416454319, -0.08181145886628126, 0.019037759963736356,
                     -0.004116363162396324, 0.0008360838116758294, -0.00016081117391916213,
                     2.9470844874307814e-05, -5.171326032037791e-06, 8.72340197410966e-07,
                     -1.4191833800676766e-07, 2.227644451456412e-08, -3.3974476872904888e-09,
                     5.419077330084123e-10, -7.82361304067462e-11)),
    (2.0, 2.75, 0.75, (0.19366209627907263, -0.04742822816987684, 0.011114208554985325,
                       -0.002503548817029052, 0.000544086462018721, -0.00011442702060350491,
                       2.3347505506260554e-05, -4.6321598725534585e-06, 8.951291544681369e-07,
                       -1.679928185926421e-07, 3.093250885161491e-08, -6.190558382067465e-09,
                       1.096449777432263e-09)),
    (3.5, 4.75, 1.25, (0.11630270733944265, -0.029379310902437, 0.007283316024719633,
                       -0.0017736275801285616, 0.00042468067076497783, -0.00010004084608431887,
                       2.3056556711901802e-05, -5.261799943644748e-06, 1.3509808107916534e-06,
                       -3.027611620816632e-07)),
)

# float32: erf(x) / x - 1 as a polynomial in x^2, for |x| < 0.875 (float32 coefficients)
ERF32_SMALL = (0.12837915, -0.37612516, 0.11282205, -0.02678622, 0.0050288374, -0.00062033266)
# float32: (lo, log2 erfc(x) as a polynomial in x - lo) for lo <= x <= ERF32_ONE
ERF32_LARGE = (0.875, (-2.2113981, -3.5060709, -1.1924075, -0.06773599, 0.016331665, -0.0029976622,
                       0.00028839725))
ERF32_ONE = 4.0  # erfc(4) = 1.5e-8 < 2^-25: erf rounds to 1 from here on
