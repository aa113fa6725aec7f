"""torch.special: the special functions under their scipy-style names (lg.special.gammaln is
lg.lgamma, lg.special.expit is lg.sigmoid, ...), each the Tensor method of the same function."""
from __future__ import annotations

import math

from lazygrad.frontend import (
    tensor_airy,
    tensor_bessel,
    tensor_bessel_jyk,
    tensor_polynomials,
    tensor_special,
    tensor_zeta,
)
from lazygrad.frontend.functions import _as_tensor, number_input
from lazygrad.frontend.tensor import Tensor
from lazygrad.frontend.tensor_declared import input_gradient
from lazygrad.frontend.tensor_more_math import xlog_derivative


def _method(name: str, torch_name: str):
    def fn(input, *args, **kwargs) -> Tensor:
        other = args[0] if args else next(iter(kwargs.values()), None)
        return getattr(number_input(torch_name, input, other), name)(*args, **kwargs)
    fn.__name__ = fn.__qualname__ = torch_name
    fn.__doc__ = f"torch.special.{torch_name}(x) is x.{name}()."
    return fn


erf = _method("erf", "erf")
erfc = _method("erfc", "erfc")
erfinv = _method("erfinv", "erfinv")
digamma = _method("digamma", "digamma")
psi = _method("digamma", "psi")
gammaln = _method("lgamma", "gammaln")
expit = _method("sigmoid", "expit")
exp2 = _method("exp2", "exp2")
expm1 = _method("expm1", "expm1")
log1p = _method("log1p", "log1p")
logit = _method("logit", "logit")
logsumexp = _method("logsumexp", "logsumexp")
round = _method("round", "round")
sinc = _method("sinc", "sinc")
xlogy = _method("xlogy", "xlogy")
softmax = _method("softmax", "softmax")
log_softmax = _method("log_softmax", "log_softmax")


def erfcx(input) -> Tensor:
    return tensor_special.erfcx(_as_tensor(input))


def log_ndtr(input) -> Tensor:
    return tensor_special.log_ndtr(_as_tensor(input))


def ndtri(input) -> Tensor:
    return tensor_special.ndtri(_as_tensor(input))


def i0(input) -> Tensor:
    return tensor_bessel.i0(_as_tensor(input))


def i0e(input) -> Tensor:
    """exp(-|x|) I0(x), without the overflow of I0."""
    return tensor_bessel.i0e(_as_tensor(input))


def i1(input) -> Tensor:
    return tensor_bessel.i1(_as_tensor(input))


def i1e(input) -> Tensor:
    """exp(-|x|) I1(x), without the overflow of I1."""
    return tensor_bessel.i1e(_as_tensor(input))


def modified_bessel_i0(input) -> Tensor:
    """I0 as torch.special.modified_bessel_i0 gives it: the value of i0, with no gradient."""
    return tensor_bessel.i0(_as_tensor(input).detach())


def modified_bessel_i1(input) -> Tensor:
    """I1 as torch.special.modified_bessel_i1 gives it: the value of i1, with no gradient."""
    return tensor_bessel.i1(_as_tensor(input).detach())


def spherical_bessel_j0(input) -> Tensor:
    return tensor_bessel.spherical_j0(_as_tensor(input))


def _gradient_free(fn, name: str, what: str):
    def apply(input) -> Tensor:
        if not isinstance(input, Tensor):
            raise TypeError(f"special_{name}(): argument 'input' (position 1) must be Tensor, "
                            f"not {type(input).__name__}")
        return fn(input)
    apply.__name__ = apply.__qualname__ = name
    apply.__doc__ = f"{what} (torch.special.{name}); like torch's, without a gradient."
    return apply


airy_ai = _gradient_free(tensor_airy.airy_ai, "airy_ai", "The Airy function Ai(x)")
bessel_j0 = _gradient_free(tensor_bessel_jyk.bessel_j0, "bessel_j0", "The Bessel function of the first kind J0(x)")
bessel_j1 = _gradient_free(tensor_bessel_jyk.bessel_j1, "bessel_j1", "The Bessel function of the first kind J1(x)")
bessel_y0 = _gradient_free(tensor_bessel_jyk.bessel_y0, "bessel_y0", "The Bessel function of the second kind Y0(x)")
bessel_y1 = _gradient_free(tensor_bessel_jyk.bessel_y1, "bessel_y1", "The Bessel function of the second kind Y1(x)")
modified_bessel_k0 = _gradient_free(tensor_bessel_jyk.modified_bessel_k0, "modified_bessel_k0",
                                    "The modified Bessel function of the second kind K0(x)")
modified_bessel_k1 = _gradient_free(tensor_bessel_jyk.modified_bessel_k1, "modified_bessel_k1",
                                    "The modified Bessel function of the second kind K1(x)")
scaled_modified_bessel_k0 = _gradient_free(tensor_bessel_jyk.scaled_modified_bessel_k0, "scaled_modified_bessel_k0",
                                           "exp(x) K0(x), without K0's underflow")
scaled_modified_bessel_k1 = _gradient_free(tensor_bessel_jyk.scaled_modified_bessel_k1, "scaled_modified_bessel_k1",
                                           "exp(x) K1(x), without K1's underflow")
chebyshev_polynomial_t = tensor_polynomials.chebyshev("t", shifted=False)
chebyshev_polynomial_u = tensor_polynomials.chebyshev("u", shifted=False)
chebyshev_polynomial_v = tensor_polynomials.chebyshev("v", shifted=False)
chebyshev_polynomial_w = tensor_polynomials.chebyshev("w", shifted=False)
shifted_chebyshev_polynomial_t = tensor_polynomials.chebyshev("t", shifted=True)
shifted_chebyshev_polynomial_u = tensor_polynomials.chebyshev("u", shifted=True)
shifted_chebyshev_polynomial_v = tensor_polynomials.chebyshev("v", shifted=True)
shifted_chebyshev_polynomial_w = tensor_polynomials.chebyshev("w", shifted=True)
hermite_polynomial_h = tensor_polynomials.hermite_polynomial_h
hermite_polynomial_he = tensor_polynomials.hermite_polynomial_he
laguerre_polynomial_l = tensor_polynomials.laguerre_polynomial_l
legendre_polynomial_p = tensor_polynomials.legendre_polynomial_p
zeta = tensor_zeta.zeta


def gammainc(input, other) -> Tensor:
    """The regularized lower incomplete gamma function P(input, other) (torch.igamma)."""
    return _as_tensor(input).igamma(other)


def gammaincc(input, other) -> Tensor:
    """The regularized upper incomplete gamma function Q(input, other) (torch.igammac)."""
    return _as_tensor(input).igammac(other)


def multigammaln(input, p: int) -> Tensor:
    return _as_tensor(input).mvlgamma(p)


def xlog1py(input, other) -> Tensor:
    """x * log1p(y), 0 where x is 0 unless y is NaN (torch's)."""
    x = number_input("xlog1py", input, other)._float()
    y = other if isinstance(other, Tensor) else x._const(float(other), x.dtype, ())
    x, y = x._broadcast_pair(y._float())
    return input_gradient((x, y), _xlog1py, lambda i, args, out, g: xlog_derivative(
        i, args, g, _xlog1py, -1.0, lambda y: y + 1))


def _xlog1py(x, y):
    cut = (x == 0) & ~y.isnan()
    return cut.if_else(0.0, x * cut.if_else(0.0, y).log1p())


def entr(input) -> Tensor:
    """-x log x: 0 at 0, -inf below 0 (torch's); the gradient is torch's -(1 + log x), NaN
    below 0 and inf at 0."""
    return input_gradient((_as_tensor(input)._float(),), _entr, lambda i, args, out, g: -g * (args[0].log() + 1))


def _entr(x):
    positive = x > 0
    value = -x * positive.if_else(x, 1.0).log()
    return positive.if_else(value, (x == 0).if_else(0.0, (x < 0).if_else(-math.inf, x)))


def polygamma(n: int, input) -> Tensor:
    return _as_tensor(input).polygamma(n)


def ndtr(input) -> Tensor:
    """The standard normal distribution function, (1 + erf(x / sqrt 2)) / 2, as erfc(-x / sqrt 2) / 2
    (no cancellation in the lower tail)."""
    return (_as_tensor(input)._float() * (-1 / math.sqrt(2))).erfc() * 0.5


__all__ = ["airy_ai", "bessel_j0", "bessel_j1", "bessel_y0", "bessel_y1", "chebyshev_polynomial_t",
           "chebyshev_polynomial_u", "chebyshev_polynomial_v", "chebyshev_polynomial_w", "digamma", "entr", "erf",
           "erfc", "erfcx", "erfinv", "exp2", "expit", "expm1", "gammainc", "gammaincc", "gammaln",
           "hermite_polynomial_h", "hermite_polynomial_he", "i0", "i0e", "i1", "i1e", "laguerre_polynomial_l",
           "legendre_polynomial_p", "log1p", "log_ndtr", "log_softmax", "logit", "logsumexp", "modified_bessel_i0",
           "modified_bessel_i1", "modified_bessel_k0", "modified_bessel_k1", "multigammaln", "ndtr", "ndtri",
           "polygamma", "psi", "round", "scaled_modified_bessel_k0", "scaled_modified_bessel_k1",
           "shifted_chebyshev_polynomial_t", "shifted_chebyshev_polynomial_u", "shifted_chebyshev_polynomial_v",
           "shifted_chebyshev_polynomial_w", "sinc", "softmax", "spherical_bessel_j0", "xlog1py", "xlogy", "zeta"]
