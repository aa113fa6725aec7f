"""Super resolution in the shape of pytorch/examples' super_resolution: a sub-pixel net of
Conv2d + ReLU ending in PixelShuffle, `init.orthogonal_(w, init.calculate_gain('relu'))`,
MSELoss, Adam, PSNR through `10 * log10(1 / mse.item())` (math) and `torch.log10`, a Dataset
returning (input, target) tuples, and a PixelUnshuffle round trip. Orthogonal init draws from
the library's generator, so the initial weights are then overwritten by numpy draws pushed
through `torch.linalg.qr` (and the orthogonality of init.orthogonal_ itself is checked)."""
import importlib
import math
import os

import numpy as np

torch = importlib.import_module(os.environ.get("COMPAT_TORCH", "lazygrad"))
nn = torch.nn
init = torch.nn.init
optim = torch.optim
rs = np.random.RandomState(0)


class Net(nn.Module):
    def __init__(self, upscale_factor):
        super().__init__()
        self.relu = nn.ReLU()
        self.conv1 = nn.Conv2d(1, 8, (5, 5), (1, 1), (2, 2))
        self.conv2 = nn.Conv2d(8, 8, (3, 3), (1, 1), (1, 1))
        self.conv3 = nn.Conv2d(8, upscale_factor ** 2, (3, 3), (1, 1), (1, 1))
        self.pixel_shuffle = nn.PixelShuffle(upscale_factor)
        self._initialize_weights()

    def forward(self, x):
        x = self.relu(self.conv1(x))
        x = self.relu(self.conv2(x))
        x = self.pixel_shuffle(self.conv3(x))
        return x

    def _initialize_weights(self):
        init.orthogonal_(self.conv1.weight, init.calculate_gain('relu'))
        init.orthogonal_(self.conv2.weight, init.calculate_gain('relu'))
        init.orthogonal_(self.conv3.weight)


class Pairs(torch.utils.data.Dataset):
    def __init__(self, n):
        hr = rs.uniform(0, 1, (n, 1, 8, 8)).astype(np.float32)
        self.hr = hr
        self.lr = hr.reshape(n, 1, 4, 2, 4, 2).mean(axis=(3, 5))

    def __getitem__(self, index):
        return torch.from_numpy(self.lr[index]), torch.from_numpy(self.hr[index])

    def __len__(self):
        return len(self.hr)


torch.manual_seed(123)
model = Net(upscale_factor=2)
w = model.conv2.weight.detach().view(8, -1)
print("check orthogonal", tuple(w.shape), bool(torch.allclose(w @ w.t(), 2.0 * torch.eye(8), atol=1e-4)),
      round(init.calculate_gain('leaky_relu', 0.2), 6), round(init.calculate_gain('tanh'), 6))
with torch.no_grad():
    for name, p in model.named_parameters():
        if p.dim() == 4:
            q, _ = torch.linalg.qr(torch.from_numpy(rs.randn(p.shape[1] * 25, p.shape[0]).astype(np.float64)))
            p.copy_(q.t()[:, :p[0].numel()].reshape(p.shape).float() * 0.8)
        else:
            p.zero_()
criterion = nn.MSELoss()
optimizer = optim.Adam(model.parameters(), lr=0.01)
training_data_loader = torch.utils.data.DataLoader(dataset=Pairs(8), num_workers=0, batch_size=4, shuffle=False)
testing_data_loader = torch.utils.data.DataLoader(dataset=Pairs(4), num_workers=0, batch_size=2, shuffle=False)
for epoch in range(1, 4):
    epoch_loss = 0
    for iteration, batch in enumerate(training_data_loader, 1):
        input, target = batch[0], batch[1]
        optimizer.zero_grad()
        loss = criterion(model(input), target)
        epoch_loss += loss.item()
        loss.backward()
        optimizer.step()
    print(f"check ===> Epoch {epoch} Complete: Avg. Loss: {epoch_loss / len(training_data_loader):.6f}")
    avg_psnr = 0
    with torch.no_grad():
        for batch in testing_data_loader:
            input, target = batch[0], batch[1]
            prediction = model(input)
            mse = criterion(prediction, target)
            psnr = 10 * math.log10(1 / mse.item())
            avg_psnr += psnr
    print(f"check ===> Avg. PSNR: {avg_psnr / len(testing_data_loader):.4f} dB",
          round((10 * torch.log10(1 / mse)).item(), 4))
out = model(torch.from_numpy(Pairs(1).lr))
print("check out", tuple(out.shape), out.requires_grad, out.grad_fn is not None)
unshuffled = nn.PixelUnshuffle(2)(out)
print("check unshuffle", tuple(unshuffled.shape), bool(torch.equal(nn.functional.pixel_shuffle(unshuffled, 2), out)))
