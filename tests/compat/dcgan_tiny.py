"""DCGAN in the shape of pytorch/examples' dcgan: a generator of ConvTranspose2d + BatchNorm2d +
ReLU ending in Tanh, a discriminator of strided Conv2d + LeakyReLU(0.2, inplace=True) +
BatchNorm2d ending in Sigmoid, a `weights_init` applied with `Module.apply` that dispatches on
`classname.find('Conv')`, BCELoss on labels made with `torch.full((b,), real_label,
dtype=torch.float)`, two Adam optimizers with betas=(0.5, 0.999), `fake.detach()` for the
discriminator step, `output.mean().item()` for D(x) and D(G(z)). Images are 8x8 random draws.
The init draws come from numpy so both libraries start alike."""
import importlib
import os

import numpy as np

torch = importlib.import_module(os.environ.get("COMPAT_TORCH", "lazygrad"))
nn = torch.nn
optim = torch.optim
torch.manual_seed(999)
rs = np.random.RandomState(0)
nz, ngf, ndf, nc = 4, 4, 4, 1


def weights_init(m):
    classname = m.__class__.__name__
    if classname.find('Conv') != -1:
        with torch.no_grad():
            m.weight.copy_(torch.from_numpy(rs.normal(0.0, 0.2, tuple(m.weight.shape)).astype(np.float32)))
    elif classname.find('BatchNorm') != -1:
        with torch.no_grad():
            m.weight.copy_(torch.from_numpy(rs.normal(1.0, 0.02, tuple(m.weight.shape)).astype(np.float32)))
        nn.init.constant_(m.bias.data, 0)


class Generator(nn.Module):
    def __init__(self):
        super().__init__()
        self.main = nn.Sequential(
            nn.ConvTranspose2d(nz, ngf * 2, 4, 1, 0, bias=False),  # 4x4
            nn.BatchNorm2d(ngf * 2),
            nn.ReLU(True),
            nn.ConvTranspose2d(ngf * 2, nc, 4, 2, 1, bias=False),  # 8x8
            nn.Tanh(),
        )

    def forward(self, input):
        return self.main(input)


class Discriminator(nn.Module):
    def __init__(self):
        super().__init__()
        self.main = nn.Sequential(
            nn.Conv2d(nc, ndf, 4, 2, 1, bias=False),  # 4x4
            nn.LeakyReLU(0.2, inplace=True),
            nn.Conv2d(ndf, ndf * 2, 3, 1, 1, bias=False),
            nn.BatchNorm2d(ndf * 2),
            nn.LeakyReLU(0.2, inplace=True),
            nn.Conv2d(ndf * 2, 1, 4, 1, 0, bias=False),
            nn.Sigmoid(),
        )

    def forward(self, input):
        return self.main(input).view(-1, 1).squeeze(1)


netG = Generator()
netG.apply(weights_init)
netD = Discriminator()
netD.apply(weights_init)
print("check params", sum(p.numel() for p in netG.parameters()), sum(p.numel() for p in netD.parameters()))
criterion = nn.BCELoss()
fixed_noise = torch.from_numpy(rs.randn(4, nz, 1, 1).astype(np.float32))
real_label, fake_label = 1., 0.
optimizerD = optim.Adam(netD.parameters(), lr=0.002, betas=(0.5, 0.999))
optimizerG = optim.Adam(netG.parameters(), lr=0.002, betas=(0.5, 0.999))
data = torch.from_numpy(np.tanh(rs.randn(12, nc, 8, 8)).astype(np.float32))
dataloader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(data), batch_size=4, shuffle=False)
for epoch in range(2):
    for i, batch in enumerate(dataloader, 0):
        netD.zero_grad()
        real_cpu = batch[0]
        b_size = real_cpu.size(0)
        label = torch.full((b_size,), real_label, dtype=torch.float)
        output = netD(real_cpu)
        errD_real = criterion(output, label)
        errD_real.backward()
        D_x = output.mean().item()
        noise = torch.from_numpy(rs.randn(b_size, nz, 1, 1).astype(np.float32))
        fake = netG(noise)
        label.fill_(fake_label)
        output = netD(fake.detach())
        errD_fake = criterion(output, label)
        errD_fake.backward()
        D_G_z1 = output.mean().item()
        errD = errD_real + errD_fake
        optimizerD.step()
        netG.zero_grad()
        label.fill_(real_label)
        output = netD(fake)
        errG = criterion(output, label)
        errG.backward()
        D_G_z2 = output.mean().item()
        optimizerG.step()
        print(f'check [{epoch}/2][{i}/{len(dataloader)}] Loss_D: {errD.item():.4f} Loss_G: {errG.item():.4f} '
              f'D(x): {D_x:.4f} D(G(z)): {D_G_z1:.4f} / {D_G_z2:.4f}')
with torch.no_grad():
    fake = netG(fixed_noise).detach().cpu()
print("check fake", tuple(fake.shape), fake.dtype == torch.float32, round(fake.abs().max().item(), 4), round(fake.sum().item(), 3))
print("check running", [round(v, 4) for v in netD.main[3].running_mean.tolist()],
      netD.main[3].num_batches_tracked.item())
