"""The text-classification tutorial (nn.EmbeddingBag over the AG_NEWS ngrams), as it writes it,
on a small synthetic corpus: a vocabulary from a Counter, a collate_fn building the offsets
with cumsum, EmbeddingBag(mean) + Linear initialised through .data.uniform_, SGD(lr=5) with
StepLR(1.0, gamma=0.1) stepped only when validation accuracy drops, clip_grad_norm_, and the
tutorial's epoch lines (which print the scheduler's lr: [5] while it is the int given). Then
EmbeddingBag's other modes: sum over 2-D input, max with offsets, per_sample_weights. Weights
come from numpy."""
import importlib
import os
from collections import Counter

import numpy as np

torch = importlib.import_module(os.environ.get("COMPAT_TORCH", "lazygrad"))
nn = torch.nn
DataLoader = torch.utils.data.DataLoader
torch.manual_seed(0)
rs = np.random.RandomState(0)
words = ["good", "bad", "great", "awful", "movie", "plot", "the", "a", "was", "really"]
data = []
for i in range(40):
    label = rs.randint(0, 2)
    toks = list(rs.choice(words[4:], rs.randint(3, 8)))
    toks.append(words[rs.randint(0, 2) + (2 if rs.rand() < .5 else 0)] if label == 0 else "x")
    data.append((label + 1, " ".join(toks)))
counter = Counter(t for _, s in data for t in s.split())
vocab = {w: i + 1 for i, (w, _) in enumerate(sorted(counter.items(), key=lambda kv: (-kv[1], kv[0])))}
vocab["<unk>"] = 0


def text_pipeline(x):
    return [vocab.get(t, 0) for t in x.split()]


def label_pipeline(x):
    return int(x) - 1


def collate_batch(batch):
    label_list, text_list, offsets = [], [], [0]
    for _label, _text in batch:
        label_list.append(label_pipeline(_label))
        processed_text = torch.tensor(text_pipeline(_text), dtype=torch.int64)
        text_list.append(processed_text)
        offsets.append(processed_text.size(0))
    label_list = torch.tensor(label_list, dtype=torch.int64)
    offsets = torch.tensor(offsets[:-1]).cumsum(dim=0)
    return label_list, torch.cat(text_list), offsets


class TextClassificationModel(nn.Module):
    def __init__(self, vocab_size, embed_dim, num_class):
        super().__init__()
        self.embedding = nn.EmbeddingBag(vocab_size, embed_dim, sparse=False)
        self.fc = nn.Linear(embed_dim, num_class)
        self.init_weights()

    def init_weights(self):
        initrange = 0.5
        self.embedding.weight.data.uniform_(-initrange, initrange)
        self.fc.weight.data.uniform_(-initrange, initrange)
        self.fc.bias.data.zero_()

    def forward(self, text, offsets):
        return self.fc(self.embedding(text, offsets))


model = TextClassificationModel(len(vocab), 8, 2)
r = np.random.RandomState(1)
with torch.no_grad():
    model.embedding.weight.copy_(torch.from_numpy(r.uniform(-.5, .5, (len(vocab), 8)).astype(np.float32)))
    model.fc.weight.copy_(torch.from_numpy(r.uniform(-.5, .5, (2, 8)).astype(np.float32)))
criterion = torch.nn.CrossEntropyLoss()
optimizer = torch.optim.SGD(model.parameters(), lr=5)
scheduler = torch.optim.lr_scheduler.StepLR(optimizer, 1.0, gamma=0.1)
train_dataloader = DataLoader(data[:32], batch_size=8, shuffle=False, collate_fn=collate_batch)
valid_dataloader = DataLoader(data[32:], batch_size=8, shuffle=False, collate_fn=collate_batch)


def train(dataloader):
    model.train()
    total_acc, total_count = 0, 0
    for label, text, offsets in dataloader:
        optimizer.zero_grad()
        predicted_label = model(text, offsets)
        loss = criterion(predicted_label, label)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 0.1)
        optimizer.step()
        total_acc += (predicted_label.argmax(1) == label).sum().item()
        total_count += label.size(0)
        print(f"check loss {loss.item():.5f}")
    return total_acc / total_count


def evaluate(dataloader):
    model.eval()
    total_acc, total_count = 0, 0
    with torch.no_grad():
        for label, text, offsets in dataloader:
            total_acc += (model(text, offsets).argmax(1) == label).sum().item()
            total_count += label.size(0)
    return total_acc / total_count


total_accu = None
for epoch in range(1, 5):
    acc = train(train_dataloader)
    accu_val = evaluate(valid_dataloader)
    if total_accu is not None and total_accu > accu_val:
        scheduler.step()
    else:
        total_accu = accu_val
    print(f"check | end of epoch {epoch:3d} | train {acc:8.3f} | valid accuracy {accu_val:8.3f} | "
          f"lr {scheduler.get_last_lr()}")
bag = nn.EmbeddingBag(5, 2, mode="sum")
bag.weight.data = torch.arange(10.).view(5, 2)
print("check bag sum", bag(torch.tensor([[1, 2], [3, 4]])).tolist())
pretrained = nn.EmbeddingBag.from_pretrained(torch.arange(10.).view(5, 2), mode="max")
print("check bag max", pretrained(torch.tensor([0, 4, 2]), torch.tensor([0, 1])).tolist())
weighted = nn.EmbeddingBag(5, 2, mode="sum", _weight=torch.ones(5, 2))
print("check bag per_sample_weights", weighted(torch.tensor([0, 1]), torch.tensor([0]),
                                               per_sample_weights=torch.tensor([0.5, 2.0])).tolist())
for _ in range(3):
    scheduler.step()
    print("check StepLR", scheduler.get_last_lr(), optimizer.param_groups[0]["lr"])
