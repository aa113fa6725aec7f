"""The ordering and selection families, gathered into one part of Tensor (tensor.py stays
short): sorting and order statistics (tensor_sort.py, tensor_quantile.py), unique
(tensor_unique.py), scans (tensor_scan.py), data-dependent selections (tensor_masked.py) and
the index ops (tensor_index_ops.py)."""
from __future__ import annotations

from lazygrad.frontend.tensor_index_ops import IndexOpsMixin
from lazygrad.frontend.tensor_masked import MaskedMixin
from lazygrad.frontend.tensor_quantile import QuantileMixin
from lazygrad.frontend.tensor_scan import ScanMixin
from lazygrad.frontend.tensor_sort import SortMixin
from lazygrad.frontend.tensor_unique import UniqueMixin


class SelectionMixin(SortMixin, QuantileMixin, UniqueMixin, ScanMixin, MaskedMixin, IndexOpsMixin):
    """sort ... unique, cummax ..., nonzero ..., scatter_reduce ... (see the files above)."""
