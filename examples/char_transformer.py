"""A small character-level transformer (causal self-attention) trained on a text file.

    python examples/char_transformer.py [path/to/text.txt] [--steps 300] [--device c]

Without a path it trains on examples/data/tiny.txt. It prints the loss as it trains, then
samples new text one character at a time. Every forward pass has the same shapes (a window
of --block characters), so its kernels are compiled once.
"""
from __future__ import annotations

import argparse
import math
import os
import time

import numpy as np
from tqdm import tqdm

import lazygrad as lg
import lazygrad.nn.functional as F
from lazygrad import nn, optim

DEFAULT_TEXT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data", "tiny.txt")


class Block(nn.Module):
    """Pre-norm transformer block: x + attn(ln(x)), then x + mlp(ln(x))."""

    def __init__(self, dim: int, heads: int, dropout: float):
        super().__init__()
        self.ln1 = nn.LayerNorm(dim)
        self.attn = nn.MultiheadAttention(dim, heads, dropout=dropout, batch_first=True)
        self.ln2 = nn.LayerNorm(dim)
        self.mlp = nn.Sequential(nn.Linear(dim, 4 * dim), nn.GELU(), nn.Linear(4 * dim, dim), nn.Dropout(dropout))

    def forward(self, x: lg.Tensor, mask: lg.Tensor) -> lg.Tensor:
        h = self.ln1(x)
        x = x + self.attn(h, h, h, attn_mask=mask, need_weights=False)[0]
        return x + self.mlp(self.ln2(x))


class CharTransformer(nn.Module):
    def __init__(self, vocab: int, block: int, dim: int = 64, heads: int = 4, layers: int = 2, dropout: float = 0.1):
        super().__init__()
        self.block = block
        self.tok = nn.Embedding(vocab, dim)
        self.pos = nn.Embedding(block, dim)
        self.blocks = nn.ModuleList([Block(dim, heads, dropout) for _ in range(layers)])
        self.ln = nn.LayerNorm(dim)
        self.head = nn.Linear(dim, vocab)
        # True above the diagonal: position i may not look at j > i (torch's MHA convention)
        self.register_buffer("mask", lg.Tensor(np.triu(np.ones((block, block), bool), 1)), persistent=False)
        self.register_buffer("positions", lg.Tensor(np.arange(block)), persistent=False)

    def forward(self, idx: lg.Tensor) -> lg.Tensor:
        x = self.tok(idx) + self.pos(self.positions)
        for b in self.blocks:
            x = b(x, self.mask)
        return self.head(self.ln(x))


def sample(model: CharTransformer, data: np.ndarray, chars: list[str], length: int, device: str,
           temperature: float, rng: np.random.Generator) -> str:
    """Generate from a window taken from the text, keeping the window size fixed."""
    model.eval()
    start = rng.integers(0, len(data) - model.block)
    window = list(data[start:start + model.block])
    out = []

    @lg.jit  # the window's shape never changes: after two calls the kernels just replay
    def last_logits(idx: lg.Tensor) -> lg.Tensor:
        return model(idx)[0, -1]

    with lg.no_grad():
        for _ in range(length):
            logits = last_logits(lg.Tensor(np.array([window]), device=device)).numpy() / temperature
            p = np.exp(logits - logits.max())
            nxt = int(rng.choice(len(p), p=p / p.sum()))
            out.append(chars[nxt])
            window = window[1:] + [nxt]
    return "".join(chars[i] for i in data[start:start + model.block]) + "|" + "".join(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("text", nargs="?", default=DEFAULT_TEXT)
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--block", type=int, default=32)
    parser.add_argument("--dim", type=int, default=64)
    parser.add_argument("--layers", type=int, default=2)
    parser.add_argument("--lr", type=float, default=3e-3)
    parser.add_argument("--sample-length", type=int, default=200)
    parser.add_argument("--temperature", type=float, default=0.8)
    parser.add_argument("--device", default=None)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--jit", action="store_true", help="replay the training step with lg.jit")
    args = parser.parse_args()
    device = args.device or lg.Device.DEFAULT
    lg.manual_seed(args.seed)
    rng = np.random.default_rng(args.seed)

    with open(args.text, encoding="utf-8") as f:
        text = f.read()
    chars = sorted(set(text))
    lookup = {c: i for i, c in enumerate(chars)}
    data = np.array([lookup[c] for c in text], dtype=np.int64)
    if len(data) <= args.block + 1:
        raise SystemExit(f"{args.text}: need more than {args.block + 1} characters, got {len(data)}")
    print(f"{args.text}: {len(text)} characters, vocabulary of {len(chars)}")

    model = CharTransformer(len(chars), args.block, args.dim, layers=args.layers).to(device)
    print(f"{sum(p.numel() for p in model.parameters())} parameters")
    opt = optim.AdamW(model.parameters(), lr=args.lr, weight_decay=0.01)
    sched = optim.lr_scheduler.CosineAnnealingLR(opt, T_max=args.steps)

    def train_step(xb: lg.Tensor, yb: lg.Tensor) -> lg.Tensor:
        logits = model(xb)
        loss = F.cross_entropy(logits.reshape(-1, len(chars)), yb)
        opt.zero_grad()
        loss.backward()
        opt.step()
        sched.step()  # under lg.jit too: the lr is recomputed before every replay
        return loss
    train = lg.jit(train_step) if args.jit else train_step
    start = time.time()
    bar = tqdm(range(1, args.steps + 1), unit="step")
    for step in bar:
        model.train()
        offsets = rng.integers(0, len(data) - args.block - 1, args.batch_size)
        xb = np.stack([data[o:o + args.block] for o in offsets])
        yb = np.stack([data[o + 1:o + args.block + 1] for o in offsets])
        value = train(lg.Tensor(xb, device=device), lg.Tensor(yb.reshape(-1), device=device)).item()
        bar.set_postfix(loss=f"{value:.3f}")
        if step % max(1, args.steps // 10) == 0 or step == 1:
            bar.write(f"step {step:4d}  loss {value:.4f}  (uniform would be {math.log(len(chars)):.2f})  "
                      f"{time.time() - start:.1f}s")
    begin = time.time()
    text_out = sample(model, data, chars, args.sample_length, device, args.temperature, rng)
    print(f"\n--- sample (prompt|generated), {args.sample_length} characters in {time.time() - begin:.1f}s ---")
    print(text_out)


if __name__ == "__main__":
    main()
