#!/usr/bin/env python3
"""MAML / first-order MAML meta-training throughput with learn2learn's MAML wrapper, the way
its examples use it: for each task of the meta-batch, clone the learner, adapt it with one inner
step on the support loss, and backpropagate the query loss (divided by the meta-batch size)
into the initial parameters; then one Adam step. Batch norm is torch's BatchNorm2d with
track_running_stats=False (always the batch's statistics). One thread. See README.md.

    python maml_l2l.py --workload sine|omniglot-cnn|omniglot-cnn-20way --algorithm maml|fomaml --json
"""

import warnings

import _common  # noqa: F401  (sets the one-thread environment before torch is imported)
from _common import TaskSampler, Workload, init_params, measure, parse_args, report

import torch
import torch.nn as nn
import torch.nn.functional as F

warnings.filterwarnings("ignore")  # learn2learn imports gym, which warns about NumPy 2
import learn2learn as l2l  # noqa: E402

torch.set_num_threads(1)
try:
    torch.set_num_interop_threads(1)
except RuntimeError:  # already set (another module imported first)
    pass


class SineMLP(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1, self.fc2, self.fc3 = nn.Linear(1, 40), nn.Linear(40, 40), nn.Linear(40, 1)

    def forward(self, x):
        return self.fc3(F.relu(self.fc2(F.relu(self.fc1(x)))))


class Block(nn.Module):
    def __init__(self, c_in, c_out):
        super().__init__()
        self.conv = nn.Conv2d(c_in, c_out, 3, stride=2, padding=1, bias=True)
        self.norm = nn.BatchNorm2d(c_out, eps=1e-5, affine=True, track_running_stats=False)

    def forward(self, x):
        return F.relu(self.norm(self.conv(x)))


class OmniglotCNN(nn.Module):
    def __init__(self, ways, filters=64):
        super().__init__()
        self.block1, self.block2 = Block(1, filters), Block(filters, filters)
        self.block3, self.block4 = Block(filters, filters), Block(filters, filters)
        self.head = nn.Linear(filters, ways)

    def forward(self, x):
        h = self.block4(self.block3(self.block2(self.block1(x))))
        return self.head(h.mean(dim=(2, 3)))


def build(workload, first_order, numpy_params, dtype=torch.float32):
    model = SineMLP() if workload.kind == "sine" else OmniglotCNN(workload.ways, workload.filters)
    model = model.to(dtype)
    with torch.no_grad():
        for name, p in model.named_parameters():
            p.copy_(torch.as_tensor(numpy_params[name], dtype=dtype))
    return l2l.algorithms.MAML(model, lr=workload.inner_lr, first_order=first_order)


def meta_backward(maml, workload, xs, ys, xq, yq):
    """Accumulates the meta-gradient of the mean query loss into maml's parameters' .grad."""
    criterion = F.mse_loss if workload.kind == "sine" else F.cross_entropy
    tasks = xs.shape[0]
    for i in range(tasks):
        learner = maml.clone()
        learner.adapt(criterion(learner(xs[i]), ys[i]))
        (criterion(learner(xq[i]), yq[i]) / tasks).backward()


def main():
    args = parse_args("learn2learn")
    workload = Workload(args.workload)
    sampler = TaskSampler(workload, seed=args.seed)
    maml = build(workload, args.algorithm == "fomaml", init_params(workload, seed=args.seed))
    n_params = sum(p.numel() for p in maml.parameters())
    optimizer = torch.optim.Adam(maml.parameters(), lr=workload.outer_lr)

    def one_iteration():
        # Task generation is inside the timed meta-iteration, as in `metatrain bench`.
        xs, ys, xq, yq = (torch.from_numpy(a) for a in sampler())
        optimizer.zero_grad()
        meta_backward(maml, workload, xs, ys, xq, yq)
        optimizer.step()

    median, rates, per_window, cpu = measure(one_iteration, args)
    report(args, "learn2learn", f"learn2learn {l2l.__version__}, torch {torch.__version__}", median, rates,
           per_window, cpu, n_params)


if __name__ == "__main__":
    main()
