"""'Learn the Basics': Dataset, DataLoader, an nn.Module, train and test loops, save and load,
as the tutorial writes them, on fixed data. The weights are set from numpy so that torch and
lazygrad start alike (the tutorial's random init differs between the two)."""
import importlib
import os
import tempfile

import numpy as np

torch = importlib.import_module(os.environ.get("COMPAT_TORCH", "lazygrad"))
nn = torch.nn
Dataset, DataLoader = torch.utils.data.Dataset, torch.utils.data.DataLoader

device = "cuda" if torch.cuda.is_available() else "mps" if torch.backends.mps.is_available() else "cpu"


class Fixed(Dataset):
    def __init__(self, n, seed):
        rng = np.random.default_rng(seed)
        self.x = rng.standard_normal((n, 1, 8, 8)).astype(np.float32)
        self.y = (self.x.reshape(n, -1)[:, :10].argmax(1)).astype(np.int64)

    def __len__(self):
        return len(self.y)

    def __getitem__(self, i):
        return torch.tensor(self.x[i]), int(self.y[i])


class NeuralNetwork(nn.Module):
    def __init__(self):
        super().__init__()
        self.flatten = nn.Flatten()
        self.linear_relu_stack = nn.Sequential(nn.Linear(64, 32), nn.ReLU(), nn.Linear(32, 10))

    def forward(self, x):
        return self.linear_relu_stack(self.flatten(x))


model = NeuralNetwork().to(device)
rng = np.random.default_rng(1)
with torch.no_grad():
    for name, param in model.named_parameters():
        param.copy_(torch.tensor(rng.standard_normal(tuple(param.shape)).astype(np.float32) * 0.2))
loss_fn = nn.CrossEntropyLoss()
optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
train_dataloader = DataLoader(Fixed(128, 2), batch_size=32)
test_dataloader = DataLoader(Fixed(64, 3), batch_size=32)

for epoch in range(3):
    model.train()
    for batch, (X, y) in enumerate(train_dataloader):
        X, y = X.to(device), y.to(device)
        loss = loss_fn(model(X), y)
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()
    model.eval()
    test_loss, correct = 0, 0
    with torch.no_grad():
        for X, y in test_dataloader:
            pred = model(X)
            test_loss += loss_fn(pred, y).item()
            correct += (pred.argmax(1) == y).type(torch.float).sum().item()
    print(f"check epoch {epoch} {test_loss / len(test_dataloader)} {correct}")

path = os.path.join(tempfile.mkdtemp(), "model_weights.pth")
torch.save(model.state_dict(), path)
loaded = NeuralNetwork()
loaded.load_state_dict(torch.load(path, weights_only=True))
loaded.eval()
X = torch.tensor(Fixed(4, 5).x)
print("check loaded", (loaded(X) - model(X)).abs().max().item())
print("check probs", nn.Softmax(dim=1)(model(X)).sum().item())
