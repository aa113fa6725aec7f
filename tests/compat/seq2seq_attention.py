"""The "NLP From Scratch: Translation with a Sequence to Sequence Network and Attention"
tutorial: a GRU encoder and a GRU decoder with Bahdanau attention (bmm of softmaxed scores),
teacher forcing, greedy decoding with topk, torch.empty(...).fill_, NLLLoss over log_softmax,
two Adam optimizers, a TensorDataset/DataLoader of LongTensors. Sequence reversal stands in for
the French-English pairs."""
import importlib
import os

import numpy as np

torch = importlib.import_module(os.environ.get("COMPAT_TORCH", "lazygrad"))
nn = torch.nn
F = torch.nn.functional
optim = torch.optim
TensorDataset, DataLoader = torch.utils.data.TensorDataset, torch.utils.data.DataLoader


def set_weights(model, seed, scale=0.2):
    """Torch's and lazygrad's random streams differ: every parameter is set from numpy."""
    rs = np.random.RandomState(seed)
    with torch.no_grad():
        for _, p in model.named_parameters():
            p.copy_(torch.from_numpy((rs.standard_normal(tuple(p.shape)) * scale).astype(np.float32)))

device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
SOS_token, EOS_token, MAX_LENGTH = 0, 1, 6
rs = np.random.RandomState(0)
n_in, n_out, N = 12, 10, 24
input_ids = np.zeros((N, MAX_LENGTH), dtype=np.int32)
target_ids = np.zeros((N, MAX_LENGTH), dtype=np.int32)
for i in range(N):
    L = rs.randint(2, MAX_LENGTH)
    inp = rs.randint(2, n_in, L); tgt = (inp[::-1] % (n_out - 2)) + 2
    input_ids[i, :L] = inp; input_ids[i, L] = EOS_token
    target_ids[i, :L] = tgt; target_ids[i, L] = EOS_token
train_data = TensorDataset(torch.LongTensor(input_ids).to(device), torch.LongTensor(target_ids).to(device))
train_dataloader = DataLoader(train_data, batch_size=8, shuffle=False)

class EncoderRNN(nn.Module):
    def __init__(self, input_size, hidden_size, dropout_p=0.1):
        super().__init__()
        self.hidden_size = hidden_size
        self.embedding = nn.Embedding(input_size, hidden_size)
        self.gru = nn.GRU(hidden_size, hidden_size, batch_first=True)
        self.dropout = nn.Dropout(dropout_p)
    def forward(self, input):
        embedded = self.dropout(self.embedding(input))
        output, hidden = self.gru(embedded)
        return output, hidden

class BahdanauAttention(nn.Module):
    def __init__(self, hidden_size):
        super().__init__()
        self.Wa = nn.Linear(hidden_size, hidden_size)
        self.Ua = nn.Linear(hidden_size, hidden_size)
        self.Va = nn.Linear(hidden_size, 1)
    def forward(self, query, keys):
        scores = self.Va(torch.tanh(self.Wa(query) + self.Ua(keys)))
        scores = scores.squeeze(2).unsqueeze(1)
        weights = F.softmax(scores, dim=-1)
        context = torch.bmm(weights, keys)
        return context, weights

class AttnDecoderRNN(nn.Module):
    def __init__(self, hidden_size, output_size, dropout_p=0.1):
        super().__init__()
        self.embedding = nn.Embedding(output_size, hidden_size)
        self.attention = BahdanauAttention(hidden_size)
        self.gru = nn.GRU(2 * hidden_size, hidden_size, batch_first=True)
        self.out = nn.Linear(hidden_size, output_size)
        self.dropout = nn.Dropout(dropout_p)
    def forward(self, encoder_outputs, encoder_hidden, target_tensor=None):
        batch_size = encoder_outputs.size(0)
        decoder_input = torch.empty(batch_size, 1, dtype=torch.long, device=device).fill_(SOS_token)
        decoder_hidden = encoder_hidden
        decoder_outputs = []
        attentions = []
        for i in range(MAX_LENGTH):
            decoder_output, decoder_hidden, attn_weights = self.forward_step(decoder_input, decoder_hidden, encoder_outputs)
            decoder_outputs.append(decoder_output)
            attentions.append(attn_weights)
            if target_tensor is not None:
                decoder_input = target_tensor[:, i].unsqueeze(1)
            else:
                _, topi = decoder_output.topk(1)
                decoder_input = topi.squeeze(-1).detach()
        decoder_outputs = torch.cat(decoder_outputs, dim=1)
        decoder_outputs = F.log_softmax(decoder_outputs, dim=-1)
        attentions = torch.cat(attentions, dim=1)
        return decoder_outputs, decoder_hidden, attentions
    def forward_step(self, input, hidden, encoder_outputs):
        embedded = self.dropout(self.embedding(input))
        query = hidden.permute(1, 0, 2)
        context, attn_weights = self.attention(query, encoder_outputs)
        input_gru = torch.cat((embedded, context), dim=2)
        output, hidden = self.gru(input_gru, hidden)
        output = self.out(output)
        return output, hidden, attn_weights

hidden_size = 16
encoder = EncoderRNN(n_in, hidden_size, dropout_p=0.0).to(device); set_weights(encoder, 1, 0.3)
decoder = AttnDecoderRNN(hidden_size, n_out, dropout_p=0.0).to(device); set_weights(decoder, 2, 0.3)

def train_epoch(dataloader, encoder, decoder, encoder_optimizer, decoder_optimizer, criterion):
    total_loss = 0
    for data in dataloader:
        input_tensor, target_tensor = data
        encoder_optimizer.zero_grad()
        decoder_optimizer.zero_grad()
        encoder_outputs, encoder_hidden = encoder(input_tensor)
        decoder_outputs, _, _ = decoder(encoder_outputs, encoder_hidden, target_tensor)
        loss = criterion(decoder_outputs.view(-1, decoder_outputs.size(-1)), target_tensor.view(-1))
        loss.backward()
        encoder_optimizer.step()
        decoder_optimizer.step()
        total_loss += loss.item()
    return total_loss / len(dataloader)

encoder_optimizer = optim.Adam(encoder.parameters(), lr=0.01)
decoder_optimizer = optim.Adam(decoder.parameters(), lr=0.01)
criterion = nn.NLLLoss()
for epoch in range(1, 7):
    loss = train_epoch(train_dataloader, encoder, decoder, encoder_optimizer, decoder_optimizer, criterion)
    print("check", f"({epoch} {int(epoch / 6 * 100)}%) {loss:.4f}")
with torch.no_grad():
    encoder_outputs, encoder_hidden = encoder(train_data[:4][0])
    decoder_outputs, decoder_hidden, decoder_attn = decoder(encoder_outputs, encoder_hidden)
    _, topi = decoder_outputs.topk(1)
    decoded_ids = topi.squeeze()
    for ids in decoded_ids:
        words = []
        for idx in ids:
            if idx.item() == EOS_token:
                words.append('<EOS>')
                break
            words.append(str(idx.item()))
        print("check", ' '.join(words))
    print("check", tuple(decoder_attn.shape), *decoder_attn[0, 0].tolist())
