"""torch.futures' names: Future, collect_all, wait_all (frontend/futures.py). torch.jit.Future
is the same class, as in torch; lazygrad.distributed's Work.get_future() returns one."""
from lazygrad.frontend.futures import Future, collect_all, wait_all

__all__ = ["Future", "collect_all", "wait_all"]
