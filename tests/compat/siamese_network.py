"""A siamese network in the shape of pytorch/examples' siamese_network: a shared conv tower
whose two outputs are joined with `torch.cat((output1, output2), 1)`, a Linear head with a
Sigmoid, BCELoss, a Dataset whose `__getitem__` returns a tuple (image_1, image_2, target) with
the target built by `torch.tensor(1, dtype=torch.float)`, `nn.init.xavier_uniform_` applied by
a helper that is then overwritten by numpy, Adadelta with StepLR(gamma=0.7), a test pass with
`torch.where(output > 0.5, 1, 0)` and `pred.eq(targets.view_as(pred)).sum().item()`, and a
contrastive loss on pairwise_distance."""
import importlib
import os

import numpy as np

torch = importlib.import_module(os.environ.get("COMPAT_TORCH", "lazygrad"))
nn = torch.nn
F = torch.nn.functional
optim = torch.optim
StepLR = torch.optim.lr_scheduler.StepLR
rs = np.random.RandomState(0)


class SiameseNetwork(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Sequential(nn.Conv2d(1, 4, kernel_size=3), nn.BatchNorm2d(4), nn.ReLU(inplace=True),
                                  nn.AdaptiveAvgPool2d((2, 2)))
        self.fc_in_features = 16
        self.fc = nn.Sequential(nn.Linear(self.fc_in_features * 2, 8), nn.ReLU(inplace=True), nn.Linear(8, 1))
        self.sigmoid = nn.Sigmoid()
        self.fc.apply(self.init_weights)

    def init_weights(self, m):
        if isinstance(m, nn.Linear):
            torch.nn.init.xavier_uniform_(m.weight)
            m.bias.data.fill_(0.01)

    def forward_once(self, x):
        output = self.conv(x)
        output = output.view(output.size()[0], -1)
        return output

    def forward(self, input1, input2):
        output1 = self.forward_once(input1)
        output2 = self.forward_once(input2)
        output = torch.cat((output1, output2), 1)
        output = self.fc(output)
        output = self.sigmoid(output)
        return output


class PairDataset(torch.utils.data.Dataset):
    def __init__(self, n):
        self.images = torch.from_numpy(rs.rand(n, 1, 6, 6).astype(np.float32))
        self.labels = torch.from_numpy(rs.randint(0, 2, n))
        self.partner = rs.randint(0, n, n)

    def __len__(self):
        return len(self.images)

    def __getitem__(self, index):
        image_1 = self.images[index].clone().float()
        j = int(self.partner[index])
        image_2 = self.images[j].clone().float()
        target = torch.tensor(int(self.labels[index] == self.labels[j]), dtype=torch.float)
        return image_1, image_2, target


model = SiameseNetwork()
b = model.fc[0].bias
print("check xavier", bool((model.fc[0].weight.abs() <= (6 / (32 + 8)) ** 0.5).all()), round(b[0].item(), 4))
with torch.no_grad():
    for p in model.parameters():
        p.copy_(torch.from_numpy(rs.uniform(-0.4, 0.4, tuple(p.shape)).astype(np.float32)))
train_loader = torch.utils.data.DataLoader(PairDataset(12), batch_size=4)
test_loader = torch.utils.data.DataLoader(PairDataset(8), batch_size=4)
optimizer = optim.Adadelta(model.parameters(), lr=1.0)
scheduler = StepLR(optimizer, step_size=1, gamma=0.7)
criterion = nn.BCELoss()
for epoch in range(1, 3):
    model.train()
    for batch_idx, (images_1, images_2, targets) in enumerate(train_loader):
        optimizer.zero_grad()
        outputs = model(images_1, images_2).squeeze()
        loss = criterion(outputs, targets)
        loss.backward()
        optimizer.step()
        print(f'check Train Epoch: {epoch} [{batch_idx * len(images_1)}/{len(train_loader.dataset)} ({100. * batch_idx / len(train_loader):.0f}%)]\tLoss: {loss.item():.6f}')
    model.eval()
    test_loss = 0
    correct = 0
    with torch.no_grad():
        for (images_1, images_2, targets) in test_loader:
            outputs = model(images_1, images_2).squeeze()
            test_loss += criterion(outputs, targets).sum().item()
            pred = torch.where(outputs > 0.5, 1, 0)
            correct += pred.eq(targets.view_as(pred)).sum().item()
    test_loss /= len(test_loader.dataset)
    print(f'check Test set: Average loss: {test_loss:.4f}, Accuracy: {correct}/{len(test_loader.dataset)} ({100. * correct / len(test_loader.dataset):.0f}%)')
    scheduler.step()
    print("check lr", scheduler.get_last_lr(), pred.dtype == torch.int64)


def contrastive_loss(o1, o2, label, margin=2.0):
    d = F.pairwise_distance(o1, o2, keepdim=True)
    return torch.mean((1 - label) * torch.pow(d, 2) + label * torch.pow(torch.clamp(margin - d, min=0.0), 2))


a = model.forward_once(images_1)
c = model.forward_once(images_2)
loss = contrastive_loss(a, c, targets.unsqueeze(1))
loss.backward()
print("check contrastive", round(loss.item(), 5), tuple(F.pairwise_distance(a, c).shape),
      round(F.cosine_similarity(a, c).sum().item(), 5), round(model.conv[0].weight.grad.norm().item(), 5))
