"""VonMises(loc, concentration): the circular normal on [-pi, pi), as torch: density
exp(k cos(x - loc)) / (2 pi I0(k)); samples by Best and Fisher's (1979) rejection sampler,
vectorized as sampling.first_accepted does (no rsample, as torch)."""
from __future__ import annotations

import math
from typing import ClassVar

from lazygrad.distributions import constraints
from lazygrad.distributions.distribution import Distribution, as_params
from lazygrad.distributions.sampling import first_accepted
from lazygrad.frontend.random import rand
from lazygrad.frontend.tensor import Tensor

# log I0 and log I1 by Abramowitz and Stegun 9.8.1-9.8.4 (relative error below 2e-7): a
# polynomial in (x/3.75)**2 below 3.75, and in 3.75/x (times e**x / sqrt(x)) above.
_SMALL = {0: (1.0, 3.5156229, 3.0899424, 1.2067492, 0.2659732, 0.0360768, 0.0045813),
          1: (0.5, 0.87890594, 0.51498869, 0.15084934, 0.02658733, 0.00301532, 0.00032411)}
_LARGE = {0: (0.39894228, 0.01328592, 0.00225319, -0.00157565, 0.00916281, -0.02057706, 0.02635537,
              -0.01647633, 0.00392377),
          1: (0.39894228, -0.03988024, -0.00362018, 0.00163801, -0.01031555, 0.02282967, -0.02895312,
              0.01787654, -0.00420059)}
ROUNDS = 32  # (Best-Fisher accepts at least ~0.65 of proposals: 0.35**32 < 1e-14)


def _poly(y: Tensor, coefficients) -> Tensor:
    result = y * 0 + coefficients[-1]
    for c in reversed(coefficients[:-1]):
        result = result * y + c
    return result


def log_modified_bessel(x: Tensor, order: int) -> Tensor:
    """log I_order(x) for x > 0, order 0 or 1."""
    small = _poly((x / 3.75).pow(2), _SMALL[order])
    small = (x.abs() * small if order == 1 else small).log()
    large = x - 0.5 * x.log() + _poly(3.75 / x, _LARGE[order]).log()
    return (x < 3.75).if_else(small, large)


class VonMises(Distribution):
    arg_constraints: ClassVar[dict] = {"loc": constraints.real, "concentration": constraints.positive}
    support = constraints.real

    def __init__(self, loc, concentration, validate_args: bool | None = None) -> None:
        self.loc, self.concentration = as_params(loc, concentration)
        super().__init__(self.loc.shape, (), validate_args)

    def _param_names(self) -> tuple[str, ...]:
        return ("loc", "concentration")

    def log_prob(self, value) -> Tensor:
        value = self._checked(value, self.loc)
        return (self.concentration * (value - self.loc).cos() - math.log(2 * math.pi)
                - log_modified_bessel(self.concentration, 0))

    @property
    def mean(self) -> Tensor:
        return self.loc

    @property
    def mode(self) -> Tensor:
        return self.loc

    @property
    def variance(self) -> Tensor:
        """The circular variance, 1 - I1(k)/I0(k)."""
        k = self.concentration
        return 1 - (log_modified_bessel(k, 1) - log_modified_bessel(k, 0)).exp()

    def _sample(self, sample_shape: tuple[int, ...]) -> Tensor:
        shape = self._extended_shape(sample_shape)
        k = self.concentration.expand(shape)
        tau = 1 + (1 + 4 * k.pow(2)).sqrt()
        rho = (tau - (2 * tau).sqrt()) / (2 * k)
        r = (k < 1e-5).if_else(1 / k + k, (1 + rho.pow(2)) / (2 * rho))  # (a Taylor form for tiny k)
        u1, u2, u3 = (rand(*((ROUNDS,) + shape), dtype=self.loc.dtype, device=self.loc.device) for _ in range(3))
        z = (math.pi * u1).cos()
        f = (1 + r * z) / (r + z)
        c = k * (r - f)
        accepted = (c * (2 - c) - u2 > 0) | ((c / u2).log() + 1 - c >= 0)
        x = first_accepted((u3 - 0.5).sign() * f.clamp(-1, 1).acos(), accepted)
        return (x + math.pi + self.loc) % (2 * math.pi) - math.pi
