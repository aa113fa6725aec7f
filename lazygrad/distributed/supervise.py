"""The launcher's rank supervisor: `python -m lazygrad.distributed.run` starts each rank under one,
so that when a rank dies the launcher can say which one and how.

mpiexec starts `python .../supervise.py RUN_DIR [-m] target args...` N times; each supervisor
starts the rank (`python target args...`) as its child, forwards the signals it gets to it, waits
for it and ends as it did. When the rank ends abnormally (a non-zero exit status, or a signal
that did not come through the supervisor) the supervisor writes `time rank pid status` to
RUN_DIR/failure-of-<its pid> (atomically, through runtime/disk_cache.py: lazygrad is imported
only then), which the launcher reads when mpiexec has ended the job (run.py). The rank
names itself: init_process_group writes its rank to RUN_DIR/rank-of-<its parent's pid>
(`announce`; the launcher passes RUN_DIR to the ranks as LAZYGRAD_DIST_RUN_DIR). A rank that
died before init_process_group is named by its pid only. A rank that raises records its
traceback in RUN_DIR/error-of-<its parent's pid> before it aborts the job (`record_error`, as
torchrun's error files): mpiexec's output forwarding may lose what a rank printed just before
the abort, so the launcher prints the first failure's traceback again, whole. Survivors that mpiexec stops after a
failure are not failures (mpiexec kills their supervisors, and on Linux a rank dies with its
supervisor: PR_SET_PDEATHSIG, so that none is left behind).

Run as a script it imports nothing of lazygrad: a rank pays milliseconds for it, not an import
of the package (and no module of this folder shadows a standard one it imports). `announce`
and `how` are what the rank and the launcher import.
"""
from __future__ import annotations

import ctypes
import os
import signal
import subprocess
import sys
import time

FORWARDED = ("SIGINT", "SIGTERM", "SIGHUP", "SIGQUIT", "SIGUSR1", "SIGUSR2")
# torchrun's variables, which a torch program reads before init_process_group (LOCAL_RANK picks
# its GPU), from what an MPI process manager sets: MPICH's Hydra, Open MPI, PMIx, Slurm's srun
TORCH_VARIABLES = {
    "RANK": ("PMI_RANK", "OMPI_COMM_WORLD_RANK", "PMIX_RANK", "SLURM_PROCID"),
    "WORLD_SIZE": ("PMI_SIZE", "OMPI_COMM_WORLD_SIZE", "SLURM_NTASKS"),
    "LOCAL_RANK": ("MPI_LOCALRANKID", "OMPI_COMM_WORLD_LOCAL_RANK", "SLURM_LOCALID"),
    "LOCAL_WORLD_SIZE": ("MPI_LOCALNRANKS", "OMPI_COMM_WORLD_LOCAL_SIZE"),
}


def torch_variables(environ) -> dict[str, str]:
    """RANK, WORLD_SIZE, LOCAL_RANK and LOCAL_WORLD_SIZE as torchrun sets them, from the MPI
    process manager's own (in environ); one already set (by the user, or torchrun) is left out.
    A rank the launcher started gets them when lazygrad is imported (distributed/__init__.py)."""
    out = {}
    for name, sources in TORCH_VARIABLES.items():
        value = next((environ[s] for s in sources if environ.get(s, "").isdigit()), None)
        if name not in environ and value is not None:
            out[name] = value
    return out

def announce(run_dir: str, rank: int) -> None:
    """Called by init_process_group under the launcher: tell this rank's supervisor its rank."""
    from lazygrad.runtime.disk_cache import atomic_write  # (the rank has lazygrad loaded)
    try:
        atomic_write(os.path.join(run_dir, f"rank-of-{os.getppid()}"), str(rank), durable=False)
    except OSError:
        pass  # (naming a dead rank is a courtesy, never a reason to fail)


def record_error(run_dir: str, rank: int | str, text: str) -> None:
    """Called by a rank's uncaught-exception hook under the launcher, before it aborts the job:
    `time rank` on the first line (rank "?" before MPI told it), then the traceback, for the
    launcher to print whole."""
    from lazygrad.runtime.disk_cache import atomic_write  # (the rank has lazygrad loaded)
    try:
        atomic_write(os.path.join(run_dir, f"error-of-{os.getppid()}"), f"{time.time_ns()} {rank}\n{text}",
                     durable=False)
    except OSError:
        pass  # (as announce: a courtesy)


def how(status: int) -> str:
    """A process's end in words; status as subprocess gives it (-9: killed by signal 9)."""
    if status < 0:
        try:
            name = f" ({signal.Signals(-status).name})"
        except ValueError:
            name = ""
        return f"was killed by signal {-status}{name}"
    return f"exited with status {status}"


def _die_with_parent() -> None:
    """In the rank, before exec: on Linux, die when the supervisor dies."""
    if sys.platform.startswith("linux"):
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


def _read(path: str) -> str:
    try:
        with open(path) as f:
            return f.read().strip()
    except OSError:
        return ""


def main(argv: list[str]) -> int:
    run_dir, argv = argv[0], argv[1:]
    forwarded: list[int] = []
    child: list[int] = []

    def forward(signum, _frame):
        forwarded.append(signum)
        if child:
            os.kill(child[0], signum)
    for name in FORWARDED:
        signal.signal(getattr(signal, name), forward)
    # close_fds=False: MPI's process manager talks to the rank through inherited descriptors
    # (preexec_fn is safe here: the supervisor has one thread)
    proc = subprocess.Popen([sys.executable, *argv], close_fds=False, preexec_fn=_die_with_parent)  # noqa: PLW1509
    child.append(proc.pid)
    if forwarded:  # a signal came before the child existed
        os.kill(proc.pid, forwarded[-1])
    status = proc.wait()
    if status != 0 and not forwarded:
        rank = _read(os.path.join(run_dir, f"rank-of-{os.getpid()}")) or "?"
        try:  # one file a failure, written whole (lazygrad is imported only on this path)
            from lazygrad.runtime.disk_cache import atomic_write
            atomic_write(os.path.join(run_dir, f"failure-of-{os.getpid()}"),
                         f"{time.time_ns()} {rank} {proc.pid} {status}\n", durable=False)
        except (OSError, ImportError):
            pass
    if status < 0:  # end as the rank did, so that mpiexec reports the same
        if -status not in (signal.SIGKILL, signal.SIGSTOP):
            signal.signal(-status, signal.SIG_DFL)
        os.kill(os.getpid(), -status)
    return status if status >= 0 else 128 - status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
