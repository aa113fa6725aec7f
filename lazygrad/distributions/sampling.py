"""Samplers torch runs as native kernels (torch.poisson, torch.binomial, torch._standard_gamma),
written as lazy tensor code so they draw from lazygrad's generator (lg.manual_seed, lg.jit
replays) and run on every device.

Rejection samplers loop until a draw is accepted; a lazy graph cannot loop on data. So each
draws ROUNDS candidates at once and keeps the first accepted one (`first_accepted`): every
round accepts with probability above 0.85 (PTRS, BTRS) or 0.95 (Marsaglia-Tsang), so all
ROUNDS rejecting has probability below 0.15**12 < 1e-9; such an element keeps the last
candidate, a plausible value, rather than looping. Small means use inversion over a fixed
table of INVERSION_TERMS values instead (where the rejection samplers' bounds do not hold).
"""
from __future__ import annotations

import math

import numpy as np

from lazygrad.frontend.factories import arange
from lazygrad.frontend.random import rand, randn
from lazygrad.frontend.tensor import Tensor

ROUNDS = 12
INVERSION_TERMS = 48  # P(X >= 48) < 1e-12 for a Poisson of mean < 10 (and a binomial of n*p < 10)
SMALL_MEAN = 10.0


def _uniforms(shape: tuple[int, ...], like: Tensor) -> Tensor:
    return rand(*shape, dtype=like.dtype, device=like.device)


def first_accepted(candidates: Tensor, accepted: Tensor) -> Tensor:
    """candidates and accepted have a leading rounds dim: the earliest accepted candidate
    (the last candidate where none was)."""
    out = candidates[-1]
    for r in range(candidates.shape[0] - 2, -1, -1):
        out = accepted[r].if_else(candidates[r], out)
    return out


def _terms(like: Tensor) -> Tensor:
    """0 .. INVERSION_TERMS-1 along a new leading dim, broadcastable against like."""
    return arange(INVERSION_TERMS, dtype=like.dtype, device=like.device).reshape((-1,) + (1,) * like.ndim)


def _invert(log_pmf: Tensor, like: Tensor) -> Tensor:
    """The count k whose cdf first reaches a uniform draw, from the log pmf at 0..TERMS-1."""
    cdf = log_pmf.exp().cumsum(0)
    u = _uniforms(tuple(like.shape), like)
    return (u.unsqueeze(0) > cdf).cast(like.dtype).sum(0)


def poisson(rate: Tensor) -> Tensor:
    """Poisson(rate) counts, as floats of rate's dtype: inversion below SMALL_MEAN, Hormann's
    transformed rejection with squeeze (PTRS, 1993) above."""
    k = _terms(rate)
    small = _invert(k.xlogy(rate) - rate - (k + 1).lgamma(), rate)
    lam = rate.clamp(min=SMALL_MEAN)
    b = 0.931 + 2.53 * lam.sqrt()
    a = -0.059 + 0.02483 * b
    inv_alpha = 1.1239 + 1.1328 / (b - 3.4)
    vr = 0.9277 - 3.6224 / (b - 2)
    shape = (ROUNDS,) + tuple(rate.shape)
    u, v = _uniforms(shape, rate) - 0.5, _uniforms(shape, rate)
    us = 0.5 - u.abs()
    count = ((2 * a / us + b) * u + lam + 0.43).floor()
    squeeze = (us >= 0.07) & (v <= vr)
    exact = (v.log() + inv_alpha.log() - (a / (us * us) + b).log()
             <= -lam + count.xlogy(lam) - (count + 1).lgamma())
    large = first_accepted(count, squeeze | ((count >= 0) & ~((us < 0.013) & (v > us)) & exact))
    return (rate < SMALL_MEAN).if_else(small, large)


def binomial(total_count: Tensor, probs: Tensor) -> Tensor:
    """Binomial(total_count, probs) counts, as floats: drawn for q = min(p, 1-p) and mirrored;
    inversion where n*q < SMALL_MEAN, Hormann's BTRS (1993) otherwise."""
    n = total_count
    q = (probs > 0.5).if_else(1 - probs, probs)
    k = _terms(q)
    inside = k <= n
    log_choose = (n + 1).lgamma() - (k + 1).lgamma() - inside.if_else(n - k + 1, 1.0).lgamma()
    log_pmf = inside.if_else(log_choose + k.xlogy(q) + (n - k).xlogy(1 - q), -math.inf)
    small = _invert(log_pmf, q).clamp(max=n)
    # BTRS, on parameters clamped into its range (its results are used only where they hold)
    big = n * q >= SMALL_MEAN
    qb = big.if_else(q, 0.5)
    nb = big.if_else(n, 2 * SMALL_MEAN * 2)
    spq = (nb * qb * (1 - qb)).sqrt()
    b = 1.15 + 2.53 * spq
    a = -0.0873 + 0.0248 * b + 0.01 * qb
    c = nb * qb + 0.5
    vr = 0.92 - 4.2 / b
    alpha = (2.83 + 5.1 / b) * spq
    log_odds = (qb / (1 - qb)).log()
    m = ((nb + 1) * qb).floor()
    h = (m + 1).lgamma() + (nb - m + 1).lgamma()
    shape = (ROUNDS,) + tuple(q.shape)
    u, v = _uniforms(shape, q) - 0.5, _uniforms(shape, q)
    us = 0.5 - u.abs()
    count = ((2 * a / us + b) * u + c).floor()
    valid = (count >= 0) & (count <= nb)
    safe = valid.if_else(count, 0.0)
    exact = ((v * alpha / (a / (us * us) + b)).log()
             <= h - (safe + 1).lgamma() - (nb - safe + 1).lgamma() + (safe - m) * log_odds)
    large = first_accepted(count, valid & (((us >= 0.07) & (v <= vr)) | exact))
    drawn = big.if_else(large, small)
    return (probs > 0.5).if_else(n - drawn, drawn)


def standard_gamma(concentration: Tensor) -> Tensor:
    """Gamma(concentration, 1) draws: Marsaglia and Tsang (2000) for concentration >= 1, and
    Gamma(a + 1) * U**(1/a) for a < 1 (their boost)."""
    alpha = concentration
    boosted = alpha + (alpha < 1).cast(alpha.dtype)
    d = boosted - 1 / 3
    c = 1 / (9 * d).sqrt()
    shape = (ROUNDS,) + tuple(alpha.shape)
    x = randn(*shape, dtype=alpha.dtype, device=alpha.device)
    v = (1 + c * x) ** 3
    u = _uniforms(shape, alpha)
    safe_v = (v > 0).if_else(v, 1.0)
    accepted = (v > 0) & (u.log() < 0.5 * x * x + d - d * safe_v + d * safe_v.log())
    drawn = d * first_accepted(safe_v, accepted)
    tiny = float(np.finfo(alpha.dtype.np).tiny)  # (torch's floor too: a draw is never 0)
    boost = _uniforms(tuple(alpha.shape), alpha).clamp(min=tiny) ** (1 / alpha)
    return (alpha < 1).if_else(drawn * boost, drawn).clamp(min=tiny)


SERIES_TERMS = 96  # the series below converges to float64 precision for x < SERIES_LIMIT
SERIES_LIMIT = 40.0


def standard_gamma_grad(concentration: Tensor, x: Tensor) -> Tensor:
    """dx/dconcentration of a Gamma(concentration, 1) draw x held at a fixed quantile
    (implicit reparameterization: -dP(a, x)/da / pdf(x), P the regularized lower incomplete
    gamma). P = sum_n exp(-x + (a+n) log x - lgamma(a+n+1)), differentiated term by term,
    for x < SERIES_LIMIT; above, the Wilson-Hilferty cube-root normal approximation (accurate
    to about 1e-3 relative there, where a is large)."""
    a = concentration
    xs = x.clamp(max=SERIES_LIMIT)
    n = arange(SERIES_TERMS, dtype=a.dtype, device=a.device).reshape((-1,) + (1,) * a.ndim)
    log_x = xs.log()
    terms = (-xs + (a + n) * log_x - (a + n + 1).lgamma()).exp()
    dp_da = (terms * (log_x - (a + n + 1).digamma())).sum(0)
    log_pdf = (a - 1) * log_x - xs - a.lgamma()
    series = -dp_da / log_pdf.exp()
    g = (x / a) ** (1 / 3)  # x = a * g**3 with g = 1 - 1/(9a) + z / (3 sqrt(a)), z held fixed
    z = (g - 1 + 1 / (9 * a)) * 3 * a.sqrt()
    wilson_hilferty = g ** 3 + 3 * a * g ** 2 * (1 / (9 * a * a) - z / (6 * a ** 1.5))
    return (x < SERIES_LIMIT).if_else(series, wilson_hilferty)


def rsample_standard_gamma(concentration: Tensor) -> Tensor:
    """A Gamma(concentration, 1) draw whose gradient in concentration is standard_gamma_grad's
    (the draw's value, plus (a - a.detach()) * dx/da: zero in value, that slope in gradient)."""
    x = standard_gamma(concentration.detach())
    slope = standard_gamma_grad(concentration.detach(), x)
    return x + (concentration - concentration.detach()) * slope
