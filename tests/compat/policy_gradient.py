"""pytorch/examples 'reinforcement_learning/reinforce.py' (REINFORCE on CartPole), with the
cart-pole physics written out here instead of gym: a Policy module (Linear, Dropout, ReLU,
softmax), torch.distributions.Categorical(probs), m.log_prob(action), discounted returns
normalized with (returns - returns.mean()) / (returns.std() + eps), torch.cat(policy_loss).sum()
and Adam; then actor_critic.py's two-headed model (smooth_l1_loss, torch.stack of the losses,
a namedtuple of saved actions). For a comparable run the policy is in eval mode (no dropout) and each action is drawn
by a fixed numpy RandomState against the probabilities read back with .tolist(), where the
example calls m.sample(); the weights are set from numpy so that torch and lazygrad start alike."""
import importlib
import math
import os
from collections import deque, namedtuple
from itertools import count

import numpy as np

torch = importlib.import_module(os.environ.get("COMPAT_TORCH", "lazygrad"))
nn = torch.nn
F = torch.nn.functional
optim = torch.optim
Categorical = torch.distributions.Categorical

gamma = 0.99
log_interval = 2


class CartPole:
    """CartPole-v1's dynamics (Euler steps of 0.02 s), its start state, reward and ends."""
    gravity, masscart, masspole, length, force_mag, tau = 9.8, 1.0, 0.1, 0.5, 10.0, 0.02
    theta_threshold_radians = 12 * 2 * math.pi / 360
    x_threshold = 2.4

    def __init__(self, seed, max_steps):
        self.rs = np.random.RandomState(seed)
        self.max_steps = max_steps

    def reset(self):
        self.state = self.rs.uniform(low=-0.05, high=0.05, size=(4,))
        self.steps = 0
        return np.array(self.state, dtype=np.float32), {}

    def step(self, action):
        x, x_dot, theta, theta_dot = self.state
        force = self.force_mag if action == 1 else -self.force_mag
        costheta, sintheta = math.cos(theta), math.sin(theta)
        total_mass = self.masspole + self.masscart
        polemass_length = self.masspole * self.length
        temp = (force + polemass_length * theta_dot ** 2 * sintheta) / total_mass
        thetaacc = (self.gravity * sintheta - costheta * temp) / (
            self.length * (4.0 / 3.0 - self.masspole * costheta ** 2 / total_mass))
        xacc = temp - polemass_length * thetaacc * costheta / total_mass
        x, x_dot = x + self.tau * x_dot, x_dot + self.tau * xacc
        theta, theta_dot = theta + self.tau * theta_dot, theta_dot + self.tau * thetaacc
        self.state = (x, x_dot, theta, theta_dot)
        self.steps += 1
        terminated = bool(x < -self.x_threshold or x > self.x_threshold
                          or theta < -self.theta_threshold_radians or theta > self.theta_threshold_radians)
        truncated = self.steps >= self.max_steps
        return np.array(self.state, dtype=np.float32), 1.0, terminated, truncated, {}


class Policy(nn.Module):
    def __init__(self):
        super().__init__()
        self.affine1 = nn.Linear(4, 128)
        self.dropout = nn.Dropout(p=0.6)
        self.affine2 = nn.Linear(128, 2)

        self.saved_log_probs = []
        self.entropies = []
        self.rewards = []

    def forward(self, x):
        x = self.affine1(x)
        x = self.dropout(x)
        x = F.relu(x)
        action_scores = self.affine2(x)
        return F.softmax(action_scores, dim=1)


env = CartPole(seed=543, max_steps=25)
torch.manual_seed(543)
policy = Policy()
rng = np.random.default_rng(543)
with torch.no_grad():
    for p in policy.parameters():
        p.copy_(torch.from_numpy((rng.standard_normal(tuple(p.shape)) * 0.2).astype(np.float32)))
policy.eval()  # no dropout: the same actions in both runs
optimizer = optim.Adam(policy.parameters(), lr=1e-2)
eps = np.finfo(np.float32).eps.item()
action_rs = np.random.RandomState(7)


def select_action(state):
    state = torch.from_numpy(state).float().unsqueeze(0)
    probs = policy(state)
    m = Categorical(probs)
    # the example draws m.sample(); a shared RandomState against the same probabilities
    # draws the same action in torch and lazygrad
    sampled = m.sample()
    assert tuple(sampled.shape) == (1,) and sampled.dtype == torch.int64
    action = torch.tensor([int(action_rs.random_sample() > probs.tolist()[0][0])])
    policy.saved_log_probs.append(m.log_prob(action))
    policy.entropies.append(m.entropy())
    return action.item()


def finish_episode():
    R = 0
    policy_loss = []
    returns = deque()
    for r in policy.rewards[::-1]:
        R = r + gamma * R
        returns.appendleft(R)
    returns = torch.tensor(returns)
    returns = (returns - returns.mean()) / (returns.std() + eps)
    for log_prob, R in zip(policy.saved_log_probs, returns):
        policy_loss.append(-log_prob * R)
    optimizer.zero_grad()
    policy_loss = torch.cat(policy_loss).sum()
    policy_loss.backward()
    optimizer.step()
    entropy = torch.cat(policy.entropies).mean().item()
    del policy.rewards[:]
    del policy.saved_log_probs[:]
    del policy.entropies[:]
    return policy_loss.item(), entropy


running_reward = 10
for i_episode in range(1, 7):
    state, _ = env.reset()
    ep_reward = 0
    for t in range(1, 10000):
        action = select_action(state)
        state, reward, terminated, truncated, _ = env.step(action)
        policy.rewards.append(reward)
        ep_reward += reward
        if terminated or truncated:
            break
    running_reward = 0.05 * ep_reward + (1 - 0.05) * running_reward
    loss, entropy = finish_episode()
    if i_episode % log_interval == 0:
        print(f"check episode {i_episode} reward {ep_reward} running {running_reward:.4f} "
              f"loss {loss:.5f} entropy {entropy:.5f}")
with torch.no_grad():
    probs = policy(torch.from_numpy(env.reset()[0]).unsqueeze(0))
    print("check final_probs", *[f"{v:.5f}" for v in probs[0].tolist()])


# actor_critic.py: one network with an action head and a value head, the critic trained with
# smooth_l1_loss against the returns, both losses summed from torch.stack
SavedAction = namedtuple("SavedAction", ["log_prob", "value"])


class ActorCritic(nn.Module):
    def __init__(self):
        super().__init__()
        self.affine1 = nn.Linear(4, 128)
        self.action_head = nn.Linear(128, 2)  # actor's layer
        self.value_head = nn.Linear(128, 1)  # critic's layer
        self.saved_actions = []
        self.rewards = []

    def forward(self, x):
        x = F.relu(self.affine1(x))
        action_prob = F.softmax(self.action_head(x), dim=-1)
        state_values = self.value_head(x)
        return action_prob, state_values


model = ActorCritic()
with torch.no_grad():
    for p in model.parameters():
        p.copy_(torch.from_numpy((rng.standard_normal(tuple(p.shape)) * 0.2).astype(np.float32)))
optimizer = optim.Adam(model.parameters(), lr=3e-2)


def select_action_ac(state):
    state = torch.from_numpy(state).float()
    probs, state_value = model(state)
    m = Categorical(probs)
    action = torch.tensor(int(action_rs.random_sample() > probs.tolist()[0]))
    model.saved_actions.append(SavedAction(m.log_prob(action), state_value))
    return action.item()


def finish_episode_ac():
    R = 0
    saved_actions = model.saved_actions
    policy_losses = []  # the actor's loss
    value_losses = []  # the critic's loss
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
    return loss.item()


running_reward = 10
for i_episode in count(1):
    state, _ = env.reset()
    ep_reward = 0
    for t in range(1, 10000):
        action = select_action_ac(state)
        state, reward, terminated, truncated, _ = env.step(action)
        model.rewards.append(reward)
        ep_reward += reward
        if terminated or truncated:
            break
    running_reward = 0.05 * ep_reward + (1 - 0.05) * running_reward
    loss = finish_episode_ac()
    if i_episode % log_interval == 0:
        print(f"check actor_critic episode {i_episode} reward {ep_reward} running {running_reward:.4f} "
              f"loss {loss:.5f}")
    if i_episode == 4:
        break
