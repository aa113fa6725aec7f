"""'Word Embeddings: Encoding Lexical Semantics' (the NLP tutorial): an nn.Embedding looked up
with a torch.tensor of word indices, then the N-gram language model (Embedding, Linear, ReLU,
F.log_softmax, nn.NLLLoss, model.zero_grad(), SGD) trained one context at a time, and a word's
learned embedding read back through model.embeddings.weight[word_to_ix[...]], as the tutorial
writes them, on a short text of our own. The weights are set from numpy so that torch and
lazygrad start alike, and the vocabulary is sorted (a set's order changes from run to run)."""
import importlib
import os

import numpy as np

torch = importlib.import_module(os.environ.get("COMPAT_TORCH", "lazygrad"))
nn = torch.nn
F = torch.nn.functional
optim = torch.optim

torch.manual_seed(1)


def fill_from_numpy(module, seed, scale):
    rs = np.random.RandomState(seed)
    with torch.no_grad():
        for name, param in module.named_parameters():
            param.copy_(torch.from_numpy((rs.standard_normal(tuple(param.shape)) * scale).astype(np.float32)))


word_to_ix = {"hello": 0, "world": 1}
embeds = nn.Embedding(2, 5)  # 2 words in vocab, 5 dimensional embeddings
fill_from_numpy(embeds, 0, 1.0)
lookup_tensor = torch.tensor([word_to_ix["hello"]], dtype=torch.long)
hello_embed = embeds(lookup_tensor)
print(hello_embed)
print("check hello", tuple(hello_embed.shape), *hello_embed[0].tolist())
print("check hello_text", hello_embed.detach())

CONTEXT_SIZE = 2
EMBEDDING_DIM = 10
# A short text, tokenized by whitespace, as the tutorial does with its sonnet.
text = """The river keeps no ledger of the stones it moved, yet every bend
remembers them; the miller counts his sacks at dusk and the river counts nothing, and
still the valley wears the shape of all its patient arithmetic. Ask the river and
the river answers with the valley."""
test_sentence = text.split()
# Each tuple is ([ word_i-CONTEXT_SIZE, ..., word_i-1 ], target word)
ngrams = [
    ([test_sentence[i - j - 1] for j in range(CONTEXT_SIZE)], test_sentence[i])
    for i in range(CONTEXT_SIZE, len(test_sentence))
]
print("check ngrams", len(ngrams), *ngrams[0][0], ngrams[0][1])

vocab = set(test_sentence)
word_to_ix = {word: i for i, word in enumerate(sorted(vocab))}


class NGramLanguageModeler(nn.Module):

    def __init__(self, vocab_size, embedding_dim, context_size):
        super().__init__()
        self.embeddings = nn.Embedding(vocab_size, embedding_dim)
        self.linear1 = nn.Linear(context_size * embedding_dim, 128)
        self.linear2 = nn.Linear(128, vocab_size)

    def forward(self, inputs):
        embeds = self.embeddings(inputs).view((1, -1))
        out = F.relu(self.linear1(embeds))
        out = self.linear2(out)
        log_probs = F.log_softmax(out, dim=1)
        return log_probs


losses = []
loss_function = nn.NLLLoss()
model = NGramLanguageModeler(len(vocab), EMBEDDING_DIM, CONTEXT_SIZE)
fill_from_numpy(model, 1, 0.1)
optimizer = optim.SGD(model.parameters(), lr=0.05)

for epoch in range(4):
    total_loss = 0
    for context, target in ngrams:

        # Step 1. Turn the words into integer indices and wrap them in tensors
        context_idxs = torch.tensor([word_to_ix[w] for w in context], dtype=torch.long)

        # Step 2. torch accumulates gradients: zero them out before each step
        model.zero_grad()

        # Step 3. The forward pass: log probabilities over the next word
        log_probs = model(context_idxs)

        # Step 4. The loss against the target word, wrapped in a tensor
        loss = loss_function(log_probs, torch.tensor([word_to_ix[target]], dtype=torch.long))

        # Step 5. The backward pass and the update
        loss.backward()
        optimizer.step()

        # .item() gives the Python number of a one-element tensor
        total_loss += loss.item()
    losses.append(total_loss)
print("check losses", *losses)

# The embedding of a particular word, e.g. "river"
print("check river", *model.embeddings.weight[word_to_ix["river"]].tolist())
with torch.no_grad():
    log_probs = model(torch.tensor([word_to_ix["the"], word_to_ix["Ask"]], dtype=torch.long))
    best = torch.argmax(log_probs, dim=1).item()
    ix_to_word = {i: w for w, i in word_to_ix.items()}
    print("check next", ix_to_word[best], log_probs.exp().sum().item(), log_probs.max().item())
print("check grad", model.embeddings.weight.grad.shape[0] == len(vocab),
      int((model.embeddings.weight.grad.abs().sum(1) > 0).sum()))
