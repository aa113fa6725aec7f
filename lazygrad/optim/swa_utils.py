"""torch.optim.swa_utils: stochastic weight averaging and exponential moving averages of a
model's weights (AveragedModel and its averaging functions), the SWALR schedule that anneals
to a constant lr, and update_bn, which recomputes batch-norm statistics for the averaged
weights with one pass over the data."""
from __future__ import annotations

import itertools
import math
from copy import deepcopy

from lazygrad import dtypes
from lazygrad.frontend.grad_mode import no_grad
from lazygrad.frontend.tensor import Tensor
from lazygrad.nn.modules.module import Module
from lazygrad.nn.modules.norm import _BatchNorm
from lazygrad.optim.lr_scheduler_base import LRScheduler, per_group, warn_get_lr_called_outside_step


def get_ema_avg_fn(decay: float = 0.999):
    """ema = decay * ema + (1 - decay) * current."""
    def ema_update(ema_param: Tensor, current_param: Tensor, num_averaged):
        return decay * ema_param + (1 - decay) * current_param
    return ema_update


def get_swa_avg_fn():
    """The running mean of every model averaged so far."""
    def swa_update(averaged_param: Tensor, current_param: Tensor, num_averaged):
        return averaged_param + (current_param - averaged_param) / (num_averaged + 1)
    return swa_update


def get_ema_multi_avg_fn(decay: float = 0.999):
    """get_ema_avg_fn's update, in place on lists of tensors."""
    def ema_update(ema_param_list, current_param_list, num_averaged) -> None:
        for ema, current in zip(ema_param_list, current_param_list):
            ema.lerp_(current, 1 - decay)
    return ema_update


def get_swa_multi_avg_fn():
    """get_swa_avg_fn's update, in place on lists of tensors."""
    def swa_update(averaged_param_list, current_param_list, num_averaged) -> None:
        for averaged, current in zip(averaged_param_list, current_param_list):
            averaged.add_((current - averaged) / (num_averaged + 1))
    return swa_update


class AveragedModel(Module):
    """A copy of model whose parameters (and buffers, with use_buffers) are the average of the
    models passed to update_parameters: equal weights by default (SWA), or as avg_fn or
    multi_avg_fn says (an EMA). Calling it runs the averaged copy."""

    def __init__(self, model: Module, device=None, avg_fn=None, multi_avg_fn=None, use_buffers: bool = False) -> None:
        super().__init__()
        if avg_fn is not None and multi_avg_fn is not None:
            raise AssertionError("Only one of avg_fn and multi_avg_fn should be provided")
        self.module = deepcopy(model)
        if device is not None:
            self.module = self.module.to(device)
        # the count lives with the weights (torch's is a CPU tensor, which torch lets meet any
        # device's as a number; lazygrad keeps every tensor of an op on one device)
        first = next(iter(self.module.parameters()), None)
        where = device if device is not None or first is None else first.device
        self.register_buffer("n_averaged", Tensor(0, dtype=dtypes.int64, device=where))
        self.avg_fn, self.multi_avg_fn, self.use_buffers = avg_fn, multi_avg_fn, use_buffers

    def forward(self, *args, **kwargs):
        return self.module(*args, **kwargs)

    def _tensors(self, model: Module) -> list[Tensor]:
        return list(itertools.chain(model.parameters(), model.buffers()) if self.use_buffers else model.parameters())

    def update_parameters(self, model: Module) -> None:
        mine = self._tensors(self.module)
        theirs = [t.detach().to(m.device) for m, t in zip(mine, self._tensors(model))]
        n = int(self.n_averaged.item())
        with no_grad():
            if n == 0:
                for m, t in zip(mine, theirs):
                    m.copy_(t)
            elif self.multi_avg_fn is not None:
                self.multi_avg_fn(mine, theirs, self.n_averaged)
            else:
                fn = self.avg_fn if self.avg_fn is not None else get_swa_avg_fn()
                for m, t in zip(mine, theirs):
                    m.copy_(fn(m.detach(), t, self.n_averaged))
            if not self.use_buffers:  # the buffers follow the model: update_bn recomputes them
                for b, theirs_b in zip(self.module.buffers(), model.buffers()):
                    b.copy_(theirs_b.detach().to(b.device))
            self.n_averaged.add_(1)


def update_bn(loader, model: Module, device=None) -> None:
    """One pass over loader in training mode with every batch norm's statistics reset and its
    momentum None (an equal-weight average over the batches), as torch's."""
    momenta = {}
    for module in model.modules():
        if isinstance(module, _BatchNorm):
            module.reset_running_stats()
            momenta[module] = module.momentum
    if not momenta:
        return
    was_training = model.training
    model.train()
    for module in momenta:
        module.momentum = None
    for batch in loader:
        if isinstance(batch, (list, tuple)):
            batch = batch[0]
        if device is not None:
            batch = batch.to(device)
        model(batch)
    for module, momentum in momenta.items():
        module.momentum = momentum
    model.train(was_training)


class SWALR(LRScheduler):
    """Anneals each group's lr to swa_lr over anneal_epochs steps ("cos" or "linear"), then
    keeps it there."""

    def __init__(self, optimizer, swa_lr, anneal_epochs: int = 10, anneal_strategy: str = "cos",
                 last_epoch: int = -1) -> None:
        for group, lr in zip(optimizer.param_groups, per_group("swa_lr", optimizer, swa_lr)):
            group["swa_lr"] = lr
        if anneal_strategy not in ("cos", "linear"):
            raise ValueError(f"anneal_strategy must by one of 'cos' or 'linear', instead got {anneal_strategy}")
        if not isinstance(anneal_epochs, int) or anneal_epochs < 0:
            raise ValueError(f"anneal_epochs must be equal or greater than 0, got {anneal_epochs}")
        self.anneal_func = self._cosine if anneal_strategy == "cos" else self._linear
        self.anneal_epochs = anneal_epochs
        super().__init__(optimizer, last_epoch)

    @staticmethod
    def _cosine(t: float) -> float:
        return (1 - math.cos(math.pi * t)) / 2

    @staticmethod
    def _linear(t: float) -> float:
        return t

    def get_lr(self) -> list[float]:
        warn_get_lr_called_outside_step(self)
        # the lr the annealing started from, recovered from the current one, then moved on a step
        step = self._step_count - 1
        if self.anneal_epochs == 0:
            step = max(1, step)
        before = self.anneal_func(max(0.0, min(1.0, (step - 1) / max(1, self.anneal_epochs))))
        now = self.anneal_func(max(0.0, min(1.0, step / max(1, self.anneal_epochs))))
        lrs = []
        for group in self.optimizer.param_groups:
            swa = group["swa_lr"]
            start = swa if before == 1 else (group["lr"] - before * swa) / (1 - before)
            lrs.append(swa * now + start * (1 - now))
        return lrs


__all__ = ["SWALR", "AveragedModel", "get_ema_avg_fn", "get_ema_multi_avg_fn", "get_swa_avg_fn",
           "get_swa_multi_avg_fn", "update_bn"]
