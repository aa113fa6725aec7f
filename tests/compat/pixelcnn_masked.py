"""A tiny PixelCNN on 8x8 images with 4 grey levels, in the style of the PixelCNN examples:
a MaskedConv2d subclass of nn.Conv2d whose 'A'/'B' mask is a registered buffer and is applied
in place to the weight under torch.no_grad() before each forward, BatchNorm2d, a per-pixel
4-way cross_entropy over the (N, C, H, W) logits, RMSprop with weight decay, a StepLR, the
mask surviving a state_dict round trip, and greedy (argmax) generation pixel by pixel.
Weights are set from numpy so that torch and lazygrad start alike."""

import importlib
import io
import os

import numpy as np

torch = importlib.import_module(os.environ.get("COMPAT_TORCH", "lazygrad"))
nn = torch.nn
F = torch.nn.functional
LEVELS, SIZE = 4, 8


class MaskedConv2d(nn.Conv2d):
    def __init__(self, mask_type, *args, **kwargs):
        super().__init__(*args, **kwargs)
        assert mask_type in ("A", "B")
        self.register_buffer("mask", self.weight.data.clone())
        _, _, h, w = self.weight.size()
        self.mask.fill_(1)
        self.mask[:, :, h // 2, w // 2 + (mask_type == "B") :] = 0
        self.mask[:, :, h // 2 + 1 :] = 0

    def forward(self, x):
        with torch.no_grad():
            self.weight.mul_(self.mask)
        return super().forward(x)


def block(mask_type, cin, cout):
    return nn.Sequential(
        MaskedConv2d(mask_type, cin, cout, 5, 1, 2, bias=False), nn.BatchNorm2d(cout), nn.ReLU(True)
    )


class PixelCNN(nn.Module):
    def __init__(self, fm=8):
        super().__init__()
        self.net = nn.Sequential(
            block("A", 1, fm), block("B", fm, fm), block("B", fm, fm), nn.Conv2d(fm, LEVELS, 1)
        )

    def forward(self, x):
        return self.net(x)


def images(n, seed):
    rs = np.random.RandomState(seed)
    rows = np.arange(SIZE)[None, :, None]
    cols = np.arange(SIZE)[None, None, :]
    phase = rs.randint(0, 4, (n, 1, 1))
    img = ((rows + cols + phase) // 2) % LEVELS
    noise = rs.rand(n, SIZE, SIZE) < 0.1
    img = np.where(noise, rs.randint(0, LEVELS, (n, SIZE, SIZE)), img)
    return img.astype(np.int64)


def init_from_numpy(model, seed):
    rs = np.random.RandomState(seed)
    with torch.no_grad():
        for name, p in model.named_parameters():
            fan_in = int(np.prod(p.shape[1:])) if p.dim() > 1 else p.shape[0]
            p.copy_(torch.from_numpy(rs.normal(0, np.sqrt(2 / fan_in), tuple(p.shape)).astype(np.float32)))


model = PixelCNN()
init_from_numpy(model, 0)
mask = model.net[1][0].mask
print("check mask", tuple(mask.shape), int(mask[0, 0].sum()), int(model.net[0][0].mask[0, 0].sum()))
print("check buffers", len(list(model.buffers())), [n for n, _ in model.named_buffers()][:4])
labels = torch.from_numpy(images(48, 1))
inputs = labels.unsqueeze(1).float() / (LEVELS - 1)
optimizer = torch.optim.RMSprop(model.parameters(), lr=2e-3, weight_decay=1e-4, alpha=0.9)
scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=2, gamma=0.5)
for epoch in range(4):
    model.train()
    for i in range(0, 48, 16):
        logits = model(inputs[i : i + 16])
        loss = F.cross_entropy(logits, labels[i : i + 16])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    scheduler.step()
    print(
        f"check epoch {epoch} loss {loss.item():.5f} bpd {loss.item() / np.log(2):.5f} "
        f"lr {scheduler.get_last_lr()[0]}"
    )

w = model.net[1][0].weight
print("check masked_weight_zero", bool((w * (1 - model.net[1][0].mask)).abs().sum() == 0))
print(
    "check running",
    *[round(v, 4) for v in model.net[0][1].running_mean[:3].tolist()],
    int(model.net[0][1].num_batches_tracked),
)

buf = io.BytesIO()
torch.save({"model": model.state_dict(), "optimizer": optimizer.state_dict()}, buf)
buf.seek(0)
ckpt = torch.load(buf)
clone = PixelCNN()
clone.load_state_dict(ckpt["model"])
print("check ckpt", sorted(ckpt["model"].keys())[:3], ckpt["optimizer"]["param_groups"][0]["lr"])
print("check clone_mask", bool(torch.equal(clone.net[1][0].mask, mask)))

clone.eval()
with torch.no_grad():
    test = torch.from_numpy(images(8, 2))
    nll = F.cross_entropy(clone(test.unsqueeze(1).float() / (LEVELS - 1)), test, reduction="none")
    print("check test_nll", round(nll.mean().item(), 5), tuple(nll.shape))
    acc = (clone(test.unsqueeze(1).float() / 3).argmax(1) == test).float().mean()
    print("check pixel_acc", round(acc.item(), 5))
    sample = torch.zeros(2, 1, SIZE, SIZE)
    for r in range(SIZE):
        for c in range(SIZE):
            probs = F.softmax(clone(sample)[:, :, r, c], dim=1)
            sample[:, :, r, c] = probs.argmax(dim=1, keepdim=True).float() / (LEVELS - 1)
    print("check sample", *(sample[0, 0, :2] * 3).round().long().flatten().tolist())
