"""A neural ODE fitted by backpropagating through a fixed-step solver, in the shape of the
torchdiffeq ode_demo: the true dynamics dy/dt = (y**3) @ A, an ODEFunc module (Linear, Tanh,
Linear) whose forward takes (t, y), an odeint written by hand (Euler and classic RK4 steps,
the states collected with torch.stack), batches of short windows picked from the true
trajectory, RMSprop, and a RunningAverageMeter. Then the sensitivity of the end state to the
start with torch.autograd.grad. Weights come from numpy."""
import importlib
import os

import numpy as np

torch = importlib.import_module(os.environ.get("COMPAT_TORCH", "lazygrad"))
nn = torch.nn

DATA_SIZE, BATCH_TIME, BATCH_SIZE = 20, 5, 8
true_y0 = torch.tensor([[2.0, 0.0]])
t = torch.linspace(0.0, 1.5, DATA_SIZE)
true_A = torch.tensor([[-0.1, 2.0], [-2.0, -0.1]])


class Lambda(nn.Module):
    def forward(self, t, y):
        return torch.mm(y ** 3, true_A)


def rk4_step(func, t0, dt, y):
    k1 = func(t0, y)
    k2 = func(t0 + dt / 2, y + dt * k1 / 2)
    k3 = func(t0 + dt / 2, y + dt * k2 / 2)
    k4 = func(t0 + dt, y + dt * k3)
    return y + dt * (k1 + 2 * k2 + 2 * k3 + k4) / 6


def euler_step(func, t0, dt, y):
    return y + dt * func(t0, y)


def odeint(func, y0, t, method="rk4"):
    step = rk4_step if method == "rk4" else euler_step
    ys = [y0]
    for i in range(len(t) - 1):
        ys.append(step(func, t[i], t[i + 1] - t[i], ys[-1]))
    return torch.stack(ys)


with torch.no_grad():
    true_y = odeint(Lambda(), true_y0, t)
    euler_y = odeint(Lambda(), true_y0, t, method="euler")
print("check true", tuple(true_y.shape), [round(v, 4) for v in true_y[-1, 0].tolist()])
print("check euler drift", round((euler_y[:4] - true_y[:4]).abs().max().item(), 4))

rs = np.random.RandomState(0)


def get_batch():
    starts = np.arange(DATA_SIZE - BATCH_TIME, dtype=np.int64)
    s = torch.from_numpy(rs.choice(starts, BATCH_SIZE, replace=False))
    batch_y0 = true_y[s]  # (M, D)
    batch_t = t[:BATCH_TIME]  # (T)
    batch_y = torch.stack([true_y[s + i] for i in range(BATCH_TIME)], dim=0)  # (T, M, D)
    return batch_y0, batch_t, batch_y


class ODEFunc(nn.Module):
    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(2, 16), nn.Tanh(), nn.Linear(16, 2))
        r = np.random.RandomState(1)
        for m in self.net.modules():
            if isinstance(m, nn.Linear):
                with torch.no_grad():
                    w = r.normal(0, 0.1, tuple(m.weight.shape)).astype(np.float32)
                    m.weight.copy_(torch.from_numpy(w))
                nn.init.constant_(m.bias, val=0)
        self.nfe = 0

    def forward(self, t, y):
        self.nfe += 1
        return self.net(y ** 3)


class RunningAverageMeter:
    def __init__(self, momentum=0.99):
        self.momentum = momentum
        self.val, self.avg = None, 0

    def update(self, val):
        self.avg = val if self.val is None else self.avg * self.momentum + val * (1 - self.momentum)
        self.val = val


func = ODEFunc()
optimizer = torch.optim.RMSprop(func.parameters(), lr=1e-2)
loss_meter = RunningAverageMeter(0.9)
for itr in range(1, 7):
    optimizer.zero_grad()
    batch_y0, batch_t, batch_y = get_batch()
    pred_y = odeint(func, batch_y0, batch_t)
    loss = torch.mean(torch.abs(pred_y - batch_y))
    loss.backward()
    optimizer.step()
    loss_meter.update(loss.item())
    if itr % 3 == 0:
        with torch.no_grad():
            pred_y = odeint(func, true_y0, t)
            total = torch.mean(torch.abs(pred_y - true_y))
        print(f"check iter {itr:04d} | total loss {total.item():.5f} | running {loss_meter.avg:.5f}")
print("check nfe", func.nfe)

y0 = true_y0.clone().requires_grad_(True)
end = odeint(func, y0, t[:6])[-1]
(sens,) = torch.autograd.grad(end.sum(), y0)
print("check sensitivity", [round(v, 4) for v in sens[0].tolist()])
