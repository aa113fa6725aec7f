"""The forward-forward algorithm in the shape of pytorch/examples' mnist_forward_forward: labels
overlaid on the input with `x_[:, :10] *= 0.0` and `x_[range(x.shape[0]), y] = x.max()`, Layer
subclasses of nn.Linear that normalise with `x / (x.norm(2, 1, keepdim=True) + 1e-4)` and train
themselves with their own Adam on `torch.log(1 + torch.exp(torch.cat([-g_pos + threshold,
g_neg - threshold]))).mean()`, negatives made from a shuffled label (numpy's permutation), a
goodness per label stacked with `torch.cat(..., 1)` and `argmax(1)`, and the error rate through
`1.0 - pred.eq(y).float().mean().item()`. Weights and data come from numpy."""
import importlib
import os

import numpy as np

torch = importlib.import_module(os.environ.get("COMPAT_TORCH", "lazygrad"))
nn = torch.nn
rs = np.random.RandomState(0)
N_CLASSES, DIM = 4, 12


def overlay_y_on_x(x, y):
    x_ = x.clone()
    x_[:, :N_CLASSES] *= 0.0
    x_[range(x.shape[0]), y] = x.max()
    return x_


class Layer(nn.Linear):
    def __init__(self, in_features, out_features, bias=True, device=None, dtype=None):
        super().__init__(in_features, out_features, bias, device, dtype)
        self.relu = torch.nn.ReLU()
        self.opt = torch.optim.Adam(self.parameters(), lr=0.03)
        self.threshold = 2.0
        self.num_epochs = 5

    def forward(self, x):
        x_direction = x / (x.norm(2, 1, keepdim=True) + 1e-4)
        return self.relu(torch.mm(x_direction, self.weight.T) + self.bias.unsqueeze(0))

    def train(self, x_pos, x_neg):
        for i in range(self.num_epochs):
            g_pos = self.forward(x_pos).pow(2).mean(1)
            g_neg = self.forward(x_neg).pow(2).mean(1)
            loss = torch.log(1 + torch.exp(torch.cat([-g_pos + self.threshold, g_neg - self.threshold]))).mean()
            self.opt.zero_grad()
            loss.backward()
            self.opt.step()
            if i % 2 == 0:
                print(f"check layer loss {i} {loss.item():.6f}")
        return self.forward(x_pos).detach(), self.forward(x_neg).detach()


class Net(torch.nn.Module):
    def __init__(self, dims):
        super().__init__()
        self.layers = []
        for d in range(len(dims) - 1):
            self.layers += [Layer(dims[d], dims[d + 1])]

    def predict(self, x):
        goodness_per_label = []
        for label in range(N_CLASSES):
            h = overlay_y_on_x(x, label)
            goodness = []
            for layer in self.layers:
                h = layer(h)
                goodness += [h.pow(2).mean(1)]
            goodness_per_label += [sum(goodness).unsqueeze(1)]
        goodness_per_label = torch.cat(goodness_per_label, 1)
        return goodness_per_label.argmax(1)

    def train(self, x_pos, x_neg):
        h_pos, h_neg = x_pos, x_neg
        for i, layer in enumerate(self.layers):
            print('check training layer', i, '...')
            h_pos, h_neg = layer.train(h_pos, h_neg)


x = torch.from_numpy(rs.rand(16, DIM).astype(np.float32))
y = torch.from_numpy(rs.randint(0, N_CLASSES, 16))
x_te = torch.from_numpy(rs.rand(8, DIM).astype(np.float32))
y_te = torch.from_numpy(rs.randint(0, N_CLASSES, 8))
net = Net([DIM, 10, 8])
with torch.no_grad():
    for layer in net.layers:
        for p in layer.parameters():
            p.copy_(torch.from_numpy(rs.uniform(-0.3, 0.3, tuple(p.shape)).astype(np.float32)))
x_pos = overlay_y_on_x(x, y)
rnd = torch.from_numpy(rs.permutation(x.size(0)))
x_neg = overlay_y_on_x(x, y[rnd])
print("check overlay", x_pos[:, :N_CLASSES].sum().item() == x.max().item() * 16, tuple(x_neg.shape))
net.train(x_pos, x_neg)
print('check train error:', round(1.0 - net.predict(x).eq(y).float().mean().item(), 5))
print('check test error:', round(1.0 - net.predict(x_te).eq(y_te).float().mean().item(), 5))
print("check layers", len(net.layers), len(list(net.parameters())), net.layers[0].training)
