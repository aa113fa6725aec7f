"""Transfer learning in the shape of the finetuning tutorial: a small VGG-like model (features +
avgpool + classifier Sequentials, built in a loop from a cfg list as torchvision's VGG does),
`set_parameter_requires_grad` freezing every parameter, the classifier's last layer replaced with
`model.classifier[6] = nn.Linear(num_ftrs, num_classes)`, `params_to_update` gathered from
`named_parameters()` where `requires_grad`, SGD with momentum, a train/val phase loop with
`torch.set_grad_enabled(phase == 'train')`, `running_corrects += torch.sum(preds == labels.data)`
and `running_corrects.double() / len(dataset)`, `copy.deepcopy(model.state_dict())` for the best
weights, and print(model) of the result. Weights come from numpy."""
import copy
import importlib
import os

import numpy as np

torch = importlib.import_module(os.environ.get("COMPAT_TORCH", "lazygrad"))
nn = torch.nn
rs = np.random.RandomState(0)
cfg = [4, "M", 8, "M"]


def make_layers(cfg, batch_norm=False):
    layers = []
    in_channels = 3
    for v in cfg:
        if v == "M":
            layers += [nn.MaxPool2d(kernel_size=2, stride=2)]
        else:
            conv2d = nn.Conv2d(in_channels, v, kernel_size=3, padding=1)
            layers += [conv2d, nn.BatchNorm2d(v), nn.ReLU(inplace=True)] if batch_norm else [conv2d, nn.ReLU(inplace=True)]
            in_channels = v
    return nn.Sequential(*layers)


class VGG(nn.Module):
    def __init__(self, features, num_classes=10):
        super().__init__()
        self.features = features
        self.avgpool = nn.AdaptiveAvgPool2d((2, 2))
        self.classifier = nn.Sequential(nn.Linear(8 * 2 * 2, 16), nn.ReLU(True), nn.Dropout(), nn.Linear(16, 16),
                                        nn.ReLU(True), nn.Dropout(), nn.Linear(16, num_classes))

    def forward(self, x):
        x = self.features(x)
        x = self.avgpool(x)
        x = torch.flatten(x, 1)
        return self.classifier(x)


def set_parameter_requires_grad(model, feature_extracting):
    if feature_extracting:
        for param in model.parameters():
            param.requires_grad = False


model_ft = VGG(make_layers(cfg, batch_norm=True))
with torch.no_grad():
    for p in model_ft.parameters():
        p.copy_(torch.from_numpy(rs.uniform(-0.4, 0.4, tuple(p.shape)).astype(np.float32)))
set_parameter_requires_grad(model_ft, True)
num_ftrs = model_ft.classifier[6].in_features
model_ft.classifier[6] = nn.Linear(num_ftrs, 3)
del model_ft.classifier[5]  # (no dropout before the new head)
model_ft.classifier.insert(5, nn.Identity())
with torch.no_grad():
    model_ft.classifier[6].weight.copy_(torch.from_numpy(rs.uniform(-0.4, 0.4, (3, num_ftrs)).astype(np.float32)))
    model_ft.classifier[6].bias.zero_()
params_to_update = []
for name, param in model_ft.named_parameters():
    if param.requires_grad:
        params_to_update.append(param)
        print("check \t", name)
print("check model", " ".join(str(model_ft).split()))
optimizer_ft = torch.optim.SGD(params_to_update, lr=0.05, momentum=0.9)
criterion = nn.CrossEntropyLoss()
images = torch.from_numpy(rs.rand(12, 3, 8, 8).astype(np.float32))
labels_all = torch.from_numpy(rs.randint(0, 3, 12))
datasets = {"train": torch.utils.data.TensorDataset(images[:8], labels_all[:8]),
            "val": torch.utils.data.TensorDataset(images[8:], labels_all[8:])}
dataloaders = {x: torch.utils.data.DataLoader(datasets[x], batch_size=4) for x in ["train", "val"]}
best_model_wts = copy.deepcopy(model_ft.state_dict())
best_acc = 0.0
for epoch in range(3):
    for phase in ["train", "val"]:
        model_ft.train() if phase == "train" else model_ft.eval()
        model_ft.classifier[2].eval()  # (dropout's mask comes from the library's generator)
        running_loss, running_corrects = 0.0, 0
        for inputs, labels in dataloaders[phase]:
            optimizer_ft.zero_grad()
            with torch.set_grad_enabled(phase == "train"):
                outputs = model_ft(inputs)
                loss = criterion(outputs, labels)
                _, preds = torch.max(outputs, 1)
                if phase == "train":
                    loss.backward()
                    optimizer_ft.step()
            running_loss += loss.item() * inputs.size(0)
            running_corrects += torch.sum(preds == labels.data)
        epoch_loss = running_loss / len(dataloaders[phase].dataset)
        epoch_acc = running_corrects.double() / len(dataloaders[phase].dataset)
        print(f"check {phase} Loss: {epoch_loss:.4f} Acc: {epoch_acc:.4f}", str(epoch_acc.dtype).split(".")[-1])
        if phase == "val" and epoch_acc > best_acc:
            best_acc = epoch_acc
            best_model_wts = copy.deepcopy(model_ft.state_dict())
print("check best", round(float(best_acc), 4), model_ft.load_state_dict(best_model_wts),
      model_ft.features[0].weight.grad is None, round(model_ft.features[1].running_mean.sum().item(), 5))
