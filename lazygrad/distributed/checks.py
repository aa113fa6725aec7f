"""The debug check TORCH_DISTRIBUTED_DEBUG=DETAIL: before each collective, every rank of the
group all-gathers what it is about to do (operation, shapes, dtypes) and raises if the ranks
disagree, instead of MPI combining mismatched buffers (undefined behaviour: a hang, a crash
or silent garbage). It costs one small blocking all-gather per collective, so it is off by
default, as torch's."""
from __future__ import annotations

from lazygrad.config import settings
from lazygrad.distributed.group import ProcessGroup


def enabled() -> bool:
    return settings.torch_distributed_debug.strip().upper() == "DETAIL"


def check_same(group: ProcessGroup, what: str, signature: tuple) -> None:
    """Raise RuntimeError naming the ranks whose (op, shapes, dtypes) differ from rank 0's."""
    if not enabled():
        return
    everyone = group.comm.allgather((what, signature))
    first = everyone[0]
    odd = [(group.ranks[i], s) for i, s in enumerate(everyone) if s != first]
    if odd:
        lines = "; ".join(f"rank {r}: {s[0]} {s[1]}" for r, s in odd)
        raise RuntimeError(f"Detected mismatch between collectives on ranks {group.ranks}: rank "
                           f"{group.ranks[0]} runs {first[0]} {first[1]}, but {lines}")
