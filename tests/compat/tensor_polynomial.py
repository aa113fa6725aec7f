"""'Learning PyTorch with Examples', the tensors part: a third-order polynomial fitted to sin(x)
first with gradients computed by hand on tensors, then with autograd (requires_grad,
loss.backward(), updates under torch.no_grad(), gradients cleared with .grad.zero_() and with
= None), as the tutorial writes it. The coefficients start at fixed values instead of randn so
that torch and lazygrad start alike."""
import importlib
import math
import os

torch = importlib.import_module(os.environ.get("COMPAT_TORCH", "lazygrad"))

dtype = torch.float
device = torch.device("cpu")

x = torch.linspace(-math.pi, math.pi, 2000, device=device, dtype=dtype)
y = torch.sin(x)

# Gradients by hand: no autograd anywhere.
a = torch.tensor(0.1, device=device, dtype=dtype)
b = torch.tensor(-0.2, device=device, dtype=dtype)
c = torch.tensor(0.05, device=device, dtype=dtype)
d = torch.tensor(0.01, device=device, dtype=dtype)
learning_rate = 1e-6
for t in range(300):
    y_pred = a + b * x + c * x ** 2 + d * x ** 3
    loss = (y_pred - y).pow(2).sum().item()
    if t % 100 == 99:
        print("check manual", t, loss)
    grad_y_pred = 2.0 * (y_pred - y)
    grad_a = grad_y_pred.sum()
    grad_b = (grad_y_pred * x).sum()
    grad_c = (grad_y_pred * x ** 2).sum()
    grad_d = (grad_y_pred * x ** 3).sum()
    a -= learning_rate * grad_a
    b -= learning_rate * grad_b
    c -= learning_rate * grad_c
    d -= learning_rate * grad_d
print(f"check manual_result {a.item()} {b.item()} {c.item()} {d.item()}")

# The same fit with autograd.
a = torch.tensor(0.1, device=device, dtype=dtype, requires_grad=True)
b = torch.tensor(-0.2, device=device, dtype=dtype, requires_grad=True)
c = torch.tensor(0.05, device=device, dtype=dtype, requires_grad=True)
d = torch.tensor(0.01, device=device, dtype=dtype, requires_grad=True)
for t in range(300):
    y_pred = a + b * x + c * x ** 2 + d * x ** 3
    loss = (y_pred - y).pow(2).sum()
    if t % 100 == 99:
        print("check autograd", t, loss.item())
    loss.backward()
    with torch.no_grad():
        a -= learning_rate * a.grad
        b -= learning_rate * b.grad
        c -= learning_rate * c.grad
        d -= learning_rate * d.grad
        if t % 2:
            a.grad = None
            b.grad = None
            c.grad = None
            d.grad = None
        else:
            a.grad.zero_()
            b.grad.zero_()
            c.grad.zero_()
            d.grad.zero_()
print(f"check autograd_result y = {a.item()} + {b.item()} x + {c.item()} x^2 + {d.item()} x^3")
print("check leaf", a.is_leaf, a.requires_grad, a.grad is None, y_pred.requires_grad, y_pred.grad_fn is not None)
with torch.no_grad():
    print("check no_grad", (a * x).requires_grad)
