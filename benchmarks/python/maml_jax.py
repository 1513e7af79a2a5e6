#!/usr/bin/env python3
"""MAML / first-order MAML meta-training throughput in JAX: the whole meta-iteration (inner
gradient, inner SGD step, outer loss, gradient with respect to the initial parameters through
the inner step, Adam update) is one jit-compiled function, vmapped over the tasks of the
meta-batch. One thread (see _common.py for the environment). Written for metatrain's
side-by-side comparison; see README.md.

    python maml_jax.py --workload sine|omniglot-cnn|omniglot-cnn-20way --algorithm maml|fomaml --json
"""

import _common  # noqa: F401  (sets the one-thread environment before jax is imported)
from _common import TaskSampler, Workload, init_params, measure, parse_args, report

import jax
import jax.numpy as jnp
import numpy as np

BN_EPS = 1e-5


def to_jax_layout(params):
    """PyTorch layout -> the layout used here (conv HWIO, linear [in, out]), as jnp arrays."""
    out = {}
    for k, v in params.items():
        if k.endswith("conv.weight"):
            v = np.transpose(v, (2, 3, 1, 0))
        elif k.endswith(".weight") and v.ndim == 2:
            v = v.T
        out[k] = jnp.asarray(v)
    return out


def from_jax_layout(params):
    """The inverse of to_jax_layout, as numpy arrays."""
    out = {}
    for k, v in params.items():
        v = np.asarray(v)
        if k.endswith("conv.weight"):
            v = np.transpose(v, (3, 2, 0, 1))
        elif k.endswith(".weight") and v.ndim == 2:
            v = v.T
        out[k] = v
    return out


def sine_forward(p, x):
    h = jax.nn.relu(x @ p["fc1.weight"] + p["fc1.bias"])
    h = jax.nn.relu(h @ p["fc2.weight"] + p["fc2.bias"])
    return h @ p["fc3.weight"] + p["fc3.bias"]


def cnn_forward(p, x):
    """x: [n, 28, 28, 1] (NHWC). Four blocks of conv(3x3, stride 2, pad 1) -> batch norm with
    the batch's statistics -> ReLU; mean over the remaining 2x2 positions; linear head."""
    h = x
    for b in range(1, 5):
        h = jax.lax.conv_general_dilated(h, p[f"block{b}.conv.weight"], window_strides=(2, 2),
                                         padding=((1, 1), (1, 1)),
                                         dimension_numbers=("NHWC", "HWIO", "NHWC"))
        h = h + p[f"block{b}.conv.bias"]
        mean = jnp.mean(h, axis=(0, 1, 2))
        var = jnp.mean(jnp.square(h - mean), axis=(0, 1, 2))
        h = (h - mean) * jax.lax.rsqrt(var + BN_EPS) * p[f"block{b}.norm.weight"] + p[f"block{b}.norm.bias"]
        h = jax.nn.relu(h)
    h = jnp.mean(h, axis=(1, 2))
    return h @ p["head.weight"] + p["head.bias"]


def make_task_loss(workload):
    if workload.kind == "sine":
        def loss(p, x, y):
            return jnp.mean(jnp.square(sine_forward(p, x) - y))
    else:
        def loss(p, x, y):
            logits = cnn_forward(p, x)
            logp = jax.nn.log_softmax(logits)
            return -jnp.mean(jnp.take_along_axis(logp, y[:, None], axis=1))
    return loss


def make_meta_loss(workload, first_order, batching="vmap"):
    task_loss = make_task_loss(workload)
    alpha = workload.inner_lr

    def adapted_query_loss(p, xs, ys, xq, yq):
        g = jax.grad(task_loss)(p, xs, ys)
        if first_order:
            g = jax.lax.stop_gradient(g)  # FOMAML: the inner gradient is a constant
        fast = jax.tree_util.tree_map(lambda w, gw: w - alpha * gw, p, g)
        return task_loss(fast, xq, yq)

    def meta_loss(p, xs, ys, xq, yq):
        if batching == "vmap":
            losses = jax.vmap(adapted_query_loss, in_axes=(None, 0, 0, 0, 0))(p, xs, ys, xq, yq)
        else:  # "map": the tasks one after another (lax.map, a scan), inside the same jit
            losses = jax.lax.map(lambda task: adapted_query_loss(p, *task), (xs, ys, xq, yq))
        return jnp.mean(losses)

    return meta_loss


def make_train_step(workload, first_order, batching="vmap", b1=0.9, b2=0.999, eps=1e-8):
    meta_loss = make_meta_loss(workload, first_order, batching)
    lr = workload.outer_lr

    def step(p, m, v, t, xs, ys, xq, yq):
        loss, g = jax.value_and_grad(meta_loss)(p, xs, ys, xq, yq)
        t = t + 1
        m = jax.tree_util.tree_map(lambda a, b: b1 * a + (1 - b1) * b, m, g)
        v = jax.tree_util.tree_map(lambda a, b: b2 * a + (1 - b2) * b * b, v, g)
        scale = lr * jnp.sqrt(1 - b2 ** t) / (1 - b1 ** t)
        p = jax.tree_util.tree_map(lambda w, a, b: w - scale * a / (jnp.sqrt(b) + eps), p, m, v)
        return p, m, v, t, loss

    return jax.jit(step, donate_argnums=(0, 1, 2))


def prepare_batch(workload, batch):
    xs, ys, xq, yq = batch
    if workload.kind == "cnn":  # NCHW -> NHWC
        xs = np.transpose(xs, (0, 1, 3, 4, 2))
        xq = np.transpose(xq, (0, 1, 3, 4, 2))
    return xs, ys.astype(np.int32) if workload.kind == "cnn" else ys, xq, \
        yq.astype(np.int32) if workload.kind == "cnn" else yq


def main():
    args = parse_args("JAX", extra=lambda p: p.add_argument(
        "--batching", choices=("vmap", "map"), default="vmap",
        help="vmap over the tasks of the meta-batch (default), or lax.map (one task after another, "
             "in the same jit): XLA:CPU turns vmapped convolutions with per-task (adapted) kernels "
             "into grouped convolutions, which are slow"))
    workload = Workload(args.workload)
    first_order = args.algorithm == "fomaml"
    sampler = TaskSampler(workload, seed=args.seed)
    train_step = make_train_step(workload, first_order, args.batching)
    p = to_jax_layout(init_params(workload, seed=args.seed))
    n_params = sum(int(np.prod(v.shape)) for v in p.values())
    state = {
        "p": p,
        "m": jax.tree_util.tree_map(jnp.zeros_like, p),
        "v": jax.tree_util.tree_map(jnp.zeros_like, p),
        "t": jnp.zeros((), jnp.float32),
    }

    def one_iteration():
        # Task generation is inside the timed meta-iteration, as in `metatrain bench`.
        batch = prepare_batch(workload, sampler())
        s = state
        s["p"], s["m"], s["v"], s["t"], loss = train_step(s["p"], s["m"], s["v"], s["t"], *batch)
        # Wait for the result: no overlap of the next task generation with this computation
        # (which would use a second core).
        loss.block_until_ready()

    median, rates, per_window, cpu = measure(one_iteration, args)
    report(args, "jax" if args.batching == "vmap" else "jax-map", f"jax {jax.__version__}, jaxlib {jax.lib.__version__}",
           median, rates, per_window, cpu, n_params)


if __name__ == "__main__":
    main()
