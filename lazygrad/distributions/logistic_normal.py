"""LogisticNormal(loc, scale): a Normal over R^K pushed onto the (K+1)-simplex by
stick-breaking, as torch builds it."""
from __future__ import annotations

from typing import ClassVar

from lazygrad.distributions import constraints
from lazygrad.distributions.normal import Normal
from lazygrad.distributions.transformed import TransformedDistribution
from lazygrad.distributions.transforms_vector import StickBreakingTransform


class LogisticNormal(TransformedDistribution):
    arg_constraints: ClassVar[dict] = {"loc": constraints.real, "scale": constraints.positive}
    support = constraints.simplex
    has_rsample = True

    def __init__(self, loc, scale, validate_args: bool | None = None) -> None:
        base = Normal(loc, scale, validate_args=validate_args)
        if not base.batch_shape:
            base = base.expand((1,))
        super().__init__(base, StickBreakingTransform(), validate_args)

    loc = property(lambda self: self.base_dist.loc)
    scale = property(lambda self: self.base_dist.scale)

    def _param_names(self) -> tuple[str, ...]:
        return ("loc", "scale")

