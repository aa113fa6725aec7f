"""'Learning PyTorch with Examples': nn.Sequential + MSELoss + an optimizer, then a dynamic
net; the weights are copied from fixed values so torch and lazygrad start alike."""
import importlib
import math
import os

torch = importlib.import_module(os.environ.get("COMPAT_TORCH", "lazygrad"))

x = torch.linspace(-math.pi, math.pi, 2000)
y = torch.sin(x)
p = torch.tensor([1, 2, 3])
xx = x.unsqueeze(-1).pow(p)
model = torch.nn.Sequential(torch.nn.Linear(3, 1), torch.nn.Flatten(0, 1))
with torch.no_grad():
    model[0].weight.copy_(torch.tensor([[0.1, -0.2, 0.05]]))
    model[0].bias.fill_(0.3)
loss_fn = torch.nn.MSELoss(reduction="sum")
for name, opt in [("RMSprop", torch.optim.RMSprop(model.parameters(), lr=1e-3)),
                  ("Adam", torch.optim.Adam(model.parameters(), lr=1e-3))]:
    for t in range(40):
        y_pred = model(xx)
        loss = loss_fn(y_pred, y)
        if t % 20 == 19:
            print("check", name, t, loss.item())
        opt.zero_grad()
        loss.backward()
        opt.step()
linear_layer = model[0]
print(f"check result {linear_layer.bias.item()} {linear_layer.weight[:, 0].item()} "
      f"{linear_layer.weight[:, 1].item()} {linear_layer.weight[:, 2].item()}")


class DynamicNet(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.a = torch.nn.Parameter(torch.tensor(0.1))
        self.b = torch.nn.Parameter(torch.tensor(0.2))
        self.c = torch.nn.Parameter(torch.tensor(-0.1))
        self.d = torch.nn.Parameter(torch.tensor(0.05))
        self.e = torch.nn.Parameter(torch.tensor(0.01))

    def forward(self, x, n):
        y = self.a + self.b * x + self.c * x ** 2 + self.d * x ** 3
        for exp in range(4, n):
            y = y + self.e * x ** exp
        return y


net = DynamicNet()
criterion = torch.nn.MSELoss(reduction="sum")
optimizer = torch.optim.SGD(net.parameters(), lr=1e-8, momentum=0.9)
for t in range(30):
    loss = criterion(net(x, 4 + t % 3), y)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
print("check dynamic", loss.item(), net.e.item())
