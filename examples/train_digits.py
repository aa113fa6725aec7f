"""Train a small CNN on scikit-learn's 8x8 handwritten digits (no download needed).

    python examples/train_digits.py [--epochs 12] [--device c] [--checkpoint digits.safetensors] [--jit]

--jit records the training step with lg.jit and replays it: the losses are the same as without.

Prints the train loss and test accuracy after every epoch, saves a checkpoint, then reloads
it into a fresh model and evaluates that, so the saved file is known to be complete.
"""
from __future__ import annotations

import argparse
import time

import numpy as np
from sklearn.datasets import load_digits
from tqdm import tqdm

import lazygrad as lg
import lazygrad.nn.functional as F
from lazygrad import nn, optim


class DigitsCNN(nn.Module):
    """(N, 1, 8, 8) -> conv 3x3 -> relu -> pool -> conv 3x3 -> relu -> pool -> linear -> 10 logits."""

    def __init__(self, width: int = 16) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(1, width, 3, padding=1)
        self.conv2 = nn.Conv2d(width, 2 * width, 3, padding=1)
        self.pool = nn.MaxPool2d(2)
        self.dropout = nn.Dropout(0.1)
        self.fc = nn.Linear(2 * width * 2 * 2, 10)

    def forward(self, x: lg.Tensor) -> lg.Tensor:
        x = self.pool(F.relu(self.conv1(x)))  # 16 x 4 x 4
        x = self.pool(F.relu(self.conv2(x)))  # 32 x 2 x 2
        return self.fc(self.dropout(x.flatten(1)))


def split(seed: int = 0):
    digits = load_digits()
    x = (digits.images / 16.0).astype(np.float32)[:, None]  # pixels are 0..16
    x = (x - 0.3) / 0.45
    y = digits.target.astype(np.int64)
    order = np.random.default_rng(seed).permutation(len(x))
    n_test = len(x) // 5
    test, train = order[:n_test], order[n_test:]
    return x[train], y[train], x[test], y[test]


def accuracy(model: nn.Module, x: np.ndarray, y: np.ndarray, device: str, batch: int = 512) -> float:
    model.eval()
    correct = 0
    with lg.no_grad():
        for i in range(0, len(x), batch):
            logits = model(lg.Tensor(x[i:i + batch], device=device)).numpy()
            correct += int((logits.argmax(1) == y[i:i + batch]).sum())
    return correct / len(x)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--lr", type=float, default=1e-2)
    parser.add_argument("--device", default=None)
    parser.add_argument("--checkpoint", default="digits_cnn.safetensors")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--jit", action="store_true", help="replay the training step with lg.jit")
    parser.add_argument("--max-steps", type=int, default=None, help="stop after this many steps (tests)")
    args = parser.parse_args()
    device = args.device or lg.Device.DEFAULT
    lg.manual_seed(args.seed)

    x_train, y_train, x_test, y_test = split(args.seed)
    model = DigitsCNN().to(device)
    opt = optim.Adam(model.parameters(), lr=args.lr)
    sched = optim.lr_scheduler.CosineAnnealingLR(opt, T_max=args.epochs)
    rng = np.random.default_rng(args.seed)

    def train_step(xb: lg.Tensor, yb: lg.Tensor) -> lg.Tensor:
        loss = F.cross_entropy(model(xb), yb)
        opt.zero_grad()
        loss.backward()
        opt.step()
        return loss
    step = lg.jit(train_step) if args.jit else train_step
    steps = 0
    start = time.time()
    for epoch in range(1, args.epochs + 1):
        model.train()
        order = rng.permutation(len(x_train))
        # drop the last partial batch: every step then has the same shapes (compiled once)
        batches = [order[i:i + args.batch_size] for i in range(0, len(order) - args.batch_size + 1, args.batch_size)]
        total, count = 0.0, 0
        bar = tqdm(batches, desc=f"epoch {epoch:2d}", leave=False, unit="batch")
        for idx in bar:
            xb = lg.Tensor(x_train[idx], device=device)
            yb = lg.Tensor(y_train[idx], device=device)
            value = step(xb, yb).item()
            total, count = total + value * len(idx), count + len(idx)
            bar.set_postfix(loss=f"{value:.3f}")
            steps += 1
            if args.max_steps is not None and steps >= args.max_steps:
                print(f"step {steps}  loss {value:.6f}", flush=True)
                return
        sched.step()
        acc = accuracy(model, x_test, y_test, device)
        print(f"epoch {epoch:2d}  train loss {total / count:.4f}  test accuracy {acc:.2%}  "
              f"({time.time() - start:.1f}s)", flush=True)

    lg.save(model, args.checkpoint)
    restored = DigitsCNN().to(device)
    restored.load_state_dict(lg.load(args.checkpoint, device=device))
    acc = accuracy(restored, x_test, y_test, device)
    print(f"saved {args.checkpoint}; reloaded model test accuracy {acc:.2%}; "
          f"total {time.time() - start:.1f}s")


if __name__ == "__main__":
    main()
