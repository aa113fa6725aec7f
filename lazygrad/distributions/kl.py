"""kl_divergence(p, q) in closed form for the pairs torch registers between two distributions
of one family (of those lazygrad has; kl_families.py has the pairs across families), and
register_kl to add more.

A pair is looked up by the classes' MROs, most specific first (p's class before q's), so a
rule for (Gamma, Gamma) serves Chi2 too, as in torch.
"""
from __future__ import annotations

import math

from lazygrad.distributions.binomial import Binomial
from lazygrad.distributions.categorical import Bernoulli, Categorical
from lazygrad.distributions.cauchy import Cauchy, HalfCauchy
from lazygrad.distributions.dirichlet import Beta, Dirichlet
from lazygrad.distributions.exponential import Exponential, Laplace
from lazygrad.distributions.gamma import Gamma
from lazygrad.distributions.geometric import Geometric
from lazygrad.distributions.gumbel import EULER_GAMMA, Gumbel
from lazygrad.distributions.lowrank_multivariate_normal import (
    LowRankMultivariateNormal,
    lowrank_log_det,
    lowrank_mahalanobis,
)
from lazygrad.distributions.multivariate_normal import (
    MultivariateNormal,
    batch_mahalanobis,
    gaussian_kl,
    half_log_det,
    trace_xxt,
)
from lazygrad.distributions.normal import HalfNormal, LogNormal, Normal
from lazygrad.distributions.one_hot_categorical import OneHotCategorical
from lazygrad.distributions.poisson import Poisson
from lazygrad.distributions.transformed import Independent, TransformedDistribution
from lazygrad.distributions.transforms import sum_rightmost
from lazygrad.distributions.uniform import Uniform
from lazygrad.frontend.linalg_triangular import solve_triangular
from lazygrad.frontend.tensor import Tensor
from lazygrad.nn.activation import softplus

KL_RULES: dict = {}


def register_kl(type_p: type, type_q: type):
    """Decorator: fn(p, q) computes KL(p || q) for p, q of these classes (or subclasses)."""
    def register(fn):
        KL_RULES[(type_p, type_q)] = fn
        return fn
    return register


def kl_divergence(p, q):
    matches = [(tp, tq) for tp, tq in KL_RULES if isinstance(p, tp) and isinstance(q, tq)]
    if not matches:
        raise NotImplementedError(f"No KL(p || q) is implemented for p of type {type(p).__name__} and q of "
                                  f"type {type(q).__name__}")
    p_mro, q_mro = type(p).__mro__, type(q).__mro__
    best = min(matches, key=lambda m: (p_mro.index(m[0]), q_mro.index(m[1])))
    return KL_RULES[best](p, q)


@register_kl(Normal, Normal)
def _normal_normal(p, q):
    var_ratio = (p.scale / q.scale).pow(2)
    t1 = ((p.loc - q.loc) / q.scale).pow(2)
    return 0.5 * (var_ratio + t1 - 1 - var_ratio.log())


@register_kl(MultivariateNormal, MultivariateNormal)
def _mvn_mvn(p, q):
    _same_events(p, q)
    return gaussian_kl(p.loc, p._unbroadcasted_scale_tril, q.loc, q._unbroadcasted_scale_tril)


def _same_events(p, q) -> None:
    if p.event_shape != q.event_shape:
        raise ValueError(f"KL-divergence between two (Low Rank) Multivariate Normals with different event shapes "
                         f"cannot be computed: {tuple(p.event_shape)} and {tuple(q.event_shape)}")


def _lowrank_terms(q):
    """For q = N(., W W^T + D): log det of its covariance, and A = Lc^-1 W^T D^-1, whose
    A^T A is what Woodbury's identity subtracts from D^-1 to give the precision."""
    factor, diag, cap = q._unbroadcasted_cov_factor, q._unbroadcasted_cov_diag, q._capacitance_tril
    return lowrank_log_det(factor, diag, cap), solve_triangular(cap, factor.mT / diag.unsqueeze(-2), upper=False)


def _lowrank_distance(p, q):
    """(q.loc - p.loc)^T Sigma_q^-1 (q.loc - p.loc), q low-rank."""
    return lowrank_mahalanobis(q._unbroadcasted_cov_factor, q._unbroadcasted_cov_diag, q.loc - p.loc,
                               q._capacitance_tril)


@register_kl(LowRankMultivariateNormal, LowRankMultivariateNormal)
def _lowrank_lowrank(p, q):
    """(log det Sq - log det Sp + tr(Sq^-1 Sp) + distance - n) / 2, the trace split over Sp's
    two parts and Woodbury's two terms: tr((D^-1 - A^T A)(Wp Wp^T + Dp))."""
    _same_events(p, q)
    q_log_det, a = _lowrank_terms(q)
    p_factor, p_diag, q_diag = p._unbroadcasted_cov_factor, p._unbroadcasted_cov_diag, q._unbroadcasted_cov_diag
    trace = ((p_diag / q_diag).sum(-1) + trace_xxt(p_factor * q_diag.rsqrt().unsqueeze(-1))
             - trace_xxt(a * p_diag.sqrt().unsqueeze(-2)) - trace_xxt(a @ p_factor))
    p_log_det = lowrank_log_det(p_factor, p_diag, p._capacitance_tril)
    return 0.5 * (q_log_det - p_log_det + trace + _lowrank_distance(p, q) - p.event_shape[0])


@register_kl(MultivariateNormal, LowRankMultivariateNormal)
def _mvn_lowrank(p, q):
    """As above with Sp = Lp Lp^T: tr((D^-1 - A^T A) Lp Lp^T)."""
    _same_events(p, q)
    q_log_det, a = _lowrank_terms(q)
    p_tril, q_diag = p._unbroadcasted_scale_tril, q._unbroadcasted_cov_diag
    trace = trace_xxt(p_tril * q_diag.rsqrt().unsqueeze(-1)) - trace_xxt(a @ p_tril)
    return 0.5 * (q_log_det - 2 * half_log_det(p_tril) + trace + _lowrank_distance(p, q) - p.event_shape[0])


@register_kl(LowRankMultivariateNormal, MultivariateNormal)
def _lowrank_mvn(p, q):
    """tr(Sq^-1 (Wp Wp^T + Dp)) = |Lq^-1 Wp|_F^2 + |Lq^-1 Dp^1/2|_F^2."""
    _same_events(p, q)
    q_tril, p_factor, p_diag = q._unbroadcasted_scale_tril, p._unbroadcasted_cov_factor, p._unbroadcasted_cov_diag
    trace = (trace_xxt(solve_triangular(q_tril, p_factor, upper=False))
             + trace_xxt(solve_triangular(q_tril, p_diag.sqrt().diag_embed(), upper=False)))
    p_log_det = lowrank_log_det(p_factor, p_diag, p._capacitance_tril)
    distance = batch_mahalanobis(q_tril, q.loc - p.loc)
    return 0.5 * (2 * half_log_det(q_tril) - p_log_det + trace + distance - p.event_shape[0])


@register_kl(LogNormal, LogNormal)
def _lognormal_lognormal(p, q):  # (an invertible map leaves KL unchanged)
    return _normal_normal(p.base_dist, q.base_dist)


@register_kl(HalfNormal, HalfNormal)
def _halfnormal_halfnormal(p, q):
    return _normal_normal(p.base_dist, q.base_dist)


@register_kl(Categorical, Categorical)
def _categorical_categorical(p, q):
    t = p.probs * (p.logits - q.logits)
    t = (q.probs == 0).if_else(math.inf, t)
    t = (p.probs == 0).if_else(0.0, t)
    return t.sum(-1)


@register_kl(OneHotCategorical, OneHotCategorical)
def _onehot_onehot(p, q):
    return _categorical_categorical(p._categorical, q._categorical)


@register_kl(Bernoulli, Bernoulli)
def _bernoulli_bernoulli(p, q):
    t1 = p.probs * (softplus(-q.logits) - softplus(-p.logits))
    t1 = (q.probs == 0).if_else(math.inf, t1)
    t1 = (p.probs == 0).if_else(0.0, t1)
    t2 = (1 - p.probs) * (softplus(q.logits) - softplus(p.logits))
    t2 = (q.probs == 1).if_else(math.inf, t2)
    t2 = (p.probs == 1).if_else(0.0, t2)
    return t1 + t2


@register_kl(Binomial, Binomial)
def _binomial_binomial(p, q):
    """Finite only where the counts agree; p's count below q's has no closed form (torch)."""
    if (p.total_count < q.total_count).any().item():
        raise NotImplementedError("KL between Binomials where q.total_count > p.total_count is not implemented")
    kl = p.total_count * (p.probs * (p.logits - q.logits) + (-p.probs).log1p() - (-q.probs).log1p())
    return (p.total_count > q.total_count).if_else(math.inf, kl)


@register_kl(Uniform, Uniform)
def _uniform_uniform(p, q):
    result = ((q.high - q.low) / (p.high - p.low)).log()
    return ((q.low > p.low) | (q.high < p.high)).if_else(math.inf, result)


@register_kl(Exponential, Exponential)
def _exponential_exponential(p, q):
    ratio = q.rate / p.rate
    return ratio - 1 - ratio.log()


@register_kl(Gamma, Gamma)
def _gamma_gamma(p, q):
    a_p, a_q = p.concentration, q.concentration
    return (a_q * (p.rate / q.rate).log() + a_q.lgamma() - a_p.lgamma() + (a_p - a_q) * a_p.digamma()
            + (q.rate - p.rate) * (a_p / p.rate))


@register_kl(Beta, Beta)
def _beta_beta(p, q):
    return _dirichlet_dirichlet(p._dirichlet, q._dirichlet)


@register_kl(Dirichlet, Dirichlet)
def _dirichlet_dirichlet(p, q):
    c_p, c_q = p.concentration, q.concentration
    total_p, total_q = c_p.sum(-1), c_q.sum(-1)
    t1 = total_p.lgamma() - total_q.lgamma() - (c_p.lgamma() - c_q.lgamma()).sum(-1)
    return t1 + ((c_p - c_q) * (c_p.digamma() - total_p.digamma().unsqueeze(-1))).sum(-1)


@register_kl(Gumbel, Gumbel)
def _gumbel_gumbel(p, q):
    ratio = p.scale / q.scale
    shift = (p.loc - q.loc) / q.scale
    return -ratio.log() + shift + ratio * EULER_GAMMA + (-shift + (1 + ratio).lgamma()).exp() - (1 + EULER_GAMMA)


@register_kl(Geometric, Geometric)
def _geometric_geometric(p, q):
    return -p.entropy() - (-q.probs).log1p() / p.probs - q.logits


@register_kl(Laplace, Laplace)
def _laplace_laplace(p, q):
    ratio = p.scale / q.scale
    distance = (p.loc - q.loc).abs()
    return -ratio.log() + distance / q.scale + ratio * (-distance / p.scale).exp() - 1


@register_kl(Cauchy, Cauchy)
def _cauchy_cauchy(p, q):
    return ((p.scale + q.scale).pow(2) + (p.loc - q.loc).pow(2)).log() - (4 * p.scale * q.scale).log()


@register_kl(HalfCauchy, HalfCauchy)
def _halfcauchy_halfcauchy(p, q):
    return _cauchy_cauchy(p.base_dist, q.base_dist)


@register_kl(Poisson, Poisson)
def _poisson_poisson(p, q):
    return p.rate * (p.rate.log() - q.rate.log()) - (p.rate - q.rate)


def _same_transform(a, b) -> bool:
    """Same class and parameters (a tensor parameter compared by value, read from the device
    as torch reads it)."""
    if type(a) is not type(b):
        return False
    for name, value in vars(a).items():
        other = vars(b)[name]
        if name == "_cached" or value is other:
            continue
        if isinstance(value, Tensor) or isinstance(other, Tensor):
            if not (isinstance(value, Tensor) and isinstance(other, Tensor) and value.shape == other.shape
                    and (value == other).all().item()):
                return False
        elif isinstance(value, list):
            if len(value) != len(other) or not all(map(_same_transform, value, other)):
                return False
        elif value != other:
            return False
    return True


@register_kl(TransformedDistribution, TransformedDistribution)
def _transformed_transformed(p, q):
    if p.event_shape != q.event_shape or len(p.transforms) != len(q.transforms) \
            or not all(map(_same_transform, p.transforms, q.transforms)):
        raise NotImplementedError("KL between TransformedDistributions needs the same transforms and event shape")
    return sum_rightmost(kl_divergence(p.base_dist, q.base_dist), len(p.event_shape) - len(p.base_dist.event_shape))


@register_kl(Independent, Independent)
def _independent_independent(p, q):
    if p.reinterpreted_batch_ndims != q.reinterpreted_batch_ndims:
        raise NotImplementedError("KL between Independents with different reinterpreted_batch_ndims")
    return sum_rightmost(kl_divergence(p.base_dist, q.base_dist), p.reinterpreted_batch_ndims)
