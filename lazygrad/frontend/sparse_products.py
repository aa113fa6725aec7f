"""Products and sums of sparse tensors: torch.sparse.mm, torch.mm / matmul / @ with a sparse
operand, addmm, spmm, hspmm, smm, sspaddmm, dsmm, torch.sparse.sum.

A product S @ D (S a sparse n x k matrix, D dense k x p or k) is, entry by entry, row col of D
scaled by the value and added into row row of the result: `index_select` of D's rows by the
column indices, a multiply by the values, `index_add` into zeros by the row indices. Each is
an ordinary op, so gradients reach D and the values as they reach any gather and scatter.

Which gradient a sparse leaf gets follows torch 2.13: torch.sparse.mm (and addmm) give a
sparse one, on S's coalesced pattern (the values' gradient); torch.mm, torch.matmul and @
give a dense one, the full (g @ D^T). For the latter a leaf S carries a zero dense tensor of
its shape that requires grad (its "sink") and the product adds sink @ D, whose gradient is
exactly that dense matrix (the values are then read detached, so nothing is counted twice).
That costs a dense product, only for a sparse leaf that requires grad while grad is enabled.
"""
from __future__ import annotations

import numpy as np

from lazygrad.frontend.grad_mode import is_grad_enabled
from lazygrad.frontend.sparse_coo import SparseCooTensor, make_coo
from lazygrad.frontend.sparse_csr import SparseCsrTensor
from lazygrad.frontend.sparse_tensor import SparseBase, dim_index, unsupported
from lazygrad.frontend.tensor import Tensor


def _coo(s) -> SparseCooTensor:
    return s.to_sparse_coo() if isinstance(s, SparseCsrTensor) else s


def _check(s: SparseCooTensor, d: Tensor, vector_ok: bool) -> None:
    if isinstance(d, SparseBase):
        raise unsupported("a product of two sparse tensors", s._layout_name)
    if not isinstance(d, Tensor):
        raise TypeError(f"expected a dense Tensor as the second operand, got {type(d).__name__}")
    if s.sparse_dim() != 2 or s.dense_dim() != 0:
        raise unsupported("a product with a sparse tensor that is not a 2-d matrix", s._layout_name)
    if d.ndim != 2 and not (vector_ok and d.ndim == 1):
        raise RuntimeError(f"mm: expected a 2-d dense matrix as the second operand, got {d.ndim}-d")
    if d.shape[0] != s.shape[1]:
        raise RuntimeError(f"addmm: Argument #3 (dense): Expected dim 0 size {s.shape[1]}, got {d.shape[0]}")
    if d.dtype != s.dtype:
        raise RuntimeError(f"expected scalar type {_name(s.dtype)} but found {_name(d.dtype)}")


def _name(dtype) -> str:
    return {"float32": "Float", "float64": "Double", "float16": "Half", "bfloat16": "BFloat16", "int64": "Long",
            "int32": "Int"}.get(dtype.name, dtype.name)


def _gathered(s: SparseCooTensor, d: Tensor, values: Tensor) -> Tensor:
    """sum over entries (r, c, v) of v * d[c], into row r: the sparse product itself."""
    out = d.new_zeros((s.shape[0],) + tuple(d.shape[1:]))
    if not s._nnz():
        return out
    rows, cols = s._ix[0], s._ix[1]
    picked = d.index_select(0, cols)
    scale = values.reshape(-1, 1) if d.ndim == 2 else values
    return out.index_add(0, rows, picked * scale)


def _sink(s: SparseCooTensor) -> Tensor | None:
    """The dense zero tensor whose gradient is a leaf's dense gradient (module docstring)."""
    if not (isinstance(s, SparseCooTensor) and s.requires_grad and s.is_leaf and is_grad_enabled()):
        return None
    sink = s.__dict__.get("_sink")
    if sink is None:
        sink = s._vals.new_zeros(tuple(s.shape)).requires_grad_(True)
        s.__dict__["_sink"] = sink
    return sink


def sparse_mm(mat1, mat2) -> Tensor:
    """torch.sparse.mm(sparse, dense): a dense result; a sparse leaf's gradient is sparse."""
    s = _coo(mat1)
    _check(s, mat2, vector_ok=False)
    return _gathered(s, mat2, s._vals)


def dense_mm(mat1, mat2, vector_ok: bool = False) -> Tensor:
    """torch.mm / matmul / @ with a sparse first operand: as sparse_mm, but a sparse leaf's
    gradient is dense (module docstring)."""
    s = _coo(mat1)
    _check(s, mat2, vector_ok)
    sink = _sink(s)
    if sink is None:
        return _gathered(s, mat2, s._vals)
    return _gathered(s, mat2, s._vals.detach()) + sink @ mat2


def dense_times_sparse(mat1: Tensor, mat2) -> Tensor:
    """dense @ sparse, as (sparse^T @ dense^T)^T; a sparse leaf's gradient is dense there too."""
    s = _coo(mat2)
    if mat1.ndim == 1:
        return dense_times_sparse(mat1.reshape(1, -1), mat2).reshape(-1)
    st = s.t()
    _check(st, mat1.t(), vector_ok=False)
    sink = _sink(s)
    if sink is None:
        return _gathered(st, mat1.t(), st._vals).t()
    return _gathered(st, mat1.t(), st._vals.detach()).t() + mat1 @ sink


def matmul(input, other) -> Tensor:
    if isinstance(input, SparseBase):
        return dense_mm(input, other, vector_ok=True)
    return dense_times_sparse(input, other)


def mm(input, mat2) -> Tensor:
    if isinstance(input, SparseBase):
        return dense_mm(input, mat2)
    return dense_times_sparse(input, mat2)


def sparse_addmm(mat, mat1, mat2, *, beta=1, alpha=1) -> Tensor:
    """torch.sparse.addmm: beta * mat + alpha * sparse.mm(mat1, mat2)."""
    return _scaled(mat, beta) + _scaled(sparse_mm(mat1, mat2), alpha)


def addmm(input, mat1, mat2, *, beta=1, alpha=1) -> Tensor:
    """torch.addmm with a sparse mat1 (or mat2): beta * input + alpha * (mat1 @ mat2)."""
    if isinstance(input, SparseBase):
        raise unsupported("addmm with a sparse input (use torch.sspaddmm)")
    return _scaled(input, beta) + _scaled(mm(mat1, mat2), alpha)


def _scaled(t: Tensor, k) -> Tensor:
    return t if k == 1 else t * k


def _occupied_rows(mat1, mat2) -> tuple[Tensor, Tensor]:
    """The rows of mat1 that have entries (sorted, int64) and sparse.mm(mat1, mat2)'s rows there."""
    s = _coo(mat1)
    out = sparse_mm(s, mat2)
    keep = np.unique(s._ix[0].numpy()).astype(np.int64) if s._nnz() else np.zeros(0, np.int64)
    index = Tensor(keep, device=out.device)
    return index, out.index_select(0, index) if len(keep) else out[:0]


def hspmm(mat1, mat2) -> SparseCooTensor:
    """torch.hspmm: the product as a hybrid COO tensor, one entry per row of mat1 that has
    entries, in row order (flagged uncoalesced, as torch's)."""
    index, rows = _occupied_rows(mat1, mat2)
    return make_coo(index.reshape(1, -1), rows, (mat1.shape[0], mat2.shape[1]), False)


def smm(input, mat2) -> SparseCooTensor:
    """torch.smm: the product as a 2-d COO tensor, every column of each row of input that has
    entries, row by row (flagged uncoalesced, as torch's)."""
    index, rows = _occupied_rows(input, mat2)
    p = int(mat2.shape[1])
    cols = Tensor(np.arange(p, dtype=np.int64), device=index.device)
    ix = index.reshape(-1, 1).expand(-1, p).reshape(1, -1).cat(cols.reshape(1, p).expand(len(index), p).reshape(1, -1),
                                                               dim=0)
    return make_coo(ix, rows.reshape(-1), (input.shape[0], p), False)


def sspaddmm(input, mat1, mat2, *, beta=1, alpha=1) -> SparseCooTensor:
    """torch.sspaddmm: beta * input (sparse) + alpha * smm(mat1, mat2), their entries one after
    the other (not coalesced, as torch's)."""
    if not isinstance(input, SparseCooTensor):
        raise RuntimeError("sspaddmm: expected input to be a sparse COO tensor")  # noqa: TRY004 (torch's class)
    product = smm(mat1, mat2)
    if tuple(input.shape) != tuple(product.shape):
        raise RuntimeError(f"sspaddmm: Argument #1: Expected dim 0 size {product.shape[0]} and dim 1 size "
                           f"{product.shape[1]}, got {list(input.shape)}")
    values = _scaled(input._vals, beta).cat(_scaled(product._vals, alpha), dim=0)
    return make_coo(input._ix.cat(product._ix, dim=1), values, product.shape, False)


def dsmm(mat1, mat2) -> Tensor:
    """torch.dsmm: sparse times dense, as torch.mm (a sparse leaf's gradient is dense)."""
    return dense_mm(mat1, mat2)


def sparse_sum(input, dim=None, dtype=None):
    """torch.sparse.sum: everything summed (a 0-d dense tensor), or the dims given: a dense
    tensor when they take every sparse dim, else a coalesced sparse one."""
    s = _coo(input)
    values = s._vals if dtype is None else s._vals.to(dtype)
    if dim is None:
        return values.sum()
    dims = sorted({dim_index(d, s.ndim) for d in (dim if isinstance(dim, (tuple, list)) else (dim,))})
    k = s.sparse_dim()
    dense_dims = tuple(d - k + 1 for d in dims if d >= k)
    if dense_dims:
        values = values.sum(dense_dims)
    keep = [d for d in range(k) if d not in dims]
    if not keep:
        return values.sum(0)
    shape = tuple(n for d, n in enumerate(s.shape) if d not in dims)
    index = Tensor(keep, device=s._ix.device).to(s._ix.dtype)
    return make_coo(s._ix.index_select(0, index), values, shape, False).coalesce()


def sparse_softmax(input, dim: int, dtype=None, *, log: bool = False) -> SparseCooTensor:
    """torch.sparse.softmax / log_softmax: over dim, the unspecified entries counting as -inf,
    so each group of entries that differ only in dim is normalized among itself; coalesced,
    the input's pattern. A sparse dim's groups are found on the host (they are data)."""
    s = _coo(input).coalesce()
    values = s._vals if dtype is None else s._vals.to(dtype)
    d, k = dim_index(dim, s.ndim), s.sparse_dim()
    if d >= k:
        out = values.log_softmax(d - k + 1) if log else values.softmax(d - k + 1)
    elif not s._nnz():
        out = values
    else:
        ix = s._ix.numpy()
        others = [r for r in range(k) if r != d]
        keys = np.ravel_multi_index(tuple(ix[others]), tuple(s.shape[r] for r in others)) if others else \
            np.zeros(ix.shape[1], np.int64)
        _, inverse = np.unique(keys, return_inverse=True)
        group = Tensor(inverse.reshape(-1).astype(np.int64), device=values.device)
        count = int(inverse.max()) + 1
        top = values.new_zeros((count,) + tuple(values.shape[1:])).index_reduce(0, group, values.detach(), "amax",
                                                                               include_self=False)
        shifted = values - top.index_select(0, group)
        total = values.new_zeros(top.shape).index_add(0, group, shifted.exp()).index_select(0, group)
        out = shifted - total.log() if log else shifted.exp() / total
    return make_coo(s._ix, out, s.shape, True)


def _sum_method(self, dim=None, keepdim: bool = False, dtype=None):
    if keepdim:
        raise unsupported("sum(keepdim=True)", self._layout_name)
    return sparse_sum(self, dim, dtype)


def _rmatmul(self, other) -> Tensor:
    return dense_times_sparse(other, self)


def _matmul(self, other) -> Tensor:
    return dense_mm(self, other, vector_ok=True)


for _cls in (SparseCooTensor, SparseCsrTensor):
    _cls.__matmul__ = _cls.matmul = _matmul
    _cls.mm = lambda self, mat2: dense_mm(self, mat2)
    _cls.__rmatmul__ = _rmatmul
    _cls.sum = _sum_method
    _cls.addmm = lambda self, mat1, mat2, *, beta=1, alpha=1: addmm(self, mat1, mat2, beta=beta, alpha=alpha)
SparseCooTensor.smm = smm
SparseCooTensor.sspaddmm = lambda self, mat1, mat2, *, beta=1, alpha=1: sspaddmm(self, mat1, mat2, beta=beta,
                                                                                 alpha=alpha)
