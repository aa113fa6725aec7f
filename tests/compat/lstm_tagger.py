"""'Sequence Models and Long Short-Term Memory Networks' (the NLP tutorial): an nn.LSTM run a
step at a time and on the whole sequence, then the part-of-speech tagger: nn.Embedding,
nn.LSTM fed one sentence as (len, 1, -1), nn.Linear, F.log_softmax, NLLLoss and SGD, with
scores under torch.no_grad() before and after training, on a few sentences of our own; the
weights are set from numpy so that torch and lazygrad start alike."""
import importlib
import os

import numpy as np

torch = importlib.import_module(os.environ.get("COMPAT_TORCH", "lazygrad"))
nn = torch.nn
F = torch.nn.functional
optim = torch.optim


rng = np.random.default_rng(1)


def randn(*shape):
    """torch.randn's role in the tutorial, with values both libraries share."""
    return torch.from_numpy(rng.standard_normal(shape).astype(np.float32))


# the LSTM on its own: one step at a time, then the whole sequence at once
lstm = nn.LSTM(3, 3)  # input dim is 3, output dim is 3
with torch.no_grad():
    for p in lstm.parameters():
        p.copy_(randn(*p.shape) * 0.5)
inputs = [randn(1, 3) for _ in range(5)]  # a sequence of length 5
hidden = (randn(1, 1, 3), randn(1, 1, 3))
first_hidden = hidden
for i in inputs:
    # one element of the sequence at a time; after each step, hidden holds the hidden state
    out, hidden = lstm(i.view(1, 1, -1), hidden)
print("check stepwise", *[f"{v:.5f}" for v in out.view(-1).tolist()], *[f"{v:.5f}" for v in hidden[1].view(-1).tolist()])
inputs = torch.cat(inputs).view(len(inputs), 1, -1)
out, hidden = lstm(inputs, first_hidden)
print("check whole", tuple(out.shape), *[f"{v:.5f}" for v in out[-1].view(-1).tolist()],
      *[f"{v:.5f}" for v in hidden[1].view(-1).tolist()])


def prepare_sequence(seq, to_ix):
    idxs = [to_ix[w] for w in seq]
    return torch.tensor(idxs, dtype=torch.long)


training_data = [
    (["The", "cat", "chased", "a", "mouse"], ["DET", "NN", "V", "DET", "NN"]),
    (["A", "dog", "ate", "the", "bone"], ["DET", "NN", "V", "DET", "NN"]),
    (["Everybody", "likes", "the", "garden"], ["NN", "V", "DET", "NN"]),
]
word_to_ix = {}
for sent, tags in training_data:
    for word in sent:
        if word not in word_to_ix:
            word_to_ix[word] = len(word_to_ix)
tag_to_ix = {"DET": 0, "NN": 1, "V": 2}
ix_to_tag = {v: k for k, v in tag_to_ix.items()}

EMBEDDING_DIM = 6
HIDDEN_DIM = 6


class LSTMTagger(nn.Module):

    def __init__(self, embedding_dim, hidden_dim, vocab_size, tagset_size):
        super().__init__()
        self.hidden_dim = hidden_dim
        self.word_embeddings = nn.Embedding(vocab_size, embedding_dim)
        # takes word embeddings as inputs, gives hidden states of size hidden_dim
        self.lstm = nn.LSTM(embedding_dim, hidden_dim)
        self.hidden2tag = nn.Linear(hidden_dim, tagset_size)

    def forward(self, sentence):
        embeds = self.word_embeddings(sentence)
        lstm_out, _ = self.lstm(embeds.view(len(sentence), 1, -1))
        tag_space = self.hidden2tag(lstm_out.view(len(sentence), -1))
        tag_scores = F.log_softmax(tag_space, dim=1)
        return tag_scores


model = LSTMTagger(EMBEDDING_DIM, HIDDEN_DIM, len(word_to_ix), len(tag_to_ix))
rng = np.random.default_rng(1)
with torch.no_grad():
    for name, p in model.named_parameters():
        p.copy_(torch.from_numpy((rng.standard_normal(tuple(p.shape)) * 0.8).astype(np.float32)))
loss_function = nn.NLLLoss()
optimizer = optim.SGD(model.parameters(), lr=0.1)

with torch.no_grad():
    inputs = prepare_sequence(training_data[0][0], word_to_ix)
    tag_scores = model(inputs)
    print("check before", *[round(v, 6) for v in tag_scores[0].tolist()])
    print("check before_tags", *[ix_to_tag[i] for i in tag_scores.argmax(dim=1).tolist()])

for epoch in range(24):
    total = 0.0
    for sentence, tags in training_data:
        model.zero_grad()
        sentence_in = prepare_sequence(sentence, word_to_ix)
        targets = prepare_sequence(tags, tag_to_ix)
        tag_scores = model(sentence_in)
        loss = loss_function(tag_scores, targets)
        loss.backward()
        optimizer.step()
        total += loss.item()
    if epoch % 8 == 7:
        print("check epoch", epoch, total / len(training_data))

with torch.no_grad():
    for sentence, _ in training_data:
        tag_scores = model(prepare_sequence(sentence, word_to_ix))
        print("check after", " ".join(sentence), *[ix_to_tag[i] for i in tag_scores.argmax(dim=1).tolist()])
    inputs = prepare_sequence(["The", "dog", "chased", "the", "cat"], word_to_ix)
    tag_scores = model(inputs)
    values, indices = torch.max(tag_scores, 1)
    print("check new_sentence", *[ix_to_tag[i] for i in indices.tolist()], round(values.sum().item(), 6))
