"""torch.autograd.profiler's names: the older `profile` (enabled=, use_cuda=, ...; no schedule)
and `record_function`. Both are lg.profiler's (lazygrad/profiler.py): the events are the
kernels lazygrad realizes inside the block."""
from __future__ import annotations

from typing import Any

from lazygrad import profiler as _profiler
from lazygrad.frontend.profiler_events import EventList
from lazygrad.profiler import ProfilerActivity, record_function


class profile(_profiler.profile):
    """`with torch.autograd.profiler.profile() as prof:` then prof.key_averages(), prof.table(),
    prof.function_events; enabled=False records nothing. use_cuda, use_device and the other
    torch options are accepted and change nothing (every device's kernels are recorded)."""

    def __init__(self, enabled: bool = True, *, record_shapes: bool = False, with_flops: bool = False,
                 **torch_options: Any) -> None:
        super().__init__(record_shapes=record_shapes, with_flops=with_flops)
        self.enabled = enabled

    def start(self) -> None:
        if self.enabled:
            super().start()

    @property
    def function_events(self) -> EventList:
        return self.events()

    @property
    def self_cpu_time_total(self) -> float:
        return sum(e.self_cpu_time_total for e in self.events())

    def table(self, sort_by: str | None = None, row_limit: int = 100, **options: Any) -> str:
        return self.key_averages().table(sort_by=sort_by, row_limit=row_limit, **options)

    def total_average(self):
        return self.events().total_average()


__all__ = ["EventList", "ProfilerActivity", "profile", "record_function"]
