"""mnist_rnn in the shape of pytorch/examples' mnist_rnn: an nn.LSTM(input_size=28-ish,
hidden_size, batch_first=True) reading an image row by row (`input.reshape(-1, rows, cols)`),
`output[:, -1, :]` through BatchNorm1d, Linear and log_softmax, nll_loss, Adadelta with StepLR,
`model.train()`/`model.eval()`, a test loop under `torch.no_grad()` summing
`F.nll_loss(..., reduction='sum')`, `output.argmax(dim=1, keepdim=True)` and
`pred.eq(target.view_as(pred)).sum().item()`, and `torch.save(model.state_dict(), ...)`
into a BytesIO. Weights come from numpy."""
import importlib
import io
import os

import numpy as np

torch = importlib.import_module(os.environ.get("COMPAT_TORCH", "lazygrad"))
nn = torch.nn
F = torch.nn.functional
optim = torch.optim
StepLR = torch.optim.lr_scheduler.StepLR
rs = np.random.RandomState(0)
ROWS, COLS = 6, 5


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.rnn = nn.LSTM(input_size=COLS, hidden_size=8, batch_first=True)
        self.batchnorm = nn.BatchNorm1d(8)
        self.dropout1 = nn.Dropout2d(0.25)
        self.dropout2 = nn.Dropout2d(0.5)
        self.fc1 = nn.Linear(8, 12)
        self.fc2 = nn.Linear(12, 4)

    def forward(self, input):
        input = input.reshape(-1, ROWS, COLS)
        output, _hidden = self.rnn(input)
        output = output[:, -1, :]
        output = self.batchnorm(output)
        output = self.fc1(output)
        output = F.relu(output)
        output = self.fc2(output)
        output = F.log_softmax(output, dim=1)
        return output


def loader(n, batch_size):
    images = torch.from_numpy(rs.rand(n, 1, ROWS, COLS).astype(np.float32))
    targets = torch.from_numpy(rs.randint(0, 4, n))
    images = (images - 0.1307) / 0.3081
    return torch.utils.data.DataLoader(torch.utils.data.TensorDataset(images, targets), batch_size=batch_size)


model = Net()
print("check lstm", [(k, tuple(v.shape)) for k, v in model.rnn.state_dict().items()])
with torch.no_grad():
    for p in model.parameters():
        p.copy_(torch.from_numpy(rs.uniform(-0.4, 0.4, tuple(p.shape)).astype(np.float32)))
train_loader, test_loader = loader(16, 8), loader(8, 4)
optimizer = optim.Adadelta(model.parameters(), lr=0.1)
scheduler = StepLR(optimizer, step_size=1, gamma=0.7)
for epoch in range(1, 3):
    model.train()
    model.dropout1.eval(), model.dropout2.eval()  # (unused by forward, as in the example)
    for batch_idx, (data, target) in enumerate(train_loader):
        optimizer.zero_grad()
        output = model(data)
        loss = F.nll_loss(output, target)
        loss.backward()
        optimizer.step()
        print(f'check Train Epoch: {epoch} [{batch_idx * len(data)}/{len(train_loader.dataset)} ({100. * batch_idx / len(train_loader):.0f}%)]\tLoss: {loss.item():.6f}')
    model.eval()
    test_loss = 0
    correct = 0
    with torch.no_grad():
        for data, target in test_loader:
            output = model(data)
            test_loss += F.nll_loss(output, target, reduction='sum').item()
            pred = output.argmax(dim=1, keepdim=True)
            correct += pred.eq(target.view_as(pred)).sum().item()
    test_loss /= len(test_loader.dataset)
    print(f'check Test set: Average loss: {test_loss:.4f}, Accuracy: {correct}/{len(test_loader.dataset)} ({100. * correct / len(test_loader.dataset):.0f}%)')
    scheduler.step()
print("check bn", [round(v, 5) for v in model.batchnorm.running_var.tolist()], model.training, model.rnn.training)
buf = io.BytesIO()
torch.save(model.state_dict(), buf)
buf.seek(0)
sd = torch.load(buf)
print("check saved", len(sd), sd["batchnorm.num_batches_tracked"].item(), round(sd["rnn.weight_hh_l0"].sum().item(), 5))
h0 = torch.zeros(1, 2, 8)
out, (hn, cn) = model.rnn(torch.ones(2, ROWS, COLS), (h0, h0))
print("check states", tuple(out.shape), tuple(hn.shape), tuple(cn.shape), bool(torch.allclose(out[:, -1], hn[0])))
