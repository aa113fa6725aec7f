"""SimCLR-style contrastive training as popular scripts write it: two augmented views
(torch.flip(x, dims=[3]), torch.rot90), a projection head, the NT-Xent loss with the
similarity matrix's diagonal filled with -inf (fill_diagonal_) against arange labels, an EMA
teacher updated with torch._foreach_lerp_ and `if v.dtype.is_floating_point`, and a checkpoint
whose "module." prefix is stripped with consume_prefix_in_state_dict_if_present and whose keys
come back in order. Weights are set from numpy so that torch and lazygrad start alike."""
import copy
import importlib
import os
import tempfile

import numpy as np

torch = importlib.import_module(os.environ.get("COMPAT_TORCH", "lazygrad"))
nn = torch.nn
F = torch.nn.functional


def nt_xent(z1, z2, temperature=0.5):
    n = z1.shape[0]
    z = F.normalize(torch.cat([z1, z2], dim=0), dim=1)
    sim = torch.matmul(z, z.T) / temperature
    sim.fill_diagonal_(float("-inf"))
    labels = torch.cat([torch.arange(n, 2 * n), torch.arange(0, n)])
    return F.cross_entropy(sim, labels)


class Encoder(nn.Module):
    def __init__(self):
        super().__init__()
        self.f = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU(),
                               nn.AdaptiveAvgPool2d((1, 1)), nn.Flatten())
        self.g = nn.Sequential(nn.Linear(4, 8, bias=False), nn.BatchNorm1d(8), nn.ReLU(inplace=True), nn.Linear(8, 4))

    def forward(self, x):
        h = self.f(x)
        return h, self.g(h)


def aug(x, k):
    x = torch.flip(x, dims=[3]) if k % 2 else x
    return torch.rot90(x, k, dims=(2, 3)).permute(dims=(0, 1, 2, 3)) + 0.05 * k


r = np.random.RandomState(0)
model = Encoder()
with torch.no_grad():
    for p in model.parameters():
        p.copy_(torch.from_numpy(r.normal(0, 0.5, tuple(p.shape)).astype(np.float32)))
teacher = copy.deepcopy(model)
for p in teacher.parameters():
    p.requires_grad_(False)
x = torch.from_numpy(r.rand(6, 1, 8, 8).astype(np.float32))
opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, weight_decay=1e-4)
for step in range(4):
    _, z1 = model(aug(x, 1))
    _, z2 = model(aug(x, 2))
    loss = nt_xent(z1, z2)
    opt.zero_grad()
    loss.backward()
    opt.step()
    with torch.no_grad():
        torch._foreach_lerp_(list(teacher.parameters()), list(model.parameters()), 0.1)
        for t, s in zip(teacher.buffers(), model.buffers()):
            if t.dtype.is_floating_point:
                t.mul_(0.9).add_(s, alpha=0.1)
            else:
                t.copy_(s)
    print("check step", step, round(loss.item(), 5))

teacher.eval()
with torch.no_grad():
    h, _ = teacher(x)
    sim = F.normalize(h) @ F.normalize(h).t()
    print("check teacher", *[round(v, 4) for v in h.sum(1).tolist()], round(sim.diagonal().sum().item(), 4))
    print("check norms", *[round(v.item(), 4) for v in torch._foreach_norm(list(teacher.g.parameters()))])

path = os.path.join(tempfile.mkdtemp(), "ckpt.pt")
torch.save({"module." + k: v for k, v in teacher.state_dict().items()}, path)
sd = torch.load(path, map_location="cpu", weights_only=True)
torch.nn.modules.utils.consume_prefix_in_state_dict_if_present(sd, "module.")
print("check keys", *list(sd)[:5])
fresh = Encoder()
result = fresh.load_state_dict(sd, strict=False)
print("check loaded", len(result.missing_keys), len(result.unexpected_keys),
      torch.equal(fresh.g[3].bias, teacher.g[3].bias))
