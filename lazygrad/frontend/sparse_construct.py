"""Making sparse tensors: torch.sparse_coo_tensor, torch.sparse_csr_tensor, and a dense
tensor's to_sparse / to_sparse_coo / to_sparse_csr / sparse_mask.

The indices are read on the host when a tensor is made: to infer a size not given, and to
check every index against the size. torch checks the bounds only with check_invariants=True
(without, an index out of range is undefined behaviour there); lazygrad always checks them,
as an entry out of range would otherwise land silently on another entry's position. The
ordering invariants of CSR (columns sorted and distinct in each row) are checked only with
check_invariants=True, as torch's.

A dense tensor's nonzero pattern is data too: to_sparse finds it on the host (np.nonzero),
then gathers the values with index_select, so gradients reach the dense tensor.
"""
from __future__ import annotations

import numpy as np

from lazygrad import dtypes
from lazygrad.frontend.sparse_coo import SparseCooTensor, linear_positions, make_coo
from lazygrad.frontend.sparse_csr import SparseCsrTensor, coo_to_csr, make_csr
from lazygrad.frontend.sparse_tensor import SparseBase, unsupported
from lazygrad.frontend.tensor import Tensor
from lazygrad.frontend.tensor_queries import sparse_coo, sparse_csr


def _as_tensor(data, dtype=None, device=None) -> Tensor:
    if isinstance(data, SparseBase):
        raise TypeError("expected a dense tensor of indices or values, got a sparse tensor")
    t = data if isinstance(data, Tensor) else Tensor(data, dtype=dtype, device=device)
    if dtype is not None and t.dtype != dtype:
        t = t.to(dtype)
    return t if device is None else t.to(device)


def _leaf_values(values: Tensor, requires_grad: bool) -> tuple[Tensor, bool]:
    """The tensor's own values: a leaf of their own (requires_grad=True, or values without
    history), else a view of values that keeps their history (the tensor is then no leaf)."""
    if values.requires_grad and not requires_grad:
        return values.view(tuple(values.shape)), True
    own = values.detach()
    if requires_grad:
        if not (own.dtype.is_float or own.dtype.kind == "complex"):
            raise RuntimeError("Only Tensors of floating point and complex dtype can require gradients")
        own.requires_grad_(True)
    return own, False


def sparse_coo_tensor(indices, values, size=None, *, dtype=None, device=None, pin_memory: bool = False,
                      requires_grad: bool = False, check_invariants: bool | None = None,
                      is_coalesced: bool | None = None) -> SparseCooTensor:
    """torch.sparse_coo_tensor: indices (sparse_dim x nnz) and values (nnz, *dense dims)."""
    values = _as_tensor(values, dtype, device)
    indices = _as_tensor(indices, device=values.device)
    if indices.dtype != dtypes.int64:
        indices = indices.to(dtypes.int64)
    ix = indices.numpy()
    nnz = int(values.shape[0]) if values.ndim else 1
    if values.ndim == 0:
        values = values.reshape(1)
    if ix.ndim == 1:
        raise RuntimeError(f"'len(size) == sparse_dim + dense_dim' is not satisfied: len(size) = "
                           f"{len(size) if size is not None else 1}, sparse_dim = {ix.shape[0]}, dense_dim = "
                           f"{values.ndim - 1}")
    if ix.ndim != 2:
        raise RuntimeError(f"indices must be sparse_dim x nnz, but got: {list(ix.shape)}")
    if ix.shape[1] != nnz:
        raise RuntimeError(f"indices and values must have same nnz, but got nnz from indices: {ix.shape[1]}, nnz "
                           f"from values: {nnz}")
    sparse_dim, dense = ix.shape[0], tuple(values.shape[1:])
    if size is None:
        sizes = tuple(int(m) + 1 for m in ix.max(axis=1)) if nnz else (0,) * sparse_dim
        if nnz and ix.min() < 0:
            raise RuntimeError(f"found negative index {int(ix.min())} for dim {int(np.argmin(ix.min(axis=1)))}")
        shape = sizes + dense
    else:
        shape = tuple(int(d) for d in (size if isinstance(size, (tuple, list)) or hasattr(size, "__len__")
                                       else (size,)))
        if len(shape) != sparse_dim + len(dense):
            raise RuntimeError(f"'len(size) == sparse_dim + dense_dim' is not satisfied: len(size) = {len(shape)}, "
                               f"sparse_dim = {sparse_dim}, dense_dim = {len(dense)}")
        if shape[sparse_dim:] != dense:
            raise RuntimeError(f"values has incorrect size, expected {[nnz, *shape[sparse_dim:]]}, got "
                               f"{[nnz, *dense]}")
        _check_bounds(ix, shape[:sparse_dim])
    own, derived = _leaf_values(values, requires_grad)
    coalesced = bool(is_coalesced) or nnz <= 1
    return make_coo(indices, own, shape, coalesced, derived=derived)


def _check_bounds(ix: np.ndarray, sizes: tuple[int, ...]) -> None:
    for d, n in enumerate(sizes):
        if ix.shape[1] == 0:
            return
        low, high = int(ix[d].min()), int(ix[d].max())
        if low < 0:
            raise RuntimeError(f"found negative index {low} for dim {d}")
        if high >= n:
            raise RuntimeError(f"size is inconsistent with indices: for dim {d}, size is {n} but found index {high}")


def sparse_csr_tensor(crow_indices, col_indices, values, size=None, *, dtype=None, device=None,
                      pin_memory: bool = False, requires_grad: bool = False,
                      check_invariants: bool | None = None) -> SparseCsrTensor:
    """torch.sparse_csr_tensor of a matrix (batched CSR raises SparseNotSupported)."""
    values = _as_tensor(values, dtype, device)
    crow = _as_tensor(crow_indices, device=values.device)
    col = _as_tensor(col_indices, device=values.device)
    if crow.ndim != 1 or col.ndim != 1:
        if crow.ndim > 1 and crow.ndim == col.ndim:
            raise unsupported("batched CSR (crow_indices with more than one dim)", "sparse_csr")
        raise RuntimeError(f"crow_indices and col_indices must have the same number of dimensions, and at least "
                           f"one, but got {crow.ndim} and {col.ndim}")
    if int(col.shape[0]) != int(values.shape[0] if values.ndim else 1):
        raise RuntimeError(f"col_indices and values must have the same number of elements, but got "
                           f"{col.shape[0]} and {values.shape[0] if values.ndim else 1}")
    if crow.dtype != col.dtype:
        raise RuntimeError(f"crow_indices and col_indices must have the same dtype, but got {crow.dtype} and "
                           f"{col.dtype}")
    c, k = crow.numpy().astype(np.int64), col.numpy().astype(np.int64)
    nnz = len(k)
    shape = (len(c) - 1, int(k.max()) + 1 if nnz else 0) if size is None else tuple(int(d) for d in size)
    if len(shape) != 2 + values.ndim - 1:
        raise unsupported(f"CSR of size {shape} (only matrices)", "sparse_csr")
    if len(c) == 0 or c[0] != 0:
        raise RuntimeError("`crow_indices[..., 0] == 0` is not satisfied.")
    if c[-1] != nnz:
        raise RuntimeError("`crow_indices[..., -1] == nnz` is not satisfied.")
    if np.any(np.diff(c) < 0) or np.any(np.diff(c) > shape[1]):
        raise RuntimeError("`0 <= crow_indices[..., 1:] - crow_indices[..., :-1] <= ncols` is not satisfied.")
    if nnz and (k.min() < 0 or k.max() >= shape[1]):
        raise RuntimeError("`0 <= col_indices < ncols` is not satisfied.")
    if check_invariants:
        rows = np.repeat(np.arange(len(c) - 1), np.diff(c))
        if nnz > 1 and np.any((np.diff(rows) == 0) & (np.diff(k) <= 0)):
            raise RuntimeError("`col_indices[..., crow_indices[..., i - 1]:crow_indices[..., i]] for all i = 1, "
                               "..., nrows are sorted and distinct along the last dimension values` is not "
                               "satisfied.")
    own, derived = _leaf_values(values, False)
    if requires_grad:
        raise unsupported("requires_grad=True (gradients of a CSR leaf)", "sparse_csr")
    return make_csr(crow.to(dtypes.int64), col.to(dtypes.int64), own, shape, derived=derived)


# ---- from a dense tensor -----------------------------------------------------------------------------
def dense_to_coo(x: Tensor, sparse_dim: int | None = None) -> SparseCooTensor:
    """The entries of x whose (dense part of the) value is not all zero, in row-major order."""
    n = x.ndim
    sparse_dim = n if sparse_dim is None else sparse_dim
    if sparse_dim == 0 and n > 0:
        raise RuntimeError("dense_to_sparse: sparse_dim argument must be in >0 when self.dim()>0")
    if not isinstance(sparse_dim, int) or not 0 <= sparse_dim <= n:
        raise RuntimeError(f"dense_to_sparse: sparse_dim argument must be in [0,{n}] range, but {sparse_dim} is given")
    sizes = tuple(x.shape[:sparse_dim])
    rows = int(np.prod(sizes)) if sizes else 1
    flat = x.reshape((rows,) + tuple(x.shape[sparse_dim:]))
    a = flat.detach().numpy().reshape(rows, -1)
    keep = np.nonzero(np.any(a != 0, axis=1))[0].astype(np.int64)
    ix = np.stack(np.unravel_index(keep, sizes)).astype(np.int64) if sizes else np.zeros((0, len(keep)), np.int64)
    values = flat.index_select(0, Tensor(keep, device=x.device)) if len(keep) else flat[:0]
    return make_coo(Tensor(ix, device=x.device), values, x.shape, True)


def to_sparse(self: Tensor, sparse_dim=None, *, layout=None, blocksize=None, dense_dim=None):
    """Tensor.to_sparse: COO by default, or the layout asked for."""
    if layout is None or layout is sparse_coo:
        if blocksize is not None or dense_dim is not None:
            raise RuntimeError("to_sparse: blocksize and dense_dim are for the compressed layouts")
        return dense_to_coo(self, sparse_dim)
    if sparse_dim is not None:
        raise RuntimeError("to_sparse: sparse_dim and layout cannot both be given")
    if layout is sparse_csr:
        return to_sparse_csr(self, dense_dim)
    raise unsupported(f"to_sparse(layout={layout!r})")


def to_sparse_coo(self: Tensor) -> SparseCooTensor:
    return dense_to_coo(self)


def to_sparse_csr(self: Tensor, dense_dim=None) -> SparseCsrTensor:
    if self.ndim != 2 or dense_dim:
        raise unsupported("to_sparse_csr of a tensor that is not a matrix (batched or hybrid CSR)", "sparse_csr")
    return coo_to_csr(dense_to_coo(self))


def _refuse(layout: str):
    def refused(self, *args, **kwargs):
        raise unsupported(f"to_sparse_{layout} (the {layout.upper()} layout)", f"sparse_{layout}")
    refused.__name__ = f"to_sparse_{layout}"
    return refused


def sparse_mask(self: Tensor, mask) -> SparseCooTensor:
    """The entries of self at mask's indices (mask's pattern as it is, duplicates and all)."""
    if isinstance(mask, SparseCsrTensor):
        return coo_to_csr(sparse_mask(self, mask.to_sparse_coo()))
    if not isinstance(mask, SparseCooTensor):
        raise RuntimeError("sparse_mask: expected mask to be a sparse COO tensor")  # noqa: TRY004 (torch's class)
    if tuple(mask.shape) != tuple(self.shape):
        raise RuntimeError(f"sparse_mask(): operands have incompatible sizes; self has size {list(self.shape)} but "
                           f"mask has size {list(mask.shape)}")
    sizes = tuple(self.shape[:mask.sparse_dim()])
    rows = int(np.prod(sizes)) if sizes else 1
    flat = self.reshape((rows,) + tuple(self.shape[mask.sparse_dim():]))
    from_self = flat.index_select(0, linear_positions(mask._ix, sizes)) if mask._nnz() else flat[:0]
    return make_coo(mask._ix, from_self, self.shape, mask.is_coalesced())


def _needs(layout: str, name: str):
    """A sparse-only method on a dense tensor: torch's RuntimeError naming the layout it needs."""
    def refused(self, *args, **kwargs):
        raise RuntimeError(f"{name} expected {layout} tensor layout but got Strided")
    refused.__name__ = name
    return refused


def _no_kernel(name: str):
    """A sparse-only method torch has no dense kernel of: its NotImplementedError."""
    def refused(self, *args, **kwargs):
        raise NotImplementedError(f"Could not run 'aten::{name}' with arguments from the 'CPU' backend: {name} is "
                                  "for sparse tensors")
    refused.__name__ = name
    return refused


def _smm(self, mat2):
    raise RuntimeError("tensor.sspaddmm(...) can only be called on sparse tensors")


_DENSE = {"coalesce": _needs("sparse coordinate", "coalesce"), "indices": _needs("sparse coordinate", "indices"),
          "is_coalesced": _needs("sparse coordinate", "is_coalesced"), "values": _needs("sparse", "values"),
          "crow_indices": _needs("sparse row compressed", "crow_indices"),
          "col_indices": _needs("sparse row compressed", "col_indices"),
          "ccol_indices": _needs("sparse column compressed", "ccol_indices"),
          "row_indices": _needs("sparse column compressed", "row_indices"),
          "sparse_dim": lambda self: 0, "dense_dim": lambda self: self.ndim, "_nnz": _no_kernel("_nnz"),
          "_indices": _no_kernel("_indices"), "_values": _no_kernel("_values"), "smm": _smm}
METHODS = {**_DENSE, "to_sparse": to_sparse, "to_sparse_coo": to_sparse_coo, "to_sparse_csr": to_sparse_csr,
           "sparse_mask": sparse_mask, "to_sparse_csc": _refuse("csc"), "to_sparse_bsr": _refuse("bsr"),
           "to_sparse_bsc": _refuse("bsc")}
__all__ = ["sparse_coo_tensor", "sparse_csr_tensor"]
