"""'Training a Classifier' (the CIFAR-10 tutorial), as the tutorial writes it: a Conv2d /
MaxPool2d / Linear net with torch.flatten(x, 1), CrossEntropyLoss, SGD with momentum, a
DataLoader, accuracy through torch.max(outputs, 1), per-class accuracy, and the state_dict
saved and loaded again. The images are small synthetic ones made with a fixed numpy
RandomState (each class a coloured pattern plus noise), and the weights are set from numpy so
that torch and lazygrad start alike."""
import importlib
import os
import tempfile

import numpy as np

torch = importlib.import_module(os.environ.get("COMPAT_TORCH", "lazygrad"))
nn = torch.nn
F = torch.nn.functional
optim = torch.optim

classes = ("plane", "car", "bird", "cat")
SIZE = 20


def make_images(n, seed):
    rs = np.random.RandomState(seed)
    templates = np.random.RandomState(100).uniform(-1, 1, (len(classes), 3, SIZE, SIZE)).astype(np.float32)
    labels = rs.randint(0, len(classes), n)
    images = 0.8 * templates[labels] + rs.normal(0, 0.5, (n, 3, SIZE, SIZE)).astype(np.float32)
    return images.astype(np.float32), labels.astype(np.int64)


train_x, train_y = make_images(64, 1)
test_x, test_y = make_images(32, 2)
trainset = torch.utils.data.TensorDataset(torch.from_numpy(train_x), torch.from_numpy(train_y))
testset = torch.utils.data.TensorDataset(torch.tensor(test_x), torch.tensor(test_y))
batch_size = 8
trainloader = torch.utils.data.DataLoader(trainset, batch_size=batch_size, shuffle=False, num_workers=0)
testloader = torch.utils.data.DataLoader(testset, batch_size=batch_size, shuffle=False, num_workers=0)


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 6, 5)
        self.pool = nn.MaxPool2d(2, 2)
        self.conv2 = nn.Conv2d(6, 16, 5)
        self.fc1 = nn.Linear(16 * 2 * 2, 32)
        self.fc2 = nn.Linear(32, 24)
        self.fc3 = nn.Linear(24, len(classes))

    def forward(self, x):
        x = self.pool(F.relu(self.conv1(x)))
        x = self.pool(F.relu(self.conv2(x)))
        x = torch.flatten(x, 1)  # flatten all dimensions except batch
        x = F.relu(self.fc1(x))
        x = F.relu(self.fc2(x))
        x = self.fc3(x)
        return x


def init_from_numpy(net, seed):
    rs = np.random.RandomState(seed)
    with torch.no_grad():
        for name, param in net.named_parameters():
            fan_in = int(np.prod(param.shape[1:])) if param.dim() > 1 else param.shape[0]
            param.copy_(torch.from_numpy(rs.uniform(-1, 1, tuple(param.shape)).astype(np.float32) * np.sqrt(3 / fan_in)))


device = torch.device("cuda:0" if torch.cuda.is_available() else "cpu")
net = Net()
init_from_numpy(net, 0)
net.to(device)
print("check params", sum(p.numel() for p in net.parameters()), [name for name, _ in net.named_parameters()][:3])

criterion = nn.CrossEntropyLoss()
optimizer = optim.SGD(net.parameters(), lr=0.01, momentum=0.9)

for epoch in range(3):
    net.train()
    running_loss = 0.0
    for i, data in enumerate(trainloader, 0):
        inputs, labels = data[0].to(device), data[1].to(device)
        optimizer.zero_grad()
        outputs = net(inputs)
        loss = criterion(outputs, labels)
        loss.backward()
        optimizer.step()
        running_loss += loss.item()
        if i % 4 == 3:
            print(f"check [{epoch + 1}, {i + 1:5d}] loss: {running_loss / 4:.6f}")
            running_loss = 0.0

PATH = os.path.join(tempfile.mkdtemp(), "cifar_net.pth")
torch.save(net.state_dict(), PATH)

dataiter = iter(testloader)
images, labels = next(dataiter)
img = images[0] / 2 + 0.5  # unnormalize, as the tutorial's imshow does
npimg = np.transpose(img.numpy(), (1, 2, 0))
print("check imshow", npimg.shape, float(npimg.mean()), len(trainloader), len(trainset))
print("check GroundTruth:", " ".join(f"{classes[labels[j]]:5s}" for j in range(4)))
net = Net()
net.load_state_dict(torch.load(PATH, weights_only=True))
net.eval()
outputs = net(images)
_, predicted = torch.max(outputs, 1)
print("check Predicted:", " ".join(f"{classes[predicted[j]]:5s}" for j in range(4)))

correct = 0
total = 0
with torch.no_grad():
    for data in testloader:
        images, labels = data
        outputs = net(images)
        _, predicted = torch.max(outputs.data, 1)
        total += labels.size(0)
        correct += (predicted == labels).sum().item()
print(f"check Accuracy of the network on the {total} test images: {100 * correct // total} %")

correct_pred = {classname: 0 for classname in classes}
total_pred = {classname: 0 for classname in classes}
with torch.no_grad():
    for data in testloader:
        images, labels = data
        outputs = net(images)
        _, predictions = torch.max(outputs, 1)
        for label, prediction in zip(labels, predictions):
            if label == prediction:
                correct_pred[classes[label]] += 1
            total_pred[classes[label]] += 1
for classname, correct_count in correct_pred.items():
    accuracy = 100 * float(correct_count) / total_pred[classname]
    print(f"check Accuracy for class: {classname:5s} is {accuracy:.1f} %")
probs = F.softmax(net(torch.from_numpy(test_x[:2])), dim=1)
print("check probs", *[round(v, 5) for v in probs[0].tolist()], probs.sum().item())
