"""pygcn (Kipf & Welling) as its train.py writes it: a GraphConvolution layer over a
torch.sparse_coo_tensor adjacency (torch.spmm, torch.sparse.mm, Tensor @ sparse), legacy
torch.FloatTensor/LongTensor constructors (LongTensor(range(n))), weights set through
`.data =`, dropout, log_softmax, nll_loss over index and boolean masks, Adam with weight decay,
and sparse sum/transpose/softmax/coalesce. A 20-node synthetic graph."""
import importlib
import math
import os

import numpy as np

torch = importlib.import_module(os.environ.get("COMPAT_TORCH", "lazygrad"))
nn = torch.nn
F = torch.nn.functional
optim = torch.optim


rs = np.random.RandomState(0)
N, FEAT, HID, C = 20, 6, 8, 3
edges = rs.randint(0, N, (2, 40))
edges = np.concatenate([edges, edges[::-1]], 1)

def encode_onehot(labels):
    classes = set(labels)
    classes_dict = {c: np.identity(len(classes))[i, :] for i, c in enumerate(classes)}
    return np.array(list(map(classes_dict.get, labels)), dtype=np.int32)

def normalize_dense(mx):
    rowsum = np.array(mx.sum(1))
    r_inv = np.power(rowsum, -1).flatten()
    r_inv[np.isinf(r_inv)] = 0.
    return np.diag(r_inv).dot(mx)

adj_dense = np.zeros((N, N), np.float32); adj_dense[edges[0], edges[1]] = 1
adj_dense = normalize_dense(adj_dense + np.eye(N, dtype=np.float32)).astype(np.float32)
features = torch.FloatTensor(normalize_dense(rs.rand(N, FEAT)).astype(np.float32))
labels = torch.LongTensor(np.where(encode_onehot(list(rs.randint(0, C, N))))[1])
idx = np.nonzero(adj_dense)
adj = torch.sparse_coo_tensor(torch.LongTensor(np.vstack(idx).astype(np.int64)), torch.FloatTensor(adj_dense[idx]), torch.Size([N, N]))
print("check", adj.is_sparse, tuple(adj.shape), adj._nnz(), tuple(adj.coalesce().indices().shape))
idx_train, idx_val = torch.LongTensor(range(10)), torch.LongTensor(range(10, 15))

class GraphConvolution(nn.Module):
    def __init__(self, in_features, out_features, bias=True):
        super().__init__()
        self.weight = nn.Parameter(torch.FloatTensor(in_features, out_features))
        self.bias = nn.Parameter(torch.FloatTensor(out_features)) if bias else None
        self.reset_parameters(in_features)
    def reset_parameters(self, seed):
        stdv = 1. / math.sqrt(self.weight.size(1))
        r = np.random.RandomState(seed)
        self.weight.data = torch.from_numpy(r.uniform(-stdv, stdv, tuple(self.weight.shape)).astype(np.float32))
        self.bias.data.uniform_(-stdv, stdv); self.bias.data.zero_()
    def forward(self, input, adj):
        support = torch.mm(input, self.weight)
        output = torch.spmm(adj, support)
        return output + self.bias
    def __repr__(self):
        return self.__class__.__name__ + ' (' + str(self.weight.shape[0]) + ' -> ' + str(self.weight.shape[1]) + ')'

class GCN(nn.Module):
    def __init__(self, nfeat, nhid, nclass, dropout):
        super().__init__()
        self.gc1 = GraphConvolution(nfeat, nhid)
        self.gc2 = GraphConvolution(nhid, nclass)
        self.dropout = dropout
    def forward(self, x, adj):
        x = F.relu(self.gc1(x, adj))
        x = F.dropout(x, self.dropout, training=self.training)
        x = self.gc2(x, adj)
        return F.log_softmax(x, dim=1)

def accuracy(output, labels):
    preds = output.max(1)[1].type_as(labels)
    correct = preds.eq(labels).double()
    correct = correct.sum()
    return correct / len(labels)

model = GCN(FEAT, HID, C, dropout=0.0)
print("check", model)
optimizer = optim.Adam(model.parameters(), lr=0.01, weight_decay=5e-4)
for epoch in range(10):
    model.train()
    optimizer.zero_grad()
    output = model(features, adj)
    loss_train = F.nll_loss(output[idx_train], labels[idx_train])
    acc_train = accuracy(output[idx_train], labels[idx_train])
    loss_train.backward()
    optimizer.step()
    model.eval()
    output = model(features, adj)
    loss_val = F.nll_loss(output[idx_val], labels[idx_val])
    print("check", f'Epoch: {epoch+1:04d}', f'loss_train: {loss_train.item():.4f}',
          f'acc_train: {acc_train.item():.4f}', f'loss_val: {loss_val.item():.4f}')
mask = torch.zeros(N, dtype=torch.bool); mask[:12] = True
out = model(features, adj)
print("check", "masked", F.nll_loss(out[mask], labels[mask]).item(), (out.argmax(1)[mask] == labels[mask]).sum().item() / mask.sum().item())
print("check", torch.sparse.mm(adj, features).sum().item(), tuple((adj @ features).shape), adj.to_dense().sum().item())
a2 = torch.sparse.sum(adj, dim=1).to_dense()
print("check", a2[:4].tolist())
deg = torch.sparse_coo_tensor(torch.arange(N).repeat(2, 1), torch.ones(N) * 2, (N, N))
print("check", (deg + adj).coalesce().values().sum().item(), adj.t().coalesce().indices()[:, :3].tolist())
w = torch.randn(FEAT, 2, requires_grad=True)
torch.sparse.mm(adj, features @ w).sum().backward()
print("check", tuple(w.grad.shape), torch.sparse.mm(adj, features @ w.detach()).shape == (N, 2))
print("check", torch.sparse.softmax(adj, dim=1).to_dense().sum(1)[:3].tolist())
