"""The DQN tutorial's training loop on a toy environment of our own: a replay memory of
namedtuples in a deque sampled with random.sample, policy and target nets, epsilon-greedy
actions (`max(1).indices.view(1, 1)`), a batch assembled with zip(*transitions) and a
non-final mask written through boolean indexing, gather, SmoothL1Loss, clip_grad_value_,
AdamW with amsgrad, the target's soft update through state_dict/load_state_dict, and the
optimizer's step count read back with `state[p]["step"].item()`. Weights are set from numpy
so that torch and lazygrad start alike."""
import importlib
import math
import os
import random
from collections import deque, namedtuple

import numpy as np

torch = importlib.import_module(os.environ.get("COMPAT_TORCH", "lazygrad"))
nn = torch.nn
optim = torch.optim
F = torch.nn.functional

Transition = namedtuple('Transition', ('state', 'action', 'next_state', 'reward'))

class ReplayMemory:
    def __init__(self, capacity):
        self.memory = deque([], maxlen=capacity)
    def push(self, *args):
        self.memory.append(Transition(*args))
    def sample(self, batch_size):
        return random.sample(self.memory, batch_size)
    def __len__(self):
        return len(self.memory)

class DQN(nn.Module):
    def __init__(self, n_observations, n_actions):
        super().__init__()
        self.layer1 = nn.Linear(n_observations, 32)
        self.layer2 = nn.Linear(32, 32)
        self.layer3 = nn.Linear(32, n_actions)
    def forward(self, x):
        x = F.relu(self.layer1(x))
        x = F.relu(self.layer2(x))
        return self.layer3(x)

class ToyEnv:
    """a 1-D walk: state (pos, vel, 2 noise), reward for staying near 0"""
    def __init__(self, rng):
        self.rng = rng
    def reset(self):
        self.s = self.rng.uniform(-1, 1, 4).astype(np.float32); self.t = 0
        return self.s
    def step(self, a):
        self.s = self.s.copy(); self.s[1] += 0.1 * (a - 0.5); self.s[0] += self.s[1]; self.t += 1
        r = 1.0 - abs(float(self.s[0]))
        done = abs(self.s[0]) > 2 or self.t >= 20
        return self.s, r, done

random.seed(0); rng = np.random.default_rng(0)
torch.manual_seed(0)
BATCH_SIZE, GAMMA, EPS_START, EPS_END, EPS_DECAY, TAU, LR = 16, 0.99, 0.9, 0.05, 100, 0.005, 1e-3
device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
env = ToyEnv(rng)
n_actions, n_observations = 2, 4
policy_net = DQN(n_observations, n_actions).to(device)
target_net = DQN(n_observations, n_actions).to(device)
# deterministic weights
with torch.no_grad():
    for p in policy_net.parameters():
        p.copy_(torch.from_numpy(rng.standard_normal(tuple(p.shape)).astype(np.float32) * 0.3))
target_net.load_state_dict(policy_net.state_dict())
optimizer = optim.AdamW(policy_net.parameters(), lr=LR, amsgrad=True)
memory = ReplayMemory(1000)
steps_done = 0

def select_action(state):
    global steps_done
    sample = random.random()
    eps_threshold = EPS_END + (EPS_START - EPS_END) * math.exp(-1. * steps_done / EPS_DECAY)
    steps_done += 1
    if sample > eps_threshold:
        with torch.no_grad():
            return policy_net(state).max(1).indices.view(1, 1)
    else:
        return torch.tensor([[random.randrange(n_actions)]], device=device, dtype=torch.long)

def optimize_model():
    if len(memory) < BATCH_SIZE:
        return None
    transitions = memory.sample(BATCH_SIZE)
    batch = Transition(*zip(*transitions))
    non_final_mask = torch.tensor(tuple(s is not None for s in batch.next_state), device=device, dtype=torch.bool)
    non_final_next_states = torch.cat([s for s in batch.next_state if s is not None])
    state_batch = torch.cat(batch.state)
    action_batch = torch.cat(batch.action)
    reward_batch = torch.cat(batch.reward)
    state_action_values = policy_net(state_batch).gather(1, action_batch)
    next_state_values = torch.zeros(BATCH_SIZE, device=device)
    with torch.no_grad():
        next_state_values[non_final_mask] = target_net(non_final_next_states).max(1).values
    expected_state_action_values = (next_state_values * GAMMA) + reward_batch
    criterion = nn.SmoothL1Loss()
    loss = criterion(state_action_values, expected_state_action_values.unsqueeze(1))
    optimizer.zero_grad()
    loss.backward()
    torch.nn.utils.clip_grad_value_(policy_net.parameters(), 100)
    optimizer.step()
    return loss.item()

for i_episode in range(6):
    state = env.reset()
    state = torch.tensor(state, dtype=torch.float32, device=device).unsqueeze(0)
    losses = []
    for t in range(100):
        action = select_action(state)
        observation, reward, terminated = env.step(action.item())
        reward = torch.tensor([reward], device=device)
        next_state = None if terminated else torch.tensor(observation, dtype=torch.float32, device=device).unsqueeze(0)
        memory.push(state, action, next_state, reward)
        state = next_state
        l = optimize_model()
        if l is not None: losses.append(l)
        target_net_state_dict = target_net.state_dict()
        policy_net_state_dict = policy_net.state_dict()
        for key in policy_net_state_dict:
            target_net_state_dict[key] = policy_net_state_dict[key]*TAU + target_net_state_dict[key]*(1-TAU)
        target_net.load_state_dict(target_net_state_dict)
        if terminated:
            break
    print(f"check episode {i_episode} len {t+1} mean loss {np.mean(losses) if losses else float('nan'):.6f}")
print("check step", optimizer.state[policy_net.layer1.weight]["step"].item())
print(f"check target w sum {target_net.layer1.weight.sum().item():.5f}")
