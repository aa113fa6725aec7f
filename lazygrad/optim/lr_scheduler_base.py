"""LRScheduler: the base every learning-rate schedule shares, with torch's protocol.

A schedule writes `get_lr()` (the next lrs, usually from the groups' current lrs, which is
how torch chains schedules) and may write `_get_closed_form_lr()` (lrs from base_lrs and
last_epoch alone, used by `step(epoch)`).

Under lg.jit a traced training step must not freeze its lr: every change to the optimizer's
param groups runs inside a `host_action`, which lg.jit runs again before each replay. So a
host action body calls `_advance`, never `step()` (that would record a second action)."""
from __future__ import annotations

import functools
import warnings
import weakref

from lazygrad.engine.jit import host_action
from lazygrad.optim.optimizer import Optimizer


def per_group(name: str, optimizer, value) -> list:
    """One value per param group: a list or tuple as given (its length checked), else repeated."""
    n = len(optimizer.param_groups)
    if isinstance(value, (list, tuple)):
        if len(value) != n:
            raise ValueError(f"expected {n} values for {name}, got {len(value)}")
        return list(value)
    return [value] * n


def set_momentum(group: dict, momentum: float, use_beta1: bool) -> None:
    """CyclicLR and OneCycleLR cycle momentum: beta1 for Adam-like optimizers, else momentum."""
    if use_beta1:
        group["betas"] = (momentum, *group["betas"][1:])
    else:
        group["momentum"] = momentum


EPOCH_DEPRECATION_WARNING = (
    "The epoch parameter in `scheduler.step()` was not necessary and is being deprecated where possible. Please "
    "use `scheduler.step()` to step the scheduler. During the deprecation, if epoch is different from None, the "
    "closed form is used instead of the new chainable form, where available. Please open an issue if you are "
    "unable to replicate your use case: https://github.com/pytorch/pytorch/issues/new/choose.")


def warn_get_lr_called_outside_step(scheduler) -> None:
    """Each schedule's get_lr starts with this, as torch's do: outside step() it computes the
    *next* lrs, which a user asking for the current ones does not expect."""
    if not scheduler._get_lr_called_within_step:
        warnings.warn("To get the last learning rate computed by the scheduler, please use `get_last_lr()`.",
                      UserWarning, stacklevel=2)


def track_optimizer_steps(optimizer) -> None:
    """Wrap optimizer.step (once) to note that it ran, so that a schedule stepped before its
    optimizer ever was can say so, as torch's does (that order skips the first lr)."""
    if hasattr(optimizer.step, "_wrapped_by_lr_sched"):
        return
    opt_ref, func = weakref.ref(optimizer), optimizer.step.__func__

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        opt = opt_ref()
        opt._opt_called = True
        return func.__get__(opt, opt.__class__)(*args, **kwargs)
    wrapper._wrapped_by_lr_sched = True
    optimizer.step = wrapper


def warn_if_stepped_before_optimizer(scheduler, stacklevel: int = 3) -> None:
    """torch's check at a schedule's first step() after the one it took when made (the warning
    names the line that called step(): stacklevel counts from here)."""
    if scheduler._step_count != 1:
        return
    if not hasattr(scheduler.optimizer.step, "_wrapped_by_lr_sched"):
        warnings.warn("Seems like `optimizer.step()` has been overridden after learning rate scheduler "
                      "initialization. Please, make sure to call `optimizer.step()` before "
                      "`lr_scheduler.step()`. See more details at "
                      "https://pytorch.org/docs/stable/optim.html#how-to-adjust-learning-rate", UserWarning,
                      stacklevel=stacklevel)
    elif not getattr(scheduler.optimizer, "_opt_called", False):
        warnings.warn("Detected call of `lr_scheduler.step()` before `optimizer.step()`. In PyTorch 1.1.0 and "
                      "later, you should call them in the opposite order: `optimizer.step()` before "
                      "`lr_scheduler.step()`.  Failure to do this will result in PyTorch skipping the first value "
                      "of the learning rate schedule. See more details at "
                      "https://pytorch.org/docs/stable/optim.html#how-to-adjust-learning-rate", UserWarning,
                      stacklevel=stacklevel)


class LRScheduler:
    _get_lr_called_within_step: bool = False  # (True while step() computes the next lrs)
    _is_initial: bool = False  # (True during the step a schedule takes when made)

    def __init__(self, optimizer, last_epoch: int = -1):
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"{type(optimizer).__name__} is not an Optimizer")
        self.optimizer = optimizer
        for i, g in enumerate(optimizer.param_groups):
            if last_epoch == -1:
                g.setdefault("initial_lr", g["lr"])
            elif "initial_lr" not in g:
                raise KeyError(f"param 'initial_lr' is not specified in param_groups[{i}] when resuming "
                               "scheduler with last_epoch >= 0.")
        self.base_lrs = [g["initial_lr"] for g in optimizer.param_groups]
        self.last_epoch = last_epoch
        track_optimizer_steps(optimizer)
        self._initial_step()

    def _initial_step(self) -> None:
        """The step a schedule takes when made (to epoch 0): chained schedules keep the lr then."""
        self._step_count = 0
        host_action(lambda: self._advance(None, initial=True))

    def get_lr(self) -> list[float]:
        raise NotImplementedError

    def step(self, epoch: int | None = None) -> None:
        """Advance the schedule (under lg.jit, again before every replay of a traced step)."""
        warn_if_stepped_before_optimizer(self)
        if epoch is not None:
            warnings.warn(EPOCH_DEPRECATION_WARNING, UserWarning, stacklevel=2)
        host_action(lambda: self._advance(epoch))

    def _advance(self, epoch: int | None, initial: bool = False) -> None:
        self._step_count += 1
        self._update_lr(epoch, initial)

    def _update_lr(self, epoch: int | None, initial: bool = False) -> None:
        """Move to the next epoch (or to epoch, by the closed form where there is one) and set
        the groups' lrs; get_lr runs with torch's flags set (_is_initial, and
        _get_lr_called_within_step, which a state_dict carries as torch's does)."""
        self._is_initial = initial
        self._get_lr_called_within_step = True
        try:
            if epoch is None:
                self.last_epoch += 1
                values = self.get_lr()
            else:
                self.last_epoch = epoch
                closed = getattr(self, "_get_closed_form_lr", None)
                values = closed() if closed is not None else self.get_lr()
        finally:
            self._is_initial = False
            self._get_lr_called_within_step = False
        for g, lr in zip(self.optimizer.param_groups, values):
            g["lr"] = lr
        self._last_lr = [g["lr"] for g in self.optimizer.param_groups]

    def _group_lrs(self) -> list[float]:
        return [g["lr"] for g in self.optimizer.param_groups]

    def get_last_lr(self) -> list[float]:
        return list(self._last_lr)

    def state_dict(self) -> dict:
        return {k: v for k, v in self.__dict__.items() if k != "optimizer"}

    def load_state_dict(self, state_dict: dict) -> None:
        self.__dict__.update(state_dict)


_LRScheduler = LRScheduler  # torch's old name, still imported by older code
