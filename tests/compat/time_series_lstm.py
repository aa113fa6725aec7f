"""pytorch/examples 'time_sequence_prediction', in small: sine waves made with numpy, a model of
two nn.LSTMCell and a Linear in float64 (`seq.double()`, states from
`torch.zeros(input.size(0), 51, dtype=torch.double)`), the input cut with `split(1, dim=1)`,
the outputs joined with `torch.stack(outputs, 1).squeeze(2)`, optim.LBFGS(lr=0.8) driven by a
closure, and predictions of the future; then the same with line_search_fn="strong_wolfe".
The weights are set from numpy so that torch and lazygrad start alike."""
import importlib
import os

import numpy as np

torch = importlib.import_module(os.environ.get("COMPAT_TORCH", "lazygrad"))
nn = torch.nn
optim = torch.optim

# generate_sine_wave.py: N waves of length L, each shifted by a random phase
np.random.seed(2)
T, L, N = 20, 12, 8
x = np.empty((N, L), "int64")
x[:] = np.array(range(L)) + np.random.randint(-4 * T, 4 * T, N).reshape(N, 1)
data = np.sin(x / 1.0 / T).astype("float64")


class Sequence(nn.Module):
    def __init__(self):
        super().__init__()
        self.lstm1 = nn.LSTMCell(1, 51)
        self.lstm2 = nn.LSTMCell(51, 51)
        self.linear = nn.Linear(51, 1)

    def forward(self, input, future=0):
        outputs = []
        h_t = torch.zeros(input.size(0), 51, dtype=torch.double)
        c_t = torch.zeros(input.size(0), 51, dtype=torch.double)
        h_t2 = torch.zeros(input.size(0), 51, dtype=torch.double)
        c_t2 = torch.zeros(input.size(0), 51, dtype=torch.double)

        for input_t in input.split(1, dim=1):
            h_t, c_t = self.lstm1(input_t, (h_t, c_t))
            h_t2, c_t2 = self.lstm2(h_t, (h_t2, c_t2))
            output = self.linear(h_t2)
            outputs += [output]
        for i in range(future):  # if we should predict the future
            h_t, c_t = self.lstm1(output, (h_t, c_t))
            h_t2, c_t2 = self.lstm2(h_t, (h_t2, c_t2))
            output = self.linear(h_t2)
            outputs += [output]
        outputs = torch.stack(outputs, 1).squeeze(2)
        return outputs


np.random.seed(0)
torch.manual_seed(0)
input = torch.from_numpy(data[3:, :-1])
target = torch.from_numpy(data[3:, 1:])
test_input = torch.from_numpy(data[:3, :-1])
test_target = torch.from_numpy(data[:3, 1:])
print("check data", *input.shape, input.dtype == torch.float64, round(input.sum().item(), 6))

def train(line_search_fn):
    seq = Sequence()
    seq.double()
    rng = np.random.default_rng(0)
    with torch.no_grad():
        for p in seq.parameters():
            p.copy_(torch.from_numpy(rng.uniform(-0.14, 0.14, tuple(p.shape))))
    criterion = nn.MSELoss()
    # use LBFGS as optimizer since we can load the whole data to train
    optimizer = optim.LBFGS(seq.parameters(), lr=0.8, max_iter=5, line_search_fn=line_search_fn)
    losses = []
    for i in range(2):
        seen = len(losses)

        def closure():
            optimizer.zero_grad()
            out = seq(input)
            loss = criterion(out, target)
            losses.append(loss.item())
            loss.backward()
            return loss
        optimizer.step(closure)
        print("check", line_search_fn, "step", i, "evaluations", len(losses) - seen,
              *[f"{v:.6g}" for v in losses[seen:]])
        # begin to predict, no need to track gradient here
        with torch.no_grad():
            future = 10
            pred = seq(test_input, future=future)
            loss = criterion(pred[:, :-future], test_target)
            print("check", line_search_fn, "test loss", loss.item())
            y = pred.detach().numpy()
    print("check", line_search_fn, "future", *[f"{v:.5f}" for v in y[0, -future:]])


train(None)
train("strong_wolfe")
