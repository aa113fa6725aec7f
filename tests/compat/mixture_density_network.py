"""A mixture density network on the inverse-sine toy problem (x = y + 0.3 sin(2 pi y) + noise,
predict y from x: one x has several y), in the shape of the common MDN tutorials: a tanh
hidden layer and three heads (mixture logits, log sigmas, means), the negative log-likelihood
as logsumexp(log_softmax(pi) + Normal(mu, sigma).log_prob(y)), the same loss from
torch.distributions' MixtureSameFamily, Adam with weight decay, gradient clipping, and the
most probable component's mean as the prediction. Weights and data come from numpy."""
import importlib
import math
import os

import numpy as np

torch = importlib.import_module(os.environ.get("COMPAT_TORCH", "lazygrad"))
nn = torch.nn
F = torch.nn.functional
D = torch.distributions

rs = np.random.RandomState(0)
N, K = 256, 3
y_np = rs.uniform(0.0, 1.0, (N, 1)).astype(np.float32)
x_np = (y_np + 0.3 * np.sin(2 * np.pi * y_np) + rs.uniform(-0.1, 0.1, (N, 1))).astype(np.float32)
x, y = torch.from_numpy(x_np), torch.from_numpy(y_np)


class MDN(nn.Module):
    def __init__(self, n_hidden=16, n_gaussians=K):
        super().__init__()
        self.z_h = nn.Sequential(nn.Linear(1, n_hidden), nn.Tanh())
        self.z_pi = nn.Linear(n_hidden, n_gaussians)
        self.z_sigma = nn.Linear(n_hidden, n_gaussians)
        self.z_mu = nn.Linear(n_hidden, n_gaussians)

    def forward(self, x):
        z_h = self.z_h(x)
        pi = F.softmax(self.z_pi(z_h), -1)
        sigma = torch.exp(self.z_sigma(z_h))
        mu = self.z_mu(z_h)
        return pi, sigma, mu


def mdn_loss(pi, sigma, mu, y):
    log_prob = D.Normal(loc=mu, scale=sigma).log_prob(y)  # y (N, 1) broadcasts over the K components
    return -torch.logsumexp(torch.log(pi) + log_prob, dim=1).mean()


def mdn_loss_by_hand(pi, sigma, mu, y):
    z = (y.expand_as(mu) - mu) / sigma
    log_normal = -0.5 * z ** 2 - torch.log(sigma) - 0.5 * math.log(2 * math.pi)
    return -(torch.log(pi) + log_normal).logsumexp(1).mean()


model = MDN()
r = np.random.RandomState(1)
with torch.no_grad():
    for name, p in model.named_parameters():
        p.copy_(torch.from_numpy(r.normal(0, 0.5, tuple(p.shape)).astype(np.float32)))
optimizer = torch.optim.Adam(model.parameters(), lr=0.02, weight_decay=1e-4)
# 41 steps: from about step 40 on, clipped gradient norms of 4-17 amplify last-place rounding
# (1e-4 apart at step 14) into percents by step 59, whichever library rounds (an Intel AVX-512
# machine's run ended 2% off torch's; the AMD one's stayed within 1e-3 by chance)
for epoch in range(41):
    pi, sigma, mu = model(x)
    loss = mdn_loss(pi, sigma, mu, y)
    optimizer.zero_grad()
    loss.backward()
    norm = nn.utils.clip_grad_norm_(model.parameters(), max_norm=5.0)
    optimizer.step()
    if epoch % 20 == 0:
        print("check epoch", epoch, f"loss {loss.item():.4f}", f"grad norm {float(norm):.4f}")

model.eval()
with torch.no_grad():
    pi, sigma, mu = model(x)
    mixture = D.MixtureSameFamily(D.Categorical(probs=pi), D.Normal(mu, sigma))
    print("check losses", round(mdn_loss(pi, sigma, mu, y).item(), 4),
          round(mdn_loss_by_hand(pi, sigma, mu, y).item(), 4),
          round(-mixture.log_prob(y.squeeze(1)).mean().item(), 4))
    print("check mixture", tuple(mixture.batch_shape), round(mixture.mean.mean().item(), 4),
          round(mixture.variance.mean().item(), 4))
    grid = torch.linspace(0.0, 1.0, 5).unsqueeze(1)
    gpi, gsigma, gmu = model(grid)
    best = gpi.argmax(dim=1, keepdim=True)
    print("check components", best.squeeze(1).tolist())
    print("check modes", [round(v, 3) for v in torch.gather(gmu, 1, best).squeeze(1).tolist()])
    print("check entropy", [round(v, 3) for v in D.Categorical(probs=gpi).entropy().tolist()])
