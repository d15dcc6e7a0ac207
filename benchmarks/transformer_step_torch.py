"""PyTorch CPU baseline for benchmarks/transformer_step.ts: the same 2-layer post-LN transformer encoder
training step (D=256, 4 heads, FFN 1024, ReLU, input [32, 50, 256], MSE loss, Adam), either as PyTorch users
write it (`--impl modules`: nn.TransformerEncoder of nn.TransformerEncoderLayer, batch_first, dropout 0) or
written from the same primitives as the tfjs side (`--impl primitives`: fused QKV projection, explicit softmax
attention, layer_norm).

Usage: python3 transformer_step_torch.py --threads N [--impl modules|primitives] [--warmup W] [--reps R]
Prints one JSON line: {"threads", "medianMs", "minMs", "maxMs", "reps", "loss", "torch", "blas"}.
"""

import argparse
import json
import math
import time

import torch
import torch.nn.functional as F

B, S, D, H, FF, LAYERS = 32, 50, 256, 4, 1024, 2


def make_params(gen):
    params = []
    for _ in range(LAYERS):
        p = {
            "wqkv": torch.randn(D, 3 * D, generator=gen) * 0.02,
            "bqkv": torch.zeros(3 * D),
            "wo": torch.randn(D, D, generator=gen) * 0.02,
            "bo": torch.zeros(D),
            "w1": torch.randn(D, FF, generator=gen) * 0.02,
            "b1": torch.zeros(FF),
            "w2": torch.randn(FF, D, generator=gen) * 0.02,
            "b2": torch.zeros(D),
            "g1": torch.ones(D),
            "be1": torch.zeros(D),
            "g2": torch.ones(D),
            "be2": torch.zeros(D),
        }
        for t in p.values():
            t.requires_grad_(True)
        params.append(p)
    return params


def layer(x, p):
    # x: [B*S, D]
    dh = D // H
    qkv = x @ p["wqkv"] + p["bqkv"]
    q, k, v = qkv.split(D, dim=1)
    q = q.reshape(B, S, H, dh).permute(0, 2, 1, 3)
    k = k.reshape(B, S, H, dh).permute(0, 2, 1, 3)
    v = v.reshape(B, S, H, dh).permute(0, 2, 1, 3)
    att = torch.softmax((q @ k.transpose(-1, -2)) / math.sqrt(dh), dim=-1)
    o = (att @ v).permute(0, 2, 1, 3).reshape(B * S, D)
    x = F.layer_norm(x + o @ p["wo"] + p["bo"], (D,), p["g1"], p["be1"], eps=1e-5)
    h = torch.relu(x @ p["w1"] + p["b1"])
    return F.layer_norm(x + h @ p["w2"] + p["b2"], (D,), p["g2"], p["be2"], eps=1e-5)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--reps", type=int, default=10)
    ap.add_argument("--impl", choices=["modules", "primitives"], default="modules")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    gen = torch.Generator().manual_seed(0)
    x = torch.randn(B * S, D, generator=gen)
    target = torch.randn(B * S, D, generator=gen)
    if args.impl == "modules":
        torch.manual_seed(0)
        enc = torch.nn.TransformerEncoder(
            torch.nn.TransformerEncoderLayer(
                d_model=D, nhead=H, dim_feedforward=FF, dropout=0.0, activation="relu", batch_first=True
            ),
            num_layers=LAYERS,
            enable_nested_tensor=False,
        )
        enc.train()
        xb = x.reshape(B, S, D)
        tb = target.reshape(B, S, D)
        opt = torch.optim.Adam(enc.parameters(), lr=1e-3)

        def step():
            opt.zero_grad(set_to_none=True)
            loss = F.mse_loss(enc(xb), tb)
            loss.backward()
            opt.step()
            return loss.item()

    else:
        params = make_params(gen)
        opt = torch.optim.Adam([t for p in params for t in p.values()], lr=1e-3)

        def step():
            opt.zero_grad(set_to_none=True)
            y = x
            for p in params:
                y = layer(y, p)
            loss = F.mse_loss(y, target)
            loss.backward()
            opt.step()
            return loss.item()

    for _ in range(args.warmup):
        step()
    times = []
    loss = 0.0
    for _ in range(args.reps):
        t0 = time.perf_counter()
        loss = step()
        times.append((time.perf_counter() - t0) * 1000)
    times.sort()
    # Debian's torch is built with BLAS_INFO=generic: whatever libblas.so.3 points to (OpenBLAS if installed).
    blas = "unknown"
    try:
        with open("/proc/self/maps", encoding="utf8") as maps:
            libs = maps.read()
        blas = "OpenBLAS" if "openblas" in libs else ("reference BLAS" if "libblas.so" in libs else "unknown")
    except OSError:
        pass
    print(
        json.dumps(
            {
                "threads": torch.get_num_threads(),
                "impl": args.impl,
                "medianMs": times[len(times) // 2],
                "minMs": times[0],
                "maxMs": times[-1],
                "reps": args.reps,
                "loss": loss,
                "torch": torch.__version__,
                "blas": blas,
            }
        )
    )


if __name__ == "__main__":
    main()
