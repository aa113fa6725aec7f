"""LR schedulers (OneCycleLR, ReduceLROnPlateau, CosineAnnealingWarmRestarts, SequentialLR of
LinearLR and ExponentialLR, ChainedScheduler, CyclicLR, MultiplicativeLR, PolynomialLR) with
SGD, Adam, AdamW, RMSprop, NAdam and ASGD: six steps, a checkpoint of model, optimizer and
scheduler state_dicts saved with torch.save mid-run, six more steps, and the same six again
from the checkpoint, which must give the same losses (`cont == resumed`)."""
import importlib
import os
import tempfile

import numpy as np

torch = importlib.import_module(os.environ.get("COMPAT_TORCH", "lazygrad"))
nn = torch.nn
F = torch.nn.functional
optim = torch.optim
lr_scheduler = torch.optim.lr_scheduler


def set_weights(model, seed, scale=0.2):
    """Torch's and lazygrad's random streams differ: every parameter is set from numpy."""
    rs = np.random.RandomState(seed)
    with torch.no_grad():
        for _, p in model.named_parameters():
            p.copy_(torch.from_numpy((rs.standard_normal(tuple(p.shape)) * scale).astype(np.float32)))

rs = np.random.RandomState(0)
X = torch.from_numpy(rs.randn(32, 6).astype(np.float32)); Y = torch.from_numpy(rs.randn(32, 1).astype(np.float32))

def make(kind):
    model = nn.Sequential(nn.Linear(6, 8), nn.Tanh(), nn.Linear(8, 1)); set_weights(model, 7, 0.3)
    if kind == "onecycle":
        opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
        sch = lr_scheduler.OneCycleLR(opt, max_lr=0.1, total_steps=12, pct_start=0.3, anneal_strategy="cos")
    elif kind == "plateau":
        opt = torch.optim.Adam(model.parameters(), lr=0.05)
        sch = lr_scheduler.ReduceLROnPlateau(opt, mode="min", factor=0.5, patience=1, threshold=0.5)
    elif kind == "warm":
        opt = torch.optim.SGD(model.parameters(), lr=0.1)
        sch = lr_scheduler.CosineAnnealingWarmRestarts(opt, T_0=3, T_mult=2, eta_min=0.001)
    elif kind == "seq":
        opt = torch.optim.AdamW(model.parameters(), lr=0.05)
        s1 = lr_scheduler.LinearLR(opt, start_factor=0.1, total_iters=3)
        s2 = lr_scheduler.ExponentialLR(opt, gamma=0.8)
        sch = lr_scheduler.SequentialLR(opt, schedulers=[s1, s2], milestones=[3])
    elif kind == "chain":
        opt = torch.optim.RMSprop(model.parameters(), lr=0.01)
        sch = lr_scheduler.ChainedScheduler([lr_scheduler.ConstantLR(opt, factor=0.5, total_iters=2), lr_scheduler.ExponentialLR(opt, gamma=0.9)])
    elif kind == "cyclic":
        opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
        sch = lr_scheduler.CyclicLR(opt, base_lr=0.001, max_lr=0.05, step_size_up=2, mode="triangular2")
    elif kind == "lambda":
        opt = torch.optim.NAdam(model.parameters(), lr=0.02)
        sch = lr_scheduler.MultiplicativeLR(opt, lr_lambda=lambda e: 0.95)
    elif kind == "asgd":
        opt = torch.optim.ASGD(model.parameters(), lr=0.05, t0=3)
        sch = lr_scheduler.PolynomialLR(opt, total_iters=8, power=2.0)
    return model, opt, sch

def step(model, opt, sch, kind, i):
    opt.zero_grad()
    loss = nn.functional.mse_loss(model(X), Y)
    loss.backward(); opt.step()
    if kind == "plateau":
        sch.step(loss.item() if i % 3 else 10.0)
    else:
        sch.step()
    return loss.item()

for kind in ["onecycle", "plateau", "warm", "seq", "chain", "cyclic", "lambda", "asgd"]:
    model, opt, sch = make(kind)
    losses = [step(model, opt, sch, kind, i) for i in range(6)]
    path = os.path.join(tempfile.mkdtemp(), f"ckpt_{kind}.pt")
    torch.save({"epoch": 6, "model_state_dict": model.state_dict(), "optimizer_state_dict": opt.state_dict(),
                "scheduler_state_dict": sch.state_dict(), "loss": losses[-1]}, path)
    cont = [step(model, opt, sch, kind, i) for i in range(6, 12)]
    model2, opt2, sch2 = make(kind)
    ck = torch.load(path, weights_only=False)
    model2.load_state_dict(ck["model_state_dict"]); opt2.load_state_dict(ck["optimizer_state_dict"]); sch2.load_state_dict(ck["scheduler_state_dict"])
    resumed = [step(model2, opt2, sch2, kind, i) for i in range(6, 12)]
    lr = sch.get_last_lr() if kind != "plateau" else [g["lr"] for g in opt.param_groups]
    print("check", kind, *(f"{v:.6f}" for v in losses + cont), cont == resumed, *(f"{x:.6f}" for x in lr), ck["epoch"])
