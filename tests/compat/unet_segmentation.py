"""A small U-Net segmenting discs from noise, in the shape of the usual PyTorch U-Net
tutorials: DoubleConv blocks (Conv2d, BatchNorm2d, ReLU), MaxPool2d down, ConvTranspose2d or
bilinear F.interpolate up with torch.cat skips (padding with F.pad where sizes differ), a 1x1
head, BCEWithLogitsLoss plus a soft dice loss, Adam. The model and the batches run in
channels_last (model.to(memory_format=...)), as the performance tutorials recommend; the
target masks are shrunk with F.interpolate(antialias=True) for a deep-supervision loss. Then
eval-mode dice and IoU. Weights and data come from numpy."""
import importlib
import os

import numpy as np

torch = importlib.import_module(os.environ.get("COMPAT_TORCH", "lazygrad"))
nn = torch.nn
F = torch.nn.functional


class DoubleConv(nn.Module):
    def __init__(self, in_channels, out_channels):
        super().__init__()
        self.double_conv = nn.Sequential(
            nn.Conv2d(in_channels, out_channels, kernel_size=3, padding=1, bias=False),
            nn.BatchNorm2d(out_channels), nn.ReLU(inplace=True),
            nn.Conv2d(out_channels, out_channels, kernel_size=3, padding=1, bias=False),
            nn.BatchNorm2d(out_channels), nn.ReLU(inplace=True))

    def forward(self, x):
        return self.double_conv(x)


class Up(nn.Module):
    def __init__(self, in_channels, out_channels, bilinear):
        super().__init__()
        self.bilinear = bilinear
        if not bilinear:
            self.up = nn.ConvTranspose2d(in_channels, in_channels // 2, kernel_size=2, stride=2)
        self.conv = DoubleConv(in_channels + in_channels // 2 if bilinear else in_channels, out_channels)

    def forward(self, x1, x2):
        if self.bilinear:
            x1 = F.interpolate(x1, scale_factor=2, mode="bilinear", align_corners=False)
        else:
            x1 = self.up(x1)
        diff_y, diff_x = x2.size()[2] - x1.size()[2], x2.size()[3] - x1.size()[3]
        x1 = F.pad(x1, [diff_x // 2, diff_x - diff_x // 2, diff_y // 2, diff_y - diff_y // 2])
        return self.conv(torch.cat([x2, x1], dim=1))


class UNet(nn.Module):
    def __init__(self, n_channels=1, n_classes=1, width=4):
        super().__init__()
        self.inc = DoubleConv(n_channels, width)
        self.down1 = nn.Sequential(nn.MaxPool2d(2), DoubleConv(width, 2 * width))
        self.down2 = nn.Sequential(nn.MaxPool2d(2), DoubleConv(2 * width, 4 * width))
        self.up1 = Up(4 * width, 2 * width, bilinear=False)
        self.up2 = Up(2 * width, width, bilinear=True)
        self.outc = nn.Conv2d(width, n_classes, kernel_size=1)
        self.aux = nn.Conv2d(4 * width, n_classes, kernel_size=1)

    def forward(self, x):
        x1 = self.inc(x)
        x2 = self.down1(x1)
        x3 = self.down2(x2)
        x = self.up1(x3, x2)
        x = self.up2(x, x1)
        return self.outc(x), self.aux(x3)


def make_batch(rs, n=4, size=18):
    yy, xx = np.mgrid[:size, :size]
    images, masks = [], []
    for _ in range(n):
        cy, cx, r = rs.uniform(5, size - 5), rs.uniform(5, size - 5), rs.uniform(2.5, 4.5)
        mask = ((yy - cy) ** 2 + (xx - cx) ** 2 < r * r).astype(np.float32)
        images.append(mask * 0.8 + rs.normal(0, 0.3, mask.shape).astype(np.float32))
        masks.append(mask)
    return (torch.from_numpy(np.stack(images)[:, None].astype(np.float32)),
            torch.from_numpy(np.stack(masks)[:, None]))


def dice_loss(logits, target, eps=1.0):
    prob = torch.sigmoid(logits)
    inter = (prob * target).sum(dim=(2, 3))
    union = prob.sum(dim=(2, 3)) + target.sum(dim=(2, 3))
    return 1 - ((2 * inter + eps) / (union + eps)).mean()


model = UNet()
r = np.random.RandomState(1)
with torch.no_grad():
    for name, p in model.named_parameters():
        if p.dim() > 1:
            fan_in = p[0].numel()
            p.copy_(torch.from_numpy(r.normal(0, (2.0 / fan_in) ** 0.5, tuple(p.shape)).astype(np.float32)))
        elif name.endswith("bias"):
            p.copy_(torch.from_numpy(r.normal(0, 0.05, tuple(p.shape)).astype(np.float32)))
model = model.to(memory_format=torch.channels_last)
print("check params", sum(p.numel() for p in model.parameters()),
      model.inc.double_conv[0].weight.is_contiguous(memory_format=torch.channels_last))
criterion = nn.BCEWithLogitsLoss()
optimizer = torch.optim.Adam(model.parameters(), lr=0.01)
rs = np.random.RandomState(0)
for step in range(8):
    images, masks = make_batch(rs)
    images = images.to(memory_format=torch.channels_last)
    logits, aux = model(images)
    small = F.interpolate(masks, size=aux.shape[-2:], mode="bilinear", antialias=True)
    loss = criterion(logits, masks) + dice_loss(logits, masks) + 0.5 * criterion(aux, small)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    if step % 3 == 0:
        print("check step", step, f"loss {loss.item():.4f}", tuple(logits.shape),
              logits.is_contiguous(memory_format=torch.channels_last), tuple(small.shape))
model.eval()
with torch.no_grad():
    images, masks = make_batch(np.random.RandomState(5))
    logits, _ = model(images.to(memory_format=torch.channels_last))
    pred = (torch.sigmoid(logits) > 0.5).float()
    inter = (pred * masks).sum()
    iou = inter / (pred + masks - pred * masks).sum()
    print(f"check eval dice {1 - dice_loss(logits, masks).item():.4f} iou {iou.item():.4f}")
    print("check running", [round(v, 4) for v in model.inc.double_conv[1].running_mean.tolist()])
