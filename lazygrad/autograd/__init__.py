"""torch.autograd's public names, and nothing else: `lg.autograd.grad`, `backward`, `Function`
(with `function.FunctionCtx` and `function.once_differentiable`), `Variable`, the grad
modes, and the `profiler` module (torch.autograd.profiler's profile and record_function).
The machinery lives in frontend/autograd.py and frontend/custom_function.py."""
from types import SimpleNamespace

from lazygrad.autograd import functional
from lazygrad.autograd import profiler as profiler  # torch.autograd.profiler
from lazygrad.autograd.gradcheck import gradcheck, gradgradcheck
from lazygrad.frontend.anomaly_mode import detect_anomaly, set_detect_anomaly
from lazygrad.frontend.autograd import backward, grad
from lazygrad.frontend.custom_function import Function, FunctionCtx, once_differentiable
from lazygrad.frontend.grad_hooks import register_multi_grad_hook
from lazygrad.frontend.grad_mode import enable_grad, inference_mode, no_grad, set_grad_enabled
from lazygrad.frontend.tensor_base import TensorBase

function = SimpleNamespace(Function=Function, FunctionCtx=FunctionCtx, once_differentiable=once_differentiable)
graph = SimpleNamespace(register_multi_grad_hook=register_multi_grad_hook)


class _VariableType(type):
    def __instancecheck__(cls, obj) -> bool:
        return isinstance(obj, TensorBase)


class Variable(metaclass=_VariableType):
    """torch's deprecated wrapper: `Variable(t, requires_grad=True)` is the tensor itself,
    asking for gradients if told to; every tensor is a Variable."""

    def __new__(cls, data, requires_grad: bool = False, volatile: bool = False):
        if requires_grad and not data.requires_grad:
            data.requires_grad_(True)
        return data


__all__ = [
    "Function",
    "Variable",
    "backward",
    "detect_anomaly",
    "enable_grad",
    "function",
    "functional",
    "grad",
    "gradcheck",
    "gradgradcheck",
    "graph",
    "inference_mode",
    "no_grad",
    "set_detect_anomaly",
    "set_grad_enabled",
]
