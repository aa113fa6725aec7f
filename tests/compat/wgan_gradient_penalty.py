"""WGAN-GP as the popular PyTorch-GAN implementation writes it: Linear generator and critic
(LeakyReLU inplace, Softplus, Tanh), Adam with betas (0.5, 0.999), a gradient penalty from
autograd.grad(outputs, inputs=interpolates, grad_outputs=ones, create_graph=True,
retain_graph=True, only_inputs=True) on `Tensor(...).fill_(1.0)` and `.requires_grad_(True)`
interpolates, critic steps every iteration and generator steps every second. Then explicit
double backward: a Hessian-vector product and backward through a created graph. Weights and
noise come from numpy (FloatTensor of numpy arrays, as the implementation feeds them)."""
import importlib
import os

import numpy as np

torch = importlib.import_module(os.environ.get("COMPAT_TORCH", "lazygrad"))
nn = torch.nn
autograd = torch.autograd
torch.manual_seed(0)
rs = np.random.RandomState(0)


def seeded(model, seed):
    """The model with a state_dict of numpy draws loaded (the same draws under both libraries)."""
    r = np.random.RandomState(seed)
    model.load_state_dict({name: torch.from_numpy(r.uniform(-0.3, 0.3, tuple(t.shape)).astype(np.float32))
                           for name, t in model.state_dict().items()})
    return model


latent_dim, img = 4, 16
generator = seeded(nn.Sequential(nn.Linear(latent_dim, 32), nn.LeakyReLU(0.2, inplace=True), nn.Linear(32, img),
                                 nn.Tanh()), 1)
discriminator = seeded(nn.Sequential(nn.Linear(img, 32), nn.LeakyReLU(0.2, inplace=True), nn.Linear(32, 16),
                                     nn.Softplus(), nn.Linear(16, 1)), 2)
optimizer_G = torch.optim.Adam(generator.parameters(), lr=1e-3, betas=(0.5, 0.999))
optimizer_D = torch.optim.Adam(discriminator.parameters(), lr=1e-3, betas=(0.5, 0.999))
Tensor = torch.FloatTensor
lambda_gp = 10


def compute_gradient_penalty(D, real_samples, fake_samples, alpha):
    interpolates = (alpha * real_samples + ((1 - alpha) * fake_samples)).requires_grad_(True)
    d_interpolates = D(interpolates)
    fake = Tensor(real_samples.shape[0], 1).fill_(1.0)
    fake.requires_grad = False
    gradients = autograd.grad(outputs=d_interpolates, inputs=interpolates, grad_outputs=fake, create_graph=True,
                              retain_graph=True, only_inputs=True)[0]
    gradients = gradients.view(gradients.size(0), -1)
    return ((gradients.norm(2, dim=1) - 1) ** 2).mean()


for i in range(6):
    real_imgs = torch.from_numpy(rs.rand(8, img).astype(np.float32) * 2 - 1)
    optimizer_D.zero_grad()
    z = Tensor(np.random.RandomState(i).normal(0, 1, (8, latent_dim)).astype(np.float32))
    fake_imgs = generator(z)
    real_validity = discriminator(real_imgs)
    fake_validity = discriminator(fake_imgs)
    alpha = Tensor(np.random.RandomState(100 + i).random((8, 1)).astype(np.float32))
    gradient_penalty = compute_gradient_penalty(discriminator, real_imgs.data, fake_imgs.data, alpha)
    d_loss = -torch.mean(real_validity) + torch.mean(fake_validity) + lambda_gp * gradient_penalty
    d_loss.backward()
    optimizer_D.step()
    optimizer_G.zero_grad()
    if i % 2 == 0:
        fake_imgs = generator(z)
        g_loss = -torch.mean(discriminator(fake_imgs))
        g_loss.backward()
        optimizer_G.step()
        print(f"check [D loss: {d_loss.item():f}] [G loss: {g_loss.item():f}] [gp {gradient_penalty.item():f}]")
x = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
y = (x ** 3).sum() + (x[0] * x[1]).sin()
g, = torch.autograd.grad(y, x, create_graph=True)
hv, = torch.autograd.grad(g, x, grad_outputs=torch.ones(3))
print("check grad", *[round(v, 4) for v in g.tolist()], "hvp", *[round(v, 4) for v in hv.tolist()])
gz = torch.autograd.grad(x.pow(2).sum(), x, create_graph=True)[0]
gz.sum().backward()
print("check x.grad", *x.grad.tolist(), g.requires_grad, hv.requires_grad)
