"""The torch.func tutorials "Model ensembling" and "Per-sample gradients", as they write them:
stack_module_state over a list of MLPs, vmap of functional_call over the stacked parameters
(in_dims (0, 0, None) for one minibatch, 0 for one minibatch each), grad over a dict of
parameters vmapped over the samples and checked against a loop of autograd.grad, and the
stacked parameters trained by one optimizer. The tutorials make the base model on the 'meta'
device, which lazygrad lacks; a copy of the first model stands in. Weights come from numpy."""
import copy
import importlib
import os

import numpy as np

torch = importlib.import_module(os.environ.get("COMPAT_TORCH", "lazygrad"))
nn = torch.nn
F = torch.nn.functional
from_func = importlib.import_module(torch.__name__ + ".func")
stack_module_state, functional_call, vmap, grad = (from_func.stack_module_state, from_func.functional_call,
                                                   from_func.vmap, from_func.grad)
torch.manual_seed(0)
rs = np.random.RandomState(0)


class SimpleMLP(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(12, 16)
        self.fc2 = nn.Linear(16, 8)
        self.fc3 = nn.Linear(8, 3)

    def forward(self, x):
        x = x.flatten(1)
        x = F.relu(self.fc1(x))
        x = F.relu(self.fc2(x))
        return self.fc3(x)


def seeded(model, seed):
    r = np.random.RandomState(seed)
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(torch.from_numpy(r.uniform(-0.3, 0.3, tuple(p.shape)).astype(np.float32)))
    return model


num_models = 2
data = torch.from_numpy(rs.randn(4, 3, 4).astype(np.float32))
targets = torch.from_numpy(rs.randint(0, 3, 4))
models = [seeded(SimpleMLP(), i) for i in range(num_models)]
minibatches = data[:3].unsqueeze(0).expand(num_models, -1, -1, -1)
predictions_loop = [model(minibatch) for model, minibatch in zip(models, minibatches)]

params, buffers = stack_module_state(models)
base_model = copy.deepcopy(models[0])


def fmodel(params, buffers, x):
    return functional_call(base_model, (params, buffers), (x,))


same_minibatch = vmap(fmodel, in_dims=(0, 0, None))(params, buffers, data[:3])
print("check same minibatch", tuple(same_minibatch.shape), f"{same_minibatch.sum().item():.5f}",
      torch.allclose(same_minibatch, torch.stack([m(data[:3]) for m in models]), atol=1e-5))
different = vmap(fmodel)(params, buffers, minibatches)
print("check different minibatches", torch.allclose(different, torch.stack(predictions_loop), atol=1e-5))

model = models[0]
params = {k: v.detach() for k, v in model.named_parameters()}
buffers = {k: v.detach() for k, v in model.named_buffers()}


def compute_loss(params, buffers, sample, target):
    batch, targets = sample.unsqueeze(0), target.unsqueeze(0)
    predictions = F.log_softmax(functional_call(model, (params, buffers), (batch,)), -1)
    return F.nll_loss(predictions, targets)


ft_per_sample_grads = vmap(grad(compute_loss), in_dims=(None, None, 0, 0))(params, buffers, data, targets)


def compute_grad(sample, target):
    loss = F.nll_loss(F.log_softmax(model(sample.unsqueeze(0)), -1), target.unsqueeze(0))
    return torch.autograd.grad(loss, list(model.parameters()))


per_sample_grads = [torch.stack(s) for s in zip(*[compute_grad(data[i], targets[i]) for i in range(4)])]
for (name, ft), pg in zip(ft_per_sample_grads.items(), per_sample_grads):
    print("check per-sample", name, tuple(ft.shape), torch.allclose(pg, ft, atol=3e-3, rtol=1e-5),
          f"{ft.abs().sum().item():.5f}")

params, buffers = stack_module_state(models)
opt = torch.optim.SGD(params.values(), lr=0.1)
for step in range(3):
    opt.zero_grad()
    logits = vmap(fmodel, in_dims=(0, 0, None))(params, buffers, data)
    loss = F.cross_entropy(logits.reshape(-1, 3), targets.repeat(num_models))
    loss.backward()
    opt.step()
    print("check ensemble step", step, f"{loss.item():.5f}", params["fc1.weight"].is_leaf)
