"""lazygrad.distributed, DistributedDataParallel and DistributedSampler.

The multi-rank checks run as real MPI jobs: each test launches `mpiexec -n N python
tests/distributed/<script>.py` (one launch holds many checks, since a launch costs about a
second) and reads what the ranks printed. They need mpi4py and an mpiexec (the optional extra
`pip install -e ".[distributed]"`, which CI installs); without mpi4py they are skipped.
"""
from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

import lazygrad as lg
import lazygrad.distributed as dist
from lazygrad.utils.data import DistributedSampler

HERE = Path(__file__).parent / "distributed"
needs_mpi = pytest.mark.skipif(importlib.util.find_spec("mpi4py") is None,
                               reason="mpi4py is not installed (pip install -e '.[distributed]')")


def launch(n: int, script: str, *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    """`python -m lazygrad.distributed.run -n N script args` (the launcher finds mpiexec)."""
    cmd = [sys.executable, "-m", "lazygrad.distributed.run", "-n", str(n), str(HERE / script), *args]
    return subprocess.run(cmd, check=False, capture_output=True, text=True, timeout=timeout)


@needs_mpi
@pytest.mark.parametrize("n", [1, 2, 4])
def test_every_collective_and_dtype_matches_numpy_on_n_ranks(n):
    out = launch(n, "collectives_check.py")
    assert out.returncode == 0, out.stdout + out.stderr
    assert sorted(re.findall(r"ok (\d+) \d+", out.stdout)) == [str(r) for r in range(n)]  # (lines may interleave)


@needs_mpi
@pytest.mark.parametrize("n", [2, 4])
def test_ddp_matches_one_process_on_the_global_batch(n):
    """K SGD steps on N ranks with batch B/N each equal one process with batch B; also with
    no_sync accumulation, unused parameters, and parameters bit-identical across ranks."""
    out = launch(n, "ddp_check.py")
    assert out.returncode == 0, out.stdout + out.stderr
    assert out.stdout.count("ok ") == n


@needs_mpi
@pytest.mark.parametrize("n", [1, 2])
def test_ddp_buckets_are_all_reduced_inside_the_backwards_schedule_overlapping_it(n):
    """One schedule: bucket k's all-reduce starts once its gradients are computed, later
    gradients are computed while it is in flight, and no kernel is added to the backward's."""
    out = launch(n, "ddp_steps_check.py")
    assert out.returncode == 0, out.stdout + out.stderr
    assert sorted(re.findall(r"ok (\d)", out.stdout)) == [str(r) for r in range(n)]


@needs_mpi
@pytest.mark.parametrize("n", [1, 2])
def test_a_collective_is_a_host_step_of_the_schedule_that_lg_jit_replays(n):
    """One schedule (the input's kernel, the MPI step, the write); jit replays the MPI call;
    the result is a new version of the storage (autograd's version check)."""
    out = launch(n, "steps_check.py")
    assert out.returncode == 0, out.stdout + out.stderr
    assert sorted(re.findall(r"ok (\d)", out.stdout)) == [str(r) for r in range(n)]


@needs_mpi
@pytest.mark.parametrize("n", [1, 2, 4])
def test_send_and_recv_are_deferred_host_steps_that_lg_jit_replays(n):
    """A ring of isend then recv in every dtype; the steps in the schedule (the send after its
    input's kernel); irecv's tensor keeps its value until wait(); batch_isend_irecv; lg.jit
    replays isend/irecv; a message of the wrong size raises."""
    out = launch(n, "p2p_check.py")
    assert out.returncode == 0, out.stdout + out.stderr
    assert sorted(re.findall(r"ok (\d)", out.stdout)) == [str(r) for r in range(n)]


@needs_mpi
def test_the_debug_listing_names_the_collective_among_the_kernels(tmp_path):
    script = tmp_path / "listed.py"
    script.write_text("import lazygrad as lg, lazygrad.distributed as dist\n"
                      "dist.init_process_group()\n"
                      "t = lg.arange(4.0) * (dist.get_rank() + 2)\n"
                      "dist.all_reduce(t)\n"
                      "print(t.tolist())\n"
                      "_ = dist.send(t + 1, 1) if dist.get_rank() == 0 else dist.recv(t, 0)\n")
    cmd = [sys.executable, "-m", "lazygrad.distributed.run", "-n", "2", str(script)]
    out = subprocess.run(cmd, check=False, capture_output=True, text=True, timeout=60,
                         env={**os.environ, "LAZYGRAD_DEBUG": "2"})
    assert out.returncode == 0, out.stderr
    assert re.search(r"all_reduce\(SUM\) on ranks \[0, 1\] <- host at listed.py:4", out.stderr), out.stderr
    assert re.search(r"\*\*\* host +all_reduce\(SUM\) on ranks \[0, 1\] +[\d.]+ ms +\(listed.py:4\)", out.stderr)
    assert out.stdout.count("[0.0, 5.0, 10.0, 15.0]") == 2
    assert re.search(r"send to rank 1 \(tag 0\) on ranks \[0, 1\] <- host at listed.py:6", out.stderr), out.stderr
    assert re.search(r"\*\*\* host +recv from rank 0 \(tag 0\) on ranks \[0, 1\] +[\d.]+ ms +\(listed.py:6\)", out.stderr)


@needs_mpi
@pytest.mark.parametrize("how, said, status", [
    ("exit", "exited with status 7", 7),
    ("kill", "was killed by signal 9 (SIGKILL)", 128 + 9),
])
def test_a_rank_that_dies_ends_the_job_promptly_and_the_launcher_names_it(how, said, status):
    start = time.monotonic()
    out = launch(2, "dead_rank.py", how, timeout=60)
    # mpiexec ends the job: the survivor is stopped, it does not wait forever; the launcher's
    # rank supervisors say which rank died and how, and the launcher exits with its status
    assert time.monotonic() - start < 20
    assert "no error" not in out.stdout
    assert re.search(rf"lazygrad.distributed.run: rank 1 \(pid \d+\) {re.escape(said)}\n", out.stderr), out.stderr
    assert out.stderr.count("lazygrad.distributed.run: rank") == 1  # the survivor it stopped is not a failure
    assert out.returncode == status


def _hydra() -> str | None:
    """The venv's mpiexec when it is MPICH's Hydra (whose -disable-auto-cleanup lets the survivors run on)."""
    from lazygrad.distributed.run import find_mpiexec
    try:
        mpiexec = find_mpiexec()
        said = subprocess.run([mpiexec, "--version"], check=False, capture_output=True, text=True, timeout=30).stdout
    except (SystemExit, OSError, subprocess.TimeoutExpired):
        return None
    return mpiexec if "HYDRA" in said else None


@needs_mpi
@pytest.mark.parametrize("how, waiting", [("exit", "all_reduce(SUM)"), ("exit-p2p", "recv from rank 1 (tag 0)")])
def test_under_a_bare_mpiexec_the_survivors_name_a_rank_that_died(how, waiting):
    """No launcher, and an mpiexec that lets the others run on (srun's default too): the survivor
    sees that rank 1's process ended and says so, long before its 60 s timeout."""
    mpiexec = _hydra()
    if mpiexec is None:
        pytest.skip("needs MPICH's mpiexec (Hydra)")
    cmd = [mpiexec, "-disable-auto-cleanup", "-n", "2", sys.executable, str(HERE / "dead_rank.py"), how, "60"]
    out = subprocess.run(cmd, check=False, capture_output=True, text=True, timeout=120)
    assert out.returncode != 0
    assert re.search(rf"DistBackendError: \[rank 0\] {re.escape(waiting)} on ranks \[0, 1\] cannot complete: rank 1 "
                     rf"\(pid \d+ on [^)]+\) has ended \(exited or was killed\) while this rank waited for it in "
                     rf"{re.escape(waiting)}; the MPI job is aborted when this process exits", out.stderr), out.stderr
    assert "no error" not in out.stdout and "did not complete within" not in out.stderr


@needs_mpi
def test_a_rank_that_dies_before_init_process_group_is_named_by_its_pid(tmp_path):
    script = tmp_path / "early.py"
    script.write_text("import os\nos._exit(3)\n")
    out = launch(2, str(script), timeout=60)  # (HERE / an absolute path is that path)
    assert re.search(r"lazygrad.distributed.run: a rank \(before init_process_group\) \(pid \d+\) exited with "
                     r"status 3", out.stderr), out.stderr
    assert out.returncode == 3


@needs_mpi
def test_an_uncaught_exception_on_one_rank_ends_the_job_at_once_naming_the_rank():
    start = time.monotonic()
    out = launch(2, "dead_rank.py", "raise", timeout=60)
    assert out.returncode != 0 and time.monotonic() - start < 20  # not the 2 s timeout: at once
    first = out.stderr[out.stderr.index("lazygrad.distributed.run: the first failure, on rank 1:\n"):]
    assert "ValueError: a bug on rank 1" in first, out.stderr
    assert "lazygrad.distributed: rank 1 of 2 failed (ValueError); aborting the MPI job" in first
    assert "DistBackendError" not in out.stderr


@needs_mpi
def test_the_launcher_prints_a_ranks_traceback_even_when_its_own_output_is_lost(tmp_path):
    """What a rank prints as it aborts the job may never reach the terminal (mpiexec tears its
    output forwarding down): here the rank's stderr goes nowhere, and the launcher still says."""
    script = tmp_path / "silent.py"
    script.write_text("import os, sys\nimport lazygrad.distributed as dist\ndist.init_process_group()\n"
                      "sys.stderr = open(os.devnull, 'w')\n"
                      "def deep():\n    raise KeyError('only the launcher tells')\n"
                      "if dist.get_rank() == 1:\n    deep()\ndist.barrier()\n")
    out = launch(2, str(script), timeout=60)  # (HERE / an absolute path is that path)
    assert out.returncode != 0
    assert "lazygrad.distributed.run: the first failure, on rank 1:\nTraceback (most recent call last):" in out.stderr
    assert re.search(r'silent.py", line 6, in deep\n.*\nKeyError: .only the launcher tells.', out.stderr), out.stderr


@needs_mpi
def test_a_rank_that_hangs_makes_the_others_raise_within_the_timeout():
    start = time.monotonic()
    out = launch(2, "dead_rank.py", "hang", timeout=60)
    assert out.returncode != 0 and time.monotonic() - start < 20
    assert "DistBackendError: [rank 0] all_reduce(SUM) on ranks [0, 1] did not complete within 2 s" in out.stderr


@needs_mpi
def test_a_rank_that_hangs_in_a_ddp_backward_costs_one_timeout_not_one_a_bucket():
    """The schedule's first bucket times out; the other buckets in flight fail at once (the group
    is broken) rather than each waiting its own 2 s, and the first error is the one raised. (One
    timeout: 2 s, and at most 1 s of roll call; two would be 6 s.)"""
    out = launch(2, "dead_rank.py", "hang-ddp", timeout=60)
    assert out.returncode != 0
    found = re.search(r"raised after ([\d.]+)s: \[rank 0\] DDP bucket \d all_reduce\(SUM\) on ranks \[0, 1\] did "
                      r"not complete within 2 s", out.stdout)
    assert found and float(found.group(1)) < 5.5, out.stdout + out.stderr


@needs_mpi
def test_mismatched_shapes_raise_in_debug_mode(tmp_path):
    script = tmp_path / "mismatch.py"
    script.write_text("import lazygrad as lg, lazygrad.distributed as dist\n"
                      "dist.init_process_group()\n"
                      "dist.all_reduce(lg.ones(3 + dist.get_rank()))\n")
    env = {"TORCH_DISTRIBUTED_DEBUG": "DETAIL"}
    cmd = [sys.executable, "-m", "lazygrad.distributed.run", "-n", "2", str(script)]
    out = subprocess.run(cmd, check=False, capture_output=True, text=True, timeout=60, env={**os.environ, **env})
    assert out.returncode != 0
    # (mpiexec may cut what the ranks print as the job aborts: the launcher prints the first failure again)
    first = out.stderr[out.stderr.index("lazygrad.distributed.run: the first failure, on rank "):]
    assert "Detected mismatch between collectives" in first and "but rank 1: all_reduce(SUM) (((4,), 'float32'),)" \
        in first, out.stderr


@needs_mpi
def test_a_launcher_disagreeing_with_mpi_is_refused(tmp_path):
    script = tmp_path / "ranks.py"
    script.write_text("import lazygrad.distributed as dist\ndist.init_process_group('mpi')\n")
    cmd = [sys.executable, "-m", "lazygrad.distributed.run", "-n", "2", str(script)]
    out = subprocess.run(cmd, check=False, capture_output=True, text=True, timeout=60,
                         env={**os.environ, "WORLD_SIZE": "3"})
    assert out.returncode != 0
    # both ranks raise at once: the launcher prints the first traceback whole (mpiexec forwards
    # the two interleaved line by line)
    first = out.stderr[out.stderr.index("lazygrad.distributed.run: the first failure, on rank "):]
    assert "ValueError: init_process_group: WORLD_SIZE=3 but MPI says 2" in first, out.stderr


@needs_mpi
def test_ranks_failing_before_init_have_the_first_traceback_printed_whole(tmp_path):
    script = tmp_path / "early.py"
    script.write_text("import lazygrad.distributed\nraise KeyError('no data for this rank')\n")
    cmd = [sys.executable, "-m", "lazygrad.distributed.run", "-n", "2", str(script)]
    out = subprocess.run(cmd, check=False, capture_output=True, text=True, timeout=60)
    assert out.returncode == 1
    first = out.stderr[out.stderr.index("lazygrad.distributed.run: the first failure, on a rank (before "
                                        "init_process_group) (1 more rank(s) raised too):\n"):]
    assert "Traceback (most recent call last):\n  File " in first and "line 2, in <module>\n" in first
    assert "KeyError: 'no data for this rank'\n" in first, out.stderr


@needs_mpi
def test_a_process_started_by_torchrun_is_told_to_use_mpi():
    code = "import lazygrad.distributed as dist; dist.init_process_group()"
    env = {**os.environ, "WORLD_SIZE": "2", "RANK": "1", "MASTER_ADDR": "localhost"}
    out = subprocess.run([sys.executable, "-c", code], check=False, capture_output=True, text=True, env=env, timeout=60)
    assert "ValueError: init_process_group: WORLD_SIZE=2 but this process is an MPI world of one" in out.stderr


def test_collectives_before_init_raise_torchs_error():
    assert not dist.is_initialized()
    for call in (lambda: dist.all_reduce(lg.ones(2)), dist.get_rank, dist.get_world_size, dist.barrier,
                 lambda: dist.broadcast(lg.ones(2), src=0)):
        with pytest.raises(ValueError, match="Default process group has not been initialized"):
            call()


def test_the_default_timeout_is_torchs_or_the_setting():
    from datetime import timedelta

    from lazygrad import config
    from lazygrad.distributed.group import _default_timeout
    with config.override(dist_timeout=None):
        assert _default_timeout() == timedelta(minutes=30)
    with config.override(dist_timeout="2.5"):
        assert _default_timeout() == timedelta(seconds=2.5)
    with config.override(dist_timeout="soon"), pytest.raises(ValueError, match="LAZYGRAD_DIST_TIMEOUT='soon'"):
        _default_timeout()


def test_importing_lazygrad_does_not_import_mpi():
    code = "import sys, lazygrad; assert lazygrad.distributed.ReduceOp.SUM; print('mpi4py' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


@pytest.mark.parametrize("size, replicas, shuffle, drop_last, seed, epoch", [
    (10, 3, True, False, 0, 0), (10, 3, True, True, 7, 2), (10, 4, False, False, 0, 0), (3, 5, True, False, 1, 1),
    (1797, 4, True, False, 42, 3), (11, 4, False, True, 0, 0),
])
def test_distributed_sampler_gives_torchs_index_lists(size, replicas, shuffle, drop_last, seed, epoch):
    torch = pytest.importorskip("torch")
    from torch.utils.data import DistributedSampler as TorchSampler
    data = list(range(size))
    for rank in range(replicas):
        ours = DistributedSampler(data, num_replicas=replicas, rank=rank, shuffle=shuffle, seed=seed,
                                  drop_last=drop_last)
        theirs = TorchSampler(data, num_replicas=replicas, rank=rank, shuffle=shuffle, seed=seed, drop_last=drop_last)
        ours.set_epoch(epoch)
        theirs.set_epoch(epoch)
        assert list(ours) == list(theirs) and len(ours) == len(theirs)
    assert torch is not None


def test_distributed_sampler_checks_its_rank():
    with pytest.raises(ValueError, match=r"Invalid rank 3, rank should be in the interval \[0, 2\]"):
        DistributedSampler(list(range(5)), num_replicas=3, rank=3)


@needs_mpi
def test_the_ddp_example_trains_on_two_ranks_in_step():
    """examples/train_digits_ddp.py (local batch 64, as train_digits.py's test: the same kernels)."""
    example = Path(__file__).parent.parent / "examples" / "train_digits_ddp.py"
    cmd = [sys.executable, "-m", "lazygrad.distributed.run", "-n", "2", str(example), "--batch-size", "128",
           "--max-steps", "2"]
    out = subprocess.run(cmd, check=False, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stdout + out.stderr
    # (two ranks' lines may interleave mid-line: mpiexec forwards each write as it comes)
    found = dict(re.findall(r"rank (\d) step 2 loss [-\d.]+ params (-?\d+\.\d{6})", out.stdout))
    assert set(found) == {"0", "1"} and found["0"] == found["1"], out.stdout  # the same parameters


def test_multi_grad_hook_runs_once_after_backward_with_none_for_unreached():
    """DDP's trigger (frontend/grad_hooks.py), torch.autograd.graph.register_multi_grad_hook's
    mode="all": once per backward, this backward's gradients, None where not reached."""
    torch = pytest.importorskip("torch")
    from lazygrad.frontend.grad_hooks import register_multi_grad_hook
    seen, theirs = [], []
    a, b, c = (lg.tensor([1.0, 2.0], requires_grad=True) for _ in range(3))
    ta, tb, tc = (torch.tensor([1.0, 2.0], requires_grad=True) for _ in range(3))
    handle = register_multi_grad_hook([a, b, c], lambda gs: seen.append([None if g is None else g.tolist() for g in gs]))
    torch.autograd.graph.register_multi_grad_hook(
        [ta, tb, tc], lambda gs: theirs.append([None if g is None else g.tolist() for g in gs]))
    (a * 3 + b * b).sum().backward()
    (a * 2).sum().backward()
    (ta * 3 + tb * tb).sum().backward()
    (ta * 2).sum().backward()
    assert seen == theirs == [[[3.0, 3.0], [2.0, 4.0], None], [[2.0, 2.0], None, None]]
    assert a.grad.tolist() == [5.0, 5.0]  # .grad still accumulates
    handle.remove()
    (a * 2).sum().backward()
    assert len(seen) == 2


def test_the_launcher_finds_mpiexec_beside_python_then_on_path_or_says_what_to_install(tmp_path, monkeypatch):
    from lazygrad.distributed import run
    (tmp_path / "bin").mkdir()
    monkeypatch.setattr(sys, "executable", str(tmp_path / "bin" / "python"))
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(SystemExit, match=r"no mpiexec next to .*bin/python or on PATH; install one with pip install"):
        run.find_mpiexec()
    beside = tmp_path / "bin" / "mpiexec"
    beside.write_text("")
    assert run.command(["-n", "3", "train.py", "--lr", "1"], "/tmp/x") == [
        str(beside), "-n", "3", sys.executable, run.SUPERVISOR, "/tmp/x", "train.py", "--lr", "1"]
    assert run.command(["-n", "2", "-m", "pkg.train"])[3:] == [sys.executable, run.SUPERVISOR, "", "-m", "pkg.train"]


@needs_mpi
def test_the_launcher_gives_each_rank_torchruns_variables(tmp_path):
    """A torch program reads LOCAL_RANK (to pick its GPU), RANK and WORLD_SIZE from torchrun's
    environment before init_process_group: under the launcher, importing lazygrad sets them from
    MPI's process manager's."""
    script = tmp_path / "env.py"
    script.write_text("import os, sys\nimport lazygrad.distributed as dist\ndist.init_process_group('mpi')\n"
                      "names = ('RANK', 'WORLD_SIZE', 'LOCAL_RANK', 'LOCAL_WORLD_SIZE')\n"
                      "line = ' '.join(['env', str(dist.get_rank()), *(os.environ[n] for n in names)])\n"
                      "sys.stdout.write(line + '\\n')  # (one write: the ranks' lines do not interleave)\n"
                      "sys.stdout.flush()\ndist.destroy_process_group()\n")
    out = launch(2, str(script), timeout=120)  # (HERE / an absolute path is that path)
    assert out.returncode == 0, out.stderr
    assert sorted(re.findall(r"env (\d) (\d) (\d) (\d) (\d)", out.stdout)) == [("0", "0", "2", "0", "2"),
                                                                          ("1", "1", "2", "1", "2")]


def test_torchruns_variables_come_from_any_process_manager_and_never_replace_given_ones():
    from lazygrad.distributed.supervise import torch_variables
    open_mpi = {"OMPI_COMM_WORLD_RANK": "5", "OMPI_COMM_WORLD_SIZE": "8", "OMPI_COMM_WORLD_LOCAL_RANK": "1",
                "OMPI_COMM_WORLD_LOCAL_SIZE": "4"}
    assert torch_variables(open_mpi) == {"RANK": "5", "WORLD_SIZE": "8", "LOCAL_RANK": "1", "LOCAL_WORLD_SIZE": "4"}
    assert torch_variables({"SLURM_PROCID": "3", "SLURM_NTASKS": "4", "SLURM_LOCALID": "0"}) == {
        "RANK": "3", "WORLD_SIZE": "4", "LOCAL_RANK": "0"}
    assert torch_variables({**open_mpi, "LOCAL_RANK": "0"}).get("LOCAL_RANK") is None  # (the given one stays)
    assert torch_variables({}) == {}


@needs_mpi
def test_a_rank_on_another_host_that_died_is_named_as_not_arrived_by_the_roll_call():
    """Three ranks, each playing a host of its own (no process can be looked at): rank 0's timeout
    names rank 1 as not arrived (no answer) and rank 2 as waiting in another collective, with
    the sequence numbers, without claiming anyone died."""
    mpiexec = _hydra()
    if mpiexec is None:
        pytest.skip("needs MPICH's mpiexec (Hydra)")
    start = time.monotonic()
    cmd = [mpiexec, "-disable-auto-cleanup", "-n", "3", sys.executable, str(HERE / "far_rank.py")]
    out = subprocess.run(cmd, check=False, capture_output=True, text=True, timeout=120)
    assert out.returncode != 0 and "no error" not in out.stdout
    said = re.search(r"raised: \[rank 0\] all_reduce\(SUM\) on ranks \[0, 1, 2\] did not complete within "
                     r"2 s: (.*)\. \(The timeout is", out.stdout)
    assert said, out.stdout + out.stderr
    assert said.group(1) == (
        "rank 1 did not arrive: no answer within 1 s to this rank's roll call (it died, hangs or computes outside "
        "lazygrad's operations, or cannot be reached); rank 1 runs on another host, where "
        "this rank cannot see whether its process is alive; rank 2 waits in broadcast(src=0) on ranks [0, 1, 2] "
        "(its operation #2 on that group; this is #2 here)")
    assert time.monotonic() - start < 30


def test_the_roll_call_says_who_waits_in_what_and_never_who_died():
    from lazygrad.distributed.roll_call import describe
    mine = ("all_reduce(SUM)", [0, 1, 2, 3], 5)
    said = describe(mine, {1: mine, 2: ("all_reduce(SUM)", [0, 1, 2, 3], 4)}, [1, 2, 3], away=[])
    assert said == ("rank 3 did not arrive: no answer within 1 s to this rank's roll call (it died, hangs or computes "
                    "outside lazygrad's operations, or cannot be reached); rank 2 waits in all_reduce(SUM) on ranks "
                    "[0, 1, 2, 3] (its operation #4 on that group; this is #5 here); rank 1 waits in this "
                    "all_reduce(SUM) too")
    assert describe(mine, {1: mine, 2: mine, 3: mine}, [1, 2, 3], away=[3]).endswith(
        "ranks 1, 2, 3 wait in this all_reduce(SUM) too; every rank of the group waits in it, yet MPI did not complete it")
    assert describe(mine, {}, [2, 3], away=[2, 3]).startswith("ranks 2, 3 did not arrive: no answer within 1 s to this "
                                                             "rank's roll call (each died")
