"""pytorch/examples' variational autoencoder (vae/main.py), as the example writes it: Linear
encoder and decoder, the reparameterisation trick with torch.randn_like, a loss of
F.binary_cross_entropy(..., reduction='sum') plus the KL divergence through logvar.exp(),
Adam, train and test loops over DataLoaders, and samples decoded from torch.randn. The images
are 8x8 synthetic ones (64 pixels where MNIST has 784). Torch's and lazygrad's random streams
differ, so the weights are set from numpy, and the checked training draws its noise from a
numpy RandomState through reparameterize's eps argument; the draws of randn_like and randn
are checked by their shapes and statistics only."""
import importlib
import os

import numpy as np

torch = importlib.import_module(os.environ.get("COMPAT_TORCH", "lazygrad"))
nn = torch.nn
F = torch.nn.functional
optim = torch.optim

PIXELS, HIDDEN, LATENT = 64, 32, 4
batch_size, epochs, log_interval = 16, 3, 2
torch.manual_seed(1)
device = torch.device("cpu")
kwargs = {}


def make_digits(n, seed):
    """Blurry strokes in [0, 1] on an 8x8 grid, with a label each (unused, as MNIST's are)."""
    rs = np.random.RandomState(seed)
    yy, xx = np.mgrid[0:8, 0:8]
    labels = rs.randint(0, 4, n)
    centres = rs.uniform(1.5, 6.5, (n, 2))
    width = 1.0 + labels[:, None, None] * 0.5
    images = np.exp(-((yy - centres[:, 0, None, None]) ** 2 + (xx - centres[:, 1, None, None]) ** 2) / width)
    return images[:, None].astype(np.float32), labels.astype(np.int64)


train_data = torch.utils.data.TensorDataset(*map(torch.from_numpy, make_digits(64, 1)))
test_data = torch.utils.data.TensorDataset(*map(torch.from_numpy, make_digits(32, 2)))
train_loader = torch.utils.data.DataLoader(train_data, batch_size=batch_size, shuffle=False, **kwargs)
test_loader = torch.utils.data.DataLoader(test_data, batch_size=batch_size, shuffle=False, **kwargs)
noise = np.random.RandomState(3)


class VAE(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(PIXELS, HIDDEN)
        self.fc21 = nn.Linear(HIDDEN, LATENT)
        self.fc22 = nn.Linear(HIDDEN, LATENT)
        self.fc3 = nn.Linear(LATENT, HIDDEN)
        self.fc4 = nn.Linear(HIDDEN, PIXELS)

    def encode(self, x):
        h1 = F.relu(self.fc1(x))
        return self.fc21(h1), self.fc22(h1)

    def reparameterize(self, mu, logvar, eps=None):
        std = torch.exp(0.5 * logvar)
        if eps is None:
            eps = torch.randn_like(std)
        return mu + eps * std

    def decode(self, z):
        h3 = F.relu(self.fc3(z))
        return torch.sigmoid(self.fc4(h3))

    def forward(self, x, eps=None):
        mu, logvar = self.encode(x.view(-1, PIXELS))
        z = self.reparameterize(mu, logvar, eps)
        return self.decode(z), mu, logvar


model = VAE().to(device)
rs = np.random.RandomState(0)
with torch.no_grad():
    for name, param in model.named_parameters():
        param.copy_(torch.tensor(rs.uniform(-0.3, 0.3, tuple(param.shape)), dtype=torch.float32))
optimizer = optim.Adam(model.parameters(), lr=1e-2)


def loss_function(recon_x, x, mu, logvar):
    BCE = F.binary_cross_entropy(recon_x, x.view(-1, PIXELS), reduction='sum')
    # KL divergence of N(mu, exp(logvar)) from N(0, 1), Appendix B of Kingma and Welling 2014
    KLD = -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp())
    return BCE + KLD


def fixed_eps(n):
    return torch.from_numpy(noise.standard_normal((n, LATENT)).astype(np.float32))


def train(epoch):
    model.train()
    train_loss = 0
    for batch_idx, (data, _) in enumerate(train_loader):
        data = data.to(device)
        optimizer.zero_grad()
        recon_batch, mu, logvar = model(data, fixed_eps(len(data)))
        loss = loss_function(recon_batch, data, mu, logvar)
        loss.backward()
        train_loss += loss.item()
        optimizer.step()
        if batch_idx % log_interval == 0:
            print(f"check Train Epoch: {epoch} [{batch_idx * len(data)}/{len(train_loader.dataset)} "
                  f"({100. * batch_idx / len(train_loader):.0f}%)]\tLoss: {loss.item() / len(data):.6f}")
    print(f"check ====> Epoch: {epoch} Average loss: {train_loss / len(train_loader.dataset):.4f}")


def test(epoch):
    model.eval()
    test_loss = 0
    with torch.no_grad():
        for i, (data, _) in enumerate(test_loader):
            data = data.to(device)
            recon_batch, mu, logvar = model(data, fixed_eps(len(data)))
            test_loss += loss_function(recon_batch, data, mu, logvar).item()
            if i == 0:
                n = min(data.size(0), 8)
                comparison = torch.cat([data[:n], recon_batch.view(batch_size, 1, 8, 8)[:n]])
                print("check comparison", tuple(comparison.cpu().shape), comparison.sum().item())
    test_loss /= len(test_loader.dataset)
    print(f"check ====> Test set loss: {test_loss:.4f}")


for epoch in range(1, epochs + 1):
    train(epoch)
    test(epoch)
    with torch.no_grad():
        sample = torch.randn(64, LATENT).to(device)
        sample = model.decode(sample).cpu()
        images = sample.view(64, 1, 8, 8)
        print("check sample", tuple(images.shape), images.dtype == torch.float32, bool(((images > 0) & (images < 1)).all()))

# randn_like draws: same shape and dtype as its argument, standard normal statistics.
mu, logvar = model.encode(torch.from_numpy(make_digits(512, 4)[0]).view(-1, PIXELS))
eps = torch.randn_like(logvar)
print("check randn_like", tuple(eps.shape), eps.dtype == logvar.dtype, eps.requires_grad,
      abs(eps.mean().item()) < 0.1, abs(eps.std().item() - 1) < 0.1)
z = model.reparameterize(mu, logvar)
print("check z", tuple(z.shape), z.requires_grad, z.grad_fn is not None)
