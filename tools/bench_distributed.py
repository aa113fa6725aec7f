"""Steps per second of examples/train_digits.py's CNN under DistributedDataParallel on 1 and 2
ranks (or --ranks), and the time each step spends in DDP's gradient hook (realizing the
gradient buckets, all-reducing them, writing the averages back) and waiting for MPI.

    python tools/bench_distributed.py [--ranks 1 2] [--steps 40] [--batch-size 64] [--bucket-cap-mb 25]

It launches itself with mpiexec once per rank count; a rank-0 line per run is printed. The
global batch is fixed, so more ranks means less work each (strong scaling). Not a test: the
figures depend on the machine (docs/distributed.md quotes some).
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def rank_main(args) -> None:
    sys.path.insert(0, str(ROOT / "examples"))
    import numpy as np
    from train_digits import DigitsCNN, split

    import lazygrad as lg
    import lazygrad.distributed as dist
    import lazygrad.nn.functional as F
    from lazygrad import optim
    from lazygrad.nn.parallel import DistributedDataParallel

    dist.init_process_group("mpi")
    rank, world = dist.get_rank(), dist.get_world_size()
    x, y, _, _ = split(0)
    model = DistributedDataParallel(DigitsCNN(), bucket_cap_mb=args.bucket_cap_mb)
    opt = optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    local = args.batch_size // world
    rng = np.random.default_rng(rank)

    def step():
        idx = rng.integers(0, len(x), local)
        loss = F.cross_entropy(model(lg.Tensor(x[idx])), lg.Tensor(y[idx]))
        opt.zero_grad()
        loss.backward()
        opt.step()
        return loss.item()
    for _ in range(args.warmup):
        step()
    dist.barrier()
    model.timing.update(reduce=0.0, wait=0.0, steps=0)
    start = time.perf_counter()
    for _ in range(args.steps):
        step()
    dist.barrier()
    seconds = time.perf_counter() - start
    if rank == 0:
        t = model.timing
        print(json.dumps({"ranks": world, "steps_per_s": args.steps / seconds,
                          "ms_per_step": 1e3 * seconds / args.steps,
                          "ms_in_ddp_hook": 1e3 * t["reduce"] / args.steps,
                          "ms_waiting_for_mpi": 1e3 * t["wait"] / args.steps}), flush=True)
    dist.destroy_process_group()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--ranks", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--steps", type=int, default=40)
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--bucket-cap-mb", type=float, default=25.0, help="DDP's buckets (the CNN's 24 KB of "
                        "gradients is one bucket; 0.004 makes 5)")
    parser.add_argument("--rank-main", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.rank_main:
        rank_main(args)
        return
    from lazygrad.distributed.run import find_mpiexec
    for n in args.ranks:
        cmd = [find_mpiexec(), "-n", str(n), sys.executable, __file__, "--rank-main", "--steps", str(args.steps),
               "--warmup", str(args.warmup), "--batch-size", str(args.batch_size),
               "--bucket-cap-mb", str(args.bucket_cap_mb)]
        out = subprocess.run(cmd, capture_output=True, text=True, check=False)
        if out.returncode != 0:
            raise SystemExit(out.stdout + out.stderr)
        r = json.loads(out.stdout.strip().splitlines()[-1])
        print(f"{r['ranks']} rank(s): {r['steps_per_s']:.1f} steps/s ({r['ms_per_step']:.1f} ms a step), "
              f"{r['ms_in_ddp_hook']:.1f} ms a step in DDP's gradient hook, of which "
              f"{r['ms_waiting_for_mpi']:.2f} ms waiting for MPI")


if __name__ == "__main__":
    main()
