"""The Bessel functions of the first and second kind J0, J1, Y0, Y1 and the modified Bessel
functions of the second kind K0, K1 and their scaled forms e^x K0(x), e^x K1(x)
(torch.special.bessel_j0, ..., scaled_modified_bessel_k1), computed in float64 where the
device has it (tensor_special.py's _computed). Every sum below is flat (a weighted sum of
independent terms, or a Horner chain of at most ASYMPTOTIC_TERMS steps): no graph is deep.

J and Y, |x| < JY_FAR: the trapezoidal rule on J_n(x) = (1/2 pi) int_0^2pi cos(x sin t - n t) dt
with M points is exact up to aliasing, sum_{p != 0} J_{n + pM}(x), negligible once M - n is well
past x (J_nu(x) ~ (e x / 2 nu)^nu). Any sum of J_n's with fixed coefficients is then one weighted
sum of cos(x sin t_j) (even n) or sin(x sin t_j) (odd n); by symmetry M/4 + 1 points suffice.
Y comes from Neumann's series (Abramowitz & Stegun 9.1.88, and its derivative for Y1):
  Y0 = 2/pi [(ln(x/2) + gamma) J0 - 2 sum_k (-1)^k J_2k / k]
  Y1 = 2/pi [(ln(x/2) + gamma) J1 - J0 / x + sum_k (-1)^k (J_2k-1 - J_2k+1) / k]
(checked against scipy's cephes: within 1.5e-15 absolute on (0, 24), the Y1 near 0 relative).
|x| >= JY_FAR: Hankel's expansion sqrt(2 / pi x) (P cos xn - Q sin xn) for J (P sin + Q cos
for Y), with xn = x - pi/4 (3 pi/4 for order 1) rounded as torch (cephes) rounds it; its
smallest term is near e^-2x.

K, x <= K_NEAR: the series K0 = -(ln(x/2) + gamma) I0(x) + sum_k (x^2/4)^k H_k / k!^2 and
K1 = 1/x + ln(x/2) I1(x) - x/4 sum_k (psi(k+1) + psi(k+2)) (x^2/4)^k / (k! (k+1)!) (A&S 9.6.13,
9.6.11). K_NEAR < x < K_FAR: e^x K_nu(x) = int_0^inf e^(-x (cosh t - 1)) cosh(nu t) dt, whose
integrand is even and analytic: the trapezoidal rule converges geometrically. x >= K_FAR:
e^x K_nu(x) ~ sqrt(pi / 2x) sum_k a_k(nu) / x^k.

Values at the edges are torch's: J(+-inf) and Y(inf) NaN (cephes' cos(inf)), Y(0) = -inf and
Y(x < 0) NaN, K(0) = inf, K(x < 0) NaN, K(inf) = 0. torch implements no derivative for these
(its results do not require grad), so neither do these. torch's own J and Y are off by up to
1e-6 between 2 and 25 (its float64 rational fits there; see docs/differences-from-torch.md):
these are accurate instead.
"""
from __future__ import annotations

import math

from lazygrad.frontend.tensor_special import _computed

EULER_GAMMA = 0.57721566490153286061
POINTS = 112  # the trapezoidal rule's M for J and Y
NEUMANN_TERMS = 30
JY_FAR = 20.0
ASYMPTOTIC_TERMS = 30
K_NEAR = 2.0
K_FAR = 25.0
K_STEP = 0.125
K_NODES = 34  # t up to 4.25: e^(-2 (cosh t - 1)) < 1e-28 from there on
NEAR_TERMS = 18  # of the K series at x <= 2: the 18th is below 1e-31
PHASE = {0: 0.785398163397448309615660845819875721, 1: 2.356194490192344928846982537459627163}


def _symmetric_weights(even: dict[int, float], odd: dict[int, float]) -> tuple[list[float], list[float]]:
    """Weights w_r of cos(x s_r) and v_r of sin(x s_r), s_r = sin(2 pi r / M), r = 0 .. M/4, such
    that sum_r w_r cos(x s_r) = sum_n even[n] J_n(x) and sum_r v_r sin(x s_r) = sum_n odd[n] J_n(x)
    (each of the M points folded onto the r with |sin t_j| = s_r, signs carried to v)."""
    quarter = POINTS // 4
    w, v = [0.0] * (quarter + 1), [0.0] * (quarter + 1)
    for j in range(POINTS):
        t = 2 * math.pi * j / POINTS
        r = min(j % (2 * quarter), 2 * quarter - j % (2 * quarter))
        w[r] += sum(c * math.cos(n * t) for n, c in even.items()) / POINTS
        if r:
            sign = 1.0 if j < 2 * quarter else -1.0
            v[r] += sign * sum(c * math.sin(n * t) for n, c in odd.items()) / POINTS
    return w, v


def _neumann_odd() -> dict[int, float]:
    """The coefficients of sum_k (-1)^k (J_2k-1 - J_2k+1) / k."""
    out: dict[int, float] = {}
    for k in range(1, NEUMANN_TERMS + 1):
        out[2 * k - 1] = out.get(2 * k - 1, 0.0) + (-1) ** k / k
        out[2 * k + 1] = out.get(2 * k + 1, 0.0) - (-1) ** k / k
    return out


NODES = [math.sin(2 * math.pi * r / POINTS) for r in range(POINTS // 4 + 1)]
J0_WEIGHTS, J1_WEIGHTS = _symmetric_weights({0: 1.0}, {1: 1.0})
S0_WEIGHTS = _symmetric_weights({2 * k: (-1) ** k / k for k in range(1, NEUMANN_TERMS + 1)}, {})[0]
S1_WEIGHTS = _symmetric_weights({}, _neumann_odd())[1]


def _weighted(terms, weights):
    total = terms[0] * weights[0]
    for term, weight in zip(terms[1:], weights[1:]):
        total = total + term * weight
    return total


def _hankel(a, nu: int, decaying: bool):
    """Hankel's sums for a >= the far threshold: (P, Q) of J and Y (decaying False), or
    sum_k a_k(nu) / a^k of e^x K (decaying True)."""
    mu = 4 * nu * nu
    coeffs = [1.0]
    for k in range(1, ASYMPTOTIC_TERMS):
        coeffs.append(coeffs[-1] * (mu - (2 * k - 1) ** 2) / (k * 8))
    inv = 1.0 / a
    if decaying:
        total = inv * 0.0 + coeffs[-1]
        for c in reversed(coeffs[:-1]):
            total = total * inv + c
        return total
    inv2 = inv * inv
    p = inv * 0.0 + coeffs[ASYMPTOTIC_TERMS - 2] * (-1) ** ((ASYMPTOTIC_TERMS - 2) // 2)
    for k in range(ASYMPTOTIC_TERMS - 4, -1, -2):
        p = p * inv2 + coeffs[k] * (-1) ** (k // 2)
    q = inv * 0.0 + coeffs[ASYMPTOTIC_TERMS - 1] * (-1) ** ((ASYMPTOTIC_TERMS - 1) // 2)
    for k in range(ASYMPTOTIC_TERMS - 3, 0, -2):
        q = q * inv2 + coeffs[k] * (-1) ** (k // 2)
    return p, q * inv


def _jy(w, nu: int, second: bool):
    """J_nu (second False) or Y_nu of w, nu = 0 or 1."""
    a = w.abs()
    near = a.clamp_max(JY_FAR)
    cos_terms = [(near * s).cos() for s in NODES]
    sin_terms = [(near * s).sin() for s in NODES]
    j0 = _weighted(cos_terms, J0_WEIGHTS)
    j1 = _weighted(sin_terms, J1_WEIGHTS)
    if not second:
        value = j0 if nu == 0 else j1
    else:
        positive = (near > 0).if_else(near, 1.0)
        log_term = (positive * 0.5).log() + EULER_GAMMA
        if nu == 0:
            value = (2 / math.pi) * (log_term * j0 - 2 * _weighted(cos_terms, S0_WEIGHTS))
        else:
            value = (2 / math.pi) * (log_term * j1 - j0 / positive + _weighted(sin_terms, S1_WEIGHTS))
        value = (near == 0).if_else(-math.inf, value)
    far = a.clamp_min(JY_FAR)
    p, q = _hankel(far, nu, False)
    xn = far - PHASE[nu]
    cos_xn, sin_xn = xn.cos(), xn.sin()
    front = math.sqrt(2 / math.pi) / far.sqrt()
    asymptotic = front * (p * sin_xn + q * cos_xn) if second else front * (p * cos_xn - q * sin_xn)
    value = (a < JY_FAR).if_else(value, asymptotic)
    if second:
        return (w < 0).if_else(math.nan, value)
    return (w < 0).if_else(-value, value) if nu == 1 else value


def _k_near(x, nu: int):
    """K_nu(x) for 0 < x <= K_NEAR from its series."""
    q = x * x * 0.25
    log_half = (x * 0.5).log()
    i_sum, k_sum = x * 0.0, x * 0.0
    term, harmonic = 1.0, 0.0  # (x^2/4)^k / (k! (k + nu)!) as a number times q^k
    power = x * 0.0 + 1.0
    for k in range(NEAR_TERMS):
        if k:
            harmonic += 1.0 / k
            power = power * q
            term /= k * (k + nu)
        i_sum = i_sum + power * term
        if nu == 0:
            k_sum = k_sum + power * (term * harmonic)
        else:
            k_sum = k_sum + power * (term * (2 * harmonic + 1.0 / (k + 1) - 2 * EULER_GAMMA))
    if nu == 0:
        return -(log_half + EULER_GAMMA) * i_sum + k_sum
    return 1.0 / x + log_half * (x * 0.5) * i_sum - x * 0.25 * k_sum


def _k_scaled_middle(x, nu: int):
    """e^x K_nu(x) by the trapezoidal rule with step K_STEP (cosh t - 1 as 2 sinh^2(t/2))."""
    total = x * 0.0 + 0.5
    for k in range(1, K_NODES + 1):
        t = k * K_STEP
        total = total + (x * (-2 * math.sinh(t / 2) ** 2)).exp() * math.cosh(nu * t)
    return total * K_STEP


def _k(w, nu: int, scaled: bool):
    """K_nu(w) (scaled: e^w K_nu(w)) for nu = 0, 1."""
    near = ((w > 0) & (w <= K_NEAR)).if_else(w, 1.0)
    near_value = _k_near(near, nu)
    near_value = near_value * near.exp() if scaled else near_value
    middle = w.clamp(K_NEAR, K_FAR)
    far = w.clamp_min(K_FAR)
    middle_value = _k_scaled_middle(middle, nu)
    far_value = math.sqrt(math.pi / 2) / far.sqrt() * _hankel(far, nu, True)
    value = (w < K_FAR).if_else(middle_value, far_value)
    if not scaled:
        value = value * (-w).exp()
    value = (w <= K_NEAR).if_else(near_value, value)
    value = (w == 0).if_else(math.inf, w.isinf().if_else(0.0, value))
    return (w < 0).if_else(math.nan, value)


def _no_gradient(fn):
    def apply(x):
        return _computed(x._float().detach(), fn)
    return apply


bessel_j0 = _no_gradient(lambda w: _jy(w, 0, False))
bessel_j1 = _no_gradient(lambda w: _jy(w, 1, False))
bessel_y0 = _no_gradient(lambda w: _jy(w, 0, True))
bessel_y1 = _no_gradient(lambda w: _jy(w, 1, True))
modified_bessel_k0 = _no_gradient(lambda w: _k(w, 0, False))
modified_bessel_k1 = _no_gradient(lambda w: _k(w, 1, False))
scaled_modified_bessel_k0 = _no_gradient(lambda w: _k(w, 0, True))
scaled_modified_bessel_k1 = _no_gradient(lambda w: _k(w, 1, True))
