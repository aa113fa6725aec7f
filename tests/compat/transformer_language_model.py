"""Transformer language models: pytorch/examples' word_language_model TransformerModel (a
subclass of nn.Transformer using its encoder, PositionalEncoding with register_buffer, a
log(tril(ones)) float mask, clip_grad_norm_) and a small batch_first, norm_first
TransformerEncoder with nn.Transformer.generate_square_subsequent_mask, a key padding mask,
is_causal=True, ignore_index=0 and greedy decoding. Weights come from numpy."""
import importlib
import math
import os

import numpy as np

torch = importlib.import_module(os.environ.get("COMPAT_TORCH", "lazygrad"))
nn = torch.nn
F = torch.nn.functional

class PositionalEncoding(nn.Module):
    def __init__(self, d_model, dropout=0.1, max_len=50):
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
    def __init__(self, ntoken, ninp, nhead, nhid, nlayers, dropout=0.0):
        super().__init__(d_model=ninp, nhead=nhead, dim_feedforward=nhid, num_encoder_layers=nlayers, dropout=dropout)
        self.model_type = "Transformer"
        self.src_mask = None
        self.pos_encoder = PositionalEncoding(ninp, dropout)
        self.input_emb = nn.Embedding(ntoken, ninp)
        self.ninp = ninp
        self.decoder = nn.Linear(ninp, ntoken)
    def _generate_square_subsequent_mask(self, sz):
        return torch.log(torch.tril(torch.ones(sz, sz)))
    def forward(self, src, has_mask=True):
        if has_mask:
            device = src.device
            if self.src_mask is None or self.src_mask.size(0) != len(src):
                self.src_mask = self._generate_square_subsequent_mask(len(src)).to(device)
        else:
            self.src_mask = None
        src = self.input_emb(src) * math.sqrt(self.ninp)
        src = self.pos_encoder(src)
        output = self.encoder(src, mask=self.src_mask)
        output = self.decoder(output)
        return F.log_softmax(output, dim=-1)

class Small(nn.Module):
    def __init__(self, ntoken=11, d=8):
        super().__init__()
        self.emb = nn.Embedding(ntoken, d, padding_idx=0)
        layer = nn.TransformerEncoderLayer(d, 2, 16, dropout=0.0, batch_first=True, norm_first=True, activation="gelu")
        self.enc = nn.TransformerEncoder(layer, num_layers=2, enable_nested_tensor=False)
        self.out = nn.Linear(d, ntoken)
    def forward(self, tok, pad_mask):
        mask = nn.Transformer.generate_square_subsequent_mask(tok.size(1))
        h = self.enc(self.emb(tok), mask=mask, src_key_padding_mask=pad_mask, is_causal=True)
        return self.out(h)

def numpy_init(model, seed):
    r = np.random.RandomState(seed)
    with torch.no_grad():
        for name, p in model.named_parameters():
            p.copy_(torch.from_numpy(r.normal(0, 0.3, tuple(p.shape)).astype(np.float32)))

torch.manual_seed(0)
model = TransformerModel(13, 8, 2, 16, 2)
numpy_init(model, 1)
print("check names", len(list(model.named_parameters())), sorted(n for n, _ in model.named_children()))
m = nn.Transformer.generate_square_subsequent_mask(4)
print("check mask", m.tolist()[1], str(m.dtype).split(".")[-1])
r = np.random.RandomState(0)
data = torch.from_numpy(r.randint(0, 13, (7, 3))).long()
opt = torch.optim.Adam(model.parameters(), lr=1e-2)
criterion = nn.NLLLoss()
for step in range(3):
    model.train()
    model.zero_grad()
    out = model(data[:-1])
    loss = criterion(out.view(-1, 13), data[1:].reshape(-1))
    loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), 0.25)
    opt.step()
    print("check lm", step, f"{loss.item():.5f}", f"{math.exp(loss.item()):.4f}")

small = Small()
numpy_init(small, 2)
tok = torch.from_numpy(r.randint(1, 11, (3, 6))).long()
lengths = torch.tensor([6, 4, 2])
pad_mask = torch.arange(6)[None, :] >= lengths[:, None]
tok = tok.masked_fill(pad_mask, 0)
opt = torch.optim.AdamW(small.parameters(), lr=5e-3, weight_decay=0.01)
for step in range(3):
    logits = small(tok[:, :-1], pad_mask[:, :-1])
    loss = F.cross_entropy(logits.reshape(-1, 11), tok[:, 1:].reshape(-1), ignore_index=0)
    opt.zero_grad()
    loss.backward()
    opt.step()
    print("check small", step, f"{loss.item():.5f}")
small.eval()
with torch.no_grad():
    logits = small(tok[:, :-1], pad_mask[:, :-1])
    print("check eval", logits.argmax(-1)[0].tolist(), round(logits[~pad_mask[:, :-1]].mean().item(), 4))
    seq = tok[:1, :2]
    for _ in range(3):
        nxt = small(seq, torch.zeros_like(seq, dtype=torch.bool))[:, -1].argmax(-1, keepdim=True)
        seq = torch.cat([seq, nxt], dim=1)
    print("check greedy", seq.tolist())
