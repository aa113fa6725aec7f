"""The data and training utilities a real script reaches for: random_split with a seeded
generator and with fractions, DataLoader with a collate_fn, num_workers=0, drop_last,
WeightedRandomSampler / SubsetRandomSampler / BatchSampler, ConcatDataset and Subset,
default_collate of dicts and tuples, torch.save/torch.load of state_dicts to an io.BytesIO,
manual_seed reproducibility, clip_grad_norm_ (its returned norm), ReduceLROnPlateau and
OneCycleLR, and Tensor printing. Which indices a sampler draws comes from the library's
generator, so the checks compare what those draws must satisfy, not the draws."""
import importlib
import io
import os

import numpy as np

torch = importlib.import_module(os.environ.get("COMPAT_TORCH", "lazygrad"))
nn = torch.nn
data = torch.utils.data
rs = np.random.RandomState(0)

X = torch.from_numpy(rs.randn(20, 3).astype(np.float32))
Y = torch.from_numpy((rs.rand(20) > 0.5).astype(np.int64))
ds = data.TensorDataset(X, Y)
train, val = data.random_split(ds, [16, 4], generator=torch.Generator().manual_seed(42))
a, b, c = data.random_split(range(10), [0.5, 0.3, 0.2], generator=torch.Generator().manual_seed(0))
print("check split", len(train), len(val), type(train).__name__, len(a), len(b), len(c),
      sorted(list(a) + list(b) + list(c)) == list(range(10)))
t1 = data.random_split(ds, [16, 4], generator=torch.Generator().manual_seed(42))[0].indices
print("check split repeat", list(t1) == list(train.indices), sorted(list(train.indices) + list(val.indices)) == list(range(20)))


train, val = data.Subset(ds, list(range(16))), data.Subset(ds, list(range(16, 20)))  # fixed from here on


def collate(batch):
    xs, ys = zip(*batch)
    return torch.stack(xs), torch.tensor(ys)


dl = data.DataLoader(train, batch_size=5, shuffle=False, collate_fn=collate, num_workers=0, drop_last=True)
print("check loader", len(dl), [tuple(x.shape) for x, _ in dl], [y.dtype == torch.int64 for _, y in dl])
dicts = data.default_collate([{"x": torch.ones(2), "n": 1, "s": "a"}, {"x": torch.zeros(2), "n": 2, "s": "b"}])
print("check default_collate", tuple(dicts["x"].shape), dicts["n"].tolist(), dicts["s"], dicts["n"].dtype == torch.int64)
tup = data.default_collate([(1.5, np.float32(2.0)), (2.5, np.float32(3.0))])
print("check collate floats", tup[0].dtype == torch.float64, tup[1].dtype == torch.float32, tup[0].tolist())

weights = [0.0 if y == 0 else 1.0 for y in Y.tolist()]
sampler = data.WeightedRandomSampler(weights, num_samples=12, replacement=True)
drawn = list(sampler)
print("check weighted", len(sampler), len(drawn), all(Y[i].item() == 1 for i in drawn))
wl = data.DataLoader(ds, batch_size=4, sampler=sampler)
print("check weighted loader", len(wl), sum(int(y.sum()) for _, y in wl))
sub = data.SubsetRandomSampler([1, 3, 5, 7])
print("check subset sampler", len(sub), sorted(sub))
bs = list(data.BatchSampler(data.SequentialSampler(range(10)), batch_size=3, drop_last=False))
print("check batch sampler", bs, len(data.BatchSampler(range(10), 3, True)))
cat = data.ConcatDataset([data.Subset(ds, [0, 1, 2]), val])
print("check concat", len(cat), cat.cumulative_sizes, bool(torch.equal(cat[1][0], X[1])))

torch.manual_seed(7)
r1 = torch.rand(3)
torch.manual_seed(7)
r2 = torch.rand(3)
g = torch.Generator().manual_seed(7)
print("check reproducible", bool(torch.equal(r1, r2)), g.initial_seed(), torch.initial_seed())

model = nn.Sequential(nn.Linear(3, 8), nn.ReLU(), nn.Linear(8, 2))
with torch.no_grad():
    for p in model.parameters():
        p.copy_(torch.from_numpy(rs.uniform(-0.5, 0.5, tuple(p.shape)).astype(np.float32)))
buffer = io.BytesIO()
torch.save({"model": model.state_dict(), "epoch": 3}, buffer)
buffer.seek(0)
ckpt = torch.load(buffer, weights_only=True)
clone = nn.Sequential(nn.Linear(3, 8), nn.ReLU(), nn.Linear(8, 2))
print("check load", ckpt["epoch"], clone.load_state_dict(ckpt["model"]), list(ckpt["model"].keys()))
print("check same", bool(torch.equal(clone(X), model(X))))

opt = torch.optim.SGD(model.parameters(), lr=0.5, momentum=0.9)
plateau = torch.optim.lr_scheduler.ReduceLROnPlateau(opt, mode="min", factor=0.5, patience=1)
loss_fn = nn.CrossEntropyLoss()
for epoch in range(6):
    for x, y in data.DataLoader(train, batch_size=8):
        opt.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        norm = nn.utils.clip_grad_norm_(model.parameters(), max_norm=0.5)
        opt.step()
    with torch.no_grad():
        vx, vy = val[:]
        vloss = loss_fn(model(vx), vy)
    plateau.step(vloss)
    print(f"check epoch {epoch} loss {loss.item():.5f} norm {norm.item():.5f} val {vloss.item():.5f}",
          opt.param_groups[0]["lr"], plateau.get_last_lr(), norm.dtype == torch.float32)

preds, scores = torch.tensor([]), []
with torch.no_grad():
    for x, _ in data.DataLoader(val, batch_size=2):
        preds = torch.cat([preds, model(x).argmax(1)])  # (the accumulator's float32 wins, as in torch)
        scores.append(model(x)[:1, 0])  # one-element tensors, made a tensor below
print("check accumulated", str(preds.dtype).split(".")[-1], preds.tolist(), tuple(torch.tensor(scores).shape),
      [round(v, 5) for v in torch.tensor(scores).tolist()])

opt2 = torch.optim.Adam(model.parameters(), lr=0.01)
onecycle = torch.optim.lr_scheduler.OneCycleLR(opt2, max_lr=0.1, total_steps=10)
lrs, moms = [], []
for step in range(10):
    opt2.step()
    onecycle.step()
    lrs.append(round(onecycle.get_last_lr()[0], 6))
    moms.append(round(opt2.param_groups[0]["betas"][0], 6))
print("check onecycle", *lrs)
print("check betas", *moms)

torch.set_printoptions(precision=3)
print("check print", str(torch.tensor([[1.0, 2.5], [3.25, -4.0]])).replace("\n", "|"))
print("check print int", repr(torch.arange(4)).replace("\n", "|"), str(torch.tensor(2.5)))
print("check print grad", repr(torch.tensor([1.5, 2.0], requires_grad=True) * 2).replace("\n", "|"))
torch.set_printoptions(profile="default")
print("check print big", str(torch.arange(2000.0)).replace("\n", "|"))
print("check print small", str(torch.tensor([1e-5, 1.0, 1e5])).replace("\n", "|"), str(torch.tensor([True, False])))
