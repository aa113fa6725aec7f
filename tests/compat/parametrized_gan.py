"""A 1-d GAN whose layers are reparametrized, in the style of the parametrizations tutorial and
the spectral-norm GAN examples: a discriminator with nn.utils.parametrizations.spectral_norm, a
generator with parametrizations.weight_norm, a custom parametrization (a symmetric matrix)
registered with nn.utils.parametrize.register_parametrization, parametrize.cached(), the
parametrized state_dict keys, remove_parametrizations(leave_parametrized=True), and a
hinge-loss training loop with Adam(betas=(0.5, 0.9)). Weights are set from numpy."""

import importlib
import os

import numpy as np

torch = importlib.import_module(os.environ.get("COMPAT_TORCH", "lazygrad"))
nn = torch.nn
F = torch.nn.functional
P = nn.utils.parametrizations
parametrize = nn.utils.parametrize


class Symmetric(nn.Module):
    def forward(self, X):
        return X.triu() + X.triu(1).transpose(-1, -2)


def set_from_numpy(module, seed):
    rs = np.random.RandomState(seed)
    with torch.no_grad():
        for name, p in module.named_parameters():
            p.copy_(torch.from_numpy(rs.normal(0, 0.4, tuple(p.shape)).astype(np.float32)))


generator = nn.Sequential(
    nn.Linear(2, 8), nn.LeakyReLU(0.2), nn.Linear(8, 8), nn.LeakyReLU(0.2), nn.Linear(8, 1)
)
discriminator = nn.Sequential(
    nn.Linear(1, 16), nn.LeakyReLU(0.2), nn.Linear(16, 16), nn.LeakyReLU(0.2), nn.Linear(16, 1)
)
set_from_numpy(generator, 0)
set_from_numpy(discriminator, 1)
for i in (0, 2):
    generator[i] = P.weight_norm(generator[i])
parametrize.register_parametrization(generator[2], "weight", Symmetric())
for i in (0, 2, 4):
    discriminator[i] = P.spectral_norm(discriminator[i], n_power_iterations=3)
with torch.no_grad():  # spectral_norm's power-iteration vectors start random: set them too
    rs = np.random.RandomState(2)
    for i in (0, 2, 4):
        sn = discriminator[i].parametrizations.weight[0]
        sn._u.copy_(
            F.normalize(torch.from_numpy(rs.normal(0, 1, tuple(sn._u.shape)).astype(np.float32)), dim=0)
        )
        sn._v.copy_(
            F.normalize(torch.from_numpy(rs.normal(0, 1, tuple(sn._v.shape)).astype(np.float32)), dim=0)
        )

print("check gen_keys", sorted(generator.state_dict().keys())[:5])
print("check disc_keys", sorted(discriminator.state_dict().keys())[:4])
print(
    "check is_parametrized",
    parametrize.is_parametrized(generator[2]),
    parametrize.is_parametrized(generator[4]),
    len(generator[2].parametrizations.weight),
)
w = generator[2].weight
print(
    "check symmetric",
    bool(torch.allclose(w, w.T)),
    tuple(generator[0].parametrizations.weight.original0.shape),
)

g_opt = torch.optim.Adam(generator.parameters(), lr=2e-3, betas=(0.5, 0.9))
d_opt = torch.optim.Adam(discriminator.parameters(), lr=2e-3, betas=(0.5, 0.9))
rs = np.random.RandomState(3)
for step in range(12):
    real = torch.from_numpy((rs.normal(0, 0.5, (32, 1)) + 2.0).astype(np.float32))
    noise = torch.from_numpy(rs.normal(0, 1, (32, 2)).astype(np.float32))
    d_opt.zero_grad()
    fake = generator(noise).detach()
    d_loss = F.relu(1 - discriminator(real)).mean() + F.relu(1 + discriminator(fake)).mean()
    d_loss.backward()
    d_opt.step()
    g_opt.zero_grad()
    g_loss = -discriminator(generator(noise)).mean()
    g_loss.backward()
    g_opt.step()
    if step % 3 == 2:
        print(
            f"check step {step} d {d_loss.item():.5f} g {g_loss.item():.5f} "
            f"fake_mean {fake.mean().item():.5f}"
        )

discriminator.eval()
with torch.no_grad():
    sigma = torch.linalg.matrix_norm(discriminator[2].weight, ord=2)
    print("check sigma", round(sigma.item(), 4))
    with parametrize.cached():
        a = generator[2].weight
        b = generator[2].weight
        print("check cached", a is b, bool(torch.equal(a, a.T)))
    before = generator(torch.ones(3, 2))
    parametrize.remove_parametrizations(generator[2], "weight", leave_parametrized=True)
    after = generator(torch.ones(3, 2))
    print(
        "check removed",
        parametrize.is_parametrized(generator[2]),
        type(generator[2].weight).__name__,
        bool(torch.allclose(before, after)),
        *[round(v, 5) for v in after.flatten().tolist()],
    )
    print("check g_norm", round(generator[0].parametrizations.weight.original0.norm().item(), 5))
