#!/usr/bin/env python3
"""Golden values for @pir/nn's primitives, from PyTorch's own modules and functions.

- linear:      nn.Linear (weight [out, in]) on x [2, 3, 5] → y, and autograd's dx, dW, db for an upstream dy
- layer_norm:  nn.LayerNorm(6, eps) for eps 1e-5 and 1e-12 (BERT) → y, dx, dγ, dβ
- gelu:        nn.GELU() (exact) and CLIP's QuickGELU x·σ(1.702x) on a grid
- attention:   nn.MultiheadAttention(batch_first=True) with identity in/out projections (so it computes the
               bare multi-head attention of already projected q, k, v), a key-padding mask, and a causal
               attn_mask → y, dq, dk, dv
- state dict:  an nn.Sequential(Linear, LayerNorm, Conv2d, BatchNorm2d) state_dict, with its
               num_batches_tracked, to check the loader's names, layouts and ignored keys

Inputs are float32 (seeded torch.Generator); computed in float32 as PyTorch users run it.

Run from the repository root:  /usr/bin/python3 tools/golden/nn_primitives.py
Writes packages/nn/test/fixtures/nn_primitives.json.
"""
import json
import os

import torch
import torch.nn as nn

OUT = os.path.join(os.path.dirname(__file__), '..', '..', 'packages', 'nn', 'test', 'fixtures', 'nn_primitives.json')
g = torch.Generator().manual_seed(20261205)


def rnd(*shape, scale=1.0):
    return (torch.rand(*shape, generator=g) * 2 - 1) * scale


def flat(t):
    return [float(v) for v in t.detach().reshape(-1).tolist()]


def entry(t):
    return {'shape': list(t.shape), 'data': flat(t)}


out = {}

# ---------------------------------------------------------------- linear
lin = nn.Linear(5, 4)
with torch.no_grad():
    lin.weight.copy_(rnd(4, 5))
    lin.bias.copy_(rnd(4))
x = rnd(2, 3, 5).requires_grad_(True)
dy = rnd(2, 3, 4)
y = lin(x)
(y * dy).sum().backward()
out['linear'] = {
    'x': entry(x), 'weight': entry(lin.weight), 'bias': entry(lin.bias), 'dy': entry(dy),
    'y': entry(y), 'dx': entry(x.grad), 'dWeight': entry(lin.weight.grad), 'dBias': entry(lin.bias.grad),
}

# ---------------------------------------------------------------- layer norm
out['layerNorm'] = []
for eps in (1e-5, 1e-12):
    ln = nn.LayerNorm(6, eps=eps)
    with torch.no_grad():
        ln.weight.copy_(rnd(6) + 1)
        ln.bias.copy_(rnd(6))
    x = (rnd(2, 3, 6) * 3).requires_grad_(True)
    dy = rnd(2, 3, 6)
    y = ln(x)
    (y * dy).sum().backward()
    out['layerNorm'].append({
        'eps': eps, 'x': entry(x), 'gamma': entry(ln.weight), 'beta': entry(ln.bias), 'dy': entry(dy),
        'y': entry(y), 'dx': entry(x.grad), 'dGamma': entry(ln.weight.grad), 'dBeta': entry(ln.bias.grad),
    })

# ---------------------------------------------------------------- activations
grid = torch.linspace(-6, 6, 49)
out['activations'] = {
    'x': flat(grid),
    'gelu': flat(nn.GELU()(grid)),
    'quickGelu': flat(grid * torch.sigmoid(1.702 * grid)),
}

# ---------------------------------------------------------------- attention
B, LQ, LK, D, H = 2, 3, 4, 8, 2
mha = nn.MultiheadAttention(D, H, bias=True, batch_first=True)
with torch.no_grad():
    mha.in_proj_weight.copy_(torch.cat([torch.eye(D)] * 3, 0))
    mha.in_proj_bias.zero_()
    mha.out_proj.weight.copy_(torch.eye(D))
    mha.out_proj.bias.zero_()
keep = torch.tensor([[1, 1, 1, 0], [1, 0, 1, 1]], dtype=torch.float32)  # 1 = attend
cases = []
for name, causal in (('keyMask', False), ('causal', True)):
    lk = LQ if causal else LK
    q = rnd(B, LQ, D).requires_grad_(True)
    k = rnd(B, lk, D).requires_grad_(True)
    v = rnd(B, lk, D).requires_grad_(True)
    dy = rnd(B, LQ, D)
    kwargs = {'need_weights': False}
    if causal:
        kwargs['attn_mask'] = torch.triu(torch.ones(LQ, LQ, dtype=torch.bool), diagonal=1)
    else:
        kwargs['key_padding_mask'] = keep == 0
    y, _ = mha(q, k, v, **kwargs)
    (y * dy).sum().backward()
    cases.append({
        'name': name, 'heads': H, 'causal': causal, 'q': entry(q), 'k': entry(k), 'v': entry(v), 'dy': entry(dy),
        'keyMask': keep.tolist() if not causal else None,
        'y': entry(y), 'dq': entry(q.grad), 'dk': entry(k.grad), 'dv': entry(v.grad),
    })
out['attention'] = cases

# ---------------------------------------------------------------- a state dict of PyTorch modules
net = nn.Sequential(nn.Linear(3, 4), nn.LayerNorm(4), nn.Conv2d(2, 5, 3), nn.BatchNorm2d(5))
with torch.no_grad():
    for p in net.parameters():
        p.copy_(rnd(*p.shape))
    net[3].running_mean.copy_(rnd(5))
    net[3].running_var.copy_(rnd(5).abs() + 0.5)
net.train()
net[2:](rnd(1, 2, 5, 5))  # one training step of the BatchNorm: num_batches_tracked = 1, running stats move
net.eval()
sd = net.state_dict()
out['stateDict'] = {
    'entries': {k: {'shape': list(t.shape), 'dtype': str(t.dtype).replace('torch.', ''),
                    'data': [int(v) for v in t.reshape(-1).tolist()] if t.dtype == torch.int64 else flat(t)}
                for k, t in sd.items()},
    'input': entry(xin := rnd(2, 2, 5, 5)),
    # Linear and LayerNorm on a [2, 3] input, Conv2d + BatchNorm2d (eval) on [2, 2, 5, 5] (NCHW)
    'linearInput': entry(xl := rnd(2, 3)),
    'linearOutput': entry(net[1](net[0](xl))),
    'convOutput': entry(net[3](net[2](xin))),
}

os.makedirs(os.path.dirname(OUT), exist_ok=True)
with open(OUT, 'w') as f:
    json.dump(out, f)
print(f'wrote {OUT} ({os.path.getsize(OUT)} bytes)')
