"""lg.autograd reads like torch.autograd: the submodules programs import by path, the switches
that act when made (set_grad_enabled, set_multithreading_enabled) in their three forms, and
the small queries (is_tensor_like, is_view_replay_enabled, kineto_available)."""
from __future__ import annotations

import importlib
import threading

import pytest

import lazygrad as lg

torch = pytest.importorskip("torch")

SUBMODULES = {
    "grad_mode": ["no_grad", "enable_grad", "set_grad_enabled", "inference_mode", "set_multithreading_enabled"],
    "anomaly_mode": ["detect_anomaly", "set_detect_anomaly"],
    "variable": ["Variable"],
    "function": ["Function", "FunctionCtx", "once_differentiable"],
    "forward_ad": ["dual_level", "make_dual", "unpack_dual", "enter_dual_level", "exit_dual_level",
                   "UnpackedDualTensor"],
    "graph": ["register_multi_grad_hook"],
}


@pytest.mark.parametrize("module", list(SUBMODULES))
def test_submodules_import_by_path_with_torchs_names(module):
    ours = importlib.import_module(f"lazygrad.autograd.{module}")
    theirs = importlib.import_module(f"torch.autograd.{module}")
    for name in SUBMODULES[module]:
        assert hasattr(theirs, name) and hasattr(ours, name), name
    assert getattr(lg.autograd, module) is ours


def test_every_public_name_is_one_of_torchs():
    ours = {n for n in dir(lg.autograd) if not n.startswith("_")}
    assert ours <= set(dir(torch.autograd)), sorted(ours - set(dir(torch.autograd)))
    assert lg.autograd.grad_mode.no_grad is lg.no_grad and lg.autograd.variable.Variable is lg.autograd.Variable


def test_set_grad_enabled_switches_when_called_in_a_block_and_as_a_decorator():
    assert lg.is_grad_enabled()
    lg.autograd.set_grad_enabled(False)
    assert not lg.is_grad_enabled()
    lg.set_grad_enabled(True)
    with lg.set_grad_enabled(False):
        assert not (lg.ones(2, requires_grad=True) * 2).requires_grad
    assert lg.is_grad_enabled()

    @lg.autograd.grad_mode.set_grad_enabled(False)
    def inside():
        return lg.is_grad_enabled()
    assert lg.is_grad_enabled() and inside() is False and lg.is_grad_enabled()


def test_multithreading_switch_is_kept_per_thread():
    assert lg.autograd.is_multithreading_enabled() is torch.autograd.is_multithreading_enabled() is True
    with lg.autograd.set_multithreading_enabled(False):
        assert not lg.autograd.is_multithreading_enabled()
        seen = []
        worker = threading.Thread(target=lambda: seen.append(lg.autograd.is_multithreading_enabled()))
        worker.start()
        worker.join()
        assert seen == [True]
    assert lg.autograd.is_multithreading_enabled()


def test_queries():
    class TensorLike:
        @classmethod
        def __torch_function__(cls, func, types, args=(), kwargs=None):
            return -1
    for value in (lg.ones(1), TensorLike(), 1.0, [1.0]):
        assert lg.autograd.is_tensor_like(value) == torch.autograd.is_tensor_like(
            torch.ones(1) if isinstance(value, lg.Tensor) else value)
    assert lg.autograd.is_view_replay_enabled() is torch.autograd.is_view_replay_enabled() is False
    assert lg.autograd.kineto_available() is False  # (no Kineto library here)
    assert isinstance(lg.ones(1), lg.autograd.variable.Variable)
