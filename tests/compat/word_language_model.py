"""pytorch/examples 'word_language_model', in small: a Dictionary/Corpus tokenizer reading
text files, batchify (narrow, view().t().contiguous()), get_batch, an RNNModel (Embedding, a
two-layer LSTM, a Linear decoder with tied weights, log_softmax), hidden states repackaged
with detach(), clip_grad_norm_, the manual SGD update p.data.add_(p.grad, alpha=-lr),
perplexity with math.exp and a greedy generation; then the Transformer variant (a subclass of
nn.Transformer whose encoder runs with a log(tril) causal mask after a sinusoidal
PositionalEncoding buffer, its decoder replaced by a Linear). Dropout is 0 and the weights
are set from numpy so that torch and lazygrad compute alike."""
import importlib
import math
import os
import tempfile

import numpy as np

torch = importlib.import_module(os.environ.get("COMPAT_TORCH", "lazygrad"))
nn = torch.nn
F = torch.nn.functional

TRAIN = """the quick fox jumps over the lazy dog
the dog sleeps in the sun
a quick brown fox runs in the field
the lazy cat sleeps on the warm mat
a dog and a cat play in the sun
the brown dog runs over the field
"""
VALID = """the quick cat runs in the field
a lazy fox sleeps on the mat
"""
TEST = """the brown cat jumps over the dog
"""


class Dictionary:
    def __init__(self):
        self.word2idx = {}
        self.idx2word = []

    def add_word(self, word):
        if word not in self.word2idx:
            self.idx2word.append(word)
            self.word2idx[word] = len(self.idx2word) - 1
        return self.word2idx[word]

    def __len__(self):
        return len(self.idx2word)


class Corpus:
    def __init__(self, path):
        self.dictionary = Dictionary()
        self.train = self.tokenize(os.path.join(path, "train.txt"))
        self.valid = self.tokenize(os.path.join(path, "valid.txt"))
        self.test = self.tokenize(os.path.join(path, "test.txt"))

    def tokenize(self, path):
        """Tokenizes a text file into one long tensor of word ids."""
        assert os.path.exists(path)
        with open(path, "r", encoding="utf8") as f:
            for line in f:
                words = line.split() + ["<eos>"]
                for word in words:
                    self.dictionary.add_word(word)
        with open(path, "r", encoding="utf8") as f:
            idss = []
            for line in f:
                words = line.split() + ["<eos>"]
                ids = []
                for word in words:
                    ids.append(self.dictionary.word2idx[word])
                idss.append(torch.tensor(ids).type(torch.int64))
            ids = torch.cat(idss)
        return ids


class RNNModel(nn.Module):
    """Container module with an encoder, a recurrent module, and a decoder."""

    def __init__(self, rnn_type, ntoken, ninp, nhid, nlayers, dropout=0.5, tie_weights=False):
        super().__init__()
        self.ntoken = ntoken
        self.drop = nn.Dropout(dropout)
        self.encoder = nn.Embedding(ntoken, ninp)
        self.rnn = getattr(nn, rnn_type)(ninp, nhid, nlayers, dropout=dropout)
        self.decoder = nn.Linear(nhid, ntoken)
        if tie_weights:
            self.decoder.weight = self.encoder.weight
        self.init_weights()
        self.rnn_type = rnn_type
        self.nhid = nhid
        self.nlayers = nlayers

    def init_weights(self):
        initrange = 0.1
        nn.init.uniform_(self.encoder.weight, -initrange, initrange)
        nn.init.zeros_(self.decoder.bias)
        nn.init.uniform_(self.decoder.weight, -initrange, initrange)

    def forward(self, input, hidden):
        emb = self.drop(self.encoder(input))
        output, hidden = self.rnn(emb, hidden)
        output = self.drop(output)
        decoded = self.decoder(output)
        decoded = decoded.view(-1, self.ntoken)
        return F.log_softmax(decoded, dim=1), hidden

    def init_hidden(self, bsz):
        weight = next(self.parameters())
        if self.rnn_type == "LSTM":
            return (weight.new_zeros(self.nlayers, bsz, self.nhid),
                    weight.new_zeros(self.nlayers, bsz, self.nhid))
        return weight.new_zeros(self.nlayers, bsz, self.nhid)


class PositionalEncoding(nn.Module):
    """Adds the sinusoidal position of each token to its embedding."""

    def __init__(self, d_model, dropout=0.1, max_len=5000):
        super().__init__()
        self.dropout = nn.Dropout(p=dropout)
        pe = torch.zeros(max_len, d_model)
        position = torch.arange(0, max_len, dtype=torch.float).unsqueeze(1)
        div_term = torch.exp(torch.arange(0, d_model, 2).float() * (-math.log(10000.0) / d_model))
        pe[:, 0::2] = torch.sin(position * div_term)
        pe[:, 1::2] = torch.cos(position * div_term)
        pe = pe.unsqueeze(0).transpose(0, 1)
        self.register_buffer("pe", pe)

    def forward(self, x):
        x = x + self.pe[:x.size(0), :]
        return self.dropout(x)


class TransformerModel(nn.Transformer):
    """An nn.Transformer of which only the encoder runs, between an embedding with positions
    and a Linear decoder (which takes the place of the Transformer's own decoder)."""

    def __init__(self, ntoken, ninp, nhead, nhid, nlayers, dropout=0.5):
        super().__init__(d_model=ninp, nhead=nhead, dim_feedforward=nhid, num_encoder_layers=nlayers,
                         num_decoder_layers=1, dropout=dropout)
        self.model_type = "Transformer"
        self.src_mask = None
        self.pos_encoder = PositionalEncoding(ninp, dropout, max_len=64)
        self.input_emb = nn.Embedding(ntoken, ninp)
        self.ninp = ninp
        self.decoder = nn.Linear(ninp, ntoken)
        self.init_weights()

    def _generate_square_subsequent_mask(self, sz):
        return torch.log(torch.tril(torch.ones(sz, sz)))

    def init_weights(self):
        initrange = 0.1
        nn.init.uniform_(self.input_emb.weight, -initrange, initrange)
        nn.init.zeros_(self.decoder.bias)
        nn.init.uniform_(self.decoder.weight, -initrange, initrange)

    def forward(self, src, has_mask=True):
        if has_mask:
            device = src.device
            if self.src_mask is None or self.src_mask.size(0) != len(src):
                mask = self._generate_square_subsequent_mask(len(src)).to(device)
                self.src_mask = mask
        else:
            self.src_mask = None
        src = self.input_emb(src) * math.sqrt(self.ninp)
        src = self.pos_encoder(src)
        output = self.encoder(src, mask=self.src_mask)
        output = self.decoder(output)
        return F.log_softmax(output, dim=-1)


def set_weights(model, seed):
    """Overwrites every parameter with fixed values, so that both libraries start alike."""
    rng = np.random.default_rng(seed)
    with torch.no_grad():
        for name, p in model.named_parameters():
            scale = 0.0 if name == "decoder.bias" else 0.3 if p.dim() > 1 else 0.1
            p.copy_(torch.from_numpy((rng.uniform(-1, 1, tuple(p.shape)) * scale).astype(np.float32)))


def batchify(data, bsz):
    # Work out how cleanly we can divide the dataset into bsz parts, trim off the remainder,
    # and lay the bsz sequences out as columns.
    nbatch = data.size(0) // bsz
    data = data.narrow(0, 0, nbatch * bsz)
    data = data.view(bsz, -1).t().contiguous()
    return data.to(device)


def repackage_hidden(h):
    """Wraps hidden states in new Tensors, to detach them from their history."""
    if isinstance(h, torch.Tensor):
        return h.detach()
    return tuple(repackage_hidden(v) for v in h)


def get_batch(source, i):
    seq_len = min(bptt, len(source) - 1 - i)
    data = source[i:i + seq_len]
    target = source[i + 1:i + 1 + seq_len].view(-1)
    return data, target


def run_model(model, data, hidden):
    if isinstance(model, TransformerModel):
        return model(data).view(-1, ntokens), hidden
    hidden = repackage_hidden(hidden)
    return model(data, hidden)


def evaluate(model, data_source):
    model.eval()
    total_loss = 0.
    hidden = None if isinstance(model, TransformerModel) else model.init_hidden(eval_batch_size)
    with torch.no_grad():
        for i in range(0, data_source.size(0) - 1, bptt):
            data, targets = get_batch(data_source, i)
            output, hidden = run_model(model, data, hidden)
            total_loss += len(data) * criterion(output, targets).item()
    return total_loss / (len(data_source) - 1)


def train(model, lr):
    model.train()
    total_loss = 0.
    hidden = None if isinstance(model, TransformerModel) else model.init_hidden(batch_size)
    for batch, i in enumerate(range(0, train_data.size(0) - 1, bptt)):
        data, targets = get_batch(train_data, i)
        model.zero_grad()
        output, hidden = run_model(model, data, hidden)
        loss = criterion(output, targets)
        loss.backward()
        # clip_grad_norm_ helps prevent the exploding gradient problem in RNNs / LSTMs.
        torch.nn.utils.clip_grad_norm_(model.parameters(), clip)
        for p in model.parameters():
            p.data.add_(p.grad, alpha=-lr)
        total_loss += loss.item()
    return total_loss / (batch + 1)


def generate(model, words):
    model.eval()
    input = torch.tensor([[corpus.dictionary.word2idx["the"]]], dtype=torch.long).to(device)
    hidden = None if isinstance(model, TransformerModel) else model.init_hidden(1)
    out = ["the"]
    with torch.no_grad():
        for _ in range(words):
            if isinstance(model, TransformerModel):
                output = model(input, False)
                word_weights = output[-1].squeeze().div(temperature).exp().cpu()
                word_idx = int(torch.argmax(word_weights))
                word_tensor = torch.Tensor([[word_idx]]).long().to(device)
                input = torch.cat([input, word_tensor], 0)
            else:
                output, hidden = model(input, hidden)
                word_weights = output.squeeze().div(temperature).exp().cpu()
                word_idx = int(torch.argmax(word_weights))
                input.fill_(word_idx)
            out.append(corpus.dictionary.idx2word[word_idx])
    return out


device = torch.device("cpu")
bptt, batch_size, eval_batch_size, clip, temperature = 6, 4, 2, 0.25, 1.0
with tempfile.TemporaryDirectory() as path:
    for name, text in (("train", TRAIN), ("valid", VALID), ("test", TEST)):
        with open(os.path.join(path, name + ".txt"), "w", encoding="utf8") as f:
            f.write(text)
    corpus = Corpus(path)
train_data = batchify(corpus.train, batch_size)
val_data = batchify(corpus.valid, eval_batch_size)
test_data = batchify(corpus.test, eval_batch_size)
ntokens = len(corpus.dictionary)
print("check corpus", ntokens, *train_data.shape, *val_data.shape, train_data[:, 1].tolist())
criterion = nn.NLLLoss()
save_dir = tempfile.TemporaryDirectory()
save_path = os.path.join(save_dir.name, "model.pt")

for kind in ("LSTM", "Transformer"):
    if kind == "LSTM":
        model = RNNModel("LSTM", ntokens, 16, 16, 2, dropout=0.0, tie_weights=True).to(device)
    else:
        model = TransformerModel(ntokens, 16, 2, 32, 2, dropout=0.0).to(device)
    set_weights(model, 0)
    print("check", kind, "state_dict", *[f"{k}:{tuple(v.shape)}" for k, v in model.state_dict().items()][-6:])
    lr = 2.0 if kind == "LSTM" else 0.5
    best_val_loss = None
    for epoch in range(1, 5):
        train_loss = train(model, lr)
        val_loss = evaluate(model, val_data)
        print("check", kind, "epoch", epoch, round(train_loss, 5), round(val_loss, 5), round(math.exp(val_loss), 4))
        if not best_val_loss or val_loss < best_val_loss:
            with open(save_path, "wb") as f:  # (the example keeps the best model, whole)
                torch.save(model, f)
            best_val_loss = val_loss
        else:
            # Anneal the learning rate if no improvement has been seen in the validation dataset.
            lr /= 4.0
    with open(save_path, "rb") as f:  # the best model back, as the example reloads it
        model = torch.load(f, weights_only=False)
        if kind == "LSTM":
            model.rnn.flatten_parameters()  # (after load the rnn params are not a continuous chunk of memory)
    test_loss = evaluate(model, test_data)
    print("check", kind, "test", round(test_loss, 5), round(math.exp(test_loss), 4))
    print("check", kind, "generated", *generate(model, 6))
