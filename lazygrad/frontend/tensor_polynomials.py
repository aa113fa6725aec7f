"""torch.special's classical orthogonal polynomials P_n(x): Chebyshev T, U, V, W and their
shifted forms (x -> 2x - 1 on [0, 1]), Hermite H and He, Laguerre L and Legendre P.

Each takes (x, n), one of them may be a Python number, broadcast and promoted as torch's binary
ops (integers to the default float). Computed in float64 where the device has it and rounded
once (so float32 results are the float64 ones rounded: torch's float32 loop loses digits, and
past float32's overflow turns inf into NaN where these give +-inf), with torch's own steps:
- n is truncated toward zero; a negative n gives 0, and so do NaN, +-inf and n beyond int64
  (torch's cast of those is negative);
- the three-term recurrence p_{k+1} = a_k(x) p_k - b_k p_{k-1}, each element stopping at its own
  n (and, as torch's loops do, where the value has become NaN);
- Chebyshev: the closed values at the ends of [-1, 1] and, inside it for n above a threshold
  (CHEBYSHEV), the trigonometric forms (T_n(cos t) = cos nt, ...), with torch's fallbacks where
  their denominators vanish;
- Hermite: NaN for n above 128 in float32 and 512 in float64 (torch's limit).

The recurrence's length is the largest n among the elements that need it: read on the host
(one sync) unless n is a Python number. Up to UNROLLED steps are one lazy graph; longer ones run
in blocks of BLOCK steps whose step offset is a buffer (one compiled kernel for every block),
stopping once no element is still going. Both are 16 (they were 64 and 32): a graph of 64 steps
was hundreds of ops deep and crashed a CI worker's recursive lowering (4cab7ff); at 16 the
deepest kernel any polynomial builds is 77 ops deep (tests/test_special_polynomials.py). torch has no derivative for any of these: the
results carry no gradient.
"""
from __future__ import annotations

import math
from collections.abc import Callable

from lazygrad.frontend.tensor import Tensor
from lazygrad.frontend.tensor_special import _wide
from lazygrad.frontend.tensor_zeta import operands

UNROLLED = 16
BLOCK = 16
INT64_END = 2.0 ** 63
# kind: (n above which |y| < 1 takes the trigonometric form, unshifted; shifted)
CHEBYSHEV = {"t": (6, 6), "u": (8, 6), "v": (8, 6), "w": (8, 4)}
HERMITE_LIMIT = {"float32": 128, "float64": 512}


def _degree(n: Tensor) -> Tensor:
    """n truncated toward zero; -1 where torch's cast to int64 gives a negative number."""
    bad = n.isnan() | (n.abs() >= INT64_END)
    return bad.if_else(-1.0, n.trunc())


def _sign_by_parity(n: Tensor) -> Tensor:
    """(-1)^n for integral n."""
    return (n - 2 * (n * 0.5).floor() == 0).if_else(1.0, -1.0)


def _step_count(n: Tensor, needs: Tensor, number: float | None) -> int:
    """The longest recurrence an element needs: n - 1 for the largest n where needs holds."""
    if number is not None and (not math.isfinite(number) or abs(number) <= UNROLLED):
        return max(int(number) - 1, 0) if math.isfinite(number) else 0
    return max(int(needs.if_else(n, 0.0).max().item()) - 1, 0)  # (a host read)


def recurrence(step: Callable, p: Tensor, q: Tensor, n: Tensor, needs: Tensor, number: float | None) -> Tensor:
    """q after steps j = 1 .. n - 1 of (p, q) -> (q, step(j, p, q)), each element stopping at its
    own n or where q has become NaN; j is a number (unrolled) or a tensor of q's shape."""
    steps = _step_count(n, needs, number)
    if steps <= UNROLLED:
        for j in range(1, steps + 1):
            go = (n > j) & ~q.isnan()
            p, q = go.if_else(q, p), go.if_else(step(j, p, q), q)
        return q
    start = 1
    while start <= steps:
        base = Tensor([float(start)], dtype=q.dtype, device=q.device).reshape(())
        for i in range(BLOCK):
            j = base + i
            go = (n > j) & ~q.isnan()
            p, q = go.if_else(q, p), go.if_else(step(j, p, q), q)
        p, q = p.realize(), q.realize()
        start += BLOCK
        if not bool((needs & (n > start) & ~q.isnan()).any().item()):  # (a host read)
            break
    return q


def _chebyshev(x: Tensor, n: Tensor, number, kind: str, shifted: bool) -> Tensor:
    y = x + x - 1.0 if shifted else x
    n = _degree(n)
    parity = _sign_by_parity(n)
    first = {"t": y, "u": y + y, "v": y + y - 1.0, "w": y + y + 1.0}[kind]
    end = y.abs() == 1
    inside = (n > CHEBYSHEV[kind][shifted]) & (y.abs() < 1)
    needs = ~end & ~inside & (n > 1)
    q = recurrence(lambda j, p, q: (y + y) * q - p, y._const(1.0), first, n, needs, number)
    value = (n == 0).if_else(1.0, (n == 1).if_else(first, q))
    # the ends y = +-1: T_n(1) = 1, U_n(1) = n + 1, V_n(1) = 1, W_n(1) = 2n + 1, at -1 times (-1)^n
    # (V and W swap there: V_n(-1) = (-1)^n (2n + 1), W_n(-1) = (-1)^n)
    at_one = {"t": 1.0, "u": n + 1, "v": 1.0, "w": n + n + 1}[kind]
    at_minus_one = parity * {"t": 1.0, "u": n + 1, "v": n + n + 1, "w": 1.0}[kind]
    value = end.if_else((y > 0).if_else(at_one, at_minus_one), value)
    theta = inside.if_else(y, 0.5).acos()
    value = inside.if_else(_trigonometric(kind, shifted, y, n, theta, parity), value)
    return (n < 0).if_else(0.0, value)


def _trigonometric(kind: str, shifted: bool, y: Tensor, n: Tensor, theta: Tensor, parity: Tensor) -> Tensor:
    """The closed forms at y = cos theta inside (-1, 1), with torch's values where their
    denominators round to 0."""
    if kind == "t":
        return (n * theta).cos()
    if kind == "u":
        s = theta.sin()
        safe = (s == 0).if_else(1.0, s)
        return (s != 0).if_else(((n + 1) * theta).sin() / safe, (n + 1) * ((n + 1) * theta).cos() / y)
    half = theta / 2.0
    if kind == "v":
        return (half.sin() != 1).if_else(((n + 0.5) * theta).cos() / half.cos(), parity * (n + n + 1))
    degenerate = parity if shifted else (y > 0).if_else(n + n + 1, parity)  # (torch's shifted W: +-1)
    return (half.cos() != 1).if_else(((n + 0.5) * theta).sin() / half.sin(), degenerate)


def _evaluated(name: str, compute: Callable, x, n) -> Tensor:
    """compute(x, n, n as a number or None, result dtype) in float64 where the device has it,
    rounded once to torch's result dtype."""
    x, n, number = operands(name, x, n)
    x, n = x.detach(), n.detach()  # (no gradient in torch)
    return compute(_wide(x), _wide(n), number, x.dtype).cast(x.dtype)


def chebyshev(kind: str, shifted: bool) -> Callable:
    name = ("shifted_" if shifted else "") + f"chebyshev_polynomial_{kind}"

    def fn(x, n) -> Tensor:
        return _evaluated(name, lambda x, n, number, dt: _chebyshev(x, n, number, kind, shifted), x, n)
    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = (f"The {'shifted ' if shifted else ''}Chebyshev polynomial of the "
                  f"{('first', 'second', 'third', 'fourth')['tuvw'.index(kind)]} kind, {kind.upper()}"
                  f"{'*' if shifted else ''}_n(x) (torch.special.{name}).")
    return fn


def _legendre(x: Tensor, n: Tensor, number) -> Tensor:
    n = _degree(n)
    end = x.abs() == 1
    q = recurrence(lambda k, p, q: ((k + k + 1) * x * q - k * p) / (k + 1), x._const(1.0), x, n, ~end & (n > 1), number)
    value = (n == 0).if_else(1.0, (n == 1).if_else(x, q))
    value = end.if_else((x > 0).if_else(1.0, _sign_by_parity(n)), value)
    return (n < 0).if_else(0.0, value)


def _laguerre(x: Tensor, n: Tensor, number) -> Tensor:
    n = _degree(n)
    q = recurrence(lambda k, p, q: ((k + k + (1.0 - x)) * q - k * p) / (k + 1), x._const(1.0), 1.0 - x, n,
                   (x != 0) & (n > 1), number)
    value = (n == 1).if_else(1.0 - x, q)
    value = ((x == 0) | (n == 0)).if_else(1.0, value)
    return (n < 0).if_else(0.0, value)


def _hermite(x: Tensor, n: Tensor, number, physicists: bool, dtype) -> Tensor:
    n = _degree(n)
    limit = HERMITE_LIMIT.get(dtype.name, 1024)
    n = (n > limit).if_else(math.nan, n)  # (NaN takes no steps, and marks the result)
    number = None if number is None else min(number, limit + 1.0)
    first = x + x if physicists else x
    if physicists:  # H_{k+1} = 2x H_k - 2k H_{k-1}
        def step(j, p, q):
            return (x + x) * q - (j + j) * p
    else:  # He_{k+1} = x He_k - k He_{k-1}
        def step(j, p, q):
            return x * q - j * p
    q = recurrence(step, x._const(1.0), first, n, n > 1, number)
    value = (n == 0).if_else(1.0, (n == 1).if_else(first, q))
    return n.isnan().if_else(math.nan, (n < 0).if_else(0.0, value))


def legendre_polynomial_p(x, n) -> Tensor:
    """The Legendre polynomial P_n(x) (torch.special.legendre_polynomial_p)."""
    return _evaluated("legendre_polynomial_p", lambda x, n, number, dt: _legendre(x, n, number), x, n)


def laguerre_polynomial_l(x, n) -> Tensor:
    """The Laguerre polynomial L_n(x) (torch.special.laguerre_polynomial_l)."""
    return _evaluated("laguerre_polynomial_l", lambda x, n, number, dt: _laguerre(x, n, number), x, n)


def hermite_polynomial_h(x, n) -> Tensor:
    """The physicists' Hermite polynomial H_n(x) (torch.special.hermite_polynomial_h)."""
    return _evaluated("hermite_polynomial_h", lambda x, n, number, dt: _hermite(x, n, number, True, dt), x, n)


def hermite_polynomial_he(x, n) -> Tensor:
    """The probabilists' Hermite polynomial He_n(x) (torch.special.hermite_polynomial_he)."""
    return _evaluated("hermite_polynomial_he", lambda x, n, number, dt: _hermite(x, n, number, False, dt), x, n)
