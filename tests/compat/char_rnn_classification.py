"""'NLP From Scratch: Classifying Names with a Character-Level RNN', as the tutorial writes it
(its own RNN module, NLLLoss, manual SGD through p.data, topk), on a few fixed names; the
weights are set from numpy so that torch and lazygrad start alike."""
import importlib
import os
import string

import numpy as np

torch = importlib.import_module(os.environ.get("COMPAT_TORCH", "lazygrad"))
nn = torch.nn

all_letters = string.ascii_letters + " .,;'"
n_letters = len(all_letters)
category_lines = {"English": ["Smith", "Brown", "Taylor"], "French": ["Dubois", "Lefevre", "Moreau"],
                  "Italian": ["Rossi", "Russo", "Ferrari"]}
all_categories = list(category_lines)


def lineToTensor(line):
    tensor = torch.zeros(len(line), 1, n_letters)
    for li, letter in enumerate(line):
        tensor[li][0][all_letters.find(letter)] = 1
    return tensor


class RNN(nn.Module):
    def __init__(self, input_size, hidden_size, output_size):
        super(RNN, self).__init__()
        self.hidden_size = hidden_size
        self.i2h = nn.Linear(input_size, hidden_size)
        self.h2h = nn.Linear(hidden_size, hidden_size)
        self.h2o = nn.Linear(hidden_size, output_size)
        self.softmax = nn.LogSoftmax(dim=1)

    def forward(self, input, hidden):
        hidden = torch.tanh(self.i2h(input) + self.h2h(hidden))
        output = self.softmax(self.h2o(hidden))
        return output, hidden

    def initHidden(self):
        return torch.zeros(1, self.hidden_size)


rnn = RNN(n_letters, 32, len(all_categories))
rng = np.random.default_rng(0)
with torch.no_grad():
    for p in rnn.parameters():
        p.copy_(torch.tensor((rng.standard_normal(tuple(p.shape)) * 0.1).astype(np.float32)))
criterion = nn.NLLLoss()
learning_rate = 0.05


def categoryFromOutput(output):
    top_n, top_i = output.topk(1)
    category_i = top_i[0].item()
    return all_categories[category_i], category_i


def train(category_tensor, line_tensor):
    hidden = rnn.initHidden()
    rnn.zero_grad()
    for i in range(line_tensor.size()[0]):
        output, hidden = rnn(line_tensor[i], hidden)
    loss = criterion(output, category_tensor)
    loss.backward()
    for p in rnn.parameters():
        p.data.add_(p.grad.data, alpha=-learning_rate)
    return output, loss.item()


pairs = [(c, line) for c in all_categories for line in category_lines[c]]
for epoch in range(4):
    total = 0.0
    for category, line in pairs:
        output, loss = train(torch.tensor([all_categories.index(category)], dtype=torch.long), lineToTensor(line))
        total += loss
    print("check epoch", epoch, total / len(pairs))
with torch.no_grad():
    hidden = rnn.initHidden()
    line = lineToTensor("Rossi")
    for i in range(line.size()[0]):
        output, hidden = rnn(line[i], hidden)
    print("check guess", *categoryFromOutput(output))
