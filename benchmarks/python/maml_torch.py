#!/usr/bin/env python3
"""MAML / first-order MAML meta-training throughput in PyTorch with torch.func: the per-task
inner gradient is torch.func.grad of a functional_call of the model, vmapped over the tasks of
the meta-batch, and the meta-gradient is torch.func.grad of the mean query loss with respect to
the initial parameters (through the inner step). Batch norm is written by hand with the batch's
mean and (biased) variance, so it is a pure function and vmaps per task. Adam is torch.optim.Adam.
One thread. Written for metatrain's side-by-side comparison; see README.md.

    python maml_torch.py --workload sine|omniglot-cnn|omniglot-cnn-20way --algorithm maml|fomaml --json
"""

import _common  # noqa: F401  (sets the one-thread environment before torch is imported)
from _common import TaskSampler, Workload, init_params, measure, parse_args, report

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.func import functional_call, grad, vmap

torch.set_num_threads(1)
try:
    torch.set_num_interop_threads(1)
except RuntimeError:  # already set (another module imported first)
    pass

BN_EPS = 1e-5


class SineMLP(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1, self.fc2, self.fc3 = nn.Linear(1, 40), nn.Linear(40, 40), nn.Linear(40, 1)

    def forward(self, x):
        return self.fc3(F.relu(self.fc2(F.relu(self.fc1(x)))))


class BatchStatNorm(nn.Module):
    """Batch norm that always uses the batch's statistics (no running statistics), with a
    learnable scale and offset; functional, so it composes with vmap and grad."""

    def __init__(self, channels):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(channels))
        self.bias = nn.Parameter(torch.zeros(channels))

    def forward(self, x):  # x: [n, c, h, w]
        mean = x.mean(dim=(0, 2, 3), keepdim=True)
        var = (x - mean).square().mean(dim=(0, 2, 3), keepdim=True)
        x = (x - mean) * torch.rsqrt(var + BN_EPS)
        return x * self.weight.view(1, -1, 1, 1) + self.bias.view(1, -1, 1, 1)


class Block(nn.Module):
    def __init__(self, c_in, c_out):
        super().__init__()
        self.conv = nn.Conv2d(c_in, c_out, 3, stride=2, padding=1, bias=True)
        self.norm = BatchStatNorm(c_out)

    def forward(self, x):
        return F.relu(self.norm(self.conv(x)))


class OmniglotCNN(nn.Module):
    def __init__(self, ways, filters=64):
        super().__init__()
        self.block1, self.block2 = Block(1, filters), Block(filters, filters)
        self.block3, self.block4 = Block(filters, filters), Block(filters, filters)
        self.head = nn.Linear(filters, ways)

    def forward(self, x):  # x: [n, 1, 28, 28]
        h = self.block4(self.block3(self.block2(self.block1(x))))
        return self.head(h.mean(dim=(2, 3)))


def build_model(workload):
    return SineMLP() if workload.kind == "sine" else OmniglotCNN(workload.ways, workload.filters)


def make_meta_loss(model, workload, first_order):
    alpha = workload.inner_lr
    criterion = F.mse_loss if workload.kind == "sine" else F.cross_entropy

    def task_loss(params, x, y):
        return criterion(functional_call(model, params, (x,)), y)

    def adapted_query_loss(params, xs, ys, xq, yq):
        g = grad(task_loss)(params, xs, ys)
        if first_order:
            g = {k: v.detach() for k, v in g.items()}  # FOMAML: the inner gradient is a constant
        fast = {k: params[k] - alpha * g[k] for k in params}
        return task_loss(fast, xq, yq)

    def meta_loss(params, xs, ys, xq, yq):
        return vmap(adapted_query_loss, in_dims=(None, 0, 0, 0, 0))(params, xs, ys, xq, yq).mean()

    return meta_loss


def load_params(model, numpy_params, dtype=torch.float32):
    with torch.no_grad():
        for name, p in model.named_parameters():
            p.copy_(torch.as_tensor(numpy_params[name], dtype=dtype))


def main():
    args = parse_args("PyTorch")
    workload = Workload(args.workload)
    first_order = args.algorithm == "fomaml"
    sampler = TaskSampler(workload, seed=args.seed)
    model = build_model(workload)
    load_params(model, init_params(workload, seed=args.seed))
    # Plain tensors that share storage with the module's parameters: torch.func differentiates
    # with respect to these, torch.optim.Adam updates the parameters in place.
    params = {k: v.detach() for k, v in model.named_parameters()}
    n_params = sum(v.numel() for v in params.values())
    meta_grad = grad(make_meta_loss(model, workload, first_order))
    optimizer = torch.optim.Adam(model.parameters(), lr=workload.outer_lr)
    named = dict(model.named_parameters())

    def one_iteration():
        # Task generation is inside the timed meta-iteration, as in `metatrain bench`.
        xs, ys, xq, yq = (torch.from_numpy(a) for a in sampler())
        grads = meta_grad(params, xs, ys, xq, yq)
        for k, g in grads.items():
            named[k].grad = g
        optimizer.step()

    median, rates, per_window, cpu = measure(one_iteration, args)
    report(args, "torch.func", f"torch {torch.__version__}", median, rates, per_window, cpu, n_params)


if __name__ == "__main__":
    main()
