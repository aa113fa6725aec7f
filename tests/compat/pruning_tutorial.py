"""'Pruning Tutorial', as the tutorial writes it: LeNet's conv1 pruned at random, its bias by L1,
its weight again by L2 channels (a PruningContainer), the parameters, buffers and state_dict
after pruning, remove, pruning in a loop over named_modules, global L1 pruning with the
sparsity of each layer, a walk over the module's forward pre-hooks to its PruningContainer, and
a pruning method of one's own. Weights are set from numpy (with no ties in |w|), and where the
random generators differ only counts are printed."""
import importlib
import os

import numpy as np

torch = importlib.import_module(os.environ.get("COMPAT_TORCH", "lazygrad"))
prune = importlib.import_module(torch.__name__ + ".nn.utils.prune")
nn = torch.nn
F = torch.nn.functional


class LeNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 6, 3)
        self.conv2 = nn.Conv2d(6, 16, 3)
        self.fc1 = nn.Linear(16 * 5 * 5, 120)
        self.fc2 = nn.Linear(120, 84)
        self.fc3 = nn.Linear(84, 10)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv1(x)), (2, 2))
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        x = x.view(-1, int(x.nelement() / x.shape[0]))
        x = F.relu(self.fc1(x))
        x = F.relu(self.fc2(x))
        return self.fc3(x)


def set_weights(model, seed):
    rs = np.random.RandomState(seed)
    with torch.no_grad():
        for p in model.parameters():
            n = p.nelement()
            values = (rs.permutation(n) + 1) * rs.choice([-1.0, 1.0], n) / (n * np.sqrt(n))
            p.copy_(torch.tensor(values.astype(np.float32).reshape(tuple(p.shape))))


def zeros(t):
    return int(torch.sum(t == 0))


model = LeNet()
set_weights(model, 0)
module = model.conv1
print("check params", *[name for name, _ in module.named_parameters()])

prune.random_unstructured(module, name="weight", amount=0.3)
print("check params", *[name for name, _ in module.named_parameters()])
print("check buffers", *[name for name, _ in module.named_buffers()])
print("check random_zeros", zeros(module.weight), zeros(module.weight_mask))
print("check hooks", len(module._forward_pre_hooks))

prune.l1_unstructured(module, name="bias", amount=3)
print("check bias", *module.bias.tolist())
print("check bias_mask", *module.bias_mask.tolist())

prune.ln_structured(module, name="weight", amount=0.5, n=2, dim=0)
pruned_channels = sum(1 for c in range(6) if zeros(module.weight[c]) == module.weight[c].nelement())
print("check pruned_channels", pruned_channels)
for hook in module._forward_pre_hooks.values():
    if hook._tensor_name == "weight":
        break
print("check history", *[type(method).__name__ for method in hook])
print("check state_dict", *model.state_dict().keys())

prune.remove(module, "weight")
print("check params", *[name for name, _ in module.named_parameters()])
print("check buffers", *[name for name, _ in module.named_buffers()])

new_model = LeNet()
set_weights(new_model, 1)
for name, module in new_model.named_modules():
    if isinstance(module, torch.nn.Conv2d):
        prune.l1_unstructured(module, name="weight", amount=0.2)
    elif isinstance(module, torch.nn.Linear):
        prune.l1_unstructured(module, name="weight", amount=0.4)
print("check masks", *dict(new_model.named_buffers()).keys())
print("check loop_zeros", *[zeros(m.weight) for m in (new_model.conv1, new_model.conv2, new_model.fc1)])

model = LeNet()
set_weights(model, 2)
parameters_to_prune = (
    (model.conv1, "weight"),
    (model.conv2, "weight"),
    (model.fc1, "weight"),
    (model.fc2, "weight"),
    (model.fc3, "weight"),
)
prune.global_unstructured(parameters_to_prune, pruning_method=prune.L1Unstructured, amount=0.2)
for layer in ("conv1", "conv2", "fc1", "fc2", "fc3"):
    weight = getattr(model, layer).weight
    print("check sparsity", layer, f"{100.0 * float(torch.sum(weight == 0)) / float(weight.nelement()):.2f}")
total = sum(zeros(m.weight) for m, _ in parameters_to_prune)
print("check global_zeros", total, sum(m.weight.nelement() for m, _ in parameters_to_prune))
x = torch.tensor(np.cos(np.arange(2 * 28 * 28, dtype=np.float32)).reshape(2, 1, 28, 28))
out = model(x)
print("check output", *[f"{v:.5f}" for v in out.sum(1).tolist()])
out.sum().backward()
print("check grad_zeros", zeros(model.fc3.weight_orig.grad) >= zeros(model.fc3.weight_mask))


class FooBarPruningMethod(prune.BasePruningMethod):
    """Prune every other entry in a tensor"""

    PRUNING_TYPE = "unstructured"

    def compute_mask(self, t, default_mask):
        mask = default_mask.clone()
        mask.view(-1)[::2] = 0
        return mask


def foobar_unstructured(module, name):
    FooBarPruningMethod.apply(module, name)
    return module


model = LeNet()
set_weights(model, 3)
foobar_unstructured(model.fc3, name="bias")
print("check foobar", *model.fc3.bias_mask.tolist())
print("check is_pruned", prune.is_pruned(model), prune.is_pruned(LeNet()))
