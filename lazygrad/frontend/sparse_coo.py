"""SparseCooTensor: torch's sparse_coo layout, an int64 indices tensor (sparse_dim x nnz) and a
values tensor (nnz, *dense dims), each an ordinary lazygrad tensor.

Everything that computes is written in ordinary ops on those two, so autograd and the devices
see nothing new: to_dense is an index_add of the values into zeros at each entry's linear
position, a product with a dense matrix is a gather of the dense rows by column index, scaled
by the values and index_added into the output rows (sparse_products.py). Duplicate entries
stay until coalesce(), which sums them (index_add again) and sorts the indices; which entries
are duplicates depends on the data, so coalesce reads the indices on the host (as the nnz of
its result is a shape).

Gradients follow torch: the values of a leaf are a leaf of their own (a tensor made with
requires_grad, or after requires_grad_()), and S.grad is the sparse tensor of their gradient
on S's coalesced pattern; a tensor built from values that require grad passes gradients
back to them.
"""
from __future__ import annotations

import numpy as np

from lazygrad import dtypes
from lazygrad.frontend.sparse_tensor import SparseBase, dim_index, unsupported
from lazygrad.frontend.tensor import Tensor
from lazygrad.frontend.tensor_queries import sparse_coo


def make_coo(indices: Tensor, values: Tensor, shape, coalesced: bool = False, derived: bool = True) -> SparseCooTensor:
    """The COO tensor of these parts, as they are (no checks: the constructors check)."""
    s = object.__new__(SparseCooTensor)
    s.__dict__.update(_ix=indices, _vals=values, _shape=tuple(int(d) for d in shape), _coalesced=bool(coalesced),
                      _derived=derived)
    return s


def linear_positions(indices: Tensor, shape) -> Tensor:
    """Each entry's row-major position among the sparse dims (lazy: no host read)."""
    strides, step = [], 1
    for d in reversed(shape):
        strides.append(step)
        step *= d
    strides = strides[::-1]
    if not strides:
        return indices.new_zeros((indices.shape[1],))
    weights = Tensor(np.array(strides, dtype=np.int64), device=indices.device).reshape(-1, 1)
    return (indices * weights).sum(0)


def _merge(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """torch's sparse + sparse: one pass over both entry lists as if each were sorted, taking
    the smaller head (a's first on a tie, when the two heads are summed into one entry). On
    coalesced inputs that is the coalesced sum; on others, torch's own uncoalesced order,
    which an embedding's accumulated gradient shows. Returns the merged positions and where
    each entry of a and of b went."""
    out, to_a, to_b = [], np.empty(len(a), np.int64), np.empty(len(b), np.int64)
    i = j = 0
    while i < len(a) or j < len(b):
        take_a = j >= len(b) or (i < len(a) and a[i] <= b[j])
        take_b = i >= len(a) or (j < len(b) and b[j] <= a[i])
        if take_a:
            to_a[i] = len(out)
            i += 1
        if take_b:
            to_b[j] = len(out)
            j += 1
        out.append(a[i - 1] if take_a else b[j - 1])
    return np.array(out, np.int64), to_a, to_b


class SparseCooTensor(SparseBase):
    """torch.sparse_coo (see the module docstring): only the methods defined here compute."""

    _layout_name = "sparse_coo"

    # ---- what it is ------------------------------------------------------------------------------
    @property
    def layout(self):
        return sparse_coo

    @property
    def is_sparse(self) -> bool:
        return True

    @property
    def is_sparse_csr(self) -> bool:
        return False

    def sparse_dim(self) -> int:
        return int(self._ix.shape[0])

    def dense_dim(self) -> int:
        return self._vals.ndim - 1

    def _nnz(self) -> int:
        return int(self._vals.shape[0])

    def is_coalesced(self) -> bool:
        return self._coalesced

    def _indices(self) -> Tensor:
        return self._ix

    def _values(self) -> Tensor:
        return self._vals

    def indices(self) -> Tensor:
        if not self._coalesced:
            raise RuntimeError("Cannot get indices on an uncoalesced tensor, please call .coalesce() first")
        return self._ix

    def values(self) -> Tensor:
        if not self._coalesced:
            raise RuntimeError("Cannot get values on an uncoalesced tensor, please call .coalesce() first")
        return self._vals

    # ---- autograd --------------------------------------------------------------------------------
    def requires_grad_(self, requires_grad: bool = True) -> SparseCooTensor:
        if self.__dict__.get("_derived") and self._vals.requires_grad:
            if not requires_grad:
                raise RuntimeError("you can only change requires_grad flags of leaf variables.")
            return self
        self._vals.requires_grad_(requires_grad)
        self.__dict__["_derived"] = False  # its values are now a leaf of their own, so it is one
        return self

    @property
    def requires_grad(self) -> bool:
        return self._vals.requires_grad

    @requires_grad.setter
    def requires_grad(self, value: bool) -> None:
        self.requires_grad_(value)

    @property
    def grad(self):
        """torch's gradient of a sparse leaf: sparse on its coalesced pattern (sparse.mm,
        to_dense), dense where the op was torch.mm or @ (their gradient is dense in torch);
        both at once add up to a dense one, as torch's accumulation does."""
        g = self._vals.grad
        sparse = None if g is None else self._on_pattern(g)
        sink = self.__dict__.get("_sink")
        dense = None if sink is None else sink.grad
        if dense is None:
            return sparse
        return dense if sparse is None else dense + sparse.to_dense()

    def _on_pattern(self, g: Tensor) -> SparseCooTensor:
        """A values' gradient as torch gives it: on the coalesced pattern, each position once
        (duplicates share one gradient: it is the loss's derivative at that position), and
        flagged uncoalesced, as torch's is."""
        keys, _ = self._keys()
        _, first = np.unique(keys, return_index=True)
        ix = self._ix.index_select(1, Tensor(first.astype(np.int64), device=self._ix.device))
        return make_coo(ix, g.index_select(0, Tensor(first.astype(np.int64), device=g.device)), self._shape, False)

    def _keys(self) -> tuple[np.ndarray, tuple[int, ...]]:
        """Each entry's row-major position among the sparse dims, read on the host."""
        sdims = self._shape[:self.sparse_dim()]
        ix = self._ix.numpy()
        return (np.ravel_multi_index(tuple(ix), sdims) if ix.size else np.zeros(ix.shape[1], np.int64)), sdims

    @grad.setter
    def grad(self, value) -> None:
        if value is not None:
            raise unsupported("assigning .grad", self._layout_name)
        self._vals.grad = None
        sink = self.__dict__.get("_sink")
        if sink is not None:
            sink.grad = None

    def zero_(self) -> SparseCooTensor:
        """In place: no entries left (torch's sparse zero_, which zero_grad(set_to_none=False) runs)."""
        self.__dict__.update(_ix=self._ix.new_zeros((self.sparse_dim(), 0)),
                             _vals=self._vals.detach().new_zeros((0,) + tuple(self._vals.shape[1:])), _coalesced=True)
        return self

    def detach(self) -> SparseCooTensor:
        return make_coo(self._ix, self._vals.detach(), self._shape, self._coalesced, derived=False)

    def clone(self, memory_format=None) -> SparseCooTensor:
        return make_coo(self._ix.clone(), self._vals.clone(), self._shape, self._coalesced)

    def realize(self) -> SparseCooTensor:
        self._ix.realize()
        self._vals.realize()
        return self

    # ---- conversions -----------------------------------------------------------------------------
    def coalesce(self) -> SparseCooTensor:
        """Duplicates summed, indices sorted row-major (read on the host: the result's nnz is
        a shape); differentiable in the values."""
        if self._coalesced:
            return self
        keys, sdims = self._keys()
        unique, inverse = np.unique(keys, return_inverse=True)
        new_ix = np.stack(np.unravel_index(unique, sdims)).astype(np.int64) if sdims else np.zeros((0, len(unique)),
                                                                                                   np.int64)
        device = self._vals.device
        values = self._vals.new_zeros((len(unique),) + tuple(self._vals.shape[1:]))
        if len(keys):
            values = values.index_add(0, Tensor(inverse.reshape(-1).astype(np.int64), device=device), self._vals)
        return make_coo(Tensor(new_ix, device=device), values, self._shape, True)

    def to_dense(self, dtype=None, *, masked_grad=None) -> Tensor:
        values = self._vals if dtype is None else self._vals.to(dtype)
        sdims = self._shape[:self.sparse_dim()]
        rows = 1
        for d in sdims:
            rows *= d
        flat = values.new_zeros((rows,) + tuple(values.shape[1:]))
        if self._nnz():
            flat = flat.index_add(0, linear_positions(self._ix, sdims), values)
        return flat.reshape(self._shape)

    def to_sparse(self, sparse_dim=None, *, layout=None, blocksize=None, dense_dim=None):
        if layout is not None and layout is not sparse_coo:
            return self._to_layout(layout, blocksize, dense_dim)
        if sparse_dim is not None and sparse_dim != self.sparse_dim():
            raise RuntimeError(f"to_sparse: conversion from Sparse to Sparse with sparse_dim argument != "
                               f"self.sparse_dim() is not supported (got {sparse_dim}, have {self.sparse_dim()})")
        return self

    def to_sparse_coo(self) -> SparseCooTensor:
        return self

    def _to_layout(self, layout, blocksize, dense_dim):
        raise unsupported(f"to_sparse(layout={layout!r})", self._layout_name)

    def to(self, *args, **kwargs) -> SparseCooTensor:
        """A dtype and/or a device: the values (and indices) moved; copy and non_blocking as torch's."""
        dtype = kwargs.pop("dtype", None)
        device = kwargs.pop("device", None)
        kwargs.pop("non_blocking", None)
        copy = kwargs.pop("copy", False)
        if kwargs:
            raise TypeError(f"to() got an unexpected keyword argument '{next(iter(kwargs))}'")
        for a in args:
            if isinstance(a, dtypes.DType):
                dtype = a
            elif isinstance(a, Tensor):
                dtype, device = a.dtype, a.device
            elif isinstance(a, bool):
                continue
            else:
                device = a
        values, ix = self._vals, self._ix
        if device is not None:
            values, ix = values.to(device), ix.to(device)
        if dtype is not None:
            values = values.to(dtype)
        if values is self._vals and ix is self._ix and not copy:
            return self
        return make_coo(ix, values, self._shape, self._coalesced)

    def type(self, dtype=None, non_blocking: bool = False):
        if dtype is None:
            raise unsupported("Tensor.type() (the type name)", self._layout_name)
        return self.to(dtype)

    def float(self) -> SparseCooTensor:
        return self.to(dtypes.float32)

    def double(self) -> SparseCooTensor:
        return self.to(dtypes.float64)

    def half(self) -> SparseCooTensor:
        return self.to(dtypes.float16)

    def long(self) -> SparseCooTensor:
        return self.to(dtypes.int64)

    def int(self) -> SparseCooTensor:
        return self.to(dtypes.int32)

    def bool(self) -> SparseCooTensor:
        return self.to(dtypes.bool_)

    # ---- shape ---------------------------------------------------------------------------------------
    def transpose(self, dim0: int, dim1: int) -> SparseCooTensor:
        """Two sparse dims swapped (their index rows; the result is not coalesced, as torch's)."""
        n = self.ndim
        a, b = dim_index(dim0, n), dim_index(dim1, n)
        if a == b:
            return self
        if a >= self.sparse_dim() or b >= self.sparse_dim():
            raise unsupported("transpose of a dense dim of a hybrid tensor", self._layout_name)
        order = list(range(self.sparse_dim()))
        order[a], order[b] = order[b], order[a]
        shape = list(self._shape)
        shape[a], shape[b] = shape[b], shape[a]
        ix = self._ix[Tensor(np.array(order, dtype=np.int64), device=self._ix.device)]
        return make_coo(ix, self._vals, shape, False)

    swapaxes = swapdims = transpose

    def t(self) -> SparseCooTensor:
        if self.ndim > 2:
            raise RuntimeError(f"t() expects a tensor with <= 2 sparse and 0 dense dimensions, but self is "
                               f"{self.sparse_dim()} sparse and {self.dense_dim()} dense dimensions")
        return self.transpose(0, 1) if self.ndim == 2 else self

    # ---- arithmetic that keeps the pattern ---------------------------------------------------------
    def _with_values(self, values: Tensor) -> SparseCooTensor:
        return make_coo(self._ix, values, self._shape, self._coalesced)

    def __neg__(self) -> SparseCooTensor:
        return self._with_values(-self._vals)

    neg = negative = __neg__

    def mul(self, other) -> SparseCooTensor:
        """By a number (or a 0-d dense tensor): the values scaled."""
        if isinstance(other, SparseBase) or (isinstance(other, Tensor) and other.ndim):
            raise unsupported("mul of a sparse tensor by a tensor", self._layout_name)
        return self._with_values(self._vals * other)

    __mul__ = __rmul__ = multiply = mul

    def div(self, other) -> SparseCooTensor:
        if isinstance(other, SparseBase) or (isinstance(other, Tensor) and other.ndim):
            raise unsupported("div of a sparse tensor by a tensor", self._layout_name)
        return self._with_values(self._vals / other)

    __truediv__ = divide = div

    def add(self, other, *, alpha=1) -> SparseCooTensor:
        """Sparse + sparse of one shape: the entry lists merged as torch merges them (`_merge`;
        coalesced when both were)."""
        if not isinstance(other, SparseCooTensor):
            if isinstance(other, Tensor):
                raise RuntimeError(  # noqa: TRY004 (torch's class)
                    "add(sparse, dense) is not supported. Use add(dense, sparse) instead.")
            raise unsupported("add of a sparse tensor and a number", self._layout_name)
        if tuple(other._shape) != tuple(self._shape):
            raise RuntimeError(f"add: expected 'self' and 'other' to have same size, but self has size "
                               f"{list(self._shape)} while other has size {list(other._shape)} (FYI: op2-sparse "
                               "addition does not currently support broadcasting)")
        if other.sparse_dim() != self.sparse_dim():
            raise unsupported("add of sparse tensors with different sparse dims", self._layout_name)
        theirs = other._vals * alpha if alpha != 1 else other._vals
        dtype = dtypes.promote_types(self.dtype, theirs.dtype)
        mine, theirs = self._vals.to(dtype), theirs.to(dtype).to(self._vals.device)
        keys, sdims = self._keys()
        merged, to_mine, to_theirs = _merge(keys, other._keys()[0])
        device = self._vals.device
        ix = np.stack(np.unravel_index(merged, sdims)).astype(np.int64) if sdims else np.zeros((0, len(merged)),
                                                                                              np.int64)
        values = mine.new_zeros((len(merged),) + tuple(mine.shape[1:]))
        for dest, part in ((to_mine, mine), (to_theirs, theirs)):
            if len(dest):
                values = values.index_add(0, Tensor(dest, device=device), part)
        return make_coo(Tensor(ix.reshape(len(sdims), -1), device=device), values, self._shape,
                        self._coalesced and other._coalesced)

    __add__ = add

    def sub(self, other, *, alpha=1) -> SparseCooTensor:
        return self.add(other, alpha=-alpha)

    __sub__ = subtract = sub

    # ---- text ------------------------------------------------------------------------------------
    def __repr__(self) -> str:
        """torch's text: the indices, the values, then size, nnz, dtype and layout."""
        return self._text([("indices", self._ix), ("values", self._vals)], newline=True)

    __str__ = __repr__
