"""kl_divergence across families: the closed forms torch registers between different
distributions (Beta || Normal, Uniform || Gumbel, ...), and the same-family rules not in kl.py
(Pareto, ContinuousBernoulli, and any exponential family with itself by its Bregman divergence).

Each is E_p[log p] - E_p[log q] = -H(p) - E_p[log q], with E_p[log q] written from p's moments
(E x, E x^2, E log x, ...). Where q's support does not cover p's, KL is infinite: a whole table of
pairs is infinite for every parameter (a Normal has mass below a Gamma's 0); other pairs are
infinite only for some parameters (a Uniform reaching below 0, a Pareto with alpha <= 1 that has
no mean), selected elementwise. The edge choices are torch's, quirks included: torch's
ContinuousBernoulli-Uniform pairs call q's support bound itself outside the support, and
x log x at 0 is NaN, not 0.
"""
from __future__ import annotations

import math

from lazygrad.distributions.binomial import Binomial
from lazygrad.distributions.categorical import Bernoulli
from lazygrad.distributions.continuous_bernoulli import ContinuousBernoulli
from lazygrad.distributions.dirichlet import Beta
from lazygrad.distributions.exp_family import ExponentialFamily
from lazygrad.distributions.exponential import Exponential, Laplace
from lazygrad.distributions.gamma import Gamma
from lazygrad.distributions.gumbel import EULER_GAMMA, Gumbel
from lazygrad.distributions.kl import register_kl
from lazygrad.distributions.normal import Normal
from lazygrad.distributions.poisson import Poisson
from lazygrad.distributions.transforms import sum_rightmost
from lazygrad.distributions.uniform import Uniform
from lazygrad.distributions.weibull import Pareto
from lazygrad.frontend.autograd import grad
from lazygrad.frontend.factories import full_like
from lazygrad.frontend.tensor import Tensor

_LOG_2PI = math.log(2 * math.pi)

# p's family: (its parameter to shape the result like, the q families that give infinite KL)
_INFINITE = {
    Exponential: ("rate", (Beta, ContinuousBernoulli, Pareto, Uniform)),
    Gamma: ("concentration", (Beta, ContinuousBernoulli, Pareto, Uniform)),
    Gumbel: ("loc", (Beta, ContinuousBernoulli, Exponential, Gamma, Pareto, Uniform)),
    Laplace: ("loc", (Beta, ContinuousBernoulli, Exponential, Gamma, Pareto, Uniform)),
    Normal: ("loc", (Beta, ContinuousBernoulli, Exponential, Gamma, Pareto, Uniform)),
    Pareto: ("scale", (Beta, ContinuousBernoulli, Uniform)),
    Poisson: ("rate", (Bernoulli, Binomial)),
    Beta: ("concentration1", (Pareto,)),
    ContinuousBernoulli: ("probs", (Pareto,)),
}


def _infinite(param: str):
    return lambda p, q: full_like(getattr(p, param), math.inf)


for _p_type, (_param, _q_types) in _INFINITE.items():
    for _q_type in _q_types:
        register_kl(_p_type, _q_type)(_infinite(_param))


def _x_log_x(t: Tensor) -> Tensor:
    return t * t.log()  # (NaN at 0, as torch's)


def _neg_cross_entropy_normal(q, mean, second_moment):
    """E_p[log q] for q Normal, from p's E x and E x^2."""
    return -(0.5 * _LOG_2PI + q.scale.log()) - (second_moment - 2 * q.loc * mean + q.loc.pow(2)) / (2 * q.scale.pow(2))


def _neg_cross_entropy_gamma(q, mean, mean_log):
    """E_p[log q] for q Gamma, from p's E x and E log x."""
    a, rate = q.concentration, q.rate
    return a * rate.log() - a.lgamma() + (a - 1) * mean_log - rate * mean


def _neg_cross_entropy_cb(q, mean):
    """E_p[log q] for q ContinuousBernoulli, from p's E x."""
    return mean * q.logits + (-q.probs).log1p() + q._cont_bern_log_norm()


@register_kl(Bernoulli, Poisson)
def _bernoulli_poisson(p, q):
    return -p.entropy() - (p.probs * q.rate.log() - q.rate)


@register_kl(Beta, ContinuousBernoulli)
def _beta_cb(p, q):
    return -p.entropy() - _neg_cross_entropy_cb(q, p.mean)


@register_kl(Beta, Exponential)
def _beta_exponential(p, q):
    return -p.entropy() - q.rate.log() + q.rate * p.mean


@register_kl(Beta, Gamma)
def _beta_gamma(p, q):
    a, b = p.concentration1, p.concentration0
    return -p.entropy() - _neg_cross_entropy_gamma(q, p.mean, a.digamma() - (a + b).digamma())


@register_kl(Beta, Normal)
def _beta_normal(p, q):
    mean = p.mean
    second = mean * (1 - mean) / (p.concentration1 + p.concentration0 + 1) + mean.pow(2)
    return -p.entropy() - _neg_cross_entropy_normal(q, mean, second)


@register_kl(Beta, Uniform)
def _beta_uniform(p, q):
    result = -p.entropy() + (q.high - q.low).log()
    return ((q.low > 0) | (q.high < 1)).if_else(math.inf, result)


@register_kl(ContinuousBernoulli, ContinuousBernoulli)
def _cb_cb(p, q):
    return -p.entropy() - _neg_cross_entropy_cb(q, p.mean)


@register_kl(ContinuousBernoulli, Exponential)
def _cb_exponential(p, q):
    return -p.entropy() - q.rate.log() + q.rate * p.mean


@register_kl(ContinuousBernoulli, Normal)
def _cb_normal(p, q):
    return -p.entropy() - _neg_cross_entropy_normal(q, p.mean, p.variance + p.mean.pow(2))


@register_kl(ContinuousBernoulli, Uniform)
def _cb_uniform(p, q):
    result = -p.entropy() + (q.high - q.low).log()
    return ((q.low >= 0) | (q.high <= 1)).if_else(math.inf, result)  # (torch's >= and <=)


@register_kl(Exponential, Gamma)
def _exponential_gamma(p, q):
    ratio = q.rate / p.rate
    a = q.concentration
    return -a * ratio.log() + ratio + a.lgamma() + a * EULER_GAMMA - (1 + EULER_GAMMA)


@register_kl(Exponential, Gumbel)
def _exponential_gumbel(p, q):
    product = p.rate * q.scale
    shift = q.loc / q.scale
    return product.log() - 1 - shift + shift.exp() * product / (product + 1) + product.reciprocal()


@register_kl(Exponential, Normal)
def _exponential_normal(p, q):
    mean = p.rate.reciprocal()
    return -p.entropy() - _neg_cross_entropy_normal(q, mean, 2 * mean.pow(2))


@register_kl(Gamma, Exponential)
def _gamma_exponential(p, q):
    return -p.entropy() - q.rate.log() + q.rate * p.concentration / p.rate


@register_kl(Gamma, Gumbel)
def _gamma_gumbel(p, q):
    a = p.concentration
    product = p.rate * q.scale
    shift = q.loc / q.scale
    t1 = (a - 1) * a.digamma() - a.lgamma() - a
    t2 = product.log() + a / product
    return t1 + t2 + shift.exp() * (1 + product.reciprocal()).pow(-a) - shift


@register_kl(Gamma, Normal)
def _gamma_normal(p, q):
    a = p.concentration
    second = (a.pow(2) + a) / p.rate.pow(2)
    return -p.entropy() - _neg_cross_entropy_normal(q, a / p.rate, second)


@register_kl(Gumbel, Normal)
def _gumbel_normal(p, q):
    ratio = p.scale / q.scale
    shift = (p.loc + p.scale * EULER_GAMMA - q.loc) / q.scale
    return (-(ratio / math.sqrt(2 * math.pi)).log() + (math.pi * ratio * 0.5).pow(2) / 3 + shift.pow(2) * 0.5
            - (EULER_GAMMA + 1))


@register_kl(Laplace, Normal)
def _laplace_normal(p, q):
    second = p.loc.pow(2) + 2 * p.scale.pow(2)
    return -p.entropy() - _neg_cross_entropy_normal(q, p.loc, second)


@register_kl(Normal, Gumbel)
def _normal_gumbel(p, q):
    mean_ratio = p.loc / q.scale
    var_ratio = (p.scale / q.scale).pow(2)
    shift = q.loc / q.scale
    return (-0.5 * var_ratio.log() + mean_ratio - shift + (-mean_ratio + 0.5 * var_ratio + shift).exp()
            - 0.5 * (1 + _LOG_2PI))


@register_kl(Normal, Laplace)
def _normal_laplace(p, q):
    diff = p.loc - q.loc
    standardized = diff / p.scale
    mean_abs = (math.sqrt(2 / math.pi) * p.scale * (-0.5 * standardized.pow(2)).exp()
                + diff * (math.sqrt(0.5) * standardized).erf())  # E|x - q.loc|
    return -(p.scale / q.scale).log() + mean_abs / q.scale - 0.5 * (1 + math.log(0.5 * math.pi))


@register_kl(Pareto, Exponential)
def _pareto_exponential(p, q):
    product = p.scale * q.rate
    result = (p.alpha / product).log() - p.alpha.reciprocal() + p.alpha * product / (p.alpha - 1) - 1
    return (p.alpha <= 1).if_else(math.inf, result)


@register_kl(Pareto, Gamma)
def _pareto_gamma(p, q):
    mean_log = p.scale.log() + p.alpha.reciprocal()
    a = q.concentration
    result = (p.alpha.log() - mean_log + a.lgamma() - a * q.rate.log() + (1 - a) * mean_log
              + q.rate * p.alpha * p.scale / (p.alpha - 1) - 1)
    return (p.alpha <= 1).if_else(math.inf, result)


@register_kl(Pareto, Normal)
def _pareto_normal(p, q):
    step = p.scale / (p.alpha - 1)
    t1 = (math.sqrt(2 * math.pi) * q.scale * p.alpha / p.scale).log()
    t3 = p.alpha * step.pow(2) / (p.alpha - 2)
    t4 = (p.alpha * step - q.loc).pow(2)
    result = t1 - p.alpha.reciprocal() + (t3 + t4) / (2 * q.scale.pow(2)) - 1
    return (p.alpha <= 2).if_else(math.inf, result)


@register_kl(Pareto, Pareto)
def _pareto_pareto(p, q):
    alpha_ratio = q.alpha / p.alpha
    result = q.alpha * (p.scale / q.scale).log() - alpha_ratio.log() + alpha_ratio - 1
    return (p.scale < q.scale).if_else(math.inf, result)


@register_kl(Uniform, Beta)
def _uniform_beta(p, q):
    width = p.high - p.low
    a, b = q.concentration1, q.concentration0
    mean_log = (_x_log_x(p.high) - _x_log_x(p.low) - width) / width
    mean_log1m = -(_x_log_x(1 - p.high) - _x_log_x(1 - p.low) + width) / width
    log_beta = a.lgamma() + b.lgamma() - (a + b).lgamma()
    result = -width.log() - (a - 1) * mean_log - (b - 1) * mean_log1m + log_beta
    return ((p.high > 1) | (p.low < 0)).if_else(math.inf, result)


@register_kl(Uniform, ContinuousBernoulli)
def _uniform_cb(p, q):
    result = -p.entropy() - _neg_cross_entropy_cb(q, p.mean)
    return ((p.high >= 1) | (p.low <= 0)).if_else(math.inf, result)  # (torch's >= and <=)


@register_kl(Uniform, Exponential)
def _uniform_exponential(p, q):
    result = q.rate * (p.high + p.low) / 2 - ((p.high - p.low) * q.rate).log()
    return (p.low < 0).if_else(math.inf, result)


@register_kl(Uniform, Gamma)
def _uniform_gamma(p, q):
    width = p.high - p.low
    mean_log = (_x_log_x(p.high) - _x_log_x(p.low) - width) / width
    result = -width.log() - _neg_cross_entropy_gamma(q, (p.high + p.low) / 2, mean_log)
    return (p.low < 0).if_else(math.inf, result)


@register_kl(Uniform, Gumbel)
def _uniform_gumbel(p, q):
    ratio = q.scale / (p.high - p.low)
    high, low = (p.high - q.loc) / q.scale, (p.low - q.loc) / q.scale
    return ratio.log() + 0.5 * (high + low) - ratio * ((-high).exp() - (-low).exp())


@register_kl(Uniform, Normal)
def _uniform_normal(p, q):
    width = p.high - p.low
    return -width.log() - _neg_cross_entropy_normal(q, p.mean, width.pow(2) / 12 + p.mean.pow(2))


@register_kl(Uniform, Pareto)
def _uniform_pareto(p, q):
    width = p.high - p.low
    mean_log = (_x_log_x(p.high) - _x_log_x(p.low) - width) / width
    result = mean_log * (q.alpha + 1) - (q.alpha * q.scale.pow(q.alpha) * width).log()
    return (p.low < q.scale).if_else(math.inf, result)


@register_kl(ExponentialFamily, ExponentialFamily)
def _exponential_families(p, q):
    """KL between two members of one exponential family: the Bregman divergence of its log
    normalizer A between the natural parameters, A(q) - A(p) - <q - p, grad A(p)>."""
    if type(p) is not type(q):
        raise NotImplementedError("The cross KL-divergence between different exponential families cannot be "
                                  "computed using Bregman divergences")
    p_params = [t.detach().requires_grad_() for t in p._natural_params]
    q_params = q._natural_params
    p_normalizer = p._log_normalizer(*p_params)
    gradients = grad(p_normalizer.sum(), p_params, create_graph=True)
    result = q._log_normalizer(*q_params) - p_normalizer
    for p_param, q_param, g in zip(p_params, q_params, gradients):
        result = result - sum_rightmost((q_param - p_param) * g, len(q.event_shape))
    return result
