"""torch.* functions and dense Tensor methods for sparse tensors.

`install(Tensor, namespace)` runs in lazygrad/__init__.py after the complex guard and before
result_layouts (which must stay outermost). It adds the sparse constructors and torch's
sparse products to the namespace (sparse_coo_tensor, sparse_csr_tensor, spmm, hspmm, smm, sspaddmm, dsmm),
lets torch.mm / matmul / addmm and a dense tensor's mm / matmul take a sparse operand, gives
dense tensors to_sparse* and sparse_mask, and seals the sparse classes (sparse_tensor.py) once
every Tensor method exists, so each name they do not define raises SparseNotSupported.
"""
from __future__ import annotations

import functools

from lazygrad.frontend import sparse_construct, sparse_products
from lazygrad.frontend.sparse_coo import SparseCooTensor
from lazygrad.frontend.sparse_csr import SparseCsrTensor
from lazygrad.frontend.sparse_tensor import SparseBase, seal


def _taking_sparse(dense_fn, sparse_fn):
    """dense_fn, except that a sparse tensor among the first two arguments goes to sparse_fn."""
    @functools.wraps(dense_fn)
    def either(*args, **kwargs):
        for a in args[:3]:  # (a loop, not any(): this is on every dense matmul's path)
            if isinstance(a, SparseBase):
                return sparse_fn(*args, **kwargs)
        return dense_fn(*args, **kwargs)
    return either


_FUNCTIONS = {"mm": sparse_products.mm, "matmul": sparse_products.matmul, "addmm": sparse_products.addmm}
_METHODS = {"mm": sparse_products.mm, "matmul": sparse_products.matmul, "__matmul__": sparse_products.matmul}


def install(tensor_cls, namespace: dict) -> None:
    """See the module docstring (run once, after the complex guard)."""
    for name, fn in _FUNCTIONS.items():
        namespace[name] = _taking_sparse(namespace[name], fn)
    for name, fn in _METHODS.items():
        setattr(tensor_cls, name, _taking_sparse(getattr(tensor_cls, name), fn))
    for name, fn in sparse_construct.METHODS.items():
        setattr(tensor_cls, name, fn)
    namespace.update(sparse_coo_tensor=sparse_construct.sparse_coo_tensor,
                     sparse_csr_tensor=sparse_construct.sparse_csr_tensor, spmm=sparse_products.mm,
                     hspmm=sparse_products.hspmm, dsmm=sparse_products.dsmm, smm=sparse_products.smm,
                     sspaddmm=sparse_products.sspaddmm)
    seal(SparseCooTensor)
    seal(SparseCsrTensor)
