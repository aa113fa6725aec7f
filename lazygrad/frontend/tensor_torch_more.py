"""More of torch's Tensor methods, one mixin a family, gathered into one base of Tensor (so
tensor.py names one): tensor_composites.py (kron, rot90, ravel, isin, ...), tensor_special.py
(erfc, erfinv, lgamma, digamma), tensor_bessel.py (i0), tensor_igamma.py (igamma, igammac),
tensor_bits.py (frexp, ldexp, nextafter, gcd, lcm),
tensor_view_inplace.py (t_, squeeze_, transpose_, ...) and tensor_solve.py (det, inverse)."""
from __future__ import annotations

from lazygrad.frontend.tensor_bessel import BesselMixin
from lazygrad.frontend.tensor_bits import BitsMixin
from lazygrad.frontend.tensor_composites import CompositesMixin
from lazygrad.frontend.tensor_igamma import IncompleteGammaMixin
from lazygrad.frontend.tensor_solve import SolveMixin
from lazygrad.frontend.tensor_special import SpecialMixin
from lazygrad.frontend.tensor_view_inplace import ViewInplaceMixin


class TorchMoreMixin(CompositesMixin, SpecialMixin, BesselMixin, IncompleteGammaMixin, BitsMixin, ViewInplaceMixin,
                     SolveMixin):
    pass
