"""ComplexTensor: a complex64/complex128 tensor, held as the real tensor torch.view_as_real gives.

The primitive op set is real-only (DESIGN.md), so a complex tensor of shape S is a Tensor whose
data is `_pair`, a real tensor of shape S + (2,) in the part dtype (float32 for complex64):
[..., 0] the real parts, [..., 1] the imaginary parts. view_as_real and view_as_complex are
views of that pair, so an in-place write through either shows in both, as in torch. Every
complex op is written here or in complex_ops.py in real ops on the pair, so gradients come from
the real graph: the pair's gradient is (dL/dRe, dL/dIm), which is exactly torch's gradient of a
complex leaf for a real loss (the conjugate Wirtinger convention).

The danger is a silent wrong answer: a Tensor method inherited unchanged would compute on the
float pairs. So a ComplexTensor is a whitelist. Every attribute of Tensor that this class does
not define itself raises ComplexNotSupported (a NotImplementedError, so a RuntimeError, naming
the op): `__getattribute__` for names looked up on the instance (methods installed on Tensor
later included), and a raising stub for every operator dunder (Python finds those on the type).
`node` raises too, so internal code handed a complex tensor stops instead of reading the pair.
"""
from __future__ import annotations

import numpy as np

from lazygrad.frontend.complex_dtypes import complex_of, unsupported
from lazygrad.frontend.size import Size
from lazygrad.frontend.tensor import Tensor
from lazygrad.frontend.tensor_print import tensor_repr


def _dim(d: int, n: int, name: str = "dim") -> int:
    """d counted from the front, torch's IndexError when out of range for n dims."""
    lo, hi = (-n, n - 1) if n else (-1, 0)
    if not isinstance(d, int) or isinstance(d, bool):
        raise TypeError(f"{name} must be an int, got {type(d).__name__}")
    if not lo <= d <= hi:
        raise IndexError(f"Dimension out of range (expected to be in range of [{lo}, {hi}], but got {d})")
    return d % n if n else 0


def _dims(dims, n: int) -> tuple[int, ...]:
    if len(dims) == 1 and isinstance(dims[0], (tuple, list)):
        dims = tuple(dims[0])
    return tuple(_dim(d, n) for d in dims)


def wrap(pair: Tensor) -> ComplexTensor:
    """The complex tensor whose data is pair (real, shape (..., 2), float32 or float64)."""
    z = object.__new__(ComplexTensor)
    z.__dict__["_pair"] = pair
    return z


class ComplexTensor(Tensor):
    """A complex tensor (see the module docstring): only the methods defined here compute."""

    def __init__(self, *args, **kwargs):
        raise TypeError("make complex tensors with lg.tensor, lg.complex, lg.polar or lg.view_as_complex")

    def __getattribute__(self, name: str):
        if name[:2] == "__" or name in _OWN:
            return object.__getattribute__(self, name)
        if hasattr(Tensor, name):
            raise unsupported(f"Tensor.{name}")
        return object.__getattribute__(self, name)

    @property
    def node(self):
        raise unsupported("this op")

    # ---- what it is --------------------------------------------------------------------------
    @property
    def shape(self) -> Size:
        return Size(self._pair.shape[:-1])

    def size(self, dim: int | None = None):
        shape = self.shape
        return shape if dim is None else shape[_dim(dim, len(shape))]

    @property
    def ndim(self) -> int:
        return len(self._pair.shape) - 1

    def dim(self) -> int:
        return self.ndim

    ndimension = dim

    def numel(self) -> int:
        return self._pair.numel() // 2

    nelement = numel

    def __len__(self) -> int:
        if self.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self.shape[0]

    @property
    def dtype(self):
        return complex_of(self._pair.dtype)

    @property
    def device(self):
        return self._pair.device

    @property
    def is_cuda(self) -> bool:
        return False

    @property
    def is_meta(self) -> bool:
        return self._pair.is_meta

    def stride(self, dim: int | None = None):
        strides = tuple(s // 2 for s in self._pair.stride()[:-1])
        return strides if dim is None else strides[_dim(dim, len(strides))]

    def is_contiguous(self, memory_format=None) -> bool:
        return self._pair.is_contiguous()

    def is_complex(self) -> bool:
        return True

    def is_floating_point(self) -> bool:
        return False

    def element_size(self) -> int:
        return self.dtype.itemsize

    # ---- autograd: the pair's ------------------------------------------------------------------
    @property
    def requires_grad(self) -> bool:
        return self._pair.requires_grad

    @requires_grad.setter
    def requires_grad(self, value: bool) -> None:
        self._pair.requires_grad = value

    def requires_grad_(self, requires_grad: bool = True) -> ComplexTensor:
        self._pair.requires_grad_(requires_grad)
        return self

    @property
    def is_leaf(self) -> bool:
        return self._pair.is_leaf

    @property
    def grad_fn(self):
        return self._pair.grad_fn

    @property
    def grad(self):
        g = self._pair.grad
        return None if g is None else wrap(g)

    @grad.setter
    def grad(self, value) -> None:
        self._pair.grad = None if value is None else value._pair

    def retain_grad(self) -> None:
        self._pair.retain_grad()

    def backward(self, gradient=None, retain_graph=None, create_graph: bool = False, inputs=None) -> None:
        """With a complex gradient g: the pair's backward with (Re g, Im g), torch's convention
        (the gradient of a complex tensor is dL/dRe + i dL/dIm)."""
        if gradient is None:
            raise RuntimeError("grad can be implicitly created only for real scalar outputs")
        if not isinstance(gradient, ComplexTensor):
            raise unsupported("backward with a real gradient for a complex tensor")
        self._pair.backward(gradient._pair, retain_graph=retain_graph, create_graph=create_graph, inputs=inputs)

    def detach(self) -> ComplexTensor:
        return wrap(self._pair.detach())

    def clone(self, memory_format=None) -> ComplexTensor:
        return wrap(self._pair.clone())

    def contiguous(self, memory_format=None) -> ComplexTensor:
        return wrap(self._pair.contiguous())

    def realize(self) -> ComplexTensor:
        self._pair.realize()
        return self

    # ---- values on the host -------------------------------------------------------------------
    def numpy(self, force: bool = False) -> np.ndarray:
        pair = np.ascontiguousarray(self._pair.numpy(force=force) if force else self._pair.numpy())
        return pair.view(self.dtype.np)[..., 0]

    def __array__(self, dtype=None, copy=None):
        a = self.numpy()
        return a if dtype is None else a.astype(dtype)

    def item(self) -> complex:
        if self.numel() != 1:
            raise RuntimeError(f"a Tensor with {self.numel()} elements cannot be converted to Scalar")
        return complex(self.numpy(force=True).reshape(-1)[0])

    def tolist(self):
        return self.numpy(force=True).tolist()

    def __complex__(self) -> complex:
        return self.item()

    def __bool__(self) -> bool:
        if self.numel() != 1:
            raise RuntimeError("Boolean value of Tensor with more than one value is ambiguous")
        return self.item() != 0

    def __repr__(self) -> str:
        return tensor_repr(self)

    __str__ = __repr__

    def __format__(self, spec: str) -> str:
        if not spec:
            return repr(self)
        if self.ndim:
            raise unsupported("format() of a complex tensor with dims")
        return format(self.item(), spec)

    def __hash__(self) -> int:
        return id(self)

    def __iter__(self):
        if self.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return (self[i] for i in range(self.shape[0]))

    def cpu(self) -> ComplexTensor:
        return self

    # ---- parts: views of the pair ----------------------------------------------------------------
    @property
    def real(self) -> Tensor:
        return self._pair[..., 0]

    @real.setter
    def real(self, value) -> None:
        self._pair[..., 0] = value

    @property
    def imag(self) -> Tensor:
        return self._pair[..., 1]

    @imag.setter
    def imag(self, value) -> None:
        self._pair[..., 1] = value

    # ---- movement: the pair's, the trailing dim kept --------------------------------------------
    def reshape(self, *shape) -> ComplexTensor:
        shape = tuple(shape[0]) if len(shape) == 1 and isinstance(shape[0], (tuple, list)) else shape
        return wrap(self._pair.reshape(*shape, 2))

    def view(self, *shape) -> ComplexTensor:
        if len(shape) == 1 and not isinstance(shape[0], (int, tuple, list, Size)):
            raise unsupported("Tensor.view(dtype)")
        shape = tuple(shape[0]) if len(shape) == 1 and isinstance(shape[0], (tuple, list)) else shape
        return wrap(self._pair.view(*shape, 2))

    def view_as(self, other) -> ComplexTensor:
        return self.view(other.shape)

    def flatten(self, start_dim: int = 0, end_dim: int = -1) -> ComplexTensor:
        n = self.ndim
        if n == 0:
            return self.reshape(1)
        s, e = _dim(start_dim, n), _dim(end_dim, n)
        if s > e:
            raise RuntimeError("flatten() has invalid args: start_dim cannot come after end_dim")
        return wrap(self._pair.flatten(s, e))

    def unsqueeze(self, dim: int) -> ComplexTensor:
        return wrap(self._pair.unsqueeze(_dim(dim, self.ndim + 1)))

    def squeeze(self, dim=None) -> ComplexTensor:
        n = self.ndim
        if dim is None:
            dims = tuple(i for i, s in enumerate(self.shape) if s == 1)
        else:
            dims = _dims(dim if isinstance(dim, (tuple, list)) else (dim,), n)
            dims = tuple(d for d in dims if self.shape[d] == 1)
        return wrap(self._pair.squeeze(dims)) if dims else wrap(self._pair.view(self._pair.shape))

    def permute(self, *dims) -> ComplexTensor:
        dims = _dims(dims, self.ndim)
        if sorted(dims) != list(range(self.ndim)):
            raise RuntimeError("permute(): dims must be a permutation of the tensor's dims")
        return wrap(self._pair.permute(*dims, self.ndim))

    def transpose(self, dim0: int, dim1: int) -> ComplexTensor:
        n = self.ndim
        return wrap(self._pair.transpose(_dim(dim0, n), _dim(dim1, n)))

    swapaxes = swapdims = transpose

    def t(self) -> ComplexTensor:
        if self.ndim > 2:
            raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is {self.ndim}D")
        return self.transpose(0, 1) if self.ndim == 2 else self

    @property
    def T(self) -> ComplexTensor:
        return self.permute(*reversed(range(self.ndim)))

    @property
    def mT(self) -> ComplexTensor:
        if self.ndim < 2:
            raise RuntimeError("tensor.mT is only supported on matrices or batches of matrices.")
        return self.transpose(-2, -1)

    def expand(self, *sizes) -> ComplexTensor:
        sizes = tuple(sizes[0]) if len(sizes) == 1 and isinstance(sizes[0], (tuple, list)) else sizes
        return wrap(self._pair.expand(*sizes, 2))

    def expand_as(self, other) -> ComplexTensor:
        return self.expand(other.shape)

    def flip(self, *dims) -> ComplexTensor:
        return wrap(self._pair.flip(_dims(dims, self.ndim)))

    def select(self, dim: int, index: int) -> ComplexTensor:
        return wrap(self._pair.select(_dim(dim, self.ndim), index))

    def narrow(self, dim: int, start: int, length: int) -> ComplexTensor:
        return wrap(self._pair.narrow(_dim(dim, self.ndim), start, length))

    def unbind(self, dim: int = 0) -> tuple:
        return tuple(wrap(p) for p in self._pair.unbind(_dim(dim, self.ndim)))

    def chunk(self, chunks: int, dim: int = 0) -> tuple:
        return tuple(wrap(p) for p in self._pair.chunk(chunks, _dim(dim, self.ndim)))

    def split(self, split_size_or_sections, dim: int = 0) -> tuple:
        return tuple(wrap(p) for p in self._pair.split(split_size_or_sections, _dim(dim, self.ndim)))

    def diagonal(self, offset: int = 0, dim1: int = 0, dim2: int = 1) -> ComplexTensor:
        """The pair's diagonal puts the diagonal dim last, after the (real, imag) dim: moved
        back in front of it."""
        n = self.ndim
        d = self._pair.diagonal(offset, _dim(dim1, n), _dim(dim2, n))
        return wrap(d.transpose(-1, -2))

    def __getitem__(self, index) -> ComplexTensor:
        index = index if isinstance(index, tuple) else (index,)
        if any(isinstance(i, ComplexTensor) for i in index):
            raise IndexError("tensors used as indices must be long, int, byte or bool tensors")
        return wrap(self._pair[index + (slice(None),)])

    def chalf(self):
        raise unsupported("complex32 (Tensor.chalf)")


_KEEP = {"__init__", "__new__", "__getattribute__", "__setattr__", "__delattr__", "__dir__", "__init_subclass__",
         "__subclasshook__", "__class_getitem__", "__sizeof__", "__eq__", "__ne__"}


def _stub(name: str):
    def refused(self, *args, **kwargs):
        raise unsupported(f"Tensor.{name}")
    refused.__name__ = refused.__qualname__ = name
    return refused


def seal() -> None:
    """Give every operator dunder Tensor has and ComplexTensor does not define a raising stub,
    and record the names ComplexTensor answers itself (run once every method is defined)."""
    for name in dir(Tensor):
        if name[:2] == "__" and name not in vars(ComplexTensor) and name not in _KEEP \
                and callable(getattr(Tensor, name, None)) and getattr(object, name, None) is not getattr(Tensor, name):
            setattr(ComplexTensor, name, _stub(name))
    _OWN.clear()
    _OWN.update(n for n in vars(ComplexTensor) if n[:2] != "__")
    _OWN.update({"_pair", "_conj_view"})


_OWN: set[str] = set()
