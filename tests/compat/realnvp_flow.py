"""A RealNVP normalizing flow on 2-d 'two moons'-like points, in the style of the flow examples:
affine coupling layers whose alternating masks are registered buffers, an invertible linear
layer (Glow's 1x1 'conv' on vectors) whose log|det| comes from torch.linalg.slogdet, a
MultivariateNormal base distribution (and an Independent(Normal) one checked against it),
Adam with gradient-norm clipping, ExponentialLR, and the inverse pass mapping base points back.
Weights are set from numpy so that torch and lazygrad start alike."""

import importlib
import os

import numpy as np

torch = importlib.import_module(os.environ.get("COMPAT_TORCH", "lazygrad"))
nn = torch.nn
D = torch.distributions


def moons(n, seed):
    rs = np.random.RandomState(seed)
    t = rs.uniform(0, np.pi, n)
    upper = rs.rand(n) < 0.5
    x = np.where(upper, np.cos(t), 1 - np.cos(t))
    y = np.where(upper, np.sin(t), 0.5 - np.sin(t))
    pts = np.stack([x, y], 1) + rs.normal(0, 0.05, (n, 2))
    return pts.astype(np.float32)


class Coupling(nn.Module):
    def __init__(self, mask, hidden=16):
        super().__init__()
        self.register_buffer("mask", mask)
        self.scale_net = nn.Sequential(nn.Linear(2, hidden), nn.Tanh(), nn.Linear(hidden, 2), nn.Tanh())
        self.shift_net = nn.Sequential(nn.Linear(2, hidden), nn.ReLU(), nn.Linear(hidden, 2))

    def forward(self, x):
        x_masked = x * self.mask
        s = self.scale_net(x_masked) * (1 - self.mask)
        t = self.shift_net(x_masked) * (1 - self.mask)
        y = x_masked + (1 - self.mask) * (x * torch.exp(s) + t)
        return y, s.sum(dim=1)

    def inverse(self, y):
        y_masked = y * self.mask
        s = self.scale_net(y_masked) * (1 - self.mask)
        t = self.shift_net(y_masked) * (1 - self.mask)
        return y_masked + (1 - self.mask) * ((y - t) * torch.exp(-s))


class InvertibleLinear(nn.Module):
    def __init__(self, dim):
        super().__init__()
        self.weight = nn.Parameter(torch.eye(dim))

    def forward(self, x):
        _, logabsdet = torch.linalg.slogdet(self.weight)
        return x @ self.weight.T, logabsdet.expand(x.shape[0])

    def inverse(self, y):
        return torch.linalg.solve(self.weight, y.T).T


class RealNVP(nn.Module):
    def __init__(self, n_layers=4):
        super().__init__()
        masks = [
            torch.tensor([1.0, 0.0]) if i % 2 == 0 else torch.tensor([0.0, 1.0]) for i in range(n_layers)
        ]
        self.layers = nn.ModuleList()
        for m in masks:
            self.layers.append(Coupling(m))
            self.layers.append(InvertibleLinear(2))
        self.register_buffer("loc", torch.zeros(2))
        self.register_buffer("cov", torch.eye(2))

    @property
    def base(self):
        return D.MultivariateNormal(self.loc, covariance_matrix=self.cov)

    def forward(self, x):
        log_det = torch.zeros(x.shape[0])
        for layer in self.layers:
            x, ld = layer(x)
            log_det = log_det + ld
        return x, log_det

    def log_prob(self, x):
        z, log_det = self(x)
        return self.base.log_prob(z) + log_det

    def inverse(self, z):
        for layer in reversed(self.layers):
            z = layer.inverse(z)
        return z


def init_from_numpy(model, seed):
    rs = np.random.RandomState(seed)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if name.endswith("layers.1.weight") or ".weight" in name and p.shape[0] == p.shape[1] == 2:
                p.copy_(torch.from_numpy((np.eye(2) + rs.normal(0, 0.1, (2, 2))).astype(np.float32)))
            else:
                bound = 1 / np.sqrt(p.shape[-1])
                p.copy_(torch.from_numpy(rs.uniform(-bound, bound, tuple(p.shape)).astype(np.float32)))


torch.manual_seed(0)
model = RealNVP()
init_from_numpy(model, 3)
print("check buffers", *[name for name, _ in model.named_buffers()][:3], len(list(model.buffers())))
print("check params", sum(p.numel() for p in model.parameters()))
data = torch.from_numpy(moons(256, 0))
loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(data), batch_size=64, shuffle=False)
optimizer = torch.optim.Adam(model.parameters(), lr=5e-3)
scheduler = torch.optim.lr_scheduler.ExponentialLR(optimizer, gamma=0.9)

for epoch in range(4):
    total = 0.0
    for (batch,) in loader:
        optimizer.zero_grad()
        loss = -model.log_prob(batch).mean()
        loss.backward()
        norm = torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm=5.0)
        optimizer.step()
        total += loss.item() * batch.shape[0]
    scheduler.step()
    print(
        f"check epoch {epoch} nll {total / len(data):.5f} grad_norm {norm.item():.4f} "
        f"lr {scheduler.get_last_lr()[0]:.6f}"
    )

model.eval()
with torch.no_grad():
    z, log_det = model(data[:5])
    x_back = model.inverse(z)
    print("check roundtrip", float((x_back - data[:5]).abs().max()) < 1e-4)
    print("check z", *[round(v, 4) for v in z[0].tolist()], *[round(v, 4) for v in log_det[:3].tolist()])
    base = D.Independent(D.Normal(torch.zeros(2), torch.ones(2)), 1)
    print(
        "check independent",
        tuple(base.batch_shape),
        tuple(base.event_shape),
        round(float((base.log_prob(z) - model.base.log_prob(z)).abs().max()), 6),
    )
    grid = torch.stack(torch.meshgrid(torch.linspace(-1, 2, 4), torch.linspace(-1, 1, 3), indexing="ij"), -1)
    density = model.log_prob(grid.reshape(-1, 2)).exp().reshape(4, 3)
    print("check density", *[round(v, 4) for v in density.sum(1).tolist()])
    samples = model.inverse(torch.tensor([[0.0, 0.0], [1.0, -1.0], [-0.5, 0.5]]))
    print("check samples", *[round(v, 4) for v in samples.flatten().tolist()])
    entropy = model.base.entropy()
    print(
        "check base", round(entropy.item(), 5), model.base.mean.tolist(), tuple(model.base.scale_tril.shape)
    )
