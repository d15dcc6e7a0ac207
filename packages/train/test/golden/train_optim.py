"""Golden values for @pir/train's optimiser: torch.optim.AdamW with two kinds of parameter groups, a LambdaLR
linear warm-up / decay schedule and clip_grad_norm_, on fixed gradients.

This generator lives in packages/train/test/golden/ (not tools/golden/, which the train package does not own);
it writes packages/train/test/fixtures/train_optim.json. Run from the repository root:

    /usr/bin/python3 packages/train/test/golden/train_optim.py

Everything is float32 (as the TypeScript run); the gradients are seeded normal values, the same every run.

The tiny "model" has the parameter kinds of a PIR model:
  enc.weight  [3, 4]       Linear weight          decay      lr x1
  enc.bias    [3]          bias                   no decay   lr x1
  norm.weight [3], norm.bias [3]  LayerNorm       no decay   lr x1
  conv.weight [2, 1, 2, 2] conv kernel            decay      lr x1
  temp        []           temperature            no decay   lr x1   (no gradient at step 2: skipped)
  head.weight [2, 3]       "new" Linear           decay      lr x2
  head.bias   [2]          "new" bias             no decay   lr x2
Groups follow the released rule: weight decay 0 for p.ndim < 2; parameters named head.* get lr x2.
Schedule: Hugging Face's get_linear_schedule_with_warmup as a LambdaLR (total 20 steps, warm-up 10 % = 2),
stepped after each optimiser step. clip_grad_norm_(max_norm=2.0) before each step.
"""
import json
import math
import os

import torch

torch.manual_seed(0)
OUT = os.path.join(os.path.dirname(__file__), '..', 'fixtures', 'train_optim.json')

SHAPES = {
    'enc.weight': [3, 4],
    'enc.bias': [3],
    'norm.weight': [3],
    'norm.bias': [3],
    'conv.weight': [2, 1, 2, 2],
    'temp': [],
    'head.weight': [2, 3],
    'head.bias': [2],
}
CONFIG = {'lr': 0.1, 'betas': [0.9, 0.98], 'eps': 1e-8, 'weightDecay': 0.05, 'maxNorm': 2.0,
          'totalSteps': 20, 'warmupFraction': 0.1, 'newPrefix': 'head.', 'newLrMultiplier': 2}
SCALES = [0.1, 1.0, 0.2, 3.0, 0.05]  # gradient scale per step: clipping is active at some steps only
NO_GRAD = {2: ['temp']}  # step -> parameters without a gradient in that step

g = torch.Generator().manual_seed(20240901)
params = {n: torch.nn.Parameter(torch.randn(s, generator=g, dtype=torch.float32) * 0.5 + (1.0 if n == 'temp' else 0.0))
          for n, s in SHAPES.items()}


def group_of(name):
    p = params[name]
    return ('no_decay' if p.ndim < 2 else 'decay') + ('_new' if name.startswith(CONFIG['newPrefix']) else '')


GROUPS = ['decay', 'no_decay', 'decay_new', 'no_decay_new']
groups = []
for gname in GROUPS:
    names = [n for n in SHAPES if group_of(n) == gname]
    groups.append({
        'params': [params[n] for n in names],
        'weight_decay': 0.0 if gname.startswith('no_decay') else CONFIG['weightDecay'],
        'lr': CONFIG['lr'] * (CONFIG['newLrMultiplier'] if gname.endswith('_new') else 1),
        'name': gname,
    })
opt = torch.optim.AdamW(groups, lr=CONFIG['lr'], betas=tuple(CONFIG['betas']), eps=CONFIG['eps'],
                        weight_decay=CONFIG['weightDecay'])
total = CONFIG['totalSteps']
warmup = int(math.floor(CONFIG['warmupFraction'] * total))


def lr_lambda(step):  # transformers.get_linear_schedule_with_warmup
    if step < warmup:
        return float(step) / float(max(1, warmup))
    return max(0.0, float(total - step) / float(max(1, total - warmup)))


sched = torch.optim.lr_scheduler.LambdaLR(opt, lr_lambda)


def dump(t):
    return {'shape': list(t.shape), 'data': [float(x) for x in t.detach().reshape(-1).tolist()]}


fixture = {'config': CONFIG, 'groups': {n: group_of(n) for n in SHAPES},
           'initial': {n: dump(p) for n, p in params.items()}, 'steps': []}
for k, scale in enumerate(SCALES):
    grads = {}
    for n, p in params.items():
        if n in NO_GRAD.get(k, []):
            p.grad = None
            continue
        p.grad = torch.randn(p.shape, generator=g, dtype=torch.float32) * scale
        grads[n] = dump(p.grad)
    lrs = {grp['name']: grp['lr'] for grp in opt.param_groups}
    total_norm = torch.nn.utils.clip_grad_norm_([p for p in params.values() if p.grad is not None],
                                                CONFIG['maxNorm'])
    opt.step()
    sched.step()
    fixture['steps'].append({
        'grads': grads,
        'lr': lrs,
        'totalNorm': float(total_norm),
        'params': {n: dump(p) for n, p in params.items()},
        'paramSteps': {n: int(opt.state[p]['step']) if p in opt.state else 0 for n, p in params.items()},
        'expAvg': {n: dump(opt.state[p]['exp_avg']) for n, p in params.items() if p in opt.state},
    })

os.makedirs(os.path.dirname(OUT), exist_ok=True)
with open(OUT, 'w') as f:
    json.dump(fixture, f, indent=None, separators=(',', ':'))
print(f'wrote {OUT}: {len(SCALES)} steps, total norms', [round(s['totalNorm'], 4) for s in fixture['steps']])
