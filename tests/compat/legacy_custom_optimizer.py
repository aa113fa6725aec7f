"""A custom optimizer in the style of the many pre-1.5 repositories (AdamW / RAdam copies) that
still run on current torch: a torch.optim.Optimizer subclass with a defaults dict, per-parameter
`self.state[p]` filled when `len(state) == 0`, `torch.zeros_like(p.data)`, the deprecated
number-first overloads `exp_avg.mul_(beta1).add_(1 - beta1, grad)`,
`exp_avg_sq.mul_(beta2).addcmul_(1 - beta2, grad, grad)` and `p.data.addcdiv_(-step_size,
exp_avg, denom)`, decoupled weight decay through `p.data.add_(-lr * wd, p.data)`, a closure,
`@torch.no_grad()` on step; compared with torch.optim.AdamW on the same model. A classifier
whose criterion holds class weights is saved with its loss module (the weights are a buffer)."""
import importlib
import io
import math
import os
import warnings

import numpy as np

torch = importlib.import_module(os.environ.get("COMPAT_TORCH", "lazygrad"))
nn = torch.nn
warnings.simplefilter("ignore", UserWarning)  # (the deprecation warning of the number-first overloads)
rs = np.random.RandomState(0)


class OldAdamW(torch.optim.Optimizer):
    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2):
        if not 0.0 <= lr:
            raise ValueError("Invalid learning rate: {}".format(lr))  # noqa: UP032
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay)  # noqa: C408 (the form they use)
        super(OldAdamW, self).__init__(params, defaults)  # noqa: UP008

    @torch.no_grad()
    def step(self, closure=None):
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        for group in self.param_groups:
            for p in group['params']:
                if p.grad is None:
                    continue
                grad = p.grad.data
                state = self.state[p]
                if len(state) == 0:
                    state['step'] = 0
                    state['exp_avg'] = torch.zeros_like(p.data)
                    state['exp_avg_sq'] = torch.zeros_like(p.data)
                exp_avg, exp_avg_sq = state['exp_avg'], state['exp_avg_sq']
                beta1, beta2 = group['betas']
                state['step'] += 1
                p.data.add_(-group['lr'] * group['weight_decay'], p.data)
                exp_avg.mul_(beta1).add_(1 - beta1, grad)
                exp_avg_sq.mul_(beta2).addcmul_(1 - beta2, grad, grad)
                denom = exp_avg_sq.sqrt().add_(group['eps'])
                bias_correction1 = 1 - beta1 ** state['step']
                bias_correction2 = 1 - beta2 ** state['step']
                step_size = group['lr'] * math.sqrt(bias_correction2) / bias_correction1
                p.data.addcdiv_(-step_size, exp_avg, denom)
        return loss


def model():
    r = np.random.RandomState(1)
    m = nn.Sequential(nn.Linear(5, 8), nn.Tanh(), nn.Linear(8, 3))
    with torch.no_grad():
        for p in m.parameters():
            p.copy_(torch.from_numpy(r.uniform(-0.5, 0.5, tuple(p.shape)).astype(np.float32)))
    return m


X = torch.from_numpy(rs.randn(16, 5).astype(np.float32))
Y = torch.from_numpy(rs.randint(0, 3, 16))
criterion = nn.CrossEntropyLoss(weight=torch.tensor([1.0, 2.0, 0.5]))
ours, reference = model(), model()
opt = OldAdamW(ours.parameters(), lr=0.05, weight_decay=0.1)
ref = torch.optim.AdamW(reference.parameters(), lr=0.05, weight_decay=0.1)
for step in range(5):
    def closure():
        opt.zero_grad()
        loss = criterion(ours(X), Y)
        loss.backward()
        return loss
    loss = opt.step(closure)
    ref.zero_grad()
    ref_loss = criterion(reference(X), Y)
    ref_loss.backward()
    ref.step()
    print(f"check step {step} loss {loss.item():.6f} reference {ref_loss.item():.6f}", opt.state[ours[0].weight]['step'],
          round(ours[2].bias.sum().item(), 5), round(reference[2].bias.sum().item(), 5))
buf = io.BytesIO()
torch.save(nn.ModuleDict({"net": ours, "criterion": criterion}).state_dict(), buf)
buf.seek(0)
saved = torch.load(buf)
print("check saved keys", sorted(saved), saved["criterion.weight"].tolist())
again = nn.ModuleDict({"net": model(), "criterion": nn.CrossEntropyLoss(weight=torch.ones(3))})
print("check loaded", again.load_state_dict(saved), again["criterion"].weight.tolist(),
      round(again["criterion"](again["net"](X), Y).item(), 6))
print("check optimizer state", sorted(opt.state_dict()["state"][0]), opt.state_dict()["param_groups"][0]["betas"])
