"""torch.* functions for complex tensors, and the guard that keeps the rest from taking them.

`install(Tensor, namespace)` runs last in lazygrad/__init__.py (outermost, after every other
wrapper) and does three things:
- the complex constructors and views join the namespace: view_as_real, view_as_complex, polar,
  complex, complex64/complex128 (cfloat/cdouble); the factories (tensor, as_tensor, from_numpy,
  zeros, ones, full, empty, rand, randn and their *_like) build complex tensors when given a
  complex dtype or complex data;
- every other function of the namespace is wrapped: handed a complex tensor or a Python complex
  number, a function in COMPLEX_FUNCTIONS runs its complex version, any other raises
  ComplexNotSupported naming itself (so lg.sin(z) raises rather than computing on the pairs);
- a real tensor's arithmetic methods take a complex operand (`x * 1j`, `x.add(z)`, `x @ z`).
"""
from __future__ import annotations

import functools
import inspect
import math

import numpy as np

from lazygrad.frontend import complex_math, complex_reduce, complex_tensor, serialization, spectral
from lazygrad.frontend import complex_ops as ops
from lazygrad.frontend.complex_dtypes import (
    as_complex_dtype,
    complex64,
    complex128,
    default_complex,
    part_dtype,
    promote_types,
    result_type,
    unsupported,
)
from lazygrad.frontend.complex_tensor import ComplexTensor, _dim, wrap
from lazygrad.frontend.factories import _size, full
from lazygrad.frontend.tensor import Tensor


def view_as_real(input) -> Tensor:
    """The (..., 2) real view of a complex tensor: the same storage (writes show in both)."""
    if not isinstance(input, ComplexTensor):
        raise RuntimeError("view_as_real is only supported for complex tensors")  # noqa: TRY004 (torch's class)
    if input.__dict__.get("_conj_view"):
        raise RuntimeError("view_as_real doesn't work on unresolved conjugated tensors.  To resolve the conjugate "
                           "tensor so you can view it as real, use self.resolve_conj()")
    return input._pair.view(input._pair.shape)


def view_as_complex(input) -> ComplexTensor:
    """A real (..., 2) tensor seen as complex: the same storage, torch's checks on its layout."""
    if not isinstance(input, Tensor) or isinstance(input, ComplexTensor):
        raise RuntimeError(  # noqa: TRY004 (torch's class)"view_as_complex is only supported for float and double tensors, but got a tensor of "
                           f"scalar type: {getattr(input, 'dtype', type(input).__name__)}")
    if not input.dtype.is_float or input.dtype.itemsize < 4:
        if input.dtype.itemsize == 2 and input.dtype.is_float:
            raise unsupported("view_as_complex of a half tensor (complex32)")
        raise RuntimeError("view_as_complex is only supported for float and double tensors, but got a tensor of "
                           f"scalar type: {input.dtype}")
    if input.ndim == 0:
        raise RuntimeError("Input tensor must have one or more dimensions")
    if input.shape[-1] != 2:
        raise RuntimeError("Tensor must have a last dimension of size 2")
    strides = input.stride()
    if strides[-1] != 1:
        raise RuntimeError("Tensor must have a last dimension with stride 1")
    if any(s % 2 for s in strides[:-1]):
        raise RuntimeError("Tensor must have a stride divisible by 2 for all but last dimension")
    if input.storage_offset() % 2:
        raise RuntimeError("Tensor must have a storage_offset divisible by 2")
    return wrap(input.view(input.shape))


def _same_float(a, b, name: str) -> None:
    for t in (a, b):
        if not isinstance(t, Tensor) or isinstance(t, ComplexTensor):
            raise TypeError(f"{name}(): arguments must be real Tensors, not {type(t).__name__}")
    if not (a.dtype.is_float and b.dtype.is_float) or a.dtype.itemsize < 4 or b.dtype.itemsize < 4:
        if a.dtype.is_float and a.dtype.itemsize == 2:
            raise unsupported(f"{name} of half tensors (complex32)")
        raise RuntimeError(f"Expected both inputs to be Half, Float or Double tensors but got {a.dtype} and {b.dtype}")
    if a.dtype != b.dtype:
        raise RuntimeError(f"Expected object of scalar type {a.dtype} but got scalar type {b.dtype} for second "
                           "argument")


def complex_(real, imag) -> ComplexTensor:
    """real + i imag, broadcast; both float32 or both float64."""
    _same_float(real, imag, "complex")
    return ops.pack(real, imag, real.dtype, real.device)


def polar(abs, angle) -> ComplexTensor:
    """abs (cos angle + i sin angle)."""
    _same_float(abs, angle, "polar")
    return ops.pack(abs * angle.cos(), abs * angle.sin(), abs.dtype, abs.device)


def is_complex(input) -> bool:
    if not isinstance(input, Tensor):
        raise TypeError(f"is_complex(): argument 'input' (position 1) must be Tensor, not {type(input).__name__}")
    return isinstance(input, ComplexTensor)


def _joined(tensors, dim: int, name: str, stack: bool):
    tensors = list(tensors)
    dt = tensors[0].dtype
    for t in tensors[1:]:
        dt = promote_types(dt, t.dtype)
    pairs = [ops.to_complex(t, dt)._pair for t in tensors]
    n = tensors[0].ndim + (1 if stack else 0)
    d = _dim(dim, n)
    return wrap(pairs[0].stack(*pairs[1:], dim=d) if stack else pairs[0].cat(*pairs[1:], dim=d))


def cat(tensors, dim: int = 0) -> ComplexTensor:
    return _joined(tensors, dim, "cat", stack=False)


def stack(tensors, dim: int = 0) -> ComplexTensor:
    return _joined(tensors, dim, "stack", stack=True)


def autograd_grad(outputs, inputs, grad_outputs=None, **kwargs) -> tuple:
    """torch.autograd.grad with complex outputs or inputs: the real one on their (re, im)
    pairs. A complex input's gradient is dL/dRe + i dL/dIm (torch's); a complex output needs
    a complex grad_output, as torch's."""
    outputs = [outputs] if isinstance(outputs, Tensor) else list(outputs)
    single = isinstance(inputs, Tensor)
    inputs = [inputs] if single else list(inputs)
    if grad_outputs is None or isinstance(grad_outputs, Tensor):
        grad_outputs = [grad_outputs] * len(outputs) if grad_outputs is None else [grad_outputs]
    seeds = []
    for o, g in zip(outputs, grad_outputs):
        if isinstance(o, ComplexTensor) and g is None:
            raise RuntimeError("grad can be implicitly created only for real scalar outputs")
        seeds.append(ops.pair_of(g, o.dtype, o.device) if isinstance(o, ComplexTensor) else g)
    got = _REAL["grad"]([o._pair if isinstance(o, ComplexTensor) else o for o in outputs],
                        [x._pair if isinstance(x, ComplexTensor) else x for x in inputs],
                        None if all(g is None for g in seeds) else seeds, **kwargs)
    return tuple(wrap(g) if isinstance(x, ComplexTensor) and g is not None else g for x, g in zip(inputs, got))


# ---- factories -------------------------------------------------------------------------------
def _has_complex(data) -> bool:
    if isinstance(data, (list, tuple)):
        return any(_has_complex(v) for v in data)
    if isinstance(data, np.ndarray):
        return data.dtype.kind == "c"
    return ops.is_complex_value(data)


def _from_data(data, dtype, device, requires_grad: bool = False) -> ComplexTensor:
    if isinstance(data, ComplexTensor):
        out = data.detach().to(device) if device is not None else data.detach()
        out = ops.to_complex(out, dtype or data.dtype).clone()
    else:
        if dtype is None:
            arr = np.asarray(data)
            dtype = complex128 if arr.dtype == np.complex128 and isinstance(data, np.ndarray) else default_complex()
        arr = np.asarray(data, dtype=dtype.np)
        pair = np.stack([arr.real, arr.imag], axis=-1).astype(part_dtype(dtype).np)
        out = wrap(Tensor(pair, device=device))
    return out.requires_grad_() if requires_grad else out


def _filled(shape, re: float, im: float, dtype, device) -> ComplexTensor:
    part = part_dtype(dtype)
    return ops.pack(full(shape, float(re), dtype=part, device=device), full(shape, float(im), dtype=part,
                                                                          device=device), part, device)


def _factory(name: str, real):
    """The namespace's factory `real`, building a complex tensor when asked for one."""
    takes_size = name in ("zeros", "ones", "empty", "rand", "randn")
    likes = name.endswith("_like")

    def factory(*args, **kwargs):
        dtype = as_complex_dtype(kwargs.get("dtype")) if kwargs.get("dtype") is not None else None
        if name in ("tensor", "as_tensor", "from_numpy"):
            data = args[0] if args else kwargs.get("data")
            if dtype is None and not _has_complex(data) or name == "from_numpy" and not isinstance(data, np.ndarray):
                return real(*args, **kwargs)
            if name == "as_tensor" and isinstance(data, ComplexTensor) and dtype in (None, data.dtype):
                return data
            if dtype is None and kwargs.get("dtype") is not None:
                raise unsupported(f"{name} of complex data with a real dtype")
            return _from_data(data, dtype, kwargs.get("device"), kwargs.get("requires_grad", False))
        if likes:
            src = args[0] if args else kwargs["input"]
            if dtype is None and kwargs.get("dtype") is None and isinstance(src, ComplexTensor):
                dtype = src.dtype
            if dtype is None:
                return real(*args, **kwargs)
            shape, rest = tuple(src.shape), args[1:]
            device = kwargs.get("device") or src.device
        else:
            if name == "full":
                value = kwargs.get("fill_value", args[1] if len(args) > 1 else None)
                if dtype is None and kwargs.get("dtype") is None and ops.is_complex_value(value):
                    dtype = default_complex()
            if dtype is None:
                return real(*args, **kwargs)
            shape, rest = (_size(args) if takes_size else _size(tuple(args[0]) if not isinstance(args[0], int)
                                                                 else (args[0],))), args[1:]
            device = kwargs.get("device")
        if name in ("full", "full_like"):
            value = complex(rest[0] if rest else kwargs["fill_value"])
            out = _filled(shape, value.real, value.imag, dtype, device)
        elif name.startswith(("ones",)):
            out = _filled(shape, 1.0, 0.0, dtype, device)
        elif name.startswith(("zeros", "empty")):
            out = _filled(shape, 0.0, 0.0, dtype, device)
        elif name.startswith("randn"):
            pair = _REAL["randn"](*shape, 2, dtype=part_dtype(dtype), device=device, generator=kwargs.get("generator"))
            out = wrap(pair * math.sqrt(0.5))  # torch: variance 1 in all, 1/2 in each part
        else:
            out = wrap(_REAL["rand"](*shape, 2, dtype=part_dtype(dtype), device=device,
                                     generator=kwargs.get("generator")))
        return out.requires_grad_() if kwargs.get("requires_grad") else out
    factory.__name__ = factory.__qualname__ = name
    return functools.wraps(real)(factory) if callable(real) else factory


FACTORIES = ("tensor", "as_tensor", "from_numpy", "zeros", "ones", "empty", "full", "rand", "randn",
             "zeros_like", "ones_like", "empty_like", "full_like", "rand_like", "randn_like")
_REAL: dict = {}  # the real factories, as the namespace had them (install)


def _method(name: str):
    def fn(input, *args, **kwargs):
        return getattr(input, name)(*args, **kwargs)
    fn.__name__ = name
    return fn


COMPLEX_FUNCTIONS = {
    "add": ops.add, "sub": ops.sub, "subtract": ops.sub, "mul": ops.mul, "multiply": ops.mul, "div": ops.div,
    "divide": ops.div, "true_divide": ops.div, "matmul": ops.matmul, "eq": ops.eq, "ne": ops.ne,
    "isclose": ops.isclose, "allclose": ops.allclose, "cat": cat, "concat": cat, "concatenate": cat, "stack": stack,
    "real": lambda input: input.real, "imag": lambda input: input.imag, "result_type": result_type,
    "is_complex": is_complex, "view_as_real": view_as_real, "view_as_complex": view_as_complex,
    "is_tensor": lambda obj: True, "numel": lambda input: input.numel(),
    "is_floating_point": lambda input: False, "istft": spectral.istft,
}
COMPLEX_FUNCTIONS.update({n: _method(n) for n in (
    "neg", "negative", "conj", "conj_physical", "resolve_conj", "resolve_neg", "is_conj", "abs", "absolute", "angle",
    "exp", "sum", "mean", "reshape", "flatten", "unsqueeze", "squeeze", "permute", "transpose", "swapaxes",
    "swapdims", "t", "clone", "detach", "isnan", "roll", "flip", "select", "narrow", "unbind", "chunk", "split",
    "diagonal")})
COMPLEX_FUNCTIONS.update(complex_math.FUNCTIONS, save=serialization.save, grad=autograd_grad)
COMPLEX_FUNCTIONS.update(complex_reduce.FUNCTIONS)


def _involves_complex(args, kwargs) -> bool:
    for a in (*args, *kwargs.values()):
        if ops.is_complex_value(a):
            return True
        if isinstance(a, (list, tuple)) and any(ops.is_complex_value(v) for v in a):
            return True
        if isinstance(a, dict) and any(ops.is_complex_value(v) for v in a.values()):
            return True
    return False


def _guarded(name: str, fn):
    return _guarded_by(fn, COMPLEX_FUNCTIONS.get(name), name)


def _guarded_by(fn, complex_fn, name: str = ""):
    """fn, running complex_fn instead when handed a complex value (None: raising)."""
    name = name or fn.__name__

    @functools.wraps(fn)
    def guarded(*args, **kwargs):
        if _involves_complex(args, kwargs):
            if complex_fn is None:
                raise unsupported(f"torch.{name}")
            return complex_fn(*args, **kwargs)
        return fn(*args, **kwargs)
    return guarded


_REAL_METHODS = {"add": ops.add, "sub": ops.sub, "subtract": ops.sub, "mul": ops.mul, "multiply": ops.mul,
                 "div": ops.div, "divide": ops.div, "true_divide": ops.div, "__add__": ops.add, "__radd__": ops.radd,
                 "__sub__": ops.sub, "__rsub__": ops.rsub, "__mul__": ops.mul, "__rmul__": ops.rmul,
                 "__truediv__": ops.div, "__rtruediv__": ops.rdiv, "matmul": ops.matmul, "__matmul__": ops.matmul,
                 "eq": ops.eq, "ne": ops.ne, "isclose": ops.isclose, "allclose": ops.allclose}


def _taking_complex(method, complex_fn):
    @functools.wraps(method)
    def either(self, other, *args, **kwargs):
        if ops.is_complex_value(other):
            return complex_fn(self, other, *args, **kwargs)
        return method(self, other, *args, **kwargs)
    return either


def _to_complex_dtype(to):
    @functools.wraps(to)
    def to_(self, *args, **kwargs):
        dtype = next((a for a in args if ops.is_complex_dtype(a)), kwargs.get("dtype"))
        if ops.is_complex_dtype(dtype):
            kwargs.pop("dtype", None)
            rest = [a for a in args if not ops.is_complex_dtype(a)]
            return ops.to_complex(to(self, *rest, **kwargs) if rest or kwargs else self, dtype)
        return to(self, *args, **kwargs)
    return to_


def _refuse_chalf(self, memory_format=None):
    raise unsupported("complex32 (Tensor.chalf)")


def install(tensor_cls, namespace: dict, shared: tuple[dict, ...] = ()) -> None:
    """See the module docstring (run once, after every other wrapper)."""
    complex_tensor.seal()  # again: the dunders installed on Tensor since complex_ops ran (__dlpack__, ...)
    tensor_cls.to = _to_complex_dtype(tensor_cls.to)
    tensor_cls.type_as = _taking_complex(tensor_cls.type_as, lambda self, other: ops.to_complex(self, other.dtype))
    tensor_cls.cfloat = lambda self: ops.to_complex(self, complex64)
    tensor_cls.cdouble = lambda self: ops.to_complex(self, complex128)
    tensor_cls.chalf = _refuse_chalf
    for name, complex_fn in _REAL_METHODS.items():
        setattr(tensor_cls, name, _taking_complex(getattr(tensor_cls, name), complex_fn))
    for name in ("pow", "__pow__"):
        setattr(tensor_cls, name, complex_math.real_pow(getattr(tensor_cls, name)))
    tensor_cls.__rpow__ = complex_math.real_rpow(tensor_cls.__rpow__)
    _REAL.update({n: namespace[n] for n in ("rand", "randn")})
    for name in FACTORIES:
        _replace(tensor_cls, namespace, name, _factory(name, namespace[name]), shared)
    namespace.update(view_as_real=view_as_real, view_as_complex=view_as_complex, polar=polar, complex=complex_,
                     is_complex=is_complex, complex64=complex64, complex128=complex128, cfloat=complex64,
                     cdouble=complex128, promote_types=promote_types, result_type=_result_type(namespace))
    skip = {"view_as_real", "view_as_complex", "polar", "complex", "is_complex", "promote_types", "result_type",
            *FACTORIES}
    for name, fn in list(namespace.items()):
        if name.startswith("_") or name in skip or not inspect.isfunction(fn):
            continue
        if getattr(fn, "__module__", "").startswith("lazygrad"):
            _replace(tensor_cls, namespace, name, _guarded(name, fn), shared)
    autograd = namespace["autograd"]
    _REAL["grad"] = autograd.grad
    autograd.grad = _guarded_by(autograd.grad, autograd_grad, "autograd.grad")
    linalg = namespace["linalg"]
    for name, complex_fn in complex_reduce.LINALG.items():
        setattr(linalg, name, _guarded_by(getattr(linalg, name), complex_fn, f"linalg.{name}"))


def _replace(tensor_cls, namespace: dict, name: str, wrapped, shared: tuple[dict, ...]) -> None:
    """namespace[name] becomes wrapped, and so do Tensor's static method of that name and the
    entries of the shared namespaces where they are the same function (Tensor.zeros is
    lg.zeros, torch.conv_tbc is torch.nn.functional.conv_tbc, as torch's)."""
    original = namespace[name]
    static = inspect.getattr_static(tensor_cls, name, None)
    if isinstance(static, staticmethod) and static.__func__ is original:
        setattr(tensor_cls, name, staticmethod(wrapped))
    for other in shared:
        if other.get(name) is original:
            other[name] = wrapped
    namespace[name] = wrapped


def _result_type(namespace):
    real = namespace["result_type"]

    @functools.wraps(real)
    def result_type_(tensor1, tensor2):
        if _involves_complex((tensor1, tensor2), {}):
            return result_type(tensor1, tensor2)
        return real(tensor1, tensor2)
    return result_type_


__all__ = ["complex_", "polar", "view_as_complex", "view_as_real"]
