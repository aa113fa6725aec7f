"""A small recommendation model in the style of the DLRM / EmbeddingBag examples: users' item
histories as one flat index tensor with offsets, nn.EmbeddingBag(mode="sum", sparse=True) with
per_sample_weights (recency weights), a dot-product score plus a dense MLP, sparse gradients
stepped by optim.SparseAdam and the dense ones by optim.Adagrad, BCEWithLogitsLoss(pos_weight=),
a checkpoint dict {epoch, model, both optimizers} saved with torch.save and loaded with
torch.load to resume, and top-k recommendations. Weights are set from numpy."""

import importlib
import os
import tempfile

import numpy as np

torch = importlib.import_module(os.environ.get("COMPAT_TORCH", "lazygrad"))
nn = torch.nn
N_USERS, N_ITEMS, DIM = 12, 20, 6


def histories(seed):
    rs = np.random.RandomState(seed)
    lengths = rs.randint(1, 6, N_USERS)
    items = [rs.choice(N_ITEMS, n, replace=False) for n in lengths]
    return items


class Recommender(nn.Module):
    def __init__(self):
        super().__init__()
        self.history = nn.EmbeddingBag(N_ITEMS, DIM, mode="sum", sparse=True)
        self.items = nn.Embedding(N_ITEMS, DIM, sparse=True)
        self.mlp = nn.Sequential(nn.Linear(2 * DIM, 8), nn.ReLU(), nn.Linear(8, 1))

    def forward(self, flat, offsets, weights, candidates):
        user = self.history(flat, offsets, per_sample_weights=weights)
        item = self.items(candidates)
        dot = (user * item).sum(dim=1, keepdim=True)
        return (dot + self.mlp(torch.cat([user, item], dim=1))).squeeze(1)


def init_from_numpy(model, seed):
    rs = np.random.RandomState(seed)
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(torch.from_numpy(rs.normal(0, 0.3, tuple(p.shape)).astype(np.float32)))


def optimizers(model):
    sparse = [model.history.weight, model.items.weight]
    dense = list(model.mlp.parameters())
    return torch.optim.SparseAdam(sparse, lr=0.05), torch.optim.Adagrad(dense, lr=0.1, lr_decay=0.01)


items = histories(0)
flat = torch.tensor(np.concatenate(items), dtype=torch.long)
offsets = torch.tensor(np.cumsum([0] + [len(i) for i in items[:-1]]))
weights = torch.cat([torch.linspace(0.5, 1.0, len(i)) for i in items])
rs = np.random.RandomState(1)
candidates = torch.from_numpy(rs.randint(0, N_ITEMS, N_USERS))
labels = torch.tensor([float(c in set(h) or c % 3 == 0) for c, h in zip(candidates.tolist(), items)])
print("check data", tuple(flat.shape), offsets.tolist()[:4], int(labels.sum()))

model = Recommender()
init_from_numpy(model, 2)
sparse_opt, dense_opt = optimizers(model)
criterion = nn.BCEWithLogitsLoss(pos_weight=torch.tensor(2.0))
path = os.path.join(tempfile.mkdtemp(), "recsys.pt")


def train_epoch(model, sparse_opt, dense_opt):
    sparse_opt.zero_grad()
    dense_opt.zero_grad()
    loss = criterion(model(flat, offsets, weights, candidates), labels)
    loss.backward()
    sparse_opt.step()
    dense_opt.step()
    return loss.item()


for epoch in range(3):
    loss = train_epoch(model, sparse_opt, dense_opt)
    print(f"check epoch {epoch} loss {loss:.6f}")
grad = model.items.weight.grad
print("check sparse_grad", grad.is_sparse, grad.layout == torch.sparse_coo, tuple(grad.shape))
torch.save(
    {
        "epoch": 3,
        "model": model.state_dict(),
        "sparse_opt": sparse_opt.state_dict(),
        "dense_opt": dense_opt.state_dict(),
    },
    path,
)
after = [train_epoch(model, sparse_opt, dense_opt) for _ in range(2)]

ckpt = torch.load(path)
print("check ckpt", ckpt["epoch"], sorted(ckpt["model"].keys()), sorted(ckpt["dense_opt"]["state"].keys()))
print(
    "check opt_state",
    sorted(ckpt["sparse_opt"]["state"][0].keys()),
    ckpt["dense_opt"]["param_groups"][0]["lr_decay"],
)
resumed = Recommender()
resumed.load_state_dict(ckpt["model"])
sparse2, dense2 = optimizers(resumed)
sparse2.load_state_dict(ckpt["sparse_opt"])
dense2.load_state_dict(ckpt["dense_opt"])
again = [train_epoch(resumed, sparse2, dense2) for _ in range(2)]
print("check resumed", *[f"{v:.6f}" for v in after], np.allclose(after, again, rtol=1e-5))

resumed.eval()
with torch.no_grad():
    users = resumed.history(flat, offsets, per_sample_weights=weights)
    scores = users @ resumed.items.weight.T
    seen = torch.zeros(N_USERS, N_ITEMS, dtype=torch.bool)
    user_of = torch.repeat_interleave(torch.arange(N_USERS), torch.tensor([len(i) for i in items]))
    seen[user_of, flat] = True
    scores = scores.masked_fill(seen, float("-inf"))
    top = torch.topk(scores, k=3, dim=1)
    print("check top", top.indices[:3].tolist(), *[round(v, 4) for v in top.values[0].tolist()])
    mean_bag = nn.functional.embedding_bag(flat, resumed.history.weight, offsets, mode="mean")
    print("check mean_bag", tuple(mean_bag.shape), round(mean_bag.abs().sum().item(), 4))
