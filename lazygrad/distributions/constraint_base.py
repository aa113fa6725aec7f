"""The base of torch.distributions' constraints (constraints.py says what a check returns), apart
so that the matrix constraints (constraints_matrix.py) and the rest can both build on it."""
from __future__ import annotations

from lazygrad.frontend.tensor import Tensor


class Constraint:
    """is_discrete: whether the set is countable; event_dim: how many rightmost dims one
    element of the set spans (1 for a simplex)."""

    is_discrete = False
    event_dim = 0

    def check(self, value: Tensor) -> Tensor:
        raise NotImplementedError

    def _bounds(self) -> str:
        return ""

    def __repr__(self) -> str:
        return f"{type(self).__name__[1:]}({self._bounds()})"
