"""A graph attention network in the shape of pytorch/examples' gat: a GraphAttentionLayer with
`nn.Parameter(torch.empty(...))` reset by xavier_normal_ (then numpy), multi-head projections
through `torch.matmul` and `.view(n, heads, out)`, attention scores from
`source_scores + target_scores.mT`, LeakyReLU, masking with `torch.where(adj_mat > 0, e,
-9e15 * torch.ones_like(e))`, softmax over neighbours, dropout in eval mode, `.mean(dim=1)`
vs `.reshape` concat, ELU; edge-list message passing with index_select, index_add_ and
scatter_add_, a scatter softmax over edges, NLLLoss on log_softmax, Adam with weight_decay,
masked train/val accuracy with `argmax` and `eq`, and `torch.manual_seed` reproducibility."""
import importlib
import os

import numpy as np

torch = importlib.import_module(os.environ.get("COMPAT_TORCH", "lazygrad"))
nn = torch.nn
F = torch.nn.functional
rs = np.random.RandomState(0)


class GraphAttentionLayer(nn.Module):
    def __init__(self, in_features: int, out_features: int, n_heads: int, concat: bool = False,
                 dropout: float = 0.4, leaky_relu_slope: float = 0.2):
        super().__init__()
        self.n_heads = n_heads
        self.concat = concat
        self.dropout = dropout
        if concat:
            self.out_features = out_features
            assert out_features % n_heads == 0
            self.n_hidden = out_features // n_heads
        else:
            self.n_hidden = out_features
        self.W = nn.Parameter(torch.empty(size=(in_features, self.n_hidden * n_heads)))
        self.a = nn.Parameter(torch.empty(size=(n_heads, 2 * self.n_hidden, 1)))
        self.leakyrelu = nn.LeakyReLU(leaky_relu_slope)
        self.softmax = nn.Softmax(dim=1)
        self.reset_parameters()

    def reset_parameters(self):
        nn.init.xavier_normal_(self.W)
        nn.init.xavier_normal_(self.a)

    def _get_attention_scores(self, h_transformed):
        source_scores = torch.matmul(h_transformed, self.a[:, :self.n_hidden, :])
        target_scores = torch.matmul(h_transformed, self.a[:, self.n_hidden:, :])
        e = source_scores + target_scores.mT
        return self.leakyrelu(e)

    def forward(self, h, adj_mat):
        n_nodes = h.shape[0]
        h_transformed = torch.mm(h, self.W)
        h_transformed = F.dropout(h_transformed, self.dropout, training=self.training)
        h_transformed = h_transformed.view(n_nodes, self.n_heads, self.n_hidden).permute(1, 0, 2)
        e = self._get_attention_scores(h_transformed)
        connectivity_mask = -9e16 * torch.ones_like(e)
        e = torch.where(adj_mat > 0, e, connectivity_mask)
        attention = F.softmax(e, dim=-1)
        attention = F.dropout(attention, self.dropout, training=self.training)
        h_prime = torch.matmul(attention, h_transformed)
        if self.concat:
            h_prime = h_prime.permute(1, 0, 2).contiguous().view(n_nodes, self.out_features)
        else:
            h_prime = h_prime.mean(dim=0)
        return h_prime


class GAT(nn.Module):
    def __init__(self, in_features, n_hidden, n_heads, num_classes, concat=False, dropout=0.4):
        super().__init__()
        self.gat1 = GraphAttentionLayer(in_features=in_features, out_features=n_hidden, n_heads=n_heads,
                                        concat=concat, dropout=dropout)
        self.gat2 = GraphAttentionLayer(in_features=n_hidden, out_features=num_classes, n_heads=1,
                                        concat=False, dropout=dropout)

    def forward(self, input_tensor: torch.Tensor, adj_mat: torch.Tensor):
        x = self.gat1(input_tensor, adj_mat)
        x = F.elu(x)
        x = self.gat2(x, adj_mat)
        return F.log_softmax(x, dim=1)


N, FEAT, C = 10, 6, 3
features = torch.from_numpy(rs.rand(N, FEAT).astype(np.float32))
edges = rs.randint(0, N, (2, 24))
edge_index = torch.from_numpy(np.concatenate([edges, np.stack([np.arange(N)] * 2)], 1))
adj_mat = torch.zeros(N, N, dtype=torch.long)
adj_mat[edge_index[0], edge_index[1]] = 1
adj_mat = adj_mat.to(torch.bool) | adj_mat.t().bool()
labels = torch.from_numpy(rs.randint(0, C, N))
idx = torch.randperm(N) if False else torch.arange(N)
idx_train, idx_val = idx[:6], idx[6:]
print("check adj", adj_mat.dtype == torch.bool, adj_mat.sum().item(), adj_mat.int().sum(dim=1).tolist())
torch.manual_seed(13)
gat_net = GAT(in_features=FEAT, n_hidden=8, n_heads=2, num_classes=C, concat=True, dropout=0.5)
w1 = gat_net.gat1.W.detach().clone()
torch.manual_seed(13)
w2 = GAT(in_features=FEAT, n_hidden=8, n_heads=2, num_classes=C, concat=True).gat1.W
print("check seed", bool(torch.equal(w1, w2)), tuple(gat_net.gat1.a.shape))
with torch.no_grad():
    for p in gat_net.parameters():
        p.copy_(torch.from_numpy(rs.normal(0, 0.5, tuple(p.shape)).astype(np.float32)))
optimizer = torch.optim.Adam(gat_net.parameters(), lr=0.05, weight_decay=5e-4)
criterion = nn.NLLLoss()
gat_net.eval()  # dropout off: its masks come from the library's generator
for epoch in range(4):
    optimizer.zero_grad()
    y = gat_net(features, adj_mat)
    loss = criterion(y[idx_train], labels[idx_train])
    loss.backward()
    optimizer.step()
    with torch.no_grad():
        out = gat_net(features, adj_mat)
        val_loss = criterion(out[idx_val], labels[idx_val]).item()
        acc = (out[idx_val].argmax(dim=1) == labels[idx_val]).sum().item() / idx_val.numel()
    print(f"check Epoch {epoch:02d} | Train loss {loss.item():.4f} | Val loss {val_loss:.4f} | Val acc {acc:.3f}")

# edge-list message passing: per-edge scores, a softmax over each node's incoming edges
src, dst = edge_index[0], edge_index[1]
h = features @ torch.from_numpy(rs.normal(0, 0.5, (FEAT, 4)).astype(np.float32)).requires_grad_()
att = torch.from_numpy(rs.normal(0, 0.5, (8,)).astype(np.float32)).requires_grad_()
score = F.leaky_relu(torch.cat([h.index_select(0, src), h.index_select(0, dst)], dim=1) @ att, 0.2)
smax = torch.zeros(N).scatter_reduce(0, dst, score, reduce="amax", include_self=False)
ex = (score - smax[dst]).exp()
denom = torch.zeros(N).scatter_add_(0, dst, ex)
alpha = ex / denom[dst]
msg = h[src] * alpha.unsqueeze(-1)
agg = torch.zeros(N, 4).index_add_(0, dst, msg)
out = F.elu(agg)
out.pow(2).sum().backward()
print("check edges", round(alpha.sum().item(), 4), [round(v, 4) for v in out.sum(0).tolist()],
      round(att.grad.abs().sum().item(), 4))
deg = torch.zeros(N, dtype=torch.long).scatter_(0, dst, torch.ones_like(dst), reduce="add")
print("check deg", deg.tolist(), torch.bincount(dst, minlength=N).tolist())
