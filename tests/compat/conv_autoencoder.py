"""A convolutional autoencoder as tutorials build them: strided Conv2d down, ConvTranspose2d
(output_padding, and forward's output_size), nn.Upsample (nearest, bilinear), a Conv2d with
padding_mode="reflect", PixelShuffle/PixelUnshuffle, Sigmoid + BCELoss
then F.interpolate's
modes (bilinear align_corners, bicubic, area, linear, nearest-exact). Weights come from numpy
so that torch and lazygrad start alike."""
import importlib
import os

import numpy as np

torch = importlib.import_module(os.environ.get("COMPAT_TORCH", "lazygrad"))
nn = torch.nn
F = torch.nn.functional

class AE(nn.Module):
    def __init__(self):
        super().__init__()
        self.encoder = nn.Sequential(
            nn.Conv2d(1, 4, 3, stride=2, padding=1), nn.LeakyReLU(0.2),
            nn.Conv2d(4, 8, 3, stride=2, padding=1), nn.BatchNorm2d(8), nn.ReLU(True))
        self.decoder = nn.Sequential(
            nn.ConvTranspose2d(8, 4, 3, stride=2, padding=1, output_padding=1), nn.ReLU(True),
            nn.Upsample(scale_factor=2, mode="nearest"),
            nn.Conv2d(4, 4, 3, padding=1, padding_mode="reflect"), nn.ELU(),
            nn.Conv2d(4, 4, 3, padding=1), nn.PixelShuffle(2),
            nn.Upsample(size=(8, 8), mode="bilinear", align_corners=False),
            nn.Conv2d(1, 1, 1), nn.Sigmoid())
    def forward(self, x):
        z = self.encoder(x)
        return self.decoder(z), z

r = np.random.RandomState(0)
model = AE()
with torch.no_grad():
    for p in model.parameters():
        p.copy_(torch.from_numpy(r.normal(0, 0.4, tuple(p.shape)).astype(np.float32)))
x = torch.from_numpy(r.rand(4, 1, 8, 8).astype(np.float32))
print("check shapes", [tuple(model.encoder(x).shape)])
opt = torch.optim.Adam(model.parameters(), lr=1e-2, betas=(0.5, 0.999))
crit = nn.BCELoss()
for epoch in range(4):
    recon, z = model(x)
    loss = crit(recon, x) + 1e-3 * z.pow(2).mean()
    opt.zero_grad()
    loss.backward()
    opt.step()
    print("check epoch", epoch, f"{loss.item():.5f}", tuple(recon.shape))
ps = nn.PixelShuffle(3)
pu = nn.PixelUnshuffle(3)
t = torch.arange(2 * 18 * 2 * 2, dtype=torch.float32).reshape(2, 18, 2, 2)
print("check shuffle", tuple(ps(t).shape), ps(t)[0, 0, 0].tolist(), torch.equal(pu(ps(t)), t))
y = F.interpolate(x[:1], scale_factor=1.5, mode="bilinear", align_corners=True)
y2 = F.interpolate(x[:1], size=(5, 3), mode="bicubic", align_corners=False)
y3 = F.interpolate(x[:1], scale_factor=0.5, mode="area")
y4 = F.interpolate(x[:1, :, 0], size=5, mode="linear")
y5 = F.interpolate(x[:1], scale_factor=2, mode="nearest-exact")
print("check interp", tuple(y.shape), round(y.sum().item(), 4), round(y2.sum().item(), 4), round(y3.sum().item(), 4),
      round(y4.sum().item(), 4), round(y5.sum().item(), 4))
ct = nn.ConvTranspose2d(2, 3, (3, 2), stride=(2, 1), padding=(1, 0), dilation=(1, 2), groups=1, bias=False)
with torch.no_grad():
    ct.weight.copy_(torch.from_numpy(r.normal(0, 0.4, tuple(ct.weight.shape)).astype(np.float32)))
inp = torch.from_numpy(r.rand(1, 2, 4, 4).astype(np.float32)).requires_grad_()
o = ct(inp, output_size=[8, 6])
o.sum().backward()
print("check ct", tuple(o.shape), round(o.sum().item(), 4), round(inp.grad.sum().item(), 4))
up = nn.UpsamplingBilinear2d(scale_factor=2)
print("check upb", round(up(x[:1]).mean().item(), 5), round(nn.UpsamplingNearest2d(size=10)(x[:1]).mean().item(), 5))
