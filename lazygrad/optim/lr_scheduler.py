"""lazygrad.optim.lr_scheduler: torch's learning-rate schedules under torch's module path.

The base class is in lr_scheduler_base.py (with how schedules stay right under lg.jit); the
schedules are grouped by kind in lr_schedules*.py."""
from lazygrad.optim.lr_scheduler_base import LRScheduler, _LRScheduler
from lazygrad.optim.lr_schedules import (
    ConstantLR,
    CosineAnnealingLR,
    ExponentialLR,
    LambdaLR,
    LinearLR,
    MultiplicativeLR,
    MultiStepLR,
    PolynomialLR,
    StepLR,
)
from lazygrad.optim.lr_schedules_compose import ChainedScheduler, ReduceLROnPlateau, SequentialLR
from lazygrad.optim.lr_schedules_cyclic import CosineAnnealingWarmRestarts, CyclicLR, OneCycleLR

__all__ = ["ChainedScheduler", "ConstantLR", "CosineAnnealingLR", "CosineAnnealingWarmRestarts", "CyclicLR",
           "ExponentialLR", "LRScheduler", "LambdaLR", "LinearLR", "MultiStepLR", "MultiplicativeLR", "OneCycleLR",
           "PolynomialLR", "ReduceLROnPlateau", "SequentialLR", "StepLR", "_LRScheduler"]
