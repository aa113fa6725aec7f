"""What every sparse tensor shares: a whitelist over Tensor, so no dense op reads it by mistake.

A sparse tensor (sparse_coo.py, sparse_csr.py) is a Tensor subclass whose data are ordinary
lazygrad tensors (int64 indices and a values tensor), never a dense buffer of its own shape.
The danger is a silent wrong answer: a Tensor method inherited unchanged would compute on
nothing, or on the values as if they were the tensor. So, as ComplexTensor does, a sparse
tensor answers only the names its classes define: every other attribute of Tensor raises
SparseNotSupported (a NotImplementedError, torch's class for an op a sparse layout lacks)
naming the op, `__getattribute__` for names looked up on the instance, a raising stub for
every operator dunder Python finds on the type, and `node`, so internal code handed a sparse
tensor stops instead of reading it.
"""
from __future__ import annotations

from lazygrad import dtypes
from lazygrad.frontend.defaults import get_default_device, get_default_dtype
from lazygrad.frontend.size import Size
from lazygrad.frontend.tensor import Tensor
from lazygrad.frontend.tensor_print import _with_suffixes, tensor_repr


class SparseNotSupported(NotImplementedError):
    """An op lazygrad has not written for a sparse layout (torch raises NotImplementedError,
    "Could not run ... with arguments from the 'SparseCPU' backend", for most of them)."""


def unsupported(what: str, layout: str = "sparse") -> SparseNotSupported:
    return SparseNotSupported(
        f"{what} is not implemented for {layout} tensors in lazygrad: sparse support covers construction, "
        "conversion to and from dense, coalesce, sums and products with dense matrices (see "
        "docs/differences-from-torch.md); "
        "call .to_dense() first")


def dim_index(d: int, n: int) -> int:
    """d counted from the front, torch's IndexError when out of range for n dims."""
    lo, hi = (-n, n - 1) if n else (-1, 0)
    if not isinstance(d, int) or isinstance(d, bool):
        raise TypeError(f"dim must be an int, got {type(d).__name__}")
    if not lo <= d <= hi:
        raise IndexError(f"Dimension out of range (expected to be in range of [{lo}, {hi}], but got {d})")
    return d % n if n else 0


def indent(text: str, by: int) -> str:
    return text.replace("\n", "\n" + " " * by)


class SparseBase(Tensor):
    """Shape, dtype, device and autograd flags of a sparse tensor; the layouts add their data."""

    _own: frozenset = frozenset()
    _layout_name = "sparse"

    def __init__(self, *args, **kwargs):
        raise TypeError("make sparse tensors with lg.sparse_coo_tensor, lg.sparse_csr_tensor or x.to_sparse()")

    def __getattribute__(self, name: str):
        if name[:2] == "__" or name in type(self)._own:
            return object.__getattribute__(self, name)
        if hasattr(Tensor, name):
            raise unsupported(f"Tensor.{name}", object.__getattribute__(self, "_layout_name"))
        return object.__getattribute__(self, name)

    @property
    def node(self):
        raise unsupported("this op", self._layout_name)

    # ---- what it is ---------------------------------------------------------------------------
    @property
    def shape(self) -> Size:
        return Size(self._shape)

    def size(self, dim: int | None = None):
        return self.shape if dim is None else self._shape[dim_index(dim, len(self._shape))]

    @property
    def ndim(self) -> int:
        return len(self._shape)

    def dim(self) -> int:
        return self.ndim

    ndimension = dim

    def numel(self) -> int:
        n = 1
        for s in self._shape:
            n *= s
        return n

    nelement = numel

    def __len__(self) -> int:
        if not self._shape:
            raise TypeError("len() of a 0-d tensor")
        return self._shape[0]

    @property
    def dtype(self):
        return self._vals.dtype

    @property
    def device(self):
        return self._vals.device

    @property
    def is_cuda(self) -> bool:
        return False

    def is_floating_point(self) -> bool:
        return self._vals.dtype.is_float

    def is_complex(self) -> bool:
        return False

    def element_size(self) -> int:
        return self._vals.dtype.itemsize

    def get_device(self) -> int:
        return -1

    @property
    def is_meta(self) -> bool:
        return False

    @property
    def is_quantized(self) -> bool:
        return False

    @property
    def is_nested(self) -> bool:
        return False

    def is_contiguous(self, memory_format=None) -> bool:
        raise RuntimeError(f"Tensors of type {type(self).__name__}Impl do not have is_contiguous")

    # ---- autograd: the values' -----------------------------------------------------------------
    @property
    def requires_grad(self) -> bool:
        return self._vals.requires_grad

    @property
    def is_leaf(self) -> bool:
        return not self._vals.requires_grad or not self.__dict__.get("_derived", False)

    @property
    def grad_fn(self):
        return self._vals.grad_fn if self.__dict__.get("_derived", False) else None

    def __hash__(self) -> int:
        return id(self)

    def __bool__(self) -> bool:
        raise unsupported("bool() (is_nonzero)", self._layout_name)

    def __format__(self, spec: str) -> str:
        if spec:
            raise unsupported("format() with a spec", self._layout_name)
        return repr(self)

    def cpu(self):
        return self

    def _text(self, parts: list[tuple[str, Tensor]], newline: bool) -> str:
        """torch's text of a sparse tensor: each part as `name=tensor(...)` on its own line, then
        the device (where not the default), size, nnz, a dtype other than the defaults, the
        layout and the autograd state, wrapped at linewidth (COO's start on a new line)."""
        body = ",\n       ".join(f"{name}=" + indent(_inner(t), len(name) + 8) for name, t in parts)
        suffixes = [] if self.device == get_default_device() else [f"device='{self.device}'"]
        suffixes += [f"size={tuple(self._shape)}", f"nnz={int(self._vals.shape[0])}"]
        if self.dtype not in (get_default_dtype(), dtypes.int64, dtypes.bool_):
            suffixes.append(f"dtype={self.dtype}")
        suffixes.append(f"layout={self.layout!r}")
        if self.grad_fn is not None:
            suffixes.append(f"grad_fn=<{self.grad_fn.name().rsplit('::', 1)[-1]}>")
        elif self.requires_grad:
            suffixes.append("requires_grad=True")
        if newline:
            body, suffixes = body + ",\n       " + suffixes[0], suffixes[1:]
        return _with_suffixes("tensor(" + body, suffixes, 7)


def _inner(t: Tensor) -> str:
    """An index or values tensor inside a sparse tensor's text: no suffixes but an empty one's size."""
    text = tensor_repr(t, bare=True)
    return text[:-1] + f", size={tuple(t.shape)})" if t.numel() == 0 else text


_KEEP = {"__init__", "__new__", "__getattribute__", "__setattr__", "__delattr__", "__dir__", "__init_subclass__",
         "__subclasshook__", "__class_getitem__", "__sizeof__", "__eq__", "__ne__", "__reduce_ex__", "__reduce__",
         "__getstate__", "__class__", "__doc__", "__module__", "__dict__", "__weakref__"}


def _stub(name: str, layout: str):
    def refused(self, *args, **kwargs):
        raise unsupported(f"Tensor.{name}", layout)
    refused.__name__ = refused.__qualname__ = name
    return refused


def seal(cls) -> None:
    """Give cls a raising stub for every operator dunder Tensor has and cls does not define,
    and record the names cls answers itself (run once all its methods are defined, again
    after Tensor gains methods)."""
    own = set()
    for klass in cls.__mro__:
        if klass is Tensor:
            break
        own.update(n for n in vars(klass) if n[:2] != "__")
    defined = {n for klass in cls.__mro__[:cls.__mro__.index(Tensor)] for n in vars(klass)}
    for name in dir(Tensor):
        if name[:2] == "__" and name not in defined and name not in _KEEP \
                and callable(getattr(Tensor, name, None)) and getattr(object, name, None) is not getattr(Tensor, name):
            setattr(cls, name, _stub(name, cls._layout_name))
    own.update({"_shape", "_vals", "_ix", "_coalesced", "_crow", "_col", "_sink", "_derived"})
    cls._own = frozenset(own)
