"""Padded batches as the NLP examples make them: pad_sequence, a TransformerEncoder classifier
with a sinusoidal PositionalEncoding buffer and src_key_padding_mask, masked mean pooling;
its whole checkpoint dict (model, optimizer with its tensor step, StepLR, epoch) saved with
torch.save, loaded with weights_only=True and trained on; a bidirectional LSTM over
pack_padded_sequence(enforce_sorted=False) and pad_packed_sequence; and an EmbeddingBag
recommender whose decoder's weight is tied to an Embedding's. Weights are set from numpy so
that torch and lazygrad start alike."""
import importlib
import math
import os
import tempfile

import numpy as np

torch = importlib.import_module(os.environ.get("COMPAT_TORCH", "lazygrad"))
nn = torch.nn
F = torch.nn.functional
pad_sequence = torch.nn.utils.rnn.pad_sequence
pack_padded_sequence = torch.nn.utils.rnn.pack_padded_sequence
pad_packed_sequence = torch.nn.utils.rnn.pad_packed_sequence

rng = np.random.default_rng(0)
torch.manual_seed(0)

def init_(m):
    with torch.no_grad():
        for p in m.parameters():
            p.copy_(torch.from_numpy(rng.standard_normal(tuple(p.shape)).astype(np.float32) * 0.2))

V, D = 20, 16
seqs = [torch.tensor(rng.integers(1, V, rng.integers(3, 8)).tolist()) for _ in range(12)]
labels = torch.tensor([int(s.sum().item()) % 2 for s in seqs])
lengths = torch.tensor([len(s) for s in seqs])
padded = pad_sequence(seqs, batch_first=True, padding_value=0)
print("check padded", *padded.shape, *lengths.tolist())

class PositionalEncoding(nn.Module):
    def __init__(self, d_model, dropout=0.0, max_len=64):
        super().__init__()
        self.dropout = nn.Dropout(p=dropout)
        position = torch.arange(max_len).unsqueeze(1)
        div_term = torch.exp(torch.arange(0, d_model, 2) * (-math.log(10000.0) / d_model))
        pe = torch.zeros(max_len, 1, d_model)
        pe[:, 0, 0::2] = torch.sin(position * div_term)
        pe[:, 0, 1::2] = torch.cos(position * div_term)
        self.register_buffer('pe', pe)
    def forward(self, x):
        x = x + self.pe[:x.size(0)]
        return self.dropout(x)

class TxClassifier(nn.Module):
    def __init__(self):
        super().__init__()
        self.emb = nn.Embedding(V, D, padding_idx=0)
        self.pos = PositionalEncoding(D)
        layer = nn.TransformerEncoderLayer(D, nhead=2, dim_feedforward=32, dropout=0.0)
        self.enc = nn.TransformerEncoder(layer, num_layers=2, enable_nested_tensor=False)
        self.head = nn.Linear(D, 2)
    def forward(self, x, pad_mask):
        h = self.pos(self.emb(x).transpose(0, 1) * math.sqrt(D))
        h = self.enc(h, src_key_padding_mask=pad_mask)
        keep = (~pad_mask).transpose(0, 1).unsqueeze(-1).float()
        pooled = (h * keep).sum(0) / keep.sum(0)
        return self.head(pooled)

model = TxClassifier(); init_(model)
opt = torch.optim.Adam(model.parameters(), lr=1e-2)
sched = torch.optim.lr_scheduler.StepLR(opt, step_size=3, gamma=0.5)
pad_mask = padded == 0
for epoch in range(4):
    opt.zero_grad()
    loss = F.cross_entropy(model(padded, pad_mask), labels)
    loss.backward()
    opt.step(); sched.step()
    print(f"check tx epoch {epoch} loss {loss.item():.5f} lr {sched.get_last_lr()[0]:.5f}")

path = os.path.join(tempfile.mkdtemp(), "ckpt.pt")
torch.save({"epoch": 4, "model_state_dict": model.state_dict(), "optimizer_state_dict": opt.state_dict(),
            "scheduler": sched.state_dict(), "loss": loss.item()}, path)
ck = torch.load(path, weights_only=True)
model2 = TxClassifier(); model2.load_state_dict(ck["model_state_dict"])
opt2 = torch.optim.Adam(model2.parameters(), lr=1e-2); opt2.load_state_dict(ck["optimizer_state_dict"])
sched2 = torch.optim.lr_scheduler.StepLR(opt2, step_size=3, gamma=0.5); sched2.load_state_dict(ck["scheduler"])
print("check resumed epoch", ck["epoch"], "lr", *sched2.get_last_lr(), "step", opt2.state_dict()["state"][0]["step"].item())
for epoch in range(4, 6):
    opt2.zero_grad()
    loss = F.cross_entropy(model2(padded, pad_mask), labels)
    loss.backward(); opt2.step(); sched2.step()
    print(f"check resumed epoch {epoch} loss {loss.item():.5f}")

# LSTM over a packed batch
class PackedLSTM(nn.Module):
    def __init__(self):
        super().__init__()
        self.emb = nn.Embedding(V, 8)
        self.lstm = nn.LSTM(8, 12, batch_first=True, bidirectional=True)
        self.out = nn.Linear(24, 2)
    def forward(self, x, lens):
        packed = pack_padded_sequence(self.emb(x), lens, batch_first=True, enforce_sorted=False)
        out, (h, _) = self.lstm(packed)
        unpacked, ulens = pad_packed_sequence(out, batch_first=True)
        feat = torch.cat([h[-2], h[-1]], dim=1)
        return self.out(feat), unpacked, ulens

m = PackedLSTM(); init_(m)
o = torch.optim.SGD(m.parameters(), lr=0.5)
for it in range(3):
    o.zero_grad()
    logits, unpacked, ulens = m(padded, lengths)
    loss = F.cross_entropy(logits, labels)
    loss.backward(); o.step()
    print(f"check lstm it {it} loss {loss.item():.5f} unpacked", *unpacked.shape,
          f"{unpacked.abs().sum().item():.4f}")

# EmbeddingBag recommender + weight tying
class Rec(nn.Module):
    def __init__(self, n_users=6, n_items=10, d=8):
        super().__init__()
        self.user = nn.Embedding(n_users, d, sparse=False)
        self.hist = nn.EmbeddingBag(n_items, d, mode="mean", sparse=False)
        self.item = nn.Embedding(n_items, d)
        self.decoder = nn.Linear(d, n_items, bias=False)
        self.decoder.weight = self.item.weight  # weight tying
    def forward(self, u, items, offsets):
        return self.decoder(self.user(u) + self.hist(items, offsets))

r = Rec(); init_(r)
print("check tied", r.decoder.weight is r.item.weight, len(list(r.parameters())))
u = torch.tensor([0, 3, 5]); items = torch.tensor([1, 2, 4, 4, 9, 0]); offsets = torch.tensor([0, 2, 3])
target = torch.tensor([3, 7, 1])
ro = torch.optim.Adagrad(r.parameters(), lr=0.1)
for it in range(3):
    ro.zero_grad()
    loss = F.cross_entropy(r(u, items, offsets), target)
    loss.backward(); ro.step()
    print(f"check rec it {it} loss {loss.item():.5f} tied-grad {r.item.weight.grad.abs().sum().item():.5f}")
