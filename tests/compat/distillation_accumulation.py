"""Knowledge distillation as training scripts write it: KLDivLoss(batchmean, log_target) at a
temperature plus label-smoothed cross entropy, gradient accumulation with clip_grad_norm_,
AdamW parameter groups (no weight decay on biases and norms, their own lr), register_buffer
(a non-persistent step counter), LambdaLR warmup with one lambda per group and its
state_dict, clip_grad_value_ and get_total_norm. Weights come from numpy."""
import importlib
import os

import numpy as np

torch = importlib.import_module(os.environ.get("COMPAT_TORCH", "lazygrad"))
nn = torch.nn
F = torch.nn.functional

class Net(nn.Module):
    def __init__(self, d_in, hidden, n_out):
        super().__init__()
        self.register_buffer("mean", torch.zeros(d_in))
        self.register_buffer("std", torch.ones(d_in))
        self.register_buffer("steps", torch.tensor(0), persistent=False)
        self.body = nn.Sequential(nn.Linear(d_in, hidden), nn.LayerNorm(hidden), nn.GELU(approximate="tanh"),
                                  nn.Dropout(0.0), nn.Linear(hidden, n_out))
    def forward(self, x):
        if self.training:
            self.steps += 1
        return self.body((x - self.mean) / self.std)

def numpy_init(model, seed):
    r = np.random.RandomState(seed)
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(torch.from_numpy(r.normal(0, 0.5, tuple(p.shape)).astype(np.float32)))

r = np.random.RandomState(0)
X = torch.from_numpy(r.normal(size=(32, 6)).astype(np.float32))
Y = torch.from_numpy(r.randint(0, 4, 32))
teacher, student = Net(6, 16, 4), Net(6, 5, 4)
numpy_init(teacher, 1)
numpy_init(student, 2)
teacher.mean.copy_(X.mean(0))
teacher.std.copy_(X.std(0, unbiased=False))
student.load_state_dict({k: v for k, v in teacher.state_dict().items() if k in ("mean", "std")}, strict=False)
print("check sd", sorted(student.state_dict().keys())[:3], "steps" in student.state_dict())
teacher.eval()
decay, no_decay = [], []
for name, p in student.named_parameters():
    if not p.requires_grad:
        continue
    (no_decay if p.ndim == 1 or name.endswith(".bias") else decay).append(p)
opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.05}, {"params": no_decay, "weight_decay": 0.0, "lr": 3e-3}],
                        lr=1e-2, betas=(0.9, 0.98), eps=1e-6)
warmup = 3
sched = torch.optim.lr_scheduler.LambdaLR(opt, lr_lambda=[lambda s: min(1.0, (s + 1) / warmup), lambda s: 0.5 ** s])
kl = nn.KLDivLoss(reduction="batchmean", log_target=True)
T, alpha, accum = 2.0, 0.7, 2
for epoch in range(3):
    student.train()
    opt.zero_grad()
    for i, (xb, yb) in enumerate(zip(X.split(8), Y.split(8))):
        with torch.no_grad():
            t_logits = teacher(xb)
        s_logits = student(xb)
        soft = kl(F.log_softmax(s_logits / T, dim=-1), F.log_softmax(t_logits / T, dim=-1)) * (T * T)
        hard = F.cross_entropy(s_logits, yb, label_smoothing=0.1)
        loss = (alpha * soft + (1 - alpha) * hard) / accum
        loss.backward()
        if (i + 1) % accum == 0:
            norm = torch.nn.utils.clip_grad_norm_(student.parameters(), max_norm=0.5, norm_type=2.0)
            opt.step()
            opt.zero_grad(set_to_none=True)
            print("check step", epoch, i, f"{loss.item() * accum:.5f}", f"{norm.item():.5f}")
    sched.step()
    print("check lr", epoch, *[f"{g['lr']:.6f}" for g in opt.param_groups], *[f"{v:.6f}" for v in sched.get_last_lr()])
print("check steps", student.steps.item(), teacher.steps.item())
with torch.no_grad():
    p = F.softmax(student(X), -1)
    q = F.softmax(teacher(X), -1)
    print("check kl", round(F.kl_div(p.log(), q, reduction="sum").item(), 5), round(F.kl_div(p.log(), q.log(), reduction="mean", log_target=True).item(), 6))
    print("check kl none", tuple(F.kl_div(p.log(), q, reduction="none").shape))
for p_ in student.parameters():
    p_.grad = torch.ones_like(p_) * 3
print("check clipv", end=" ")
torch.nn.utils.clip_grad_value_(student.parameters(), clip_value=1.0)
print(student.body[0].weight.grad.max().item(), f"{torch.nn.utils.clip_grad_norm_(student.parameters(), 1.0, norm_type='inf').item():.4f}")
gn = torch.nn.utils.get_total_norm([p_.grad for p_ in student.parameters()])
print("check total", f"{gn.item():.4f}")
sd = sched.state_dict()
print("check sched", sd["last_epoch"], sd["base_lrs"], sd["_step_count"], sorted(sd.keys())[:4])
