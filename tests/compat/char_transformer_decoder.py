"""A character-level decoder-only transformer built from nn.TransformerDecoder, in the shape of
the char-LM tutorials: a tiny corpus encoded with a stoi/itos vocabulary, random windows as
(input, next-char target) pairs, token plus learned position embeddings, decoder layers whose
memory is one learned start vector, a causal tgt_mask from
nn.Transformer.generate_square_subsequent_mask with tgt_is_causal, a tgt_key_padding_mask for
right-padded rows, cross_entropy with ignore_index, AdamW with a LambdaLR warm-up, grad
clipping, then greedy generation (topk(1) of the last position) and the perplexity. Weights
and batches come from numpy."""
import importlib
import math
import os

import numpy as np

torch = importlib.import_module(os.environ.get("COMPAT_TORCH", "lazygrad"))
nn = torch.nn
F = torch.nn.functional

text = "hello world. hello there. the world is wide and the sea is deep. " * 3
chars = sorted(set(text))
PAD = len(chars)
stoi = {ch: i for i, ch in enumerate(chars)}
itos = dict(enumerate(chars))
encode = lambda s: [stoi[c] for c in s]
decode = lambda ids: "".join(itos[i] for i in ids)
data = torch.tensor(encode(text), dtype=torch.long)
BLOCK, D, HEADS = 12, 16, 2


class CharDecoder(nn.Module):
    def __init__(self, vocab, d_model=D, nhead=HEADS, layers=2):
        super().__init__()
        self.tok = nn.Embedding(vocab + 1, d_model, padding_idx=PAD)
        self.pos = nn.Embedding(BLOCK, d_model)
        self.start = nn.Parameter(torch.zeros(1, 1, d_model))
        layer = nn.TransformerDecoderLayer(d_model, nhead, dim_feedforward=32, dropout=0.0, batch_first=True)
        self.decoder = nn.TransformerDecoder(layer, num_layers=layers, norm=nn.LayerNorm(d_model))
        self.head = nn.Linear(d_model, vocab)

    def forward(self, idx, pad_mask=None):
        b, t = idx.shape
        x = self.tok(idx) + self.pos(torch.arange(t))
        mask = nn.Transformer.generate_square_subsequent_mask(t)
        memory = self.start.expand(b, 1, -1)
        h = self.decoder(x, memory, tgt_mask=mask, tgt_is_causal=True, tgt_key_padding_mask=pad_mask)
        return self.head(h)


def numpy_init(model, seed):
    r = np.random.RandomState(seed)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if "norm" in name:
                continue
            p.copy_(torch.from_numpy(r.normal(0, 0.2, tuple(p.shape)).astype(np.float32)))


rs = np.random.RandomState(0)


def get_batch(batch_size=4):
    ix = rs.randint(0, len(data) - BLOCK - 1, batch_size)
    x = torch.stack([data[i:i + BLOCK] for i in ix.tolist()])
    y = torch.stack([data[i + 1:i + BLOCK + 1] for i in ix.tolist()])
    lengths = torch.from_numpy(rs.randint(BLOCK - 3, BLOCK + 1, batch_size))
    pad = torch.arange(BLOCK).unsqueeze(0) >= lengths.unsqueeze(1)
    return x.masked_fill(pad, PAD), y.masked_fill(pad, -100), pad


model = CharDecoder(len(chars))
numpy_init(model, 1)
print("check vocab", len(chars), decode(encode("hello")), sum(p.numel() for p in model.parameters()))
optimizer = torch.optim.AdamW(model.parameters(), lr=3e-3, weight_decay=0.01)
scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda step: min(1.0, (step + 1) / 5))
for step in range(9):
    x, y, pad = get_batch()
    logits = model(x, pad)
    loss = F.cross_entropy(logits.reshape(-1, logits.size(-1)), y.reshape(-1), ignore_index=-100)
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    norm = torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
    optimizer.step()
    scheduler.step()
    if step % 4 == 0:
        print("check step", step, f"loss {loss.item():.4f}", f"norm {norm.item():.4f}", scheduler.get_last_lr())

model.eval()
with torch.no_grad():
    idx = torch.tensor([encode("hello ")])
    for _ in range(5):
        logits = model(idx[:, -BLOCK:])[:, -1, :]
        next_id = logits.topk(1, dim=-1).indices
        idx = torch.cat([idx, next_id], dim=1)
    print("check generated", repr(decode(idx[0].tolist())).replace(" ", "_"))
    x, y, pad = get_batch(4)
    nll = F.cross_entropy(model(x, pad).transpose(1, 2), y, ignore_index=-100)
    print("check perplexity", round(math.exp(nll.item()), 3), int((y != -100).sum()))
