"""Metric learning with a triplet loss and a custom Sampler, in the shape of the PyTorch
metric-learning tutorials: a Dataset of labelled 2-d blobs, a Sampler subclass yielding
class-balanced batches (P classes x K samples, drawn with a numpy RandomState) handed to the
DataLoader as batch_sampler, an embedding net with L2-normalised outputs (F.normalize), batch-
hard mining over torch.cdist distances (masked_fill, max/min along dim 1), nn.TripletMarginLoss
next to the hand-written margin loss, SGD with momentum and a MultiStepLR. Then nearest-
neighbour accuracy from cdist + topk. Weights and data come from numpy."""
import importlib
import os

import numpy as np

torch = importlib.import_module(os.environ.get("COMPAT_TORCH", "lazygrad"))
nn = torch.nn
F = torch.nn.functional
data = importlib.import_module(torch.__name__ + ".utils.data")

N_CLASSES, PER_CLASS = 5, 12


class Blobs(data.Dataset):
    def __init__(self, seed):
        rs = np.random.RandomState(seed)
        centres = np.stack([np.cos(np.arange(N_CLASSES) * 1.3), np.sin(np.arange(N_CLASSES) * 1.3)], 1) * 2
        self.x = np.concatenate([c + rs.normal(0, 0.6, (PER_CLASS, 2)) for c in centres]).astype(np.float32)
        self.y = np.repeat(np.arange(N_CLASSES), PER_CLASS)

    def __len__(self):
        return len(self.y)

    def __getitem__(self, i):
        return torch.from_numpy(self.x[i]), int(self.y[i])


class BalancedBatchSampler(data.Sampler):
    """Each batch: p classes, k samples of each."""

    def __init__(self, labels, p, k, n_batches, seed=0):
        self.labels, self.p, self.k, self.n_batches = np.asarray(labels), p, k, n_batches
        self.rs = np.random.RandomState(seed)

    def __iter__(self):
        for _ in range(self.n_batches):
            batch = []
            for c in self.rs.choice(N_CLASSES, self.p, replace=False):
                batch.extend(self.rs.choice(np.flatnonzero(self.labels == c), self.k, replace=False).tolist())
            yield batch

    def __len__(self):
        return self.n_batches


class EmbeddingNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(nn.Linear(2, 16), nn.PReLU(), nn.Linear(16, 8))

    def forward(self, x):
        return F.normalize(self.body(x), p=2, dim=1)


def batch_hard_triplets(emb, labels):
    dist = torch.cdist(emb, emb)
    same = labels.unsqueeze(0) == labels.unsqueeze(1)
    hardest_pos = dist.masked_fill(~same, float("-inf")).max(dim=1).values
    hardest_neg = dist.masked_fill(same, float("inf")).min(dim=1)
    return dist, hardest_pos, hardest_neg.values, hardest_neg.indices


train = Blobs(0)
loader = data.DataLoader(train, batch_sampler=BalancedBatchSampler(train.y, p=3, k=4, n_batches=12))
model = EmbeddingNet()
r = np.random.RandomState(1)
with torch.no_grad():
    for name, p in model.named_parameters():
        if name.endswith("weight") and p.dim() == 2:
            p.copy_(torch.from_numpy(r.normal(0, 0.5, tuple(p.shape)).astype(np.float32)))
        elif name.endswith("bias"):
            p.zero_()
optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
scheduler = torch.optim.lr_scheduler.MultiStepLR(optimizer, milestones=[6, 9], gamma=0.5)
triplet = nn.TripletMarginLoss(margin=0.3, p=2)
first_x, first_y = next(iter(loader))
print("check loader", len(loader), tuple(first_x.shape), first_y.tolist())
for step, (x, y) in enumerate(loader):
    emb = model(x)
    dist, pos, neg, neg_idx = batch_hard_triplets(emb, y)
    by_hand = F.relu(pos - neg + 0.3).mean()
    anchors = torch.arange(len(y))
    positives = dist.masked_fill(y.unsqueeze(0) != y.unsqueeze(1), float("-inf")).argmax(dim=1)
    loss = triplet(emb[anchors], emb[positives], emb[neg_idx])
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    scheduler.step()
    if step % 4 == 0:
        print("check step", step, f"loss {loss.item():.4f} by hand {by_hand.item():.4f}",
              "lr", scheduler.get_last_lr()[0], y.tolist()[:4])

model.eval()
test = Blobs(7)
with torch.no_grad():
    train_emb = model(torch.from_numpy(train.x))
    test_emb = model(torch.from_numpy(test.x))
    d = torch.cdist(test_emb, train_emb)
    near = d.topk(3, dim=1, largest=False).indices
    votes = torch.from_numpy(train.y)[near]
    pred = torch.mode(votes, dim=1).values
    acc = (pred == torch.from_numpy(test.y)).float().mean()
    print(f"check knn accuracy {acc.item():.4f}", f"norms {test_emb.norm(dim=1).mean().item():.4f}")
    print("check nearest", near[:3].tolist())
