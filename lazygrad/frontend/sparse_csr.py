"""SparseCsrTensor: torch's sparse_csr layout for matrices, row pointers (crow_indices, n + 1
of them), column indices and values, each an ordinary lazygrad tensor.

Every computation goes through COO (sparse_coo.py): the row index of each entry is the row
pointers expanded on the host (np.repeat), so to_dense and products are COO's and their
gradients reach the values the same way. Conversions between the layouts are here, both ways
(COO to CSR coalesces first: CSR is sorted by row, as torch's). Batched CSR and the other
compressed layouts (csc, bsr, bsc) raise SparseNotSupported.
"""
from __future__ import annotations

import numpy as np

from lazygrad.frontend.sparse_coo import SparseCooTensor, make_coo
from lazygrad.frontend.sparse_tensor import SparseBase, unsupported
from lazygrad.frontend.tensor import Tensor
from lazygrad.frontend.tensor_queries import sparse_coo, sparse_csr


def make_csr(crow: Tensor, col: Tensor, values: Tensor, shape, derived: bool = True) -> SparseCsrTensor:
    s = object.__new__(SparseCsrTensor)
    s.__dict__.update(_crow=crow, _col=col, _vals=values, _shape=tuple(int(d) for d in shape), _derived=derived)
    return s


class SparseCsrTensor(SparseBase):
    """torch.sparse_csr, 2-d (see the module docstring): only the methods defined here compute."""

    _layout_name = "sparse_csr"

    @property
    def layout(self):
        return sparse_csr

    @property
    def is_sparse(self) -> bool:
        return False

    @property
    def is_sparse_csr(self) -> bool:
        return True

    def sparse_dim(self) -> int:
        return 2

    def dense_dim(self) -> int:
        return self._vals.ndim - 1

    def _nnz(self) -> int:
        return int(self._vals.shape[0])

    def crow_indices(self) -> Tensor:
        return self._crow

    def col_indices(self) -> Tensor:
        return self._col

    def values(self) -> Tensor:
        return self._vals

    def ccol_indices(self):
        raise RuntimeError("ccol_indices expected sparse column compressed tensor layout but got SparseCsr")

    def row_indices(self):
        raise RuntimeError("row_indices expected sparse column compressed tensor layout but got SparseCsr")

    def requires_grad_(self, requires_grad: bool = True) -> SparseCsrTensor:
        raise unsupported("requires_grad_ (gradients of a CSR leaf)", self._layout_name)

    @property
    def grad(self):
        return None

    def detach(self) -> SparseCsrTensor:
        return make_csr(self._crow, self._col, self._vals.detach(), self._shape, derived=False)

    def realize(self) -> SparseCsrTensor:
        for t in (self._crow, self._col, self._vals):
            t.realize()
        return self

    # ---- conversions -----------------------------------------------------------------------------
    def to_sparse_coo(self) -> SparseCooTensor:
        """The COO tensor of the same entries: coalesced when the columns are sorted in each row
        and distinct (torch's CSR invariant), as torch marks it."""
        crow = self._crow.numpy().astype(np.int64)
        col = self._col.numpy().astype(np.int64)
        rows = np.repeat(np.arange(len(crow) - 1, dtype=np.int64), np.diff(crow))
        sorted_ = bool(np.all((np.diff(rows) > 0) | ((np.diff(rows) == 0) & (np.diff(col) > 0)))) if len(col) > 1 else True
        ix = Tensor(np.stack([rows, col]), device=self._vals.device)
        return make_coo(ix, self._vals, self._shape, sorted_, derived=True)

    def to_sparse(self, sparse_dim=None, *, layout=None, blocksize=None, dense_dim=None):
        if layout is sparse_csr:
            return self
        if layout not in (None, sparse_coo):
            raise unsupported(f"to_sparse(layout={layout!r})", self._layout_name)
        if sparse_dim not in (None, 2):
            raise RuntimeError(f"to_sparse: sparse_dim must be 2 for a CSR tensor, got {sparse_dim}")
        return self.to_sparse_coo()

    def to_sparse_csr(self, dense_dim=None) -> SparseCsrTensor:
        return self

    def to_dense(self, dtype=None, *, masked_grad=None) -> Tensor:
        return self.to_sparse_coo().to_dense(dtype)

    def to(self, *args, **kwargs) -> SparseCsrTensor:
        coo = self.to_sparse_coo().to(*args, **kwargs)
        return make_csr(self._crow.to(coo.device), self._col.to(coo.device), coo._vals, self._shape)

    def __neg__(self) -> SparseCsrTensor:
        return make_csr(self._crow, self._col, -self._vals, self._shape)

    neg = __neg__

    def mul(self, other) -> SparseCsrTensor:
        if isinstance(other, Tensor):
            raise unsupported("mul of a CSR tensor by a tensor", self._layout_name)
        return make_csr(self._crow, self._col, self._vals * other, self._shape)

    __mul__ = __rmul__ = mul

    def __repr__(self) -> str:
        return self._text([("crow_indices", self._crow), ("col_indices", self._col), ("values", self._vals)],
                          newline=False)

    __str__ = __repr__


def coo_to_csr(s: SparseCooTensor) -> SparseCsrTensor:
    """A 2-d COO tensor as CSR: coalesced (sorted by row), the row counts summed into pointers."""
    if s.sparse_dim() != 2 or s.dense_dim() != 0:
        raise unsupported("to_sparse_csr of a tensor that is not a 2-d sparse matrix", "sparse_coo")
    c = s.coalesce()
    rows = c._ix.numpy()[0]
    crow = np.concatenate([[0], np.cumsum(np.bincount(rows, minlength=s.shape[0]))]).astype(np.int64)
    return make_csr(Tensor(crow, device=c.device), c._ix[1], c._vals, s.shape)


def _coo_to_sparse_csr(self, dense_dim=None) -> SparseCsrTensor:
    return coo_to_csr(self)


def _coo_to_layout(self, layout, blocksize, dense_dim):
    if layout is sparse_csr:
        return coo_to_csr(self)
    raise unsupported(f"to_sparse(layout={layout!r})", self._layout_name)


SparseCooTensor.to_sparse_csr = _coo_to_sparse_csr
SparseCooTensor._to_layout = _coo_to_layout
