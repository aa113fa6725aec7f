"""A physics-informed network for u''(x) = -pi^2 sin(pi x) on [0, 1] with u(0) = u(1) = 0, in the
style of the PINN tutorials: second derivatives through torch.autograd.grad(create_graph=True),
a boundary loss weighted into Adam's objective, and the autograd tools used around such models:
torch.autograd.functional.jacobian / hessian / jvp, torch.func.vmap, grad and jacrev, and a
custom autograd.Function (forward and setup_context apart) whose backward a double backward goes
through, checked by gradcheck and gradgradcheck in float64. Weights are set from numpy so that
torch and lazygrad agree."""

import importlib
import math
import os

import numpy as np

torch = importlib.import_module(os.environ.get("COMPAT_TORCH", "lazygrad"))
func = importlib.import_module(torch.__name__ + ".func")
nn = torch.nn


class SinAct(torch.autograd.Function):
    """sin(x) with its own backward, written in differentiable ops (so double backward works);
    forward and setup_context apart, with a generated vmap rule, so torch.func takes it too."""

    generate_vmap_rule = True

    @staticmethod
    def forward(x):
        return torch.sin(x)

    @staticmethod
    def setup_context(ctx, inputs, output):
        (x,) = inputs
        ctx.save_for_backward(x)

    @staticmethod
    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        return grad_output * torch.cos(x)


class PINN(nn.Module):
    def __init__(self, width=16):
        super().__init__()
        self.inp = nn.Linear(1, width)
        self.hidden = nn.Linear(width, width)
        self.out = nn.Linear(width, 1)

    def forward(self, x):
        h = SinAct.apply(self.inp(x))
        h = torch.tanh(self.hidden(h))
        return self.out(h)


def init_from_numpy(model, seed):
    rs = np.random.RandomState(seed)
    with torch.no_grad():
        for p in model.parameters():
            fan = p.shape[-1] if p.dim() > 1 else p.shape[0]
            p.copy_(torch.from_numpy(rs.normal(0, 1 / np.sqrt(fan), tuple(p.shape)).astype(np.float32)))


def residual(model, x):
    x = x.clone().requires_grad_(True)
    u = model(x)
    (du,) = torch.autograd.grad(u.sum(), x, create_graph=True)
    (d2u,) = torch.autograd.grad(du.sum(), x, create_graph=True)
    return d2u + math.pi**2 * torch.sin(math.pi * x)


x64 = torch.tensor([0.3, -1.1, 2.0], dtype=torch.float64, requires_grad=True)
print(
    "check gradcheck",
    torch.autograd.gradcheck(SinAct.apply, (x64,)),
    torch.autograd.gradgradcheck(SinAct.apply, (x64,)),
)

model = PINN()
init_from_numpy(model, 0)
collocation = torch.linspace(0, 1, 33).unsqueeze(1)
boundary = torch.tensor([[0.0], [1.0]])
optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
for step in range(60):
    optimizer.zero_grad()
    pde = residual(model, collocation).pow(2).mean()
    bc = model(boundary).pow(2).mean()
    loss = pde + 10 * bc
    loss.backward()
    optimizer.step()
    if step % 15 == 14:
        print(f"check step {step + 1} loss {loss.item():.5f} pde {pde.item():.5f} bc {bc.item():.6f}")

with torch.no_grad():
    grid = torch.linspace(0, 1, 5).unsqueeze(1)
    u = model(grid).squeeze(1)
    exact = torch.sin(math.pi * grid).squeeze(1)
    print("check u", *[round(v, 4) for v in u.tolist()], round((u - exact).abs().max().item(), 4))

point = torch.tensor([[0.25]])
J = torch.autograd.functional.jacobian(lambda x: model(x), point)
H = torch.autograd.functional.hessian(lambda x: model(x).sum(), point)
print("check jacobian_hessian", tuple(J.shape), round(J.item(), 5), tuple(H.shape), round(H.item(), 5))
r = residual(model, point)
print(
    "check residual_at_point",
    round(r.item(), 4),
    round((H.squeeze() + math.pi**2 * math.sin(math.pi / 4)).item(), 4),
)
_, tangent = torch.autograd.functional.jvp(lambda x: model(x), point, torch.ones_like(point))
print("check jvp", round(tangent.item(), 5))
params = {k: v.detach() for k, v in model.named_parameters()}


def scalar_u(p, x):
    return func.functional_call(model, p, (x.reshape(1, 1),)).squeeze()


per_point = func.vmap(func.grad(scalar_u, argnums=1), in_dims=(None, 0))(params, torch.linspace(0, 1, 4))
print("check vmap_grad", *[round(v, 5) for v in per_point.tolist()])
weight_jac = func.jacrev(scalar_u)(params, torch.tensor(0.5))
print(
    "check jacrev",
    sorted(weight_jac),
    tuple(weight_jac["hidden.weight"].shape),
    round(weight_jac["out.bias"].item(), 5),
    round(weight_jac["out.weight"].sum().item(), 5),
)
second = func.jacrev(func.jacrev(scalar_u, argnums=1), argnums=1)(params, torch.tensor(0.5))
print("check func_hessian", round(second.item(), 5))
