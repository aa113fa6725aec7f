"""Model interpretation the way tutorials and Grad-CAM repositories write it: a forward hook on
the last conv layer keeping its activations in a dict (`output.detach()`), a tensor hook
(`output.register_hook`) and a full backward hook keeping gradients, Grad-CAM weights from
`grads.mean(dim=(2, 3), keepdim=True)`, `F.relu((weights * acts).sum(1))`, bilinear
`F.interpolate` to the input size, min-max normalised; a saliency map from `x.requires_grad_()`
and `x.grad.abs().max(dim=1)`; integrated gradients with `torch.linspace` and `torch.autograd.grad`;
hooks removed through their handles, and the model run through `torch.compile`. Weights come
from numpy."""
import importlib
import os

import numpy as np

torch = importlib.import_module(os.environ.get("COMPAT_TORCH", "lazygrad"))
nn = torch.nn
F = torch.nn.functional
rs = np.random.RandomState(0)


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(nn.Conv2d(3, 4, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                                      nn.Conv2d(4, 6, 3, padding=1), nn.ReLU())
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(6, 3)

    def forward(self, x):
        return self.fc(torch.flatten(self.pool(self.features(x)), 1))


model = Net()
with torch.no_grad():
    for p in model.parameters():
        p.copy_(torch.from_numpy(rs.uniform(-0.5, 0.5, tuple(p.shape)).astype(np.float32)))
model.eval()
activations, gradients, module_grads = {}, {}, []


def save_activation(name):
    def hook(module, input, output):
        activations[name] = output.detach()
        output.register_hook(lambda grad: gradients.__setitem__(name, grad.detach()))
    return hook


target_layer = model.features[3]
handles = [target_layer.register_forward_hook(save_activation("conv2")),
           target_layer.register_full_backward_hook(lambda m, gin, gout: module_grads.append(gout[0].shape))]
x = torch.from_numpy(rs.rand(2, 3, 8, 8).astype(np.float32))
scores = model(x)
class_idx = scores.argmax(dim=1)
print("check scores", [round(v, 5) for v in scores.flatten().tolist()], class_idx.tolist())
model.zero_grad()
scores.gather(1, class_idx.view(-1, 1)).sum().backward()
acts, grads = activations["conv2"], gradients["conv2"]
weights = grads.mean(dim=(2, 3), keepdim=True)
cam = F.relu((weights * acts).sum(1, keepdim=True))
cam = F.interpolate(cam, size=x.shape[2:], mode="bilinear", align_corners=False)
cam_min = cam.flatten(1).min(1)[0].view(-1, 1, 1, 1)
cam_max = cam.flatten(1).max(1)[0].view(-1, 1, 1, 1)
cam = (cam - cam_min) / (cam_max - cam_min + 1e-8)
print("check cam", tuple(acts.shape), tuple(grads.shape), tuple(cam.shape), [tuple(s) for s in module_grads],
      [round(v, 4) for v in cam.sum(dim=(1, 2, 3)).tolist()], [round(v, 4) for v in cam[0, 0, 3].tolist()])
for h in handles:
    h.remove()
x.requires_grad_()
score = model(x)[torch.arange(2), class_idx]
score.sum().backward()
saliency, _ = torch.max(x.grad.data.abs(), dim=1)
print("check saliency", tuple(saliency.shape), round(saliency.sum().item(), 5), len(activations), len(module_grads))
baseline = torch.zeros_like(x[:1])
alphas = torch.linspace(0, 1, steps=9).view(-1, 1, 1, 1)
path = (baseline + alphas * (x[:1].detach() - baseline)).requires_grad_(True)
out = model(path)[:, class_idx[0]]
grads_path, = torch.autograd.grad(out.sum(), path)
integrated = (x[:1].detach() - baseline) * grads_path[:-1].add(grads_path[1:]).div(2).mean(0, keepdim=True)
print("check integrated", round(integrated.sum().item(), 5), round((out[-1] - out[0]).item(), 5))
compiled = torch.compile(model)
with torch.no_grad():
    print("check compiled", [round(v, 5) for v in compiled(x).flatten().tolist()] == [round(v, 5) for v in model(x).flatten().tolist()],
          round(compiled(x * 0.5).sum().item(), 5))
