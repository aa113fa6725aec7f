"""torch.autograd's public names, and nothing else: `lg.autograd.grad`, `backward`, `Function`,
`Variable`, the grad modes, anomaly detection, gradcheck, and the submodules programs import
by path (`function`, `functional`, `forward_ad`, `grad_mode`, `anomaly_mode`, `variable`,
`graph`, `profiler`). The machinery lives in frontend/ (autograd.py, custom_function.py,
grad_mode.py, anomaly_mode.py, dual_levels.py); these modules re-export it under torch's names,
and everything else here is underscored so that dir() reads like torch's."""
from lazygrad import profiler as _lg_profiler
from lazygrad.autograd import anomaly_mode, forward_ad, function, functional, grad_mode, graph, variable
from lazygrad.autograd import profiler as profiler  # torch.autograd.profiler
from lazygrad.autograd._grad_options import backward, grad
from lazygrad.autograd.anomaly_mode import detect_anomaly, set_detect_anomaly
from lazygrad.autograd.function import Function
from lazygrad.autograd.grad_mode import (
    enable_grad,
    inference_mode,
    no_grad,
    set_grad_enabled,
    set_multithreading_enabled,
)
from lazygrad.autograd.gradcheck import gradcheck, gradgradcheck
from lazygrad.autograd.variable import Variable
from lazygrad.frontend.grad_mode import is_multithreading_enabled
from lazygrad.frontend.tensor_base import TensorBase as _TensorBase


def is_view_replay_enabled() -> bool:
    """False, torch's default: lazygrad has no view replay (views are graph nodes already)."""
    return False


def is_tensor_like(inp) -> bool:
    """Whether inp is a tensor or declares __torch_function__ (torch's test for tensor-likes)."""
    return isinstance(inp, _TensorBase) or hasattr(inp, "__torch_function__")


def kineto_available() -> bool:
    """False: lazygrad's profiler records its own kernels, without torch's Kineto library."""
    return _lg_profiler.kineto_available()


__all__ = [
    "Function",
    "Variable",
    "anomaly_mode",
    "backward",
    "detect_anomaly",
    "enable_grad",
    "forward_ad",
    "function",
    "functional",
    "grad",
    "grad_mode",
    "gradcheck",
    "gradgradcheck",
    "graph",
    "inference_mode",
    "is_multithreading_enabled",
    "is_tensor_like",
    "is_view_replay_enabled",
    "kineto_available",
    "no_grad",
    "profiler",
    "set_detect_anomaly",
    "set_grad_enabled",
    "set_multithreading_enabled",
    "variable",
]
