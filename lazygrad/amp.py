"""torch.amp: autocast and GradScaler, as torch answers them on a machine without CUDA.

autocast for "cuda" warns and does nothing, as torch without CUDA does. autocast for "cpu" (the
type of every lazygrad device) runs torch's lists of ops in bfloat16 or float16 and others in
float32 (frontend/autocast_policy.py); with another dtype it warns and stays off, as torch's.
Other device types have no lazygrad tensors: autocast for them raises rather than pretend.
enabled=False only switches the state that autocast_state.py keeps.

GradScaler for "cuda" (torch's default device) is disabled with torch's warning, so its
methods pass through, as torch's do there. For "cpu" it scales: the loss is multiplied by the
scale, the gradients divided by it before the step, a step whose gradients hold an inf or NaN
is skipped and the scale backed off, and after growth_interval clean steps it grows.
"""
from __future__ import annotations

import math
import warnings

from lazygrad import dtypes
from lazygrad.frontend import autocast_state as state
from lazygrad.frontend.grad_mode import no_grad
from lazygrad.frontend.tensor import Tensor


def _device_type(device) -> str:
    return str(device).split(":")[0]


class autocast:  # (torch's lower-case name)
    """A context manager (and decorator) as torch.autocast; see the module doc."""

    def __init__(self, device_type: str, dtype=None, enabled: bool = True, cache_enabled=None) -> None:
        self.device_type, self.dtype, self.enabled = _device_type(device_type), dtype, enabled
        self.fast_dtype = dtype if dtype is not None else state.get_autocast_dtype(self.device_type)
        self.cache_enabled = state.is_autocast_cache_enabled() if cache_enabled is None else cache_enabled
        if not enabled:
            return
        if self.device_type == "cuda":
            warnings.warn("CUDA is not available or torch_xla is imported. Disabling autocast.", stacklevel=2)
            self.enabled = False
            return
        if self.device_type == "cpu":
            if self.fast_dtype not in (dtypes.bfloat16, dtypes.float16):
                warnings.warn("In CPU autocast, but the target dtype is not supported. Disabling autocast.\n"
                              "CPU Autocast only supports dtypes of torch.bfloat16, torch.float16 currently.",
                              stacklevel=2)
                self.enabled = False
            return
        raise NotImplementedError(
            f"autocast(device_type={device_type!r}) would run ops in {dtype or 'a lower precision'}: lazygrad does "
            "not change op dtypes under autocast. Use enabled=False, or cast the model and inputs (model.bfloat16())")

    def __enter__(self):
        """torch's order: remember the state, switch it, count the nesting (see autocast_state)."""
        self._prev = (state.is_autocast_cache_enabled(), state.is_autocast_enabled(self.device_type),
                      state.get_autocast_dtype(self.device_type))
        state.set_autocast_enabled(self.device_type, self.enabled)
        state.set_autocast_dtype(self.device_type, self.fast_dtype)
        state.autocast_increment_nesting()
        state.set_autocast_cache_enabled(self.cache_enabled)
        return self

    def __exit__(self, *exc) -> None:
        if state.autocast_decrement_nesting() == 0:
            state.clear_autocast_cache()
        cache, enabled, dtype = self._prev
        state.set_autocast_enabled(self.device_type, enabled)
        state.set_autocast_dtype(self.device_type, dtype)
        state.set_autocast_cache_enabled(cache)

    def __call__(self, fn):
        def wrapped(*args, **kwargs):
            with self:
                return fn(*args, **kwargs)
        return wrapped


def is_autocast_available(device_type: str) -> bool:
    """Whether torch has an autocast for device_type (every type it names but "meta")."""
    return _device_type(device_type) in state._TYPES and _device_type(device_type) != "meta"


class GradScaler:
    def __init__(self, device: str = "cuda", init_scale: float = 2.0 ** 16, growth_factor: float = 2.0,
                 backoff_factor: float = 0.5, growth_interval: int = 2000, enabled: bool = True) -> None:
        self._device = _device_type(device)
        if enabled and self._device == "cuda":
            warnings.warn("torch.cuda.amp.GradScaler is enabled, but CUDA is not available.  Disabling.",
                          stacklevel=2)
            enabled = False
        if growth_factor <= 1.0:
            raise AssertionError("The growth factor must be > 1.0.")
        if backoff_factor >= 1.0:
            raise AssertionError("The backoff factor must be < 1.0.")
        self._enabled = enabled
        self._scale, self._growth_factor, self._backoff_factor = float(init_scale), growth_factor, backoff_factor
        self._growth_interval, self._growth_tracker = growth_interval, 0
        self._per_optimizer: dict[int, dict] = {}

    def is_enabled(self) -> bool:
        return self._enabled

    def get_scale(self) -> float:
        return self._scale if self._enabled else 1.0

    def get_growth_factor(self) -> float:
        return self._growth_factor

    def get_backoff_factor(self) -> float:
        return self._backoff_factor

    def get_growth_interval(self) -> int:
        return self._growth_interval

    def set_growth_factor(self, new_factor: float) -> None:
        self._growth_factor = new_factor

    def set_backoff_factor(self, new_factor: float) -> None:
        self._backoff_factor = new_factor

    def set_growth_interval(self, new_interval: int) -> None:
        self._growth_interval = new_interval

    def scale(self, outputs):
        """outputs times the scale (a tensor, or a list or tuple of them)."""
        if not self._enabled:
            return outputs
        if isinstance(outputs, Tensor):
            return outputs * self._scale
        if isinstance(outputs, (list, tuple)):
            return type(outputs)(self.scale(o) for o in outputs)
        raise ValueError("outputs must be a Tensor or an iterable of Tensors")

    def _state(self, optimizer) -> dict:
        return self._per_optimizer.setdefault(id(optimizer), {"unscaled": False, "found_inf": False})

    def unscale_(self, optimizer) -> None:
        """Divide optimizer's gradients by the scale, noting whether any is inf or NaN."""
        if not self._enabled:
            return
        state = self._state(optimizer)
        if state["unscaled"]:
            raise RuntimeError("unscale_() has already been called on this optimizer since the last update().")
        found = False
        with no_grad():
            for group in optimizer.param_groups:
                for p in group["params"]:
                    if p.grad is None:
                        continue
                    p.grad = p.grad.detach() * (1.0 / self._scale)
                    found = found or not bool(p.grad.isfinite().all().item())
        state["unscaled"], state["found_inf"] = True, found

    def step(self, optimizer, *args, **kwargs):
        """optimizer.step() on unscaled gradients, skipped where one held an inf or NaN."""
        if not self._enabled:
            return optimizer.step(*args, **kwargs)
        if "closure" in kwargs:
            raise RuntimeError("Closure use is not currently supported if GradScaler is enabled.")
        state = self._state(optimizer)
        if not state["unscaled"]:
            self.unscale_(optimizer)
        return None if state["found_inf"] else optimizer.step(*args, **kwargs)

    def update(self, new_scale=None) -> None:
        """The next scale: new_scale if given, else backed off after an inf or NaN, grown after
        growth_interval clean steps."""
        if not self._enabled:
            return
        if new_scale is not None:
            self._scale = float(new_scale.item() if isinstance(new_scale, Tensor) else new_scale)
        elif any(s["found_inf"] for s in self._per_optimizer.values()):
            self._scale *= self._backoff_factor
            self._growth_tracker = 0
        else:
            self._growth_tracker += 1
            if self._growth_tracker == self._growth_interval:
                grown = self._scale * self._growth_factor
                self._scale = grown if math.isfinite(grown) else self._scale
                self._growth_tracker = 0
        self._per_optimizer = {}

    def state_dict(self) -> dict:
        if not self._enabled:
            return {}
        return {"scale": self._scale, "growth_factor": self._growth_factor, "backoff_factor": self._backoff_factor,
                "growth_interval": self._growth_interval, "_growth_tracker": self._growth_tracker}

    def load_state_dict(self, state_dict: dict) -> None:
        if not self._enabled:
            return
        if not state_dict:
            raise RuntimeError("The source state dict is empty, possibly because it was saved from a disabled "
                               "instance of GradScaler.")
        self._scale = float(state_dict["scale"])
        self._growth_factor, self._backoff_factor = state_dict["growth_factor"], state_dict["backoff_factor"]
        self._growth_interval, self._growth_tracker = state_dict["growth_interval"], state_dict["_growth_tracker"]


def _cuda_gradscaler(init_scale: float = 2.0 ** 16, growth_factor: float = 2.0, backoff_factor: float = 0.5,
                     growth_interval: int = 2000, enabled: bool = True) -> GradScaler:
    warnings.warn("`torch.cuda.amp.GradScaler(args...)` is deprecated. Please use `torch.amp.GradScaler('cuda', "
                  "args...)` instead.", FutureWarning, stacklevel=2)
    return GradScaler("cuda", init_scale, growth_factor, backoff_factor, growth_interval, enabled)


def _cuda_autocast(enabled: bool = True, dtype=None, cache_enabled: bool = True) -> autocast:
    warnings.warn("`torch.cuda.amp.autocast(args...)` is deprecated. Please use `torch.amp.autocast('cuda', "
                  "args...)` instead.", FutureWarning, stacklevel=2)
    return autocast("cuda", dtype, enabled, cache_enabled)


def _cpu_autocast(enabled: bool = True, dtype=None, cache_enabled: bool = True) -> autocast:
    warnings.warn("`torch.cpu.amp.autocast(args...)` is deprecated. Please use `torch.amp.autocast('cpu', "
                  "args...)` instead.", FutureWarning, stacklevel=2)
    return autocast("cpu", dtype if dtype is not None else dtypes.bfloat16, enabled, cache_enabled)


def is_autocast_enabled(device_type: str = "cuda") -> bool:
    """The switch of device_type ("cuda" by default, as torch)."""
    return state.is_autocast_enabled(device_type)


__all__ = ["GradScaler", "autocast", "is_autocast_available", "is_autocast_enabled"]
