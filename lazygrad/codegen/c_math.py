"""float32 exp2, log2 and sin for the C renderer, written so compilers can vectorize them.

libm's expf/log2f/sinf are opaque calls that stop a loop from vectorizing (glibc's vector
versions are only declared under -ffast-math, which would also break NaN handling). These
are branch-free: range reduction, a polynomial, and selects for the special values
(nan, +-inf, 0, negatives, denormals), so `exp(x - max)` in a softmax runs 8 or 16 lanes at
a time. The polynomials are least-squares fits on Chebyshev nodes (numpy.polyfit in float64):
exp2 on [-0.5, 0.5] (relative error 1.1e-7), log2 as t*P(t^2) with t = (m-1)/(m+1) for
m in [sqrt(.5), sqrt(2)) (abs error 8e-8), sin/cos on [-pi/4, pi/4] (6e-8). sin reduces
its argument in double precision, accurate for |x| < 1e9; beyond 1e15 it returns nan.
"""
from __future__ import annotations

EXP2 = (0.0001546973208455881, 0.0013400432165565595, 0.009618025602647708,
        0.0555032721420904, 0.2402265121359781, 0.6931472067106198, 0.9999999999595479)
LOG2 = (0.3407255293827822, 0.41167296836292905, 0.5770835808095321, 0.9617966733625408,
        2.885390081790077)
SIN = (2.717349745203791e-06, -0.00019839202712641852, 0.008333328784389115,
       -0.16666666631615087, 0.9999999999956778)
COS = (-2.717342775748005e-07, 2.4798928795266838e-05, -0.0013888880394645883,
       0.0416666665439518, -0.4999999999935184, 0.9999999999999452)


def _horner(coeffs: tuple[float, ...], var: str) -> str:
    expr = f"{coeffs[0]!r}f"
    for c in coeffs[1:]:
        expr = f"({expr} * {var} + {c!r}f)"
    return expr


_BITS = """static inline float lg_f32_from_bits(unsigned int u) { union { unsigned int u; float f; } v; v.u = u; return v.f; }
static inline unsigned int lg_bits_from_f32(float f) { union { float f; unsigned int u; } v; v.f = f; return v.u; }"""

_EXP2 = f"""static inline float lg_exp2_f32(float x) {{
  float xc = x < -150.0f ? -150.0f : (x > 128.0f ? 128.0f : x);
  float k = __builtin_rintf(xc);
  float f = xc - k;
  float p = {_horner(EXP2, "f")};
  int ki = (xc == xc) ? (int)k : 0;
  int k1 = ki / 2, k2 = ki - k1;
  float s1 = lg_f32_from_bits((unsigned int)(k1 + 127) << 23);
  float s2 = lg_f32_from_bits((unsigned int)(k2 + 127) << 23);
  return p * s1 * s2;
}}"""

_LOG2 = f"""static inline float lg_log2_f32(float x) {{
  int tiny = x < 1.17549435e-38f;
  float xs = tiny ? x * 8388608.0f : x;
  unsigned int u = lg_bits_from_f32(xs);
  int e = (int)((u >> 23) & 0xffu) - 127 - (tiny ? 23 : 0);
  float m = lg_f32_from_bits((u & 0x7fffffu) | 0x3f800000u);
  int big = m > 1.41421356f;
  m = big ? m * 0.5f : m;
  e += big;
  float t = (m - 1.0f) / (m + 1.0f);
  float t2 = t * t;
  float r = {_horner(LOG2, "t2")} * t + (float)e;
  r = x == 0.0f ? -INFINITY : r;
  r = x < 0.0f ? NAN : r;
  r = x == INFINITY ? INFINITY : r;
  return x != x ? x : r;
}}"""

_SIN = f"""static inline float lg_sin_f32(float x) {{
  double xd = (double)x;
  int huge = !(xd < 1e15 && xd > -1e15);
  double kd = huge ? 0.0 : __builtin_rint(xd * 0.63661977236758134308);
  float r = (float)(xd - kd * 1.57079632679489661923);
  int q = (int)(kd - 4.0 * __builtin_floor(kd * 0.25));  /* kd mod 4 in doubles: AVX2 has no double -> int64 */
  float r2 = r * r;
  float s = {_horner(SIN, "r2")} * r;
  float c = {_horner(COS, "r2")};
  float res = q == 0 ? s : (q == 1 ? c : (q == 2 ? -s : -c));
  return huge ? (x != x ? x : NAN) : (x == 0.0f ? x : res);  /* (-0 - -0 * c is +0: sin(-0) is -0) */
}}"""

_BF16 = """static inline float lg_bf16_to_f32(unsigned short b) { return lg_f32_from_bits((unsigned int)b << 16); }
static inline unsigned short lg_f32_to_bf16(float f) {
  unsigned int u = lg_bits_from_f32(f);
  unsigned int r = (u + 0x7FFFu + ((u >> 16) & 1u)) >> 16;
  return (unsigned short)(((u & 0x7FFFFFFFu) > 0x7F800000u) ? ((u >> 16) | 0x40u) : r);
}
static inline float lg_bf16_round(float f) { return lg_bf16_to_f32(lg_f32_to_bf16(f)); }"""

# where(c, a, b) on float32 as a bit blend. gcc 12 turns `c ? a : b` into branches, and where
# several selects test one condition (erf's pieces, `x < 0` read by several where()s) its jump
# threading copies the paths between them; the loop then has control flow that it can no
# longer if-convert, so it stays scalar (the erf-GELU backward: 4.8 ms, 0.34 ms as blends).
# Turning jump threading off instead miscompiles a plain pad with gcc 12.2.
_SELECT = """static inline float lg_select_f32(int c, float a, float b) {
  unsigned int m = 0u - (unsigned int)(c != 0);
  return lg_f32_from_bits((lg_bits_from_f32(a) & m) | (lg_bits_from_f32(b) & ~m));
}"""

# max(a, b) on float32 (NaN if either is) as a bit blend, for the same reason as where's: a
# kernel the loop vectorizer leaves scalar (with gated loads on a compiler that miscompiles
# them: runtime/c_miscompiles.py) would otherwise branch on every element, half of them
# mispredicted for relu of signed data (a pad + relu, 4.2 ms vectorized, took 26 ms).
# Accumulations keep the ?: form (cstyle.py), which the vectorizer knows as a max reduction.
_MAX = """static inline float lg_max_bits_f32(float a, float b) {
  unsigned int m = 0u - (unsigned int)(a != a || a > b);
  return lg_f32_from_bits((lg_bits_from_f32(a) & m) | (lg_bits_from_f32(b) & ~m));
}"""

# each helper function by name -> the definitions that declare it (bfloat16's three share one)
HELPERS = {"lg_exp2_f32": _EXP2, "lg_log2_f32": _LOG2, "lg_sin_f32": _SIN, "lg_bf16_to_f32": _BF16,
           "lg_f32_to_bf16": _BF16, "lg_bf16_round": _BF16, "lg_select_f32": _SELECT, "lg_max_bits_f32": _MAX}
FUNCTION_FOR = {"exp2": "lg_exp2_f32", "log2": "lg_log2_f32", "sin": "lg_sin_f32"}
BFLOAT16_HELPERS = _BF16


def definitions_for(called: set[str]) -> list[str]:
    """The definitions of the helpers a rendered kernel called (by name), in a valid order:
    the bit casts they share first, each other definition once."""
    used = list(dict.fromkeys(text for name, text in HELPERS.items() if name in called))
    return [_BITS] + used if used else []
