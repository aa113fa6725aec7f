"""biject_to and transform_to: from a constraint, a transform that maps unconstrained reals
onto it (torch.distributions.constraint_registry), for optimizing a constrained parameter as
an unconstrained one (`x = transform_to(c)(u)`).

biject_to's transforms are bijections with a log-det (for a change of variables in a density);
transform_to's need not be (a softmax onto the simplex), and may be cheaper. Each registry
keys on the constraint's class, as torch's does: a rule registered for positive (a
greater_than(0)) and then for greater_than serves both, and the later one wins, so
biject_to(positive) is exp followed by + 0, as in torch.
"""
from __future__ import annotations

from numbers import Number

from lazygrad.distributions import constraints, transforms
from lazygrad.distributions.constraint_base import Constraint
from lazygrad.distributions.transforms_matrix import CorrCholeskyTransform, PositiveDefiniteTransform
from lazygrad.distributions.transforms_parts import CatTransform, StackTransform
from lazygrad.distributions.transforms_vector import (
    IndependentTransform,
    LowerCholeskyTransform,
    SoftmaxTransform,
    StickBreakingTransform,
)


class ConstraintRegistry:
    """Constraint class -> factory(constraint) -> Transform."""

    def __init__(self) -> None:
        self._registry: dict[type, object] = {}

    def register(self, constraint, factory=None):
        """Register factory for constraint (an instance or a class); a decorator without it."""
        if factory is None:
            return lambda factory: self.register(constraint, factory)
        if isinstance(constraint, Constraint):
            constraint = type(constraint)
        if not (isinstance(constraint, type) and issubclass(constraint, Constraint)):
            raise TypeError(f"Expected constraint to be either a Constraint subclass or instance, but got "
                            f"{constraint}")
        self._registry[constraint] = factory
        return factory

    def __call__(self, constraint):
        factory = self._registry.get(type(constraint))
        if factory is None:
            raise NotImplementedError(f"Cannot transform {type(constraint).__name__} constraints")
        return factory(constraint)


biject_to = ConstraintRegistry()
transform_to = ConstraintRegistry()


def _both(*keys):
    """Register one factory for each key in both registries."""
    def register(factory):
        for key in keys:
            biject_to.register(key, factory)
            transform_to.register(key, factory)
        return factory
    return register


@_both(constraints.real)
def _identity(constraint):
    return transforms.identity_transform


@biject_to.register(constraints.independent)
def _biject_independent(constraint):
    return IndependentTransform(biject_to(constraint.base_constraint), constraint.reinterpreted_batch_ndims)


@transform_to.register(constraints.independent)
def _transform_independent(constraint):
    return IndependentTransform(transform_to(constraint.base_constraint), constraint.reinterpreted_batch_ndims)


@_both(constraints.greater_than, constraints.greater_than_eq)
def _above(constraint):
    return transforms.ComposeTransform([transforms.ExpTransform(),
                                        transforms.AffineTransform(constraint.lower_bound, 1)])


@_both(constraints.less_than)
def _below(constraint):
    return transforms.ComposeTransform([transforms.ExpTransform(),
                                        transforms.AffineTransform(constraint.upper_bound, -1)])


@_both(constraints.interval, constraints.half_open_interval)
def _between(constraint):
    low, high = constraint.lower_bound, constraint.upper_bound
    if isinstance(low, Number) and low == 0 and isinstance(high, Number) and high == 1:
        return transforms.SigmoidTransform()
    return transforms.ComposeTransform([transforms.SigmoidTransform(), transforms.AffineTransform(low, high - low)])


@biject_to.register(constraints.simplex)
def _biject_simplex(constraint):
    return StickBreakingTransform()


@transform_to.register(constraints.simplex)
def _transform_simplex(constraint):
    return SoftmaxTransform()


@transform_to.register(constraints.lower_cholesky)
def _transform_lower_cholesky(constraint):
    return LowerCholeskyTransform()


@transform_to.register(constraints.positive_definite)
@transform_to.register(constraints.positive_semidefinite)
def _transform_positive_definite(constraint):
    return PositiveDefiniteTransform()


@_both(constraints.corr_cholesky)
def _corr_cholesky(constraint):
    return CorrCholeskyTransform()


@biject_to.register(constraints.cat)
def _biject_cat(constraint):
    return CatTransform([biject_to(c) for c in constraint.cseq], constraint.dim, constraint.lengths)


@transform_to.register(constraints.cat)
def _transform_cat(constraint):
    return CatTransform([transform_to(c) for c in constraint.cseq], constraint.dim, constraint.lengths)


@biject_to.register(constraints.stack)
def _biject_stack(constraint):
    return StackTransform([biject_to(c) for c in constraint.cseq], constraint.dim)


@transform_to.register(constraints.stack)
def _transform_stack(constraint):
    return StackTransform([transform_to(c) for c in constraint.cseq], constraint.dim)
