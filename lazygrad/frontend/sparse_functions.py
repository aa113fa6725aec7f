"""torch.* functions and dense Tensor methods for sparse tensors.

`install(Tensor, namespace)` runs in lazygrad/__init__.py after the complex guard and before
result_layouts (which must stay outermost). It adds the sparse constructors and torch's
sparse products to the namespace (sparse_coo_tensor, sparse_csr_tensor, spmm, hspmm, smm, sspaddmm, dsmm),
lets torch.mm / matmul / addmm and a dense tensor's mm / matmul take a sparse operand, and
torch.add / sub and a dense tensor's add / sub (+, -, +=, -=, add_) take a sparse other, gives
dense tensors to_sparse* and sparse_mask, and seals the sparse classes (sparse_tensor.py) once
every Tensor method exists, so each name they do not define raises SparseNotSupported.
"""
from __future__ import annotations

import functools

from lazygrad.frontend import sparse_construct, sparse_products
from lazygrad.frontend.sparse_coo import SparseCooTensor
from lazygrad.frontend.sparse_csr import SparseCsrTensor
from lazygrad.frontend.sparse_tensor import SparseBase, seal, unsupported
from lazygrad.frontend.tensor import Tensor


def _taking_sparse(dense_fn, sparse_fn):
    """dense_fn, except that a sparse tensor among the first two arguments goes to sparse_fn."""
    @functools.wraps(dense_fn)
    def either(*args, **kwargs):
        for a in args[:3]:  # (a loop, not any(): this is on every dense matmul's path)
            if isinstance(a, SparseBase):
                return sparse_fn(*args, **kwargs)
        return dense_fn(*args, **kwargs)
    return either


def _densifying(dense_fn):
    """dense_fn (add or sub of a dense tensor and another), where a sparse `other` is read as its
    dense value: torch's dense + sparse, dense.add(sparse, alpha=2), dense -= sparse give a dense
    result (a sparse first operand still goes to the sparse method, which refuses as torch's)."""
    @functools.wraps(dense_fn)
    def either(*args, **kwargs):
        if len(args) > 1 and isinstance(args[1], SparseBase) and not isinstance(args[0], SparseBase):
            args = (args[0], args[1].to_dense(), *args[2:])
        elif isinstance(kwargs.get("other"), SparseBase) and args and not isinstance(args[0], SparseBase):
            kwargs = {**kwargs, "other": kwargs["other"].to_dense()}
        return dense_fn(*args, **kwargs)
    return either


def _reflected(op: str):
    """sparse.__radd__ / __rsub__: Python asks the right operand first when its class derives
    from the left's (a sparse tensor's from Tensor), so dense + sparse lands here."""
    def reflected(self, other):
        if isinstance(other, SparseBase):
            raise unsupported(f"Tensor.__r{op}__ with a {type(other).__name__}", self._layout_name)
        if not isinstance(other, Tensor):  # a number: torch's errors, word for word
            raise RuntimeError(  # noqa: TRY004 (torch's class)
                "add(sparse, dense) is not supported. Use add(dense, sparse) instead." if op == "add"
                else "add: expected 'self' and 'other' to have same size, but self has size [] while other has "
                     f"size {list(self.shape)} (FYI: dense-sparse addition does not currently support broadcasting)")
        return getattr(other, op)(self.to_dense())
    reflected.__name__ = reflected.__qualname__ = f"__r{op}__"
    return reflected


_DENSE_WITH_SPARSE = ("add", "sub", "subtract")  # functions and methods (with __op__, op_ and __iop__)
_FUNCTIONS = {"mm": sparse_products.mm, "matmul": sparse_products.matmul, "addmm": sparse_products.addmm}
_METHODS = {"mm": sparse_products.mm, "matmul": sparse_products.matmul, "__matmul__": sparse_products.matmul}


def install(tensor_cls, namespace: dict) -> None:
    """See the module docstring (run once, after the complex guard)."""
    for name, fn in _FUNCTIONS.items():
        namespace[name] = _taking_sparse(namespace[name], fn)
    for name, fn in _METHODS.items():
        setattr(tensor_cls, name, _taking_sparse(getattr(tensor_cls, name), fn))
    for name in _DENSE_WITH_SPARSE:
        namespace[name] = _densifying(namespace[name])
        for method in (name, f"{name}_", f"__{name}__", f"__i{name}__"):
            if hasattr(tensor_cls, method):
                setattr(tensor_cls, method, _densifying(getattr(tensor_cls, method)))
    for name, fn in sparse_construct.METHODS.items():
        setattr(tensor_cls, name, fn)
    namespace.update(sparse_coo_tensor=sparse_construct.sparse_coo_tensor,
                     sparse_csr_tensor=sparse_construct.sparse_csr_tensor, spmm=sparse_products.mm,
                     hspmm=sparse_products.hspmm, dsmm=sparse_products.dsmm, smm=sparse_products.smm,
                     sspaddmm=sparse_products.sspaddmm)
    for cls in (SparseCooTensor, SparseCsrTensor):
        cls.__radd__, cls.__rsub__ = _reflected("add"), _reflected("sub")
    seal(SparseCooTensor)
    seal(SparseCsrTensor)
