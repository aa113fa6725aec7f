"""kl_divergence(p, q) for the pairs torch computes in closed form (of those lazygrad has)."""
from __future__ import annotations

import math

from lazygrad.distributions.categorical import Bernoulli, Categorical
from lazygrad.distributions.normal import Normal
from lazygrad.distributions.uniform import Uniform
from lazygrad.nn.activation import softplus


def _normal_normal(p: Normal, q: Normal):
    var_ratio = (p.scale / q.scale).pow(2)
    t1 = ((p.loc - q.loc) / q.scale).pow(2)
    return 0.5 * (var_ratio + t1 - 1 - var_ratio.log())


def _categorical_categorical(p: Categorical, q: Categorical):
    t = p.probs * (p.logits - q.logits)
    t = (q.probs == 0).if_else(math.inf, t)
    t = (p.probs == 0).if_else(0.0, t)
    return t.sum(-1)


def _bernoulli_bernoulli(p: Bernoulli, q: Bernoulli):
    t1 = p.probs * (softplus(-q.logits) - softplus(-p.logits))
    t1 = (q.probs == 0).if_else(math.inf, t1)
    t1 = (p.probs == 0).if_else(0.0, t1)
    t2 = (1 - p.probs) * (softplus(q.logits) - softplus(p.logits))
    t2 = (q.probs == 1).if_else(math.inf, t2)
    t2 = (p.probs == 1).if_else(0.0, t2)
    return t1 + t2


def _uniform_uniform(p: Uniform, q: Uniform):
    result = ((q.high - q.low) / (p.high - p.low)).log()
    return ((q.low > p.low) | (q.high < p.high)).if_else(math.inf, result)


KL_RULES = {(Normal, Normal): _normal_normal, (Categorical, Categorical): _categorical_categorical,
            (Bernoulli, Bernoulli): _bernoulli_bernoulli, (Uniform, Uniform): _uniform_uniform}


def kl_divergence(p, q):
    rule = KL_RULES.get((type(p), type(q)))
    if rule is None:
        raise NotImplementedError(f"No KL(p || q) is implemented for p of type {type(p).__name__} and q of "
                                  f"type {type(q).__name__} (lazygrad has: "
                                  + ", ".join(f"{a.__name__}/{b.__name__}" for a, b in KL_RULES) + ")")
    return rule(p, q)
