"""torch's keyword conventions that hold for every op, installed once over the whole API.

- numpy's names: torch's argument parser takes `axis` for `dim` and `keepdims` for `keepdim`
  in every op that has them (`x.sum(axis=0)`, `torch.cat(ts, axis=1)`), so every method and
  function here whose signature has `dim` (or `keepdim`) takes the alias too;
- `out=`: a module-level function writes its result into `out` and returns it. As in torch, an
  `out` of another shape is resized (with torch's warning when it held elements), a result
  that `out`'s dtype cannot hold is a RuntimeError, and out= does not record gradients.
- `size=`: a factory that takes its sizes as `*size` (zeros, ones, empty, rand, randn) takes them
  as one keyword too, `torch.empty(size=(3, 4))`, as torch's parser does;
- `format(t, spec)` of a 0-d tensor formats its number (a tensor with dims takes no spec).
- torch's names for a varargs op's sequence: `x.permute(dims=(1, 0))`, `torch.zeros(size=(2, 3))`,
  `x.view(dtype=torch.int32)` (VARARGS_KEYWORDS), and the names of torch's other overloads
  (`x.split(split_size=2)`, `x.tensor_split(indices=[1])`: KEYWORD_RENAMES).
"""
from __future__ import annotations

import functools
import inspect
import warnings
from typing import Any

from lazygrad.dtypes import TORCH_NAMES, DType
from lazygrad.engine.realize import buffer_node, copy_buffer, realize_nodes
from lazygrad.frontend.grad_mode import is_grad_enabled
from lazygrad.frontend.tensor import Tensor

NUMPY_NAMES = {"axis": "dim", "keepdims": "keepdim"}


def _parameters(fn) -> set[str]:
    try:
        return set(inspect.signature(fn).parameters)
    except (TypeError, ValueError):
        return set()


def accept_numpy_names(fn):
    """fn, also taking axis= for dim= and keepdims= for keepdim= (where it has those)."""
    params = _parameters(fn)
    renames = {alias: name for alias, name in NUMPY_NAMES.items() if name in params and alias not in params}
    return accept_aliases(fn, renames) if renames else fn


def accept_aliases(fn, renames: dict[str, str]):
    """fn, also taking each keyword alias of renames (alias -> fn's own name)."""
    @functools.wraps(fn)
    def call(*args, **kwargs):
        if kwargs:
            for alias, name in renames.items():
                if alias in kwargs:
                    if name in kwargs:
                        raise TypeError(f"{fn.__name__}() got both {name!r} and its alias {alias!r}")
                    kwargs[name] = kwargs.pop(alias)
        return fn(*args, **kwargs)
    return call


def accept_size_keyword(fn):
    """fn(*size, ...), also taking size=(2, 3) in place of the positional sizes."""
    try:
        params = inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return fn
    if "size" not in params or params["size"].kind is not inspect.Parameter.VAR_POSITIONAL:
        return fn

    @functools.wraps(fn)
    def call(*size, **kwargs):
        if "size" in kwargs:
            if size:
                raise TypeError(f"{fn.__name__}() got multiple values for argument 'size' (sizes {list(size)} "
                                "and size=)")
            size = (kwargs.pop("size"),)
        return fn(*size, **kwargs)
    return call


def install_numpy_names(cls) -> None:
    """Every method of cls (and of its bases) with a dim or keepdim parameter takes the aliases."""
    for name in dir(cls):
        if name.startswith("__"):
            continue
        static = inspect.getattr_static(cls, name)
        if inspect.isfunction(static):
            wrapped = accept_numpy_names(static)
            if wrapped is not static:
                setattr(cls, name, wrapped)


# the keywords that name a varargs op's one sequence argument, as torch's signatures spell them
VARARGS_KEYWORDS = {
    "permute": ("dims",), "flip": ("dims",), "tile": ("dims",), "repeat": ("repeats",), "view": ("size", "dtype"),
    "reshape": ("shape",), "expand": ("size",), "new_zeros": ("size",), "new_ones": ("size",),
    "new_empty": ("size",), "sum_to_size": ("size",), "resize_": ("size",)}  # (factories: accept_size_keyword)
# the keywords of torch's other overloads of an op, and lazygrad's name for that argument
KEYWORD_RENAMES = {
    "split": {"split_size": "split_size_or_sections"},
    "tensor_split": {"indices": "sections", "tensor_indices_or_sections": "sections", "indices_or_sections": "sections"}}


def accept_varargs_keyword(fn, names: tuple[str, ...], method: bool):
    """fn(*sequence), also taking the sequence by one of its keyword names (after self for a method)."""
    @functools.wraps(fn)
    def call(*args, **kwargs):
        given = [n for n in names if n in kwargs]
        if given:
            if len(given) > 1 or len(args) > int(method):
                raise TypeError(f"{fn.__name__}() got multiple values for argument {given[-1]!r}")
            args = (*args, kwargs.pop(given[0]))
        return fn(*args, **kwargs)
    return call


def _starts_with_varargs(fn) -> bool:
    first = next(iter(inspect.signature(fn).parameters.values()), None)
    return first is not None and first.kind is inspect.Parameter.VAR_POSITIONAL


def install_keyword_names(cls, namespace: dict[str, Any]) -> None:
    """VARARGS_KEYWORDS and KEYWORD_RENAMES over cls's methods and namespace's functions."""
    for name, names in VARARGS_KEYWORDS.items():
        static = inspect.getattr_static(cls, name, None)
        if inspect.isfunction(static):
            setattr(cls, name, accept_varargs_keyword(static, names, method=True))
        fn = namespace.get(name)  # torch.zeros(size=...); torch.flip(x, dims=...) is the method's
        if inspect.isfunction(fn) and fn.__module__ in OP_MODULES and _starts_with_varargs(fn):
            namespace[name] = accept_varargs_keyword(fn, names, method=False)
            if isinstance(static, staticmethod) and static.__func__ is fn:  # Tensor.zeros is lg.zeros
                setattr(cls, name, staticmethod(namespace[name]))
    for name, renames in KEYWORD_RENAMES.items():
        static = inspect.getattr_static(cls, name, None)
        if inspect.isfunction(static):
            setattr(cls, name, accept_aliases(static, renames))


_TORCH_NAMES = TORCH_NAMES


def _kind(dt: DType) -> int:
    return 0 if dt.is_bool else 2 if dt.is_float else 1


def _write(result, out, name: str):
    if isinstance(out, (tuple, list)):
        if not isinstance(result, tuple) or len(result) != len(out):
            raise TypeError(f"{name}(): out= takes {len(result) if isinstance(result, tuple) else 1} tensors")
        items = tuple(_write(r, o, name) for r, o in zip(result, out))
        if hasattr(result, "_make"):  # a NamedTuple
            return type(result)._make(items)
        return type(result)(items) if hasattr(result, "_fields") else items  # (a return_types struct sequence)
    if not isinstance(out, Tensor) or not isinstance(result, Tensor):
        raise TypeError(f"{name}(): argument 'out' must be Tensor, not {type(out).__name__}")
    if _kind(result.dtype) > _kind(out.dtype):
        raise RuntimeError(f"result type {_TORCH_NAMES.get(result.dtype.name, result.dtype.name)} can't be cast "
                           f"to the desired output type {_TORCH_NAMES.get(out.dtype.name, out.dtype.name)}")
    if is_grad_enabled() and (result.requires_grad or out.requires_grad):
        raise RuntimeError(f"{name}(): functions with out=... arguments don't support automatic differentiation, "
                           "but one of the arguments requires grad.")
    if tuple(out.shape) == tuple(result.shape):
        return out.copy_(result)
    if out.numel():
        warnings.warn(f"An output with one or more elements was resized since it had shape {list(out.shape)}, "
                      f"which does not match the required output shape {list(result.shape)}. This behavior is "
                      "deprecated, and in a future PyTorch release outputs will not be resized unless they have "
                      "zero elements. You can explicitly reuse an out tensor t by resizing it, inplace, to zero "
                      "elements with t.resize_(0).", UserWarning, stacklevel=3)
    value = realize_nodes([result.cast(out.dtype).node])[0]  # a storage of the new size, out's own
    buf = value.buffer if not value.buffer.storage.owned else copy_buffer(value.buffer)
    buf.storage.owned = True
    out.node = value if buf is value.buffer else buffer_node(buf, value.shape)
    return out


def accept_out(fn):
    """fn, also taking out= (unless it has an out parameter of its own)."""
    if "out" in _parameters(fn):
        return fn

    @functools.wraps(fn)
    def call(*args, out=None, **kwargs):
        result = fn(*args, **kwargs)
        return result if out is None else _write(result, out, fn.__name__)
    return call


def tensor_format(self, spec: str) -> str:
    if self.ndim == 0:
        return format(self.item(), spec)
    if spec:
        raise TypeError("unsupported format string passed to Tensor.__format__")
    return str(self)


# the front end's modules whose functions compute tensors (the torch.* ops), and their
# functions that do not (no out=)
OP_MODULES = ("lazygrad.frontend.functions", "lazygrad.frontend.factories", "lazygrad.frontend.random",
              "lazygrad.frontend.composite_functions")
NOT_OPS = {"manual_seed", "seed", "initial_seed", "get_rng_state", "set_rng_state", "is_complex", "asarray", "meshgrid"}


def install(cls, namespace: dict[str, Any]) -> None:
    """The conventions over Tensor's methods and a namespace's torch.* ops (lazygrad's own)."""
    install_numpy_names(cls)
    cls.__format__ = tensor_format
    install_keyword_names(cls, namespace)
    for name, fn in list(namespace.items()):
        if inspect.isfunction(fn) and fn.__module__ in OP_MODULES and name not in NOT_OPS:
            wrapped = namespace[name] = accept_out(accept_size_keyword(accept_numpy_names(fn)))
            static = inspect.getattr_static(cls, name, None)
            if isinstance(static, staticmethod) and static.__func__ is fn:  # Tensor.zeros is lg.zeros
                setattr(cls, name, staticmethod(wrapped))
