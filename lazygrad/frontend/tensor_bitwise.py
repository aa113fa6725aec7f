"""torch's names for the bitwise and logical operators, and their in-place forms.

The operators themselves (`~ & | ^ << >>`, tensor_math.py) hold the semantics: integer and
bool tensors only, promotion as torch's, shifts by the width or more giving 0 (or -1). These
are the function and method spellings a ported program uses (`x.bitwise_and(y)`,
`lg.bitwise_left_shift(x, 2)`, `mask.logical_not_()`), each a call of its operator.
"""
from __future__ import annotations

from lazygrad.ir.ops import Op


class BitwiseMixin:
    def bitwise_not(self):
        return ~self

    def bitwise_and(self, other):
        return self & other

    def bitwise_or(self, other):
        return self | other

    def bitwise_xor(self, other):
        return self ^ other

    def bitwise_left_shift(self, other):
        return self << other

    def bitwise_right_shift(self, other):
        return self >> other

    def __rlshift__(self, other):
        return self._bitwise(Op.SHL, other, True)

    def __rrshift__(self, other):
        return self._bitwise(Op.SHR, other, True)

    # ---- in place: computed now, into self (a result of a wider type is an error, as torch's)
    def bitwise_not_(self):
        return self._inplace(lambda: ~self)

    def bitwise_and_(self, other):
        return self._inplace(lambda: self & other, other)

    def bitwise_or_(self, other):
        return self._inplace(lambda: self | other, other)

    def bitwise_xor_(self, other):
        return self._inplace(lambda: self ^ other, other)

    def bitwise_left_shift_(self, other):
        return self._inplace(lambda: self << other, other)

    def bitwise_right_shift_(self, other):
        return self._inplace(lambda: self >> other, other)

    __iand__, __ior__, __ixor__ = bitwise_and_, bitwise_or_, bitwise_xor_
    __ilshift__, __irshift__ = bitwise_left_shift_, bitwise_right_shift_

    def logical_not_(self):
        return self._inplace(self.logical_not)

    def logical_and_(self, other):
        return self._inplace(lambda: self.logical_and(other), other)

    def logical_or_(self, other):
        return self._inplace(lambda: self.logical_or(other), other)

    def logical_xor_(self, other):
        return self._inplace(lambda: self.logical_xor(other), other)
