"""Polynomial regression in the shape of pytorch/examples' regression/main.py: features built
with `torch.cat([x ** i for i in range(1, POLY_DEGREE + 1)], 1)` after `x.unsqueeze(1)`, a target
`x.mm(W_target) + b_target.item()`, a batch from `torch.randn`'s role (numpy here), a Linear
trained by hand (`fc.zero_grad()`, `output = F.smooth_l1_loss(fc(batch_x), batch_y)`,
`param.data.add_(-0.1 * param.grad)`), a `while True` loop that stops below a threshold, and
`poly_desc` formatting each 0-d weight with `'{:+.2f} x^{} '.format(w, i + 1)`. Then the same
fit in float64 with `torch.linalg.lstsq`, and `.squeeze()` shapes."""
import importlib
import itertools
import os

import numpy as np

torch = importlib.import_module(os.environ.get("COMPAT_TORCH", "lazygrad"))
F = torch.nn.functional
rs = np.random.RandomState(0)
POLY_DEGREE = 4
W_target = torch.from_numpy(rs.randn(POLY_DEGREE, 1).astype(np.float32)) * 5
b_target = torch.from_numpy(rs.randn(1).astype(np.float32)) * 5


def make_features(x):
    """Builds features i.e. a matrix with columns [x, x^2, x^3, x^4]."""
    x = x.unsqueeze(1)
    return torch.cat([x ** i for i in range(1, POLY_DEGREE + 1)], 1)


def f(x):
    """Approximated function."""
    return x.mm(W_target) + b_target.item()


def poly_desc(W, b):
    """Creates a string description of a polynomial."""
    result = 'y = '
    for i, w in enumerate(W):
        result += '{:+.2f} x^{} '.format(w, i + 1)  # noqa: UP032 (the example's form)
    result += '{:+.2f}'.format(b[0])  # noqa: UP032
    return result


def get_batch(batch_size=32):
    """Builds a batch i.e. (x, f(x)) pair."""
    random = torch.from_numpy(rs.randn(batch_size).astype(np.float32)) * 0.5
    x = make_features(random)
    y = f(x)
    return x, y


fc = torch.nn.Linear(W_target.size(0), 1)
with torch.no_grad():
    fc.weight.copy_(torch.from_numpy(rs.uniform(-0.5, 0.5, (1, POLY_DEGREE)).astype(np.float32)))
    fc.bias.fill_(0.1)
for batch_idx in itertools.count(1):
    batch_x, batch_y = get_batch()
    fc.zero_grad()
    output = F.smooth_l1_loss(fc(batch_x), batch_y)
    loss = output.item()
    output.backward()
    for param in fc.parameters():
        param.data.add_(-0.1 * param.grad)
    if batch_idx % 25 == 0:
        print(f"check batch {batch_idx} loss {loss:.6f}")
    if loss < 1e-1 or batch_idx >= 100:
        break
print('check Loss: {:.6f} after {} batches'.format(loss, batch_idx))  # noqa: UP032
print('check ==> Learned function:\t' + poly_desc(fc.weight.view(-1), fc.bias))
print('check ==> Actual function:\t' + poly_desc(W_target.view(-1), b_target))
x, y = get_batch(64)
A = torch.cat([x, torch.ones(64, 1)], 1).double()
sol = torch.linalg.lstsq(A, y.double()).solution
print("check lstsq", [round(v, 3) for v in sol.squeeze().tolist()], tuple(sol.shape), tuple(sol.squeeze().shape),
      sol.dtype == torch.float64, tuple(torch.zeros(1, 3, 1).squeeze(0).shape), tuple(torch.zeros(1, 3, 1).squeeze((0, 2)).shape))
print("check formats", f"{fc.bias[0]:.3f}", "{:>8.2e}".format(W_target[0, 0]), f"{torch.tensor(7):03d}",  # noqa: UP032
      "{}".format(torch.tensor(2.5)), "{!s}".format(torch.tensor([1, 2])))  # noqa: UP032
