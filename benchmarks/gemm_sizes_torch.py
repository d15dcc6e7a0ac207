"""PyTorch CPU baseline for benchmarks/gemm_sizes.ts: the same 2-D products, with a given thread count.

Usage: python3 gemm_sizes_torch.py --threads N --cases JSON [--reps R]
  JSON: [{"name", "m", "k", "n", "ta", "tb"}...]; an operand flagged transposed is a transposed view of a
  contiguous tensor, as in a linear layer's backward pass (torch.matmul on the view, as autograd does).
Prints one JSON line: {"threads", "torch", "rows": [{"name", "medianMs", "minMs"}]}.
"""

import argparse
import json

import torch
from attention_matmul_torch import timed  # the same warm-up + median/min timing


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
        m, k, n = c["m"], c["k"], c["n"]
        x = torch.randn(k, m, generator=g).t() if c["ta"] else torch.randn(m, k, generator=g)
        w = torch.randn(n, k, generator=g).t() if c["tb"] else torch.randn(k, n, generator=g)
        with torch.no_grad():
            med, mn = timed(lambda: torch.matmul(x, w), 2, a.reps)
        rows.append({"name": c["name"], "medianMs": med, "minMs": mn})
    print(json.dumps({"threads": a.threads, "torch": torch.__version__, "rows": rows}))


if __name__ == "__main__":
    main()
