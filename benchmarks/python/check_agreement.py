#!/usr/bin/env python3
"""Sanity check of the reference scripts: in float64, for the same parameters and the same
meta-batch, the meta-gradients of maml_jax.py (vmap and map), maml_torch.py and (when learn2learn is
installed) maml_l2l.py agree, for
every workload and both algorithms; the second-order JAX meta-gradient matches a central finite
difference along a random direction; and the first-order one differs from it.

    python check_agreement.py            # exits non-zero on a disagreement
"""

import _common  # noqa: F401
from _common import TaskSampler, Workload, init_params, WORKLOADS

import sys

import numpy as np
import jax

jax.config.update("jax_enable_x64", True)
import jax.numpy as jnp  # noqa: E402
import torch  # noqa: E402
from torch.func import grad as tgrad  # noqa: E402

import maml_jax  # noqa: E402
import maml_torch  # noqa: E402

try:
    import maml_l2l  # noqa: E402
except ImportError:  # learn2learn not installed: skip its comparison
    maml_l2l = None

TOL = 1e-5


def perturbed_params(workload, seed):
    """The scripts' initial parameters, with every bias, scale and offset made non-trivial."""
    rng = np.random.default_rng(seed + 100)
    p = init_params(workload, seed=seed, dtype=np.float64)
    for k, v in p.items():
        if not (k.endswith("weight") and v.ndim >= 2):
            p[k] = v + 0.3 * rng.standard_normal(v.shape)
    return p


def small_batch(workload, seed, tasks):
    xs, ys, xq, yq = TaskSampler(workload, seed=seed)()
    return [a[:tasks].astype(np.float64) if a.dtype == np.float32 else a[:tasks] for a in (xs, ys, xq, yq)]


def rel_err(a, b):
    num = np.sqrt(sum(np.sum((a[k] - b[k]) ** 2) for k in a))
    den = np.sqrt(sum(np.sum(b[k] ** 2) for k in b))
    return num / den


def main():
    ok = True
    for name in WORKLOADS:
        w = Workload(name)
        tasks = 4
        p_np = perturbed_params(w, seed=1)
        batch = small_batch(w, seed=2, tasks=tasks)
        jbatch = [jnp.asarray(a) for a in maml_jax.prepare_batch(w, batch)]
        tbatch = [torch.from_numpy(np.ascontiguousarray(a)) for a in batch]
        model = maml_torch.build_model(w).double()
        maml_torch.load_params(model, p_np, dtype=torch.float64)
        tparams = {k: v.detach() for k, v in model.named_parameters()}
        grads = {}
        for alg in ("maml", "fomaml"):
            fo = alg == "fomaml"
            tg = tgrad(maml_torch.make_meta_loss(model, w, fo))(tparams, *tbatch)
            tg = {k: v.numpy() for k, v in tg.items()}
            jp = maml_jax.to_jax_layout(p_np)
            for batching in ("vmap", "map"):
                jloss = maml_jax.make_meta_loss(w, fo, batching)
                jg = maml_jax.from_jax_layout(jax.jit(jax.grad(jloss))(jp, *jbatch))
                e = rel_err(jg, tg)
                good = e < TOL
                ok &= good
                print(f"{name:20s} {alg:6s} jax-{batching:4s} vs torch.func: relative difference {e:.2e} "
                      f"{'ok' if good else 'FAIL'}")
            if maml_l2l is not None:
                m = maml_l2l.build(w, fo, p_np, dtype=torch.float64)
                maml_l2l.meta_backward(m, w, *tbatch)
                lg = {k: v.grad.numpy() for k, v in m.module.named_parameters()}
                e = rel_err(lg, tg)
                good = e < TOL
                ok &= good
                print(f"{name:20s} {alg:6s} learn2learn vs torch.func: relative difference {e:.2e} "
                      f"{'ok' if good else 'FAIL'}")
            grads[alg] = tg
            if not fo:
                # Central finite difference of the meta-loss along a random direction.
                rng = np.random.default_rng(3)
                d = {k: rng.standard_normal(v.shape) for k, v in p_np.items()}
                jloss = jax.jit(maml_jax.make_meta_loss(w, False))
                # Small step: with ReLU the inner gradient jumps where a unit changes sign, so the
                # MAML meta-loss is discontinuous; a larger step (1e-5) crosses such jumps in the CNN.
                h = 1e-7
                plus = maml_jax.to_jax_layout({k: p_np[k] + h * d[k] for k in p_np})
                minus = maml_jax.to_jax_layout({k: p_np[k] - h * d[k] for k in p_np})
                fd = (float(jloss(plus, *jbatch)) - float(jloss(minus, *jbatch))) / (2 * h)
                an = sum(float(np.sum(tg[k] * d[k])) for k in tg)
                e = abs(fd - an) / max(abs(an), 1e-12)
                good = e < 1e-5
                ok &= good
                print(f"{name:20s} maml   directional derivative vs finite difference: {e:.2e} "
                      f"{'ok' if good else 'FAIL'}")
        e = rel_err(grads["fomaml"], grads["maml"])
        good = e > 1e-4
        ok &= good
        print(f"{name:20s} fomaml differs from maml: relative difference {e:.2e} {'ok' if good else 'FAIL'}")
    print("all agree" if ok else "DISAGREEMENT")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
