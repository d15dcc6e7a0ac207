"""PyTorch CPU baseline for benchmarks/attention_matmul.ts: the batched attention products (torch.bmm) and one
attention forward+backward, at the same sizes, with a given thread count.

Usage: python3 attention_matmul_torch.py --threads N --cases JSON [--reps R]
  JSON: [{"name", "bh", "l", "dh"}...] for products; the attention case is [32, 8, 50, 64].
Prints one JSON line: {"threads", "torch", "rows": [{"name", "op", "medianMs", "minMs"}]}.
"""

import argparse
import json
import time

import torch


def timed(fn, warmup, reps):
    for _ in range(warmup):
        fn()
    ts = []
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        ts.append((time.perf_counter() - t0) * 1000)
    ts.sort()
    return ts[len(ts) // 2], ts[0]


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--threads", type=int, required=True)
    p.add_argument("--cases", required=True)
    p.add_argument("--reps", type=int, default=9)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    g = torch.Generator().manual_seed(0)
    rows = []
    for c in json.loads(a.cases):
        bh, l, dh = c["bh"], c["l"], c["dh"]
        q = torch.randn(bh, l, dh, generator=g)
        k = torch.randn(bh, l, dh, generator=g)
        pm = torch.randn(bh, l, l, generator=g)
        v = torch.randn(bh, l, dh, generator=g)
        kt = k.transpose(1, 2)  # a strided view, as Kᵀ is in attention
        with torch.no_grad():
            for op, fn in (("QK^T", lambda: torch.bmm(q, kt)), ("PV", lambda: torch.bmm(pm, v))):
                med, mn = timed(fn, 3, a.reps)
                rows.append({"name": c["name"], "op": op, "medianMs": med, "minMs": mn})
    # one attention forward + backward, [B, H, L, dh] = [32, 8, 50, 64]
    shape = (32, 8, 50, 64)
    q, k, v = (torch.randn(*shape, generator=g).requires_grad_(True) for _ in range(3))
    w = torch.randn(*shape, generator=g)

    def attn():
        s = torch.matmul(q, k.transpose(-1, -2)) / 8.0
        o = torch.matmul(torch.softmax(s, -1), v)
        (o * w).sum().backward()
        q.grad = k.grad = v.grad = None

    med, mn = timed(attn, 2, a.reps)
    rows.append({"name": "attention [32,8,50,64]", "op": "fwd+bwd", "medianMs": med, "minMs": mn})
    print(json.dumps({"threads": a.threads, "torch": torch.__version__, "rows": rows}))


if __name__ == "__main__":
    main()
