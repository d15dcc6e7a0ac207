"""PyTorch CPU baseline for benchmarks/pae.ts: forward + backward of Spatial-PAE (B=32, K=40, D=512, 2 layers,
instruction queries) and Temporal-PAE (B=32, L=32, D=512, 3 layers, key mask), train mode (dropout 0.2), loss
sum(out * R), gradients of every parameter — the modules of tools/golden/belief_pae.py (released layout).
Also hard belief (B=32, N=50 → K=40, D=512) forward + backward.

Usage: python3 pae_torch.py --threads N [--reps R]
Prints one JSON line: {"threads", "spatial": {...}, "temporal": {...}, "belief": {...}, "torch", "blas"}.
"""
import argparse
import json
import os
import sys
import time

import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tools", "golden"))
from belief_pae import PIRHead, hard_belief  # noqa: E402

B, K, N, L, D, H = 32, 40, 50, 32, 512, 8


def timeit(fn, warmup, reps):
    for _ in range(warmup):
        fn()
    ts = []
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        ts.append((time.perf_counter() - t0) * 1000)
    ts.sort()
    return {"medianMs": ts[len(ts) // 2], "minMs": ts[0], "maxMs": ts[-1], "reps": reps}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--reps", type=int, default=10)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    g = torch.Generator().manual_seed(0)
    model = PIRHead(D, H, 2, 3, p=0.2)
    model.train()
    x = torch.randn(B, K, D, generator=g)
    u = torch.randn(B, D, generator=g)
    txt = torch.randn(B, L, D, generator=g)
    mask = torch.ones(B, L)
    mask[B // 2:, 20:] = 0
    R1 = torch.randn(B, K, D, generator=g)
    R2 = torch.randn(B, L, D, generator=g)
    sp = list(model.img_sa.parameters()) + list(model.img_ca.parameters()) + list(model.mapping_img.parameters())
    tp = list(model.txt_sa.parameters()) + list(model.txt_ca.parameters()) + list(model.mapping_txt.parameters())

    def spatial():
        loss = (model.spatial(x, u, None) * R1).sum()
        torch.autograd.grad(loss, sp)

    def temporal():
        loss = (model.temporal(txt, mask) * R2).sum()
        torch.autograd.grad(loss, tp)

    V = torch.randn(B, N, D, generator=g, requires_grad=True)
    R3 = torch.randn(B, K, D, generator=g)

    def belief():
        _, _, kept = hard_belief(V, u, K)
        torch.autograd.grad((kept * R3).sum(), [V])

    out = {
        "threads": a.threads,
        "spatial": timeit(spatial, 2, a.reps),
        "temporal": timeit(temporal, 2, a.reps),
        "belief": timeit(belief, 3, a.reps * 3),
        "torch": torch.__version__,
        "blas": "see torch.__config__",
    }
    print(json.dumps(out))


if __name__ == "__main__":
    main()
