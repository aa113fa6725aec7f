"""train_digits.py's CNN trained data-parallel on several processes (MPI):

    python -m lazygrad.distributed.run -n 2 examples/train_digits_ddp.py [--epochs 10]
    mpiexec -n 2 python examples/train_digits_ddp.py       (or srun on a cluster)

Each rank reads its share of every epoch (DistributedSampler) with a batch of
batch_size / world_size, so the global batch and the learning rate are train_digits.py's;
DistributedDataParallel averages the gradients, so every rank takes the same step. Rank 0
prints, evaluates and saves the checkpoint.
"""
from __future__ import annotations

import argparse
import time

import numpy as np
from train_digits import DigitsCNN, accuracy, split

import lazygrad as lg
import lazygrad.distributed as dist
import lazygrad.nn.functional as F
from lazygrad import optim
from lazygrad.nn.parallel import DistributedDataParallel
from lazygrad.utils.data import DistributedSampler


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--batch-size", type=int, default=64, help="the global batch, over all ranks")
    parser.add_argument("--lr", type=float, default=1e-2)
    parser.add_argument("--device", default=None)
    parser.add_argument("--checkpoint", default="digits_cnn_ddp.safetensors")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--max-steps", type=int, default=None, help="stop after this many steps (tests)")
    args = parser.parse_args()
    dist.init_process_group("mpi")
    rank, world = dist.get_rank(), dist.get_world_size()
    if args.batch_size % world:
        raise SystemExit(f"--batch-size {args.batch_size} must be a multiple of the {world} ranks")
    device = args.device or lg.Device.DEFAULT
    lg.manual_seed(args.seed + rank)  # different dropout masks per rank; parameters come from rank 0

    x_train, y_train, x_test, y_test = split(args.seed)
    model = DistributedDataParallel(DigitsCNN().to(device))
    opt = optim.Adam(model.parameters(), lr=args.lr)
    sched = optim.lr_scheduler.CosineAnnealingLR(opt, T_max=args.epochs)
    sampler = DistributedSampler(range(len(x_train)), seed=args.seed, drop_last=True)
    local = args.batch_size // world
    steps, start = 0, time.time()
    for epoch in range(1, args.epochs + 1):
        model.train()
        sampler.set_epoch(epoch)
        order = np.array(list(sampler))
        total = 0.0
        batches = [order[i:i + local] for i in range(0, len(order) - local + 1, local)]
        for idx in batches:
            loss = F.cross_entropy(model(lg.Tensor(x_train[idx], device=device)),
                                   lg.Tensor(y_train[idx], device=device))
            opt.zero_grad()
            loss.backward()  # DistributedDataParallel averages the gradients here
            opt.step()
            total += loss.item()
            steps += 1
            if args.max_steps is not None and steps >= args.max_steps:
                flat = np.concatenate([p.detach().numpy().ravel() for p in model.parameters()])
                print(f"rank {rank} step {steps} loss {loss.item():.6f} params {flat.sum():.6f}", flush=True)
                dist.destroy_process_group()
                return
        sched.step()
        if rank == 0:
            acc = accuracy(model.module, x_test, y_test, device)
            print(f"epoch {epoch:2d}  train loss {total / len(batches):.4f} (rank 0)  test accuracy {acc:.2%}  "
                  f"({time.time() - start:.1f}s, {world} ranks)", flush=True)
    if rank == 0:
        lg.save(model.module, args.checkpoint)
        print(f"saved {args.checkpoint}; total {time.time() - start:.1f}s")
    dist.destroy_process_group()


if __name__ == "__main__":
    main()
