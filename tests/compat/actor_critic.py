"""Actor-critic in the shape of pytorch/examples' reinforcement_learning/actor_critic.py: a Policy
with a shared Linear layer, an action head and a value head, `F.softmax(..., dim=-1)`,
`Categorical(probs)` sampling with `m.log_prob(action)`, SavedAction namedtuples, returns
accumulated with `returns.insert(0, R)`, normalised by `(returns - returns.mean()) /
(returns.std() + eps)` with `eps = np.finfo(np.float32).eps.item()` and
`torch.finfo(torch.float32).eps`, `F.smooth_l1_loss(value, torch.tensor([R]))` (rewards are np.float64,
so the returns are float64, as in torch),
`torch.stack(policy_losses).sum() + torch.stack(value_losses).sum()`, and `del` of the
episode buffers. The environment is a toy of our own; actions are drawn by numpy from the
probabilities the network gives (the libraries' generators differ)."""
import importlib
import os
from collections import namedtuple

import numpy as np

torch = importlib.import_module(os.environ.get("COMPAT_TORCH", "lazygrad"))
nn = torch.nn
F = torch.nn.functional
optim = torch.optim
Categorical = torch.distributions.Categorical
SavedAction = namedtuple('SavedAction', ['log_prob', 'value'])
rs = np.random.RandomState(0)
gamma = 0.99
eps = np.finfo(np.float32).eps.item()


class Policy(nn.Module):
    def __init__(self):
        super().__init__()
        self.affine1 = nn.Linear(4, 16)
        self.action_head = nn.Linear(16, 2)
        self.value_head = nn.Linear(16, 1)
        self.saved_actions = []
        self.rewards = []

    def forward(self, x):
        x = F.relu(self.affine1(x))
        action_prob = F.softmax(self.action_head(x), dim=-1)
        state_values = self.value_head(x)
        return action_prob, state_values


model = Policy()
with torch.no_grad():
    for p in model.parameters():
        p.copy_(torch.from_numpy(rs.uniform(-0.5, 0.5, tuple(p.shape)).astype(np.float32)))
optimizer = optim.Adam(model.parameters(), lr=3e-2)


def select_action(state):
    state = torch.from_numpy(state).float()
    probs, state_value = model(state)
    m = Categorical(probs)
    action = torch.tensor(int(rs.rand() < probs[1].item()))
    model.saved_actions.append(SavedAction(m.log_prob(action), state_value))
    return action.item(), m


def finish_episode():
    R = 0
    saved_actions = model.saved_actions
    policy_losses = []
    value_losses = []
    returns = []
    for r in model.rewards[::-1]:
        R = r + gamma * R
        returns.insert(0, R)
    returns = torch.tensor(returns)
    returns = (returns - returns.mean()) / (returns.std() + eps)
    for (log_prob, value), R in zip(saved_actions, returns):
        advantage = R - value.item()
        policy_losses.append(-log_prob * advantage)
        value_losses.append(F.smooth_l1_loss(value, torch.tensor([R])))
    optimizer.zero_grad()
    loss = torch.stack(policy_losses).sum() + torch.stack(value_losses).sum()
    loss.backward()
    optimizer.step()
    del model.rewards[:]
    del model.saved_actions[:]
    return loss, returns


running_reward = 10
for i_episode in range(1, 5):
    state, ep_reward = rs.uniform(-0.05, 0.05, 4), 0
    for t in range(1, 8):
        action, m = select_action(state)
        state = state + (0.1 if action else -0.1) * np.array([1.0, 0.5, -0.3, 0.2])
        reward = 1.0 - abs(state[0])  # (np.float64, as environments give it: returns are float64 then)
        model.rewards.append(reward)
        ep_reward += reward
    running_reward = 0.05 * ep_reward + (1 - 0.05) * running_reward
    loss, returns = finish_episode()
    print(f'check Episode {i_episode}\tLast reward: {ep_reward:.2f}\tAverage reward: {running_reward:.2f}\tloss {loss.item():.5f}', str(returns.dtype).split(".")[-1], str(loss.dtype).split(".")[-1],
        round(m.entropy().item(), 5), [round(v, 5) for v in m.probs.tolist()], [round(v, 5) for v in m.logits.tolist()])
fi = torch.finfo(torch.float32)
print("check finfo", fi.eps, fi.tiny, fi.max, fi.min, fi.bits, fi.resolution, torch.finfo(torch.float64).eps,
      torch.iinfo(torch.int64).max, torch.finfo().eps)
print("check eps", returns.std().item() + torch.finfo(torch.float32).eps > 0, eps == fi.eps)
