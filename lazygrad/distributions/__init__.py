"""torch.distributions: the distributions policy-gradient and variational code uses most."""
from lazygrad.distributions import constraints
from lazygrad.distributions.categorical import Bernoulli, Categorical
from lazygrad.distributions.distribution import Distribution
from lazygrad.distributions.kl import kl_divergence
from lazygrad.distributions.normal import Normal
from lazygrad.distributions.uniform import Uniform

__all__ = ["Bernoulli", "Categorical", "Distribution", "Normal", "Uniform", "constraints", "kl_divergence"]
