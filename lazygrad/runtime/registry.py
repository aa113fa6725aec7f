"""Which devices exist, which work here, and which one is the default.

Built-in devices are created on first use. Third-party backends register a factory with
`register_device(name, factory)` or through the `lazygrad.backends` entry-point group. The meta
device (runtime/meta.py) is held here too, so it can be the default device, but not listed:
it computes nothing.
"""
from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass

from lazygrad.config import settings
from lazygrad.errors import DeviceError, DeviceWarning, warn_once
from lazygrad.runtime import meta
from lazygrad.runtime.device import Device

_FACTORIES: dict[str, Callable[[], Device]] = {}
_DEVICES: dict[str, Device] = {}
_ENTRY_POINTS_LOADED = False
_MAKING = threading.RLock()  # one Device a name: two threads' first uses must not make two
DEFAULT_ORDER = ("c", "opencl", "python")


def _builtin(name: str) -> Callable[[], Device]:
    def factory() -> Device:
        import importlib
        return importlib.import_module(f"lazygrad.runtime.{name}").make_device()
    return factory


for _name in ("c", "opencl", "python"):
    _FACTORIES[_name] = _builtin(_name)


def register_device(name: str, factory: Callable[[], Device]) -> None:
    """Make `name` usable as a device; factory() builds the Device on first use."""
    _FACTORIES[name] = factory
    _DEVICES.pop(name, None)


def _load_entry_points() -> None:
    global _ENTRY_POINTS_LOADED
    if _ENTRY_POINTS_LOADED:
        return
    _ENTRY_POINTS_LOADED = True
    from importlib.metadata import entry_points
    for ep in entry_points(group="lazygrad.backends"):
        _FACTORIES.setdefault(ep.name, lambda ep=ep: ep.load()())


def known_devices() -> list[str]:
    _load_entry_points()
    return list(_FACTORIES)


def canonical(name: str) -> str:
    """'C', 'cpu' and 'c:0' all name the c device; 'numpy' names python."""
    base = name.lower().split(":")[0]
    return {"cpu": "c", "numpy": "python", "cl": "opencl", "gpu": "opencl"}.get(base, base)


def get_device(name: str) -> Device:
    dev = _DEVICES.get(name)  # a canonical name of a device made before: the hot path
    if dev is not None:
        return dev
    with _MAKING:
        return _made(canonical(name))


def _made(name: str) -> Device:
    dev = _DEVICES.get(name)
    if dev is not None:
        return dev
    if name not in _FACTORIES:
        _load_entry_points()
    if name not in _FACTORIES and meta.is_meta(name):  # held, not listed: no compute device (runtime/meta.py)
        dev = _DEVICES[name] = meta.make_device()
        return dev
    if name not in _FACTORIES:
        raise DeviceError(f"unknown device {name!r}; known devices: {', '.join(known_devices())}")
    dev = _FACTORIES[name]()
    try:
        ok, reason = dev.check()
    except Exception as e:  # noqa: BLE001  a check that raises says the device does not work
        ok, reason = False, f"{type(e).__name__}: {e}"
    if not ok:
        raise DeviceError(f"device {name!r} does not work here: {reason}")
    _DEVICES[name] = dev
    return dev


@dataclass(frozen=True)
class DeviceInfo:
    name: str
    available: bool
    reason: str


def devices() -> list[DeviceInfo]:
    """Every known device, whether it works on this machine, and why (not)."""
    out = []
    for name in known_devices():
        try:
            dev = _DEVICES.get(name) or _FACTORIES[name]()
            ok, reason = dev.check()
        except Exception as e:  # a broken backend must not break the listing
            ok, reason = False, f"{type(e).__name__}: {e}"
        out.append(DeviceInfo(name, ok, reason))
    return out


def default_device() -> str:
    """The first that works of $LAZYGRAD_DEVICE, c, opencl, python; when that is not the
    first of them, one DeviceWarning says why the ones before it do not work."""
    wanted = canonical(settings.device) if settings.device else None
    skipped = []
    for name in ([wanted] if wanted else []) + [n for n in DEFAULT_ORDER if n != wanted]:
        try:
            get_device(name)
        except DeviceError as e:
            if name == wanted:
                raise
            skipped.append(str(e))
            continue
        if skipped:
            why = "; ".join(skipped)
            warn_once("default device", DeviceWarning, f"the default device is {name!r}: {why}")
        return name
    raise DeviceError("no device works here; install a C compiler or pyopencl")


class _DeviceDefault:
    """`lg.Device.DEFAULT`: read and set the default device."""

    _default: str | None = None

    @property
    def DEFAULT(self) -> str:
        if _DeviceDefault._default is None:
            _DeviceDefault._default = default_device()
        return _DeviceDefault._default

    @DEFAULT.setter
    def DEFAULT(self, name: str) -> None:
        get_device(name)
        _DeviceDefault._default = canonical(name)


Device_ = _DeviceDefault()
