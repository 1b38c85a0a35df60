#!/usr/bin/env python3
"""Time the matrix products of one training step of the reference VAE (examples/mnist-vae.json)
with OpenBLAS through numpy, float32, on 1 and 2 threads: a measured ceiling for what a native
BLAS kernel package could give vaeflow (see docs/performance.md). Needs numpy; not part of CI.
Usage: OPENBLAS_NUM_THREADS=1 python3 tools/bench/gemm_reference.py   (then with 2)
"""
import os
import time

import numpy as np

B = 128
layers = [(784, 512), (512, 256), (256, 64), (32, 256), (256, 512), (512, 784)]
rng = np.random.default_rng(0)
ops = []
for n_in, n_out in layers:
    x = rng.standard_normal((B, n_in), dtype=np.float32)
    w = rng.standard_normal((n_in, n_out), dtype=np.float32)
    dy = rng.standard_normal((B, n_out), dtype=np.float32)
    ops += [(x, w), (x.T.copy(), dy), (dy, w.T.copy())]  # forward, dW = x^T dy, dx = dy W^T
flops = sum(2 * a.shape[0] * a.shape[1] * b.shape[1] for a, b in ops)
for _ in range(20):
    for a, b in ops:
        a @ b
runs = []
for _ in range(7):
    t = time.perf_counter()
    for _ in range(50):
        for a, b in ops:
            a @ b
    runs.append((time.perf_counter() - t) / 50)
step = sorted(runs)[len(runs) // 2]
print(f"threads={os.environ.get('OPENBLAS_NUM_THREADS', 'default')} matmuls of one step: {step * 1000:.2f} ms, "
      f"{flops / step / 1e9:.1f} GFLOP/s, ceiling {B / step:.0f} examples/s if nothing else took time")
