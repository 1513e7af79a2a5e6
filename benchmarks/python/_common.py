"""Shared pieces of the Python reference benchmarks: workload definitions, task generation
with numpy, single-thread environment, timing and the JSON report.

Import this module before importing jax or torch: it sets the thread environment variables.
"""

import argparse
import json
import math
import os
import resource
import statistics
import sys
import time

# One thread everywhere. These must be set before numpy / jax / torch are imported.
for _var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS", "VECLIB_MAXIMUM_THREADS",
             "NUMEXPR_NUM_THREADS"):
    os.environ.setdefault(_var, "1")
_xla = os.environ.get("XLA_FLAGS", "")
for _flag in ("--xla_cpu_multi_thread_eigen=false", "intra_op_parallelism_threads=1"):
    if _flag.split("=")[0] not in _xla:
        _xla = (_xla + " " + _flag).strip()
os.environ["XLA_FLAGS"] = _xla

import numpy as np  # noqa: E402

WORKLOADS = ("sine", "omniglot-cnn", "omniglot-cnn-20way")
ALGORITHMS = ("maml", "fomaml")


class Workload:
    """The fixed benchmark definitions (the same numbers as `metatrain bench`)."""

    def __init__(self, name):
        self.name = name
        if name == "sine":
            self.kind = "sine"
            self.support, self.query = 10, 10
            self.inner_lr, self.meta_batch, self.outer_lr = 0.01, 25, 0.001
        elif name in ("omniglot-cnn", "omniglot-cnn-20way"):
            self.kind = "cnn"
            self.ways = 5 if name == "omniglot-cnn" else 20
            self.shots, self.queries, self.size, self.filters = 1, 1, 28, 64
            self.inner_lr, self.outer_lr = 0.4, 0.003
            self.meta_batch = 32 if self.ways == 5 else 16
            self.ink, self.noise = 0.2, 0.1
        else:
            raise ValueError(name)


class TaskSampler:
    """Generates one meta-batch of tasks per call with numpy (float32).

    sine: y = A sin(x - phase), A ~ U[0.1, 5], phase ~ U[0, pi], x ~ U[-5, 5];
          returns xs, ys [B, K, 1] and xq, yq [B, K, 1].
    cnn:  random binary 28x28 images: each class a random prototype with ~20% ink, each example
          the prototype with every pixel flipped with probability 0.1 (the shapes and sparsity of
          Omniglot, as the Swift benchmark's synthetic tasks); N-way 1-shot with one query per class.
          Returns images in NCHW [B, N, 1, 28, 28] (callers transpose if they want NHWC) and integer
          labels [B, N].
    """

    def __init__(self, workload, seed=0):
        self.w = workload
        self.rng = np.random.default_rng(seed)

    def __call__(self):
        w, rng = self.w, self.rng
        b = w.meta_batch
        if w.kind == "sine":
            amp = rng.uniform(0.1, 5.0, size=(b, 1, 1))
            phase = rng.uniform(0.0, math.pi, size=(b, 1, 1))
            xs = rng.uniform(-5.0, 5.0, size=(b, w.support, 1))
            xq = rng.uniform(-5.0, 5.0, size=(b, w.query, 1))
            ys = amp * np.sin(xs - phase)
            yq = amp * np.sin(xq - phase)
            f = np.float32
            return xs.astype(f), ys.astype(f), xq.astype(f), yq.astype(f)
        n, pixels = w.ways, w.size * w.size
        proto = rng.random((b, n, pixels)) < w.ink

        def examples(per_class):
            p = np.repeat(proto, per_class, axis=1)
            flips = rng.random(p.shape) < w.noise
            return (p ^ flips).astype(np.float32).reshape(b, n * per_class, 1, w.size, w.size)

        xs = examples(w.shots)
        xq = examples(w.queries)
        ys = np.broadcast_to(np.repeat(np.arange(n), w.shots), (b, n * w.shots)).astype(np.int64)
        yq = np.broadcast_to(np.repeat(np.arange(n), w.queries), (b, n * w.queries)).astype(np.int64)
        return xs, ys, xq, yq


def parse_args(framework, extra=None):
    p = argparse.ArgumentParser(description=f"Meta-training throughput, {framework}, one thread.")
    p.add_argument("--workload", choices=WORKLOADS, default="sine")
    p.add_argument("--algorithm", choices=ALGORITHMS, default="maml")
    p.add_argument("--windows", type=int, default=5)
    p.add_argument("--window-seconds", type=float, default=2.0,
                   help="approximate length of one timed window")
    p.add_argument("--iterations", type=int, default=None,
                   help="meta-iterations per window (default: about --window-seconds' worth)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--json", action="store_true", help="print one JSON object")
    if extra:
        extra(p)
    return p.parse_args()


def peak_rss_bytes():
    # ru_maxrss is in KiB on Linux (bytes on macOS).
    r = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return r if sys.platform == "darwin" else r * 1024


def measure(step, args):
    """Times `step()` (one whole meta-iteration, task generation included) in windows.

    Warm-up, not timed: one call (JIT compilation), then more calls until 0.5 s have passed
    (at least one, at most 20); their mean time sets how many iterations fill one window.
    Returns (median rate, window rates, iterations per window, process CPU seconds per wall
    second during the windows: about 1.0 when the work runs on one thread)."""
    step()
    t0, calib = time.perf_counter(), 0
    while True:
        step()
        calib += 1
        elapsed = time.perf_counter() - t0
        if elapsed > 0.5 or calib >= 20:
            break
    per_iter = elapsed / calib
    n = args.iterations or max(1, int(round(args.window_seconds / per_iter)))
    rates = []
    cpu0, wall0 = time.process_time(), time.perf_counter()
    for _ in range(args.windows):
        t = time.perf_counter()
        for _ in range(n):
            step()
        rates.append(n / (time.perf_counter() - t))
    cpu_per_wall = (time.process_time() - cpu0) / (time.perf_counter() - wall0)
    return statistics.median(rates), rates, n, cpu_per_wall


def report(args, framework, version, median, rates, per_window, cpu_per_wall, parameters):
    out = {
        "workload": args.workload,
        "algorithm": args.algorithm,
        "framework": framework,
        "version": version,
        "meta_iterations_per_second": median,
        "windows": rates,
        "iterations_per_window": per_window,
        "peak_rss_bytes": peak_rss_bytes(),
        "parameters": parameters,
        "cpu_seconds_per_wall_second": cpu_per_wall,
    }
    if args.json:
        print(json.dumps(out))
    else:
        print(f"{framework} {version} {args.workload} {args.algorithm}: {median:.3f} meta-iterations/s, "
              f"peak RSS {out['peak_rss_bytes'] / 2**20:.1f} MiB, {parameters} parameters, "
              f"CPU/wall {cpu_per_wall:.2f}; windows: " + " ".join(f"{r:.3f}" for r in rates))
    return out


def init_params(workload, seed=0, dtype=np.float32):
    """Initial parameters as numpy arrays, in PyTorch layout (conv OIHW, linear [out, in]),
    keyed by the PyTorch module's parameter names. He-uniform weights, zero biases, unit
    batch-norm scales. Shared by all scripts so the agreement check can use identical values."""
    rng = np.random.default_rng(seed)

    def he(shape, fan_in):
        bound = math.sqrt(6.0 / fan_in)
        return rng.uniform(-bound, bound, size=shape).astype(dtype)

    p = {}
    if workload.kind == "sine":
        for name, (n_in, n_out) in (("fc1", (1, 40)), ("fc2", (40, 40)), ("fc3", (40, 1))):
            p[f"{name}.weight"] = he((n_out, n_in), n_in)
            p[f"{name}.bias"] = np.zeros(n_out, dtype)
        return p
    c_in = 1
    for b in range(1, 5):
        p[f"block{b}.conv.weight"] = he((workload.filters, c_in, 3, 3), c_in * 9)
        p[f"block{b}.conv.bias"] = np.zeros(workload.filters, dtype)
        p[f"block{b}.norm.weight"] = np.ones(workload.filters, dtype)
        p[f"block{b}.norm.bias"] = np.zeros(workload.filters, dtype)
        c_in = workload.filters
    p["head.weight"] = he((workload.ways, workload.filters), workload.filters)
    p["head.bias"] = np.zeros(workload.ways, dtype)
    return p
