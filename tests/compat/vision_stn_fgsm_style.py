"""Three vision tutorials on a toy scale: the spatial transformer network (F.affine_grid +
F.grid_sample, including bicubic), FGSM adversarial examples (data.grad.sign(), clamp),
Grad-CAM (a forward hook and a full backward hook on a conv layer) and neural style transfer
(gram matrices, loss modules inserted into an nn.Sequential, LBFGS on the input image with a
closure). Weights come from numpy so that torch and lazygrad start alike."""
import importlib
import os

import numpy as np

torch = importlib.import_module(os.environ.get("COMPAT_TORCH", "lazygrad"))
nn = torch.nn
F = torch.nn.functional
r = np.random.RandomState(0)

def fill(m, std=0.3):
    with torch.no_grad():
        for p in m.parameters():
            p.copy_(torch.from_numpy(r.normal(0, std, tuple(p.shape)).astype(np.float32)))
    return m

class STN(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 4, kernel_size=3)
        self.conv2_drop = nn.Dropout2d(p=0.0)
        self.fc1 = nn.Linear(4 * 3 * 3, 5)
        self.localization = nn.Sequential(nn.Conv2d(1, 3, kernel_size=3), nn.MaxPool2d(2, stride=2), nn.ReLU(True))
        self.fc_loc = nn.Sequential(nn.Linear(3 * 3 * 3, 8), nn.ReLU(True), nn.Linear(8, 3 * 2))
    def stn(self, x):
        xs = self.localization(x)
        xs = xs.view(-1, 3 * 3 * 3)
        theta = self.fc_loc(xs).view(-1, 2, 3)
        grid = F.affine_grid(theta, x.size(), align_corners=False)
        return F.grid_sample(x, grid, align_corners=False)
    def forward(self, x):
        x = self.stn(x)
        x = F.relu(F.max_pool2d(self.conv2_drop(self.conv1(x)), 2))
        x = x.view(-1, 4 * 3 * 3)
        return F.log_softmax(self.fc1(x), dim=1)

model = fill(STN())
with torch.no_grad():
    model.fc_loc[2].weight.data.zero_()
    model.fc_loc[2].bias.data.copy_(torch.tensor([1, 0, 0, 0, 1, 0], dtype=torch.float))
x = torch.from_numpy(r.rand(4, 1, 8, 8).astype(np.float32))
y = torch.tensor([0, 3, 1, 4])
opt = torch.optim.SGD(model.parameters(), lr=0.05)
for it in range(3):
    opt.zero_grad()
    loss = F.nll_loss(model(x), y)
    loss.backward()
    opt.step()
    print("check stn", it, f"{loss.item():.5f}", round(model.fc_loc[2].bias.sum().item(), 5))
g = F.affine_grid(torch.tensor([[[0.8, -0.2, 0.1], [0.3, 0.9, -0.1]]]), [1, 1, 5, 4], align_corners=True)
for mode, pad in [("bilinear", "zeros"), ("nearest", "border"), ("bilinear", "reflection"), ("bicubic", "zeros")]:
    print("check grid", mode, pad, round(F.grid_sample(x[:1, :, :5, :4], g, mode=mode, padding_mode=pad, align_corners=True).sum().item(), 4))

def fgsm_attack(image, epsilon, data_grad):
    sign_data_grad = data_grad.sign()
    perturbed_image = image + epsilon * sign_data_grad
    return torch.clamp(perturbed_image, 0, 1)

model.eval()
for eps in [0.0, 0.1, 0.3]:
    data = x.clone().detach()
    data.requires_grad = True
    output = model(data)
    init_pred = output.max(1, keepdim=True)[1]
    loss = F.nll_loss(output, y)
    model.zero_grad()
    loss.backward()
    perturbed = fgsm_attack(data, eps, data.grad.data)
    out2 = model(perturbed)
    final_pred = out2.max(1, keepdim=True)[1]
    print("check fgsm", eps, init_pred.flatten().tolist(), final_pred.flatten().tolist(), round(perturbed.sum().item(), 4),
          round(out2.detach().exp().max().item(), 4))

acts, grads = {}, {}
layer = model.conv1
h1 = layer.register_forward_hook(lambda m, i, o: acts.__setitem__("a", o))
h2 = layer.register_full_backward_hook(lambda m, gi, go: grads.__setitem__("g", go[0]))
out = model(x[:1])
out[0, out.argmax()].backward()
w = grads["g"].mean(dim=(2, 3), keepdim=True)
cam = F.relu((w * acts["a"]).sum(1, keepdim=True))
cam = F.interpolate(cam, size=(8, 8), mode="bilinear", align_corners=False)
cam = (cam - cam.min()) / (cam.max() - cam.min() + 1e-8)
print("check cam", tuple(cam.shape), round(cam.sum().item(), 4), round(grads["g"].abs().sum().item(), 5))
h1.remove()
h2.remove()

def gram_matrix(input):
    a, b, c, d = input.size()
    features = input.view(a * b, c * d)
    G = torch.mm(features, features.t())
    return G.div(a * b * c * d)

class ContentLoss(nn.Module):
    def __init__(self, target):
        super().__init__()
        self.target = target.detach()
    def forward(self, input):
        self.loss = F.mse_loss(input, self.target)
        return input

class StyleLoss(nn.Module):
    def __init__(self, target_feature):
        super().__init__()
        self.target = gram_matrix(target_feature).detach()
    def forward(self, input):
        self.loss = F.mse_loss(gram_matrix(input), self.target)
        return input

class Normalization(nn.Module):
    def __init__(self, mean, std):
        super().__init__()
        self.mean = torch.tensor(mean).view(-1, 1, 1)
        self.std = torch.tensor(std).view(-1, 1, 1)
    def forward(self, img):
        return (img - self.mean) / self.std

cnn = fill(nn.Sequential(nn.Conv2d(3, 4, 3, padding=1), nn.ReLU(inplace=False), nn.Conv2d(4, 4, 3, padding=1), nn.ReLU(inplace=False)))
cnn.eval()
style_img = torch.from_numpy(r.rand(1, 3, 8, 8).astype(np.float32))
content_img = torch.from_numpy(r.rand(1, 3, 8, 8).astype(np.float32))
norm = Normalization([0.485, 0.456, 0.406], [0.229, 0.224, 0.225])
model2 = nn.Sequential(norm)
content_losses, style_losses = [], []
i = 0
for layer in cnn.children():
    if isinstance(layer, nn.Conv2d):
        i += 1
        name = f"conv_{i}"
    else:
        name = f"relu_{i}"
    model2.add_module(name, layer)
    if name == "conv_2":
        target = model2(content_img).detach()
        cl = ContentLoss(target)
        model2.add_module(f"content_loss_{i}", cl)
        content_losses.append(cl)
    if name in ("conv_1", "conv_2"):
        target_feature = model2(style_img).detach()
        sl = StyleLoss(target_feature)
        model2.add_module(f"style_loss_{i}", sl)
        style_losses.append(sl)
print("check names", [n for n, _ in model2.named_children()])
input_img = content_img.clone()
input_img.requires_grad_(True)
model2.eval()
model2.requires_grad_(False)
optimizer = torch.optim.LBFGS([input_img])
run = [0]
while run[0] <= 6:
    def closure():
        with torch.no_grad():
            input_img.clamp_(0, 1)
        optimizer.zero_grad()
        model2(input_img)
        style_score = sum(sl.loss for sl in style_losses) * 1000
        content_score = sum(cl.loss for cl in content_losses)
        loss = style_score + content_score
        loss.backward()
        run[0] += 1
        return style_score + content_score
    optimizer.step(closure)
with torch.no_grad():
    input_img.clamp_(0, 1)
print("check style", run[0], round(input_img.sum().item(), 3), round(style_losses[0].loss.item(), 6))
