"""A tabular classifier on an imbalanced synthetic table, in the style of the tabular examples:
an nn.ModuleDict of one Embedding per categorical column, an nn.ParameterList of per-column
scales for the numeric features, class weights from torch.bincount fed to
F.cross_entropy(weight=, label_smoothing=), a WeightedRandomSampler (only its counts are
printed, since the random generators differ) next to a plain DataLoader, AdamW with
CosineAnnealingWarmRestarts, evaluation under torch.autocast("cpu", dtype=torch.bfloat16), and a
confusion matrix with index_put_(accumulate=True). Weights are set from numpy."""

import importlib
import os

import numpy as np

torch = importlib.import_module(os.environ.get("COMPAT_TORCH", "lazygrad"))
nn = torch.nn
F = torch.nn.functional
CATS = {"city": 5, "device": 3, "plan": 4}
N_NUM, N_CLASSES = 3, 3


def table(n, seed):
    rs = np.random.RandomState(seed)
    cats = np.stack([rs.randint(0, k, n) for k in CATS.values()], 1)
    nums = rs.normal(0, 1, (n, N_NUM)) * np.array([1.0, 10.0, 0.1])
    score = nums[:, 0] + 0.1 * nums[:, 1] - 5 * nums[:, 2] + (cats[:, 0] == 2) * 1.5 - (cats[:, 2] == 0)
    y = np.digitize(score, [1.2, 2.5])
    return cats.astype(np.int64), nums.astype(np.float32), y.astype(np.int64)


class TabularNet(nn.Module):
    def __init__(self, emb_dim=4, hidden=16):
        super().__init__()
        self.embeddings = nn.ModuleDict({name: nn.Embedding(k, emb_dim) for name, k in CATS.items()})
        self.scales = nn.ParameterList([nn.Parameter(torch.ones(1)) for _ in range(N_NUM)])
        self.mlp = nn.Sequential(
            nn.Linear(emb_dim * len(CATS) + N_NUM, hidden),
            nn.LayerNorm(hidden),
            nn.SiLU(),
            nn.Dropout(0.0),
            nn.Linear(hidden, N_CLASSES),
        )

    def forward(self, cats, nums):
        embedded = [self.embeddings[name](cats[:, i]) for i, name in enumerate(self.embeddings)]
        scaled = torch.cat([nums[:, i : i + 1] * s for i, s in enumerate(self.scales)], dim=1)
        return self.mlp(torch.cat(embedded + [scaled], dim=1))


def init_from_numpy(model, seed):
    rs = np.random.RandomState(seed)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if "scales" in name or "mlp.1" in name:
                continue
            fan_in = p.shape[1] if p.dim() > 1 else p.shape[0]
            p.copy_(torch.from_numpy(rs.uniform(-1, 1, tuple(p.shape)).astype(np.float32) / np.sqrt(fan_in)))


cats, nums, y = table(240, 0)
mean, std = nums.mean(0), nums.std(0)
nums = (nums - mean) / std
dataset = torch.utils.data.TensorDataset(torch.from_numpy(cats), torch.from_numpy(nums), torch.from_numpy(y))
counts = torch.bincount(torch.from_numpy(y), minlength=N_CLASSES)
class_weights = counts.sum() / (N_CLASSES * counts.float())
print("check counts", counts.tolist(), *[round(v, 5) for v in class_weights.tolist()])
sample_weights = class_weights[torch.from_numpy(y)]
sampler = torch.utils.data.WeightedRandomSampler(sample_weights, num_samples=len(dataset), replacement=True)
drawn = list(sampler)
print("check sampler", len(sampler), len(drawn), min(drawn) >= 0, max(drawn) < len(dataset))
balanced = torch.utils.data.DataLoader(dataset, batch_size=40, sampler=sampler)
print("check balanced_batches", len(balanced), sum(b[2].shape[0] for b in balanced))

model = TabularNet()
init_from_numpy(model, 1)
print("check modules", list(model.embeddings.keys()), len(model.scales), type(model.scales).__name__)
loader = torch.utils.data.DataLoader(dataset, batch_size=40, shuffle=False)
optimizer = torch.optim.AdamW(model.parameters(), lr=1e-2, weight_decay=0.05)
scheduler = torch.optim.lr_scheduler.CosineAnnealingWarmRestarts(optimizer, T_0=2, T_mult=2, eta_min=1e-4)
steps = len(loader)
for epoch in range(6):
    model.train()
    total = 0.0
    for i, (c, x, t) in enumerate(loader):
        loss = F.cross_entropy(model(c, x), t, weight=class_weights, label_smoothing=0.1)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        scheduler.step(epoch + i / steps)
        total += loss.item()
    print(f"check epoch {epoch} loss {total / steps:.5f} lr {optimizer.param_groups[0]['lr']:.6f}")
print("check scales", *[round(s.item(), 4) for s in model.scales])

model.eval()
tc, tn, ty = table(60, 5)
tc, tn, ty = torch.from_numpy(tc), torch.from_numpy((tn - mean) / std), torch.from_numpy(ty)
with torch.no_grad():
    logits = model(tc, tn)
    pred = logits.argmax(dim=1)
    correct = pred.eq(ty).sum().item()
    print(f"check accuracy {correct}/{len(ty)} {100.0 * correct / len(ty):.2f}")
    confusion = torch.zeros(N_CLASSES, N_CLASSES, dtype=torch.long)
    confusion.index_put_((ty, pred), torch.ones_like(ty), accumulate=True)
    print("check confusion", confusion.tolist())
    recall = confusion.diag().float() / confusion.sum(1).clamp(min=1).float()
    print("check recall", *[round(v, 4) for v in recall.tolist()])
    with torch.autocast("cpu", dtype=torch.bfloat16):
        low = model(tc, tn)
    print(
        "check autocast",
        str(low.dtype).split(".")[-1],
        bool(torch.is_autocast_enabled("cpu")),
        (low.argmax(1) == pred).float().mean().item() > 0.9,
    )
    probs = F.softmax(logits, dim=-1)
    print("check probs", *[round(v, 4) for v in probs[:2].flatten().tolist()])
    loss_none = F.cross_entropy(logits, ty, weight=class_weights, reduction="none", label_smoothing=0.1)
    print("check loss_none", tuple(loss_none.shape), round(loss_none.sum().item(), 4))
