"""Exact Gaussian-process regression in plain torch, in the style of the GP tutorials: an RBF
kernel built with torch.cdist, hyperparameters kept positive through F.softplus of raw
parameters, the negative log marginal likelihood from torch.linalg.cholesky,
torch.cholesky_solve and the Cholesky diagonal, Adam with a MultiStepLR, the posterior mean
and variance through torch.linalg.solve_triangular, a torch.distributions.MultivariateNormal
with scale_tril for the same likelihood, and torch.linalg.eigvalsh / cond as sanity checks."""

import importlib
import math
import os

import numpy as np

torch = importlib.import_module(os.environ.get("COMPAT_TORCH", "lazygrad"))
nn = torch.nn
F = torch.nn.functional
torch.set_default_dtype(torch.float64)


class ExactGP(nn.Module):
    def __init__(self):
        super().__init__()
        self.raw_lengthscale = nn.Parameter(torch.tensor(0.0))
        self.raw_outputscale = nn.Parameter(torch.tensor(0.0))
        self.raw_noise = nn.Parameter(torch.tensor(-2.0))
        self.mean_const = nn.Parameter(torch.zeros(()))

    def kernel(self, a, b):
        lengthscale = F.softplus(self.raw_lengthscale)
        sq = torch.cdist(a / lengthscale, b / lengthscale).pow(2)
        return F.softplus(self.raw_outputscale) * torch.exp(-0.5 * sq)

    def noise(self):
        return F.softplus(self.raw_noise) + 1e-4

    def nll(self, x, y):
        n = x.shape[0]
        K = self.kernel(x, x) + self.noise() * torch.eye(n)
        L = torch.linalg.cholesky(K)
        r = (y - self.mean_const).unsqueeze(-1)
        alpha = torch.cholesky_solve(r, L)
        quad = (r * alpha).sum()
        logdet = 2 * torch.log(torch.diagonal(L)).sum()
        return 0.5 * (quad + logdet + n * math.log(2 * math.pi)) / n

    def posterior(self, x, y, xs):
        K = self.kernel(x, x) + self.noise() * torch.eye(x.shape[0])
        L = torch.linalg.cholesky(K)
        Ks = self.kernel(x, xs)
        v = torch.linalg.solve_triangular(L, Ks, upper=False)
        alpha = torch.cholesky_solve((y - self.mean_const).unsqueeze(-1), L)
        mean = self.mean_const + (Ks.T @ alpha).squeeze(-1)
        var = F.softplus(self.raw_outputscale) - (v * v).sum(0)
        return mean, var.clamp_min(1e-10)


rs = np.random.RandomState(0)
train_x = torch.from_numpy(np.sort(rs.uniform(0, 6, 24))).unsqueeze(-1)
train_y = torch.sin(train_x.squeeze(-1)) + 0.1 * torch.from_numpy(rs.normal(0, 1, 24))
print("check data", train_x.dtype == torch.float64, tuple(train_x.shape), round(train_y.mean().item(), 6))
model = ExactGP()
optimizer = torch.optim.Adam(model.parameters(), lr=0.1)
scheduler = torch.optim.lr_scheduler.MultiStepLR(optimizer, milestones=[20, 35], gamma=0.3)
for it in range(45):
    optimizer.zero_grad()
    loss = model.nll(train_x, train_y)
    loss.backward()
    optimizer.step()
    scheduler.step()
    if it % 9 == 0:
        print(
            f"check iter {it} nll {loss.item():.6f} ls {F.softplus(model.raw_lengthscale).item():.5f} "
            f"noise {model.noise().item():.6f} lr {scheduler.get_last_lr()[0]:.4f}"
        )

with torch.no_grad():
    test_x = torch.linspace(0, 6, 7).unsqueeze(-1)
    mean, var = model.posterior(train_x, train_y, test_x)
    print("check mean", *[round(v, 4) for v in mean.tolist()])
    print("check std", *[round(v, 4) for v in var.sqrt().tolist()])
    lower, upper = mean - 2 * var.sqrt(), mean + 2 * var.sqrt()
    inside = ((torch.sin(test_x.squeeze(-1)) >= lower) & (torch.sin(test_x.squeeze(-1)) <= upper)).sum()
    print("check coverage", inside.item(), mean.dtype == torch.float64)
    K = model.kernel(train_x, train_x) + model.noise() * torch.eye(24)
    dist = torch.distributions.MultivariateNormal(
        model.mean_const.expand(24), scale_tril=torch.linalg.cholesky(K)
    )
    print(
        "check mvn",
        round(-dist.log_prob(train_y).item() / 24, 6),
        round(model.nll(train_x, train_y).item(), 6),
    )
    eig = torch.linalg.eigvalsh(K)
    print(
        "check eig",
        bool((eig > 0).all()),
        round(eig.max().item(), 4),
        round(torch.linalg.cond(K).log10().item(), 3),
    )
    sign, logabsdet = torch.linalg.slogdet(K)
    print("check slogdet", sign.item(), round(logabsdet.item(), 5))
