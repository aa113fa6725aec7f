"""`lg.device`: torch's device values, over lazygrad's devices. The one place a device given by
a user (`"cpu"`, `"cpu:0"`, `lg.device("cpu")`, `"opencl"`, `"cuda"`, None) becomes the name
of a lazygrad device (`resolve_device`).

lazygrad names its devices by backend ("c", "python", "opencl", registered ones); torch names
them by kind of memory ("cpu", "cuda:0"). A `device` is a `str` whose value is lazygrad's name,
so `x.device == "c"` and every str use of a device name keep working; on top it answers torch's
questions:

    lg.device("cpu")      value "c" (the host device)  .type "cpu"     .index None  str "cpu"
    lg.device("cpu", 0)   value "c"                    .type "cpu"     .index 0     str "cpu:0"
    lg.device("python")   value "python"               .type "cpu"     .index None  str "python"
    lg.device("opencl")   value "opencl"               .type "opencl"  .index None  str "opencl"
    lg.device("meta")     value "meta" (shapes, no data: runtime/meta.py) .type "meta"  .index None
    lg.device("cuda:0")   value "cuda:0" (no lazygrad device: using it raises) .type "cuda" .index 0

"cpu" names the host device: the default device when its memory is the host's (c or python),
else c (python without a C compiler), which is where `.cpu()` moves tensors. `str()` spells that
device "cpu" and any other by its lazygrad name, so `lg.device(str(d)) == d`. `==` is torch's:
devices are equal when they name one device with one index (`lg.device("cpu", 0)` is not
`lg.device("cpu")`, as in torch); against a plain str, a device compares as its value.

The opencl device's type is "opencl", torch's own type of that name, even on a GPU: it is
not CUDA, and `.type == "cuda"` branches in torch programs take CUDA-only paths.
"""
from __future__ import annotations

import builtins

from lazygrad.errors import DeviceError
from lazygrad.runtime import opencl
from lazygrad.runtime.meta import META
from lazygrad.runtime.registry import Device_, canonical, devices, get_device, known_devices

HOST = ("c", "python")  # lazygrad devices whose memory is the host's: type "cpu"
_BUILTIN = (*HOST, "opencl")

# torch's device types (its parser's list); of these, lazygrad drives "cpu" and "opencl"
TORCH_TYPES = ("cpu", "cuda", "ipu", "xpu", "mkldnn", "opengl", "opencl", "ideep", "hip", "ve", "fpga",
               "maia", "xla", "lazy", "vulkan", "mps", "meta", "hpu", "mtia", "privateuseone")
# torch built without them asserts on first use (AssertionError); the rest raise RuntimeError
_ASSERTING = ("cuda", "xpu")


class _NotCompiledError(DeviceError, AssertionError):
    """A CUDA (or XPU) device asked of lazygrad: torch built without CUDA raises AssertionError
    ("Torch not compiled with CUDA enabled"), and programs catch that class to fall back."""


class _NotLinkedError(DeviceError, NotImplementedError):
    """Another torch device type lazygrad has not (mps, xla, ...): torch raises RuntimeError
    moving a tensor there and NotImplementedError making one there, a RuntimeError too."""


def host_device() -> str:
    """The lazygrad device "cpu" names: the default device when it is a host device (so "cpu"
    tensors mix with default ones), else c, or python where there is no C compiler."""
    default = Device_.DEFAULT
    if default in HOST:
        return default
    try:
        get_device("c")
    except DeviceError:
        return "python"
    return "c"


def accelerator_name() -> str | None:
    """"opencl" when lazygrad's OpenCL device is a GPU (not PoCL or another CPU's OpenCL, even
    when LAZYGRAD_OPENCL_AS=gpu renders kernels as for one), else None."""
    try:
        get_device("opencl")
    except DeviceError:
        return None
    ctx = opencl.context()
    return "opencl" if ctx.device.type & ctx.cl.device_type.GPU else None


def _parse(text: str) -> tuple[str, int | None]:
    name, sep, index = text.partition(":")
    if not name or (sep and not index.isdigit()) or ":" in index:
        raise DeviceError(f"Invalid device string: {text!r} (expected a name and an optional "
                          "index, as 'cpu', 'cpu:0' or 'opencl')")
    return name.lower(), int(index) if sep else None


class device(str):
    """A device as torch spells it; the str value is lazygrad's device name (module docstring)."""

    def __new__(cls, type: str | int | device, index: int | None = None) -> device:  # noqa: PYI034  (Self: 3.11)
        if isinstance(type, device) and index is None:
            return type
        if isinstance(type, int) and not isinstance(type, bool):  # torch: an index of the accelerator
            name = accelerator_name()
            if name is None:
                raise DeviceError(f"Cannot access accelerator device when none is available (device({type}): "
                                  "lazygrad drives no GPU here, see lg.accelerator.is_available())")
            type, index = name, type
        if not isinstance(type, str):
            raise TypeError(f"device() expects a str, a device or an int, got {builtins.type(type).__name__}")
        name, given = _parse(str.__str__(type))
        if index is not None and given is not None:
            raise DeviceError(f"type (string) must not include an index because index was passed explicitly: {type}")
        index = given if index is None else index
        if index is not None and (isinstance(index, bool) or not isinstance(index, int)):
            raise TypeError(f"device index must be an int, got {index!r}")
        if index is not None and index < 0:
            raise DeviceError(f"Device index must not be negative, got {index}")
        if name == "cpu":
            return _make(host_device(), "cpu", index)
        if name == META:  # shapes without data (runtime/meta.py): held, not listed among devices
            return _make(META, META, index)
        if canonical(name) in known_devices():
            value = canonical(name)
            if index not in (None, 0) and value not in HOST:
                pick = " (choose which OpenCL device with LAZYGRAD_OPENCL)" if value == "opencl" else ""
                raise DeviceError(f"lazygrad drives one {value} device, {value}:0, not {value}:{index}{pick}")
            return _make(value, "cpu" if value in HOST else value, index)
        if name in TORCH_TYPES:  # a device lazygrad has not: a value only (using it raises)
            return _make(name if index is None else f"{name}:{index}", name, index, foreign=True)
        raise DeviceError(f"unknown device {str.__str__(type)!r}; known devices: {', '.join(known_devices())} "
                          "('cpu' names the host one; torch's device types are values, as lg.device('cuda'))")

    @property
    def type(self) -> str:
        return self._type

    @property
    def index(self) -> int | None:
        return self._index

    def _spelling(self) -> str:
        """This device without its index as str() writes it: "cpu" for the device "cpu" names,
        a foreign device's type, else lazygrad's name."""
        value = str.__str__(self)
        if self._foreign:
            return self._type
        return "cpu" if self._type == "cpu" and value == host_device() else value

    def __str__(self) -> str:
        if self._foreign:
            return str.__str__(self)  # "cuda:0"
        return self._spelling() if self._index is None else f"{self._spelling()}:{self._index}"

    def __format__(self, spec: str) -> str:
        return format(str(self), spec)

    def __repr__(self) -> str:
        index = "" if self._index is None else f", index={self._index}"
        name = "" if self._spelling() == self._type else f", name={self._spelling()!r}"
        return f"device(type={self._type!r}{index}{name})"

    def __eq__(self, other: object) -> bool:
        if isinstance(other, device):
            return str.__eq__(self, other) and self._index == other._index
        return str.__eq__(self, other)

    def __ne__(self, other: object) -> bool:
        equal = self.__eq__(other)
        return equal if equal is NotImplemented else not equal

    __hash__ = str.__hash__

    def __reduce__(self):
        return device, (str(self),)

    def __enter__(self) -> device:  # noqa: PYI034  (Self: 3.11)
        """`with lg.device("meta"):` makes this the default device of the block (factories,
        new layers' parameters), as torch's device context; the one before comes back at exit."""
        name = self.lazygrad_name()
        self.__dict__.setdefault("_outer", []).append(Device_.DEFAULT)
        Device_.DEFAULT = name
        return self

    def __exit__(self, *exc) -> None:
        Device_.DEFAULT = self.__dict__["_outer"].pop()

    def lazygrad_name(self) -> str:
        """The lazygrad device this names (a plain str), or, for one lazygrad has not, the
        error torch built without it raises: AssertionError for CUDA and XPU, else a
        RuntimeError (_NotLinkedError)."""
        if self._foreign:
            have = ", ".join(d.name for d in devices() if d.available)
            message = (f"lazygrad has no {self._type.upper()} device ({str(self)!r}); its devices here "
                       f"are {have} ('cpu' is {host_device()}): use lg.device('cpu') or one of those")
            raise (_NotCompiledError if self._type in _ASSERTING else _NotLinkedError)(message)
        return str.__str__(self)


def _make(value: str, kind: str, index: int | None, foreign: bool = False) -> device:
    out = str.__new__(device, value)
    out._type, out._index, out._foreign = kind, index, foreign
    return out


def device_of(name: str) -> device:
    """The device value of a lazygrad device name (what `Tensor.device` returns)."""
    return _make(name, "cpu" if name in HOST else name, None)


def resolve_device(spec: str | device | int | None) -> str:
    """The lazygrad device a user's device argument names (None: the default device). Every
    device argument of the front end goes through here."""
    if spec is None:
        return Device_.DEFAULT
    if spec.__class__ is str and spec in _BUILTIN:  # (the common case, without parsing)
        return spec
    return (spec if isinstance(spec, device) else device(spec)).lazygrad_name()
