#!/usr/bin/env python3
"""Golden values for @pir/losses, written from PIR_SPEC §4 independently of the TypeScript code.

Every loss is computed in float64 with deliberately *different* formulations from the TypeScript one
(explicit per-row Python loops for positives and class centres, `F.cross_entropy` / `log_softmax` from
PyTorch), on float32-representable inputs, and autograd gives the gradients w.r.t. V, T and the
temperature / log-scale.

Run from the repository root:  python3 tools/golden/losses.py
Writes packages/losses/test/fixtures/losses.json.
"""
import json
import math
import os

import numpy as np
import torch
import torch.nn.functional as F

torch.set_default_dtype(torch.float64)
OUT = os.path.join(os.path.dirname(__file__), '..', '..', 'packages', 'losses', 'test', 'fixtures', 'losses.json')


# ---------------------------------------------------------------- losses, from the spec

def normalize(x):
    return x / x.norm(dim=1, keepdim=True).clamp_min(1e-12)


def info_nce(v, t, ids, tau):
    """Multi-positive symmetric InfoNCE, row by row."""
    B = v.shape[0]
    S = v @ t.T / tau
    total_i2t = 0.0
    total_t2i = 0.0
    for i in range(B):
        pos = [j for j in range(B) if ids[j] == ids[i]]
        lp_row = F.log_softmax(S[i], dim=0)  # image i over captions
        lp_col = F.log_softmax(S[:, i], dim=0)  # caption i over images
        total_i2t = total_i2t - sum(lp_row[j] for j in pos) / len(pos)
        total_t2i = total_t2i - sum(lp_col[j] for j in pos) / len(pos)
    return 0.5 * (total_i2t / B + total_t2i / B)


def clip_scale(s, max_scale=100.0):
    return torch.clamp(s.exp(), max=max_scale)


def clip_loss(v, t, s):
    logits = clip_scale(s) * (v @ t.T)
    target = torch.arange(v.shape[0])
    return 0.5 * (F.cross_entropy(logits, target) + F.cross_entropy(logits.T, target))


def triplet(v, t, margin, reduction, ids=None):
    """VSE++ ContrastiveLoss (sum over the batch), optional same-image masking."""
    B = v.shape[0]
    S = v @ t.T
    d = S.diag()
    cost_s = (margin + S - d.view(B, 1)).clamp(min=0)  # image i vs caption j
    cost_im = (margin + S - d.view(1, B)).clamp(min=0)  # caption j vs image i
    if ids is None:
        mask = torch.eye(B, dtype=torch.bool)
    else:
        mask = torch.tensor([[ids[i] == ids[j] for j in range(B)] for i in range(B)])
    cost_s = cost_s.masked_fill(mask, 0)
    cost_im = cost_im.masked_fill(mask, 0)
    if reduction == 'hardest':
        return cost_s.max(1)[0].sum() + cost_im.max(0)[0].sum()
    return cost_s.sum() + cost_im.sum()


def centres(x, labels):
    rows = []
    for i in range(len(labels)):
        members = [k for k in range(len(labels)) if labels[k] == labels[i]]
        rows.append(torch.stack([x[k] for k in members]).mean(0))
    return torch.stack(rows)


def affiliation(v, t, labels, mult, direction):
    """mult multiplies the similarities (1/τ2 or the CLIP scale)."""
    I_c = centres(v, labels)
    T_c = centres(t, labels)
    A = mult * (v @ T_c.T)
    Bm = mult * (t @ I_c.T)
    target = torch.arange(v.shape[0])
    second = Bm.T if direction == 'itr' else Bm
    return 0.5 * (F.cross_entropy(A, target) + F.cross_entropy(second, target))


# ---------------------------------------------------------------- cases

gen = torch.Generator().manual_seed(20240517)


def randn(B, D, unit=True):
    x = torch.randn(B, D, generator=gen, dtype=torch.float32)
    if unit:
        x = x / x.norm(dim=1, keepdim=True)
    return x.to(torch.float32)  # inputs are float32 values, maths is float64


def f32list(x):
    return [[float(np.float32(e)) for e in row] for row in x.tolist()]


def grads_list(g):
    return [[float(f'{e:.10g}') for e in row] for row in g.tolist()]


cases = []


def add(name, kind, v32, t32, options, ids=None, labels=None):
    v = v32.to(torch.float64).clone().requires_grad_(True)
    t = t32.to(torch.float64).clone().requires_grad_(True)
    scal = {}
    if 'temperature' in options:
        scal['temperature'] = torch.tensor(float(np.float32(options['temperature'])), requires_grad=True)
    if 'affiliationTemperature' in options:
        scal['affiliationTemperature'] = torch.tensor(
            float(np.float32(options['affiliationTemperature'])), requires_grad=True)
    if 'logScale' in options:
        scal['logScale'] = torch.tensor(float(np.float32(options['logScale'])), requires_grad=True)
    vv = normalize(v) if options.get('normalize') else v
    tt = normalize(t) if options.get('normalize') else t
    parts = {}
    if kind == 'infonce':
        if 'temperature' in scal:
            loss = info_nce(vv, tt, ids, scal['temperature'])
        else:
            loss = info_nce(vv, tt, ids, 1.0 / clip_scale(scal['logScale']))
    elif kind == 'clip':
        loss = clip_loss(vv, tt, scal['logScale'])
    elif kind == 'triplet':
        loss = triplet(vv, tt, options.get('margin', 0.2), options.get('reduction', 'sum'),
                       ids if options.get('maskIds') else None)
    elif kind == 'affiliation':
        mult = 1.0 / scal['temperature'] if 'temperature' in scal else clip_scale(scal['logScale'])
        loss = affiliation(vv, tt, labels, mult, options.get('direction', 'itr'))
    elif kind == 'pirItr':
        lc = info_nce(vv, tt, ids, scal['temperature'])
        la = affiliation(vv, tt, labels, 1.0 / scal['affiliationTemperature'], options.get('direction', 'itr'))
        loss = lc + options.get('lambda', 1.0) * la
        parts = {'contrastive': float(lc), 'affiliation': float(la)}
    elif kind == 'pirClip':
        lc = clip_loss(vv, tt, scal['logScale'])
        la = affiliation(vv, tt, labels, clip_scale(scal['logScale']), options.get('direction', 'clip'))
        loss = lc + options.get('lambda', 1.0) * la
        parts = {'contrastive': float(lc), 'affiliation': float(la)}
    else:
        raise ValueError(kind)
    wrt = [v, t] + list(scal.values())
    g = torch.autograd.grad(loss, wrt, allow_unused=True)
    grad = {'v': grads_list(g[0]), 't': grads_list(g[1])}
    for k, gk in zip(scal.keys(), g[2:]):
        grad[k] = 0.0 if gk is None else float(gk)
    case = {'name': name, 'kind': kind, 'options': options, 'v': f32list(v32), 't': f32list(t32),
            'loss': float(loss), 'grad': grad}
    if ids is not None:
        case['imageIds'] = ids
    if labels is not None:
        case['labels'] = labels
    if parts:
        case['parts'] = parts
    cases.append(case)


D = 8
LOG_CLIP = math.log(1 / 0.07)

# multi-positive InfoNCE
add('infonce B=1', 'infonce', randn(1, D), randn(1, D), {'temperature': 0.07}, ids=[5])
add('infonce distinct ids', 'infonce', randn(4, D), randn(4, D), {'temperature': 0.07}, ids=[0, 1, 2, 3])
add('infonce duplicates', 'infonce', randn(6, D), randn(6, D), {'temperature': 0.05}, ids=[0, 0, 1, 2, 2, 2])
add('infonce one image', 'infonce', randn(3, D), randn(3, D), {'temperature': 0.1}, ids=[9, 9, 9])
add('infonce normalize', 'infonce', randn(4, D, unit=False), randn(4, D, unit=False),
    {'temperature': 0.07, 'normalize': True}, ids=[1, 2, 1, 3])
add('infonce logScale', 'infonce', randn(4, D), randn(4, D), {'logScale': LOG_CLIP}, ids=[4, 4, 2, 7])

# CLIP
add('clip B=1', 'clip', randn(1, D), randn(1, D), {'logScale': LOG_CLIP})
add('clip B=5', 'clip', randn(5, D), randn(5, D), {'logScale': LOG_CLIP})
add('clip scale clamped', 'clip', randn(4, D), randn(4, D), {'logScale': math.log(150.0)})
add('clip normalize', 'clip', randn(3, D, unit=False), randn(3, D, unit=False),
    {'logScale': math.log(20.0), 'normalize': True})

# VSE++ triplet (close pairs so that many hinges are active)
def near(B, noise=0.5):
    v = randn(B, D)
    t = v + noise * randn(B, D, unit=False)
    return v, (t / t.norm(dim=1, keepdim=True)).to(torch.float32)


for red in ('sum', 'hardest'):
    add(f'triplet B=1 {red}', 'triplet', randn(1, D), randn(1, D), {'reduction': red})
    add(f'triplet B=6 {red}', 'triplet', *near(6), {'reduction': red})
    add(f'triplet masked ids {red}', 'triplet', *near(6), {'reduction': red, 'maskIds': True},
        ids=[0, 0, 1, 2, 2, 3])
add('triplet margin 0.5', 'triplet', *near(5), {'reduction': 'sum', 'margin': 0.5})

# affiliation
for d in ('itr', 'clip'):
    add(f'affiliation B=1 {d}', 'affiliation', randn(1, D), randn(1, D), {'temperature': 0.07, 'direction': d},
        labels=['airport'])
    add(f'affiliation classes {d}', 'affiliation', randn(6, D), randn(6, D), {'temperature': 0.07, 'direction': d},
        labels=['farm', 'farm', 'port', 'beach', 'beach', 'beach'])
add('affiliation singletons itr', 'affiliation', randn(5, D), randn(5, D), {'temperature': 0.1, 'direction': 'itr'},
    labels=[3, 1, 4, 5, 9])
add('affiliation one class clip', 'affiliation', randn(4, D), randn(4, D), {'temperature': 0.07, 'direction': 'clip'},
    labels=[2, 2, 2, 2])
add('affiliation logScale clip', 'affiliation', randn(5, D), randn(5, D), {'logScale': LOG_CLIP, 'direction': 'clip'},
    labels=[0, 1, 0, 1, 2])

# totals
add('pirItr', 'pirItr', randn(6, D), randn(6, D),
    {'temperature': 0.07, 'affiliationTemperature': 0.05, 'lambda': 1.0, 'direction': 'itr'},
    ids=[0, 0, 1, 2, 3, 3], labels=['farm', 'farm', 'farm', 'port', 'beach', 'beach'])
add('pirItr lambda 0.5', 'pirItr', randn(5, D), randn(5, D),
    {'temperature': 0.1, 'affiliationTemperature': 0.07, 'lambda': 0.5, 'direction': 'clip'},
    ids=[0, 1, 2, 3, 4], labels=[1, 1, 2, 2, 3])
add('pirClip', 'pirClip', randn(6, D), randn(6, D), {'logScale': LOG_CLIP, 'lambda': 1.0, 'direction': 'clip'},
    labels=['a', 'b', 'a', 'c', 'b', 'a'])

with open(OUT, 'w') as f:
    json.dump({'generator': 'tools/golden/losses.py', 'torch': torch.__version__, 'cases': cases}, f,
              separators=(',', ':'))
    f.write('\n')
print(f'wrote {len(cases)} cases, {os.path.getsize(OUT)} bytes')
