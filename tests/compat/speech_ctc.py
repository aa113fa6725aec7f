"""A tiny speech-recognition model trained with CTC, in the style of the audio tutorials: a
Conv1d + BatchNorm1d + GELU front end over (N, C, T) "spectrogram" frames, a bidirectional GRU
over packed sequences of different lengths, per-frame log_softmax in (T, N, C) order for
nn.CTCLoss(blank=0, zero_infinity=True), targets padded with pad_sequence, a warm-up LambdaLR,
gradient clipping, and greedy CTC decoding (argmax, unique_consecutive, blanks dropped) scored
by an edit distance. The 'audio' is synthetic: each label a fixed random frame pattern with
noise, held for a few frames; weights are set from numpy so that torch and lazygrad agree."""

import importlib
import os

import numpy as np

torch = importlib.import_module(os.environ.get("COMPAT_TORCH", "lazygrad"))
nn = torch.nn
F = torch.nn.functional
rnn_utils = torch.nn.utils.rnn
N_FEATURES, N_LABELS = 8, 5  # labels 1..4, 0 is the CTC blank


def utterances(n, seed):
    rs = np.random.RandomState(seed)
    patterns = np.random.RandomState(7).normal(0, 1, (N_LABELS, N_FEATURES))
    items = []
    for _ in range(n):
        labels = rs.randint(1, N_LABELS, rs.randint(2, 5))
        frames = [patterns[0]] * rs.randint(1, 3)
        for lab in labels:
            frames += [patterns[lab]] * rs.randint(2, 4) + [patterns[0]] * rs.randint(0, 2)
        x = np.stack(frames) + rs.normal(0, 0.3, (len(frames), N_FEATURES))
        items.append((x.astype(np.float32), labels.astype(np.int64)))
    return items


class SpeechModel(nn.Module):
    def __init__(self, hidden=12):
        super().__init__()
        self.conv = nn.Conv1d(N_FEATURES, hidden, kernel_size=3, padding=1, bias=False)
        self.norm = nn.BatchNorm1d(hidden)
        self.gru = nn.GRU(hidden, hidden, batch_first=True, bidirectional=True)
        self.classifier = nn.Linear(2 * hidden, N_LABELS)

    def forward(self, x, lengths):  # x: (N, T, C)
        h = F.gelu(self.norm(self.conv(x.transpose(1, 2)))).transpose(1, 2)
        packed = rnn_utils.pack_padded_sequence(h, lengths, batch_first=True, enforce_sorted=False)
        out, _ = self.gru(packed)
        out, _ = rnn_utils.pad_packed_sequence(out, batch_first=True, total_length=x.shape[1])
        return F.log_softmax(self.classifier(out), dim=-1).transpose(0, 1)  # (T, N, C)


def init_from_numpy(model, seed):
    rs = np.random.RandomState(seed)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if name.startswith("norm"):
                continue
            fan = p.shape[-1] if p.dim() > 1 else p.shape[0]
            p.copy_(torch.from_numpy(rs.uniform(-1, 1, tuple(p.shape)).astype(np.float32) / np.sqrt(fan)))


def collate(batch):
    xs = [torch.from_numpy(x) for x, _ in batch]
    ys = [torch.from_numpy(y) for _, y in batch]
    x_lengths = torch.tensor([len(x) for x in xs])
    y_lengths = torch.tensor([len(y) for y in ys])
    return (
        rnn_utils.pad_sequence(xs, batch_first=True),
        x_lengths,
        rnn_utils.pad_sequence(ys, batch_first=True),
        y_lengths,
    )


def greedy_decode(log_probs, lengths):
    best = log_probs.argmax(dim=-1).transpose(0, 1)  # (N, T)
    out = []
    for seq, n in zip(best, lengths.tolist()):
        collapsed = torch.unique_consecutive(seq[:n])
        out.append([int(c) for c in collapsed if c != 0])
    return out


def edit_distance(a, b):
    d = np.arange(len(b) + 1)
    for i, x in enumerate(a, 1):
        prev, d[0] = d[0], i
        for j, y in enumerate(b, 1):
            prev, d[j] = d[j], min(d[j] + 1, d[j - 1] + 1, prev + (x != y))
    return int(d[-1])


train = utterances(48, 0)
test = utterances(8, 1)
loader = torch.utils.data.DataLoader(train, batch_size=12, shuffle=False, collate_fn=collate)
model = SpeechModel()
init_from_numpy(model, 2)
criterion = nn.CTCLoss(blank=0, zero_infinity=True)
optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda step: min(1.0, (step + 1) / 4))
x, xl, y, yl = next(iter(loader))
print("check batch", tuple(x.shape), xl.tolist()[:4], tuple(y.shape), yl.tolist()[:4])

for epoch in range(6):
    model.train()
    total = 0.0
    for x, xl, y, yl in loader:
        log_probs = model(x, xl)
        loss = criterion(log_probs, y, xl, yl)
        optimizer.zero_grad()
        loss.backward()
        norm = nn.utils.clip_grad_norm_(model.parameters(), 2.0)
        optimizer.step()
        scheduler.step()
        total += loss.item()
    print(
        f"check epoch {epoch} ctc {total / len(loader):.5f} norm {norm.item():.4f} "
        f"lr {scheduler.get_last_lr()[0]:.5f}"
    )

model.eval()
with torch.no_grad():
    x, xl, y, yl = collate(test)
    log_probs = model(x, xl)
    per_item = F.ctc_loss(log_probs, y, xl, yl, reduction="none")
    print("check test_ctc", *[round(v, 4) for v in per_item.tolist()])
    decoded = greedy_decode(log_probs, xl)
    truth = [t.tolist() for t, n in zip(y, yl.tolist()) for t in [t[:n]]]
    errors = sum(edit_distance(d, t) for d, t in zip(decoded, truth))
    print("check decoded", decoded[:3], truth[:3])
    print(f"check cer {errors / sum(len(t) for t in truth):.4f}")
    print("check running", *[round(v, 4) for v in model.norm.running_var[:3].tolist()])
