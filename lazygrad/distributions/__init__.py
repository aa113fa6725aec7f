"""torch.distributions: distributions, their constraints and transforms, and kl_divergence.

Each draws from lazygrad's generator (lg.manual_seed, lg.jit replays), checks its arguments on the
device (distribution.py), and computes densities, moments and KL as torch does."""
from lazygrad.distributions import constraints, transforms
from lazygrad.distributions import kl_families as kl_families  # (registers the cross-family rules)
from lazygrad.distributions.binomial import Binomial
from lazygrad.distributions.categorical import Bernoulli, Categorical
from lazygrad.distributions.cauchy import Cauchy, HalfCauchy
from lazygrad.distributions.constraint_registry import biject_to, transform_to
from lazygrad.distributions.continuous_bernoulli import ContinuousBernoulli
from lazygrad.distributions.dirichlet import Beta, Dirichlet
from lazygrad.distributions.distribution import Distribution
from lazygrad.distributions.exp_family import ExponentialFamily
from lazygrad.distributions.exponential import Exponential, Laplace
from lazygrad.distributions.gamma import Chi2, FisherSnedecor, Gamma, InverseGamma
from lazygrad.distributions.generalized_pareto import GeneralizedPareto
from lazygrad.distributions.geometric import Geometric
from lazygrad.distributions.gumbel import Gumbel
from lazygrad.distributions.kl import kl_divergence, register_kl
from lazygrad.distributions.kumaraswamy import Kumaraswamy
from lazygrad.distributions.lkj_cholesky import LKJCholesky
from lazygrad.distributions.logistic_normal import LogisticNormal
from lazygrad.distributions.lowrank_multivariate_normal import LowRankMultivariateNormal
from lazygrad.distributions.mixture import MixtureSameFamily
from lazygrad.distributions.multinomial import Multinomial
from lazygrad.distributions.multivariate_normal import MultivariateNormal
from lazygrad.distributions.negative_binomial import NegativeBinomial
from lazygrad.distributions.normal import HalfNormal, LogNormal, Normal
from lazygrad.distributions.one_hot_categorical import OneHotCategorical, OneHotCategoricalStraightThrough
from lazygrad.distributions.poisson import Poisson
from lazygrad.distributions.relaxed import (
    ExpRelaxedCategorical,
    LogitRelaxedBernoulli,
    RelaxedBernoulli,
    RelaxedOneHotCategorical,
)
from lazygrad.distributions.studentt import StudentT
from lazygrad.distributions.transformed import Independent, TransformedDistribution
from lazygrad.distributions.transforms import (
    AbsTransform,
    AffineTransform,
    ComposeTransform,
    ExpTransform,
    PowerTransform,
    SigmoidTransform,
    SoftplusTransform,
    TanhTransform,
    Transform,
    identity_transform,
)
from lazygrad.distributions.transforms_matrix import CorrCholeskyTransform, PositiveDefiniteTransform
from lazygrad.distributions.transforms_parts import CatTransform, StackTransform
from lazygrad.distributions.transforms_vector import (
    CumulativeDistributionTransform,
    IndependentTransform,
    LowerCholeskyTransform,
    ReshapeTransform,
    SoftmaxTransform,
    StickBreakingTransform,
)
from lazygrad.distributions.uniform import Uniform
from lazygrad.distributions.von_mises import VonMises
from lazygrad.distributions.weibull import Pareto, Weibull
from lazygrad.distributions.wishart import Wishart

__all__ = ["AbsTransform", "AffineTransform", "Bernoulli", "Beta", "Binomial", "CatTransform", "Categorical",
           "Cauchy", "Chi2", "ComposeTransform", "ContinuousBernoulli", "CorrCholeskyTransform",
           "CumulativeDistributionTransform", "Dirichlet", "Distribution", "ExpRelaxedCategorical",
           "ExpTransform", "Exponential", "ExponentialFamily", "FisherSnedecor", "Gamma", "GeneralizedPareto",
           "Geometric", "Gumbel", "HalfCauchy", "HalfNormal", "Independent", "IndependentTransform",
           "InverseGamma", "Kumaraswamy", "LKJCholesky", "Laplace", "LogNormal", "LogisticNormal",
           "LogitRelaxedBernoulli", "LowRankMultivariateNormal", "LowerCholeskyTransform",
           "MixtureSameFamily", "Multinomial", "MultivariateNormal", "NegativeBinomial", "Normal",
           "OneHotCategorical", "OneHotCategoricalStraightThrough", "Pareto", "Poisson",
           "PositiveDefiniteTransform", "PowerTransform", "RelaxedBernoulli", "RelaxedOneHotCategorical",
           "ReshapeTransform", "SigmoidTransform", "SoftmaxTransform", "SoftplusTransform", "StackTransform",
           "StickBreakingTransform", "StudentT", "TanhTransform", "Transform", "TransformedDistribution",
           "Uniform", "VonMises", "Weibull", "Wishart", "biject_to", "constraints", "identity_transform",
           "kl_divergence", "register_kl", "transform_to", "transforms"]
