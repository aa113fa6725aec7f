"""torch.distributions: the distributions policy-gradient and variational code uses most."""
from lazygrad.distributions import constraints
from lazygrad.distributions.binomial import Binomial
from lazygrad.distributions.categorical import Bernoulli, Categorical
from lazygrad.distributions.cauchy import Cauchy, HalfCauchy
from lazygrad.distributions.dirichlet import Beta, Dirichlet
from lazygrad.distributions.distribution import Distribution
from lazygrad.distributions.exponential import Exponential, Laplace
from lazygrad.distributions.gamma import Chi2, Gamma
from lazygrad.distributions.geometric import Geometric
from lazygrad.distributions.gumbel import Gumbel
from lazygrad.distributions.kl import kl_divergence
from lazygrad.distributions.normal import HalfNormal, LogNormal, Normal
from lazygrad.distributions.one_hot_categorical import OneHotCategorical
from lazygrad.distributions.poisson import Poisson
from lazygrad.distributions.studentt import StudentT
from lazygrad.distributions.uniform import Uniform

__all__ = ["Bernoulli", "Beta", "Binomial", "Categorical", "Cauchy", "Chi2", "Dirichlet", "Distribution",
           "Exponential", "Gamma", "Geometric", "Gumbel", "HalfCauchy", "HalfNormal", "Laplace", "LogNormal", "Normal",
           "OneHotCategorical", "Poisson", "StudentT", "Uniform", "constraints", "kl_divergence"]
